// CUDA error reporting and the billed stream wait (see cuda_check.h).
#include "cuda/cuda_check.h"

#include <atomic>
#include <chrono>

#include <fmt/format.h>

namespace ctr::cuda {

namespace {
std::atomic<int64_t> g_wait_ns{0};
}

void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  throw Error(fmt::format("CUDA error at {}:{}: {} returned {} ({})", file, line, call,
                          cudaGetErrorName(err), cudaGetErrorString(err)));
}

void wait_for_stream(cudaStream_t s, const char* file, int line) {
  const auto t0 = std::chrono::steady_clock::now();
  const cudaError_t err = cudaStreamSynchronize(s);
  g_wait_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  if (err != cudaSuccess) throw_cuda_error(err, "cudaStreamSynchronize (waiting for a result)", file, line);
}

double host_wait_seconds() { return double(g_wait_ns.load()) * 1e-9; }

}  // namespace ctr::cuda
