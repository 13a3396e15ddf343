// CTR_CUDA_CHECK: every CUDA runtime call goes through this; failures throw ctr::Error with our
// file, line, the call and CUDA's message. CTR_CUDA_CHECK_LAUNCH follows every kernel launch.
#pragma once

#include <cuda_runtime.h>

#include "core/error.h"

namespace ctr::cuda {
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line);

// cudaStreamSynchronize(s), checked, with the wall time it blocked added to host_wait_seconds():
// every wait the backend makes for a result it must hand to the host goes through here, so
// `ctrtrain bench` can show how long the host was blocked. Use CTR_WAIT_FOR_STREAM, so that an
// asynchronous kernel fault surfacing here names the op that waited.
void wait_for_stream(cudaStream_t s, const char* file, int line);
// Seconds this process has spent in wait_for_stream, over all streams.
double host_wait_seconds();
}

#define CTR_CUDA_CHECK(call)                                                       \
  do {                                                                             \
    cudaError_t ctr_err_ = (call);                                                 \
    if (ctr_err_ != cudaSuccess) ::ctr::cuda::throw_cuda_error(ctr_err_, #call, __FILE__, __LINE__); \
  } while (0)

#define CTR_CUDA_CHECK_LAUNCH() CTR_CUDA_CHECK(cudaGetLastError())

#define CTR_WAIT_FOR_STREAM(s) ::ctr::cuda::wait_for_stream((s), __FILE__, __LINE__)
