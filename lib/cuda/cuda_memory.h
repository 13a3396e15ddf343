// CudaMemory: the CUDA backend's MemorySpace. Every transfer and fill is queued on the backend's
// one compute stream, so it is ordered with the kernels; host-facing copies wait for completion
// before returning, because their callers reuse or read the host buffer at once.
#pragma once

#include <cuda_runtime.h>

#include "backend/buffer.h"

namespace ctr::cuda {

class CudaMemory final : public MemorySpace {
 public:
  explicit CudaMemory(cudaStream_t stream) : stream_(stream) {}
  void* allocate(size_t bytes) override;  // zero-filled; out of memory says what to lower
  void release(void* p, size_t bytes) override;
  void to_device(void* dst, const void* host_src, size_t bytes) override;
  void to_host(void* host_dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void zero(void* p, size_t bytes) override;

 private:
  cudaStream_t stream_;
};

}  // namespace ctr::cuda
