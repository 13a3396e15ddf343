// Device queries through the CUDA runtime.
#include "cuda/device_info.h"

#include <cuda_runtime.h>
#include <fmt/format.h>

#include "cuda/cuda_check.h"

namespace ctr::cuda {

std::string build_summary() {
  return fmt::format("CUDA {}.{}, compiled for sm_{}", CUDART_VERSION / 1000,
                     (CUDART_VERSION % 1000) / 10, CTR_CUDA_ARCHS);
}

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

std::string device_summary() {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return fmt::format("none visible ({})", cudaGetErrorString(err));
  }
  if (n == 0) return "none visible";
  std::string s = std::to_string(n) + " (";
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    s += fmt::format("{}{} sm_{}{}, {:.1f} GiB", i ? "; " : "", p.name, p.major, p.minor,
                     p.totalGlobalMem / double(1ull << 30));
  }
  return s + ")";
}

}  // namespace ctr::cuda
