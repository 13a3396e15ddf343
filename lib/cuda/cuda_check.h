// CTR_CUDA_CHECK: every CUDA runtime call goes through this; failures throw ctr::Error with our
// file, line, the call and CUDA's message. CTR_CUDA_CHECK_LAUNCH follows every kernel launch.
#pragma once

#include <cuda_runtime.h>

#include "core/error.h"

namespace ctr::cuda {
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line);
}

#define CTR_CUDA_CHECK(call)                                                       \
  do {                                                                             \
    cudaError_t ctr_err_ = (call);                                                 \
    if (ctr_err_ != cudaSuccess) ::ctr::cuda::throw_cuda_error(ctr_err_, #call, __FILE__, __LINE__); \
  } while (0)

#define CTR_CUDA_CHECK_LAUNCH() CTR_CUDA_CHECK(cudaGetLastError())
