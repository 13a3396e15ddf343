// PinnedHostAllocator implementation.
#include "cuda/pinned_allocator.h"

#include <cuda_runtime.h>
#include <fmt/format.h>

#include "cuda/cuda_check.h"

namespace ctr::cuda {

void* PinnedHostAllocator::allocate(size_t bytes) {
  void* p = nullptr;
  cudaError_t err = cudaHostAlloc(&p, bytes == 0 ? 1 : bytes, cudaHostAllocDefault);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error(fmt::format("cannot allocate {:.1f} MiB of pinned host memory: {} (lower "
                            "train.batch_size or the reader's queue depth)",
                            bytes / double(1 << 20), cudaGetErrorString(err)));
  }
  return p;
}

void PinnedHostAllocator::deallocate(void* p, size_t) {
  if (p) cudaFreeHost(p);  // errors here cannot be acted upon; the process is tearing down
}

}  // namespace ctr::cuda
