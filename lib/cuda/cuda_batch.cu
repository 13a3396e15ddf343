// ids_to_rows: the kernel behind CudaOps::load_batch (see cuda_batch.h).
#include "cuda/cuda_batch.h"

#include <algorithm>

#include "cuda/cuda_check.h"

namespace ctr::cuda {

namespace {
__global__ void ids_to_rows_kernel(const uint32_t* ids, const uint64_t* offsets, size_t fields, size_t n,
                                   uint32_t* rows) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    rows[i] = static_cast<uint32_t>(offsets[i % fields] + ids[i]);
}
}  // namespace

void ids_to_rows(cudaStream_t s, const uint32_t* ids, const uint64_t* offsets, size_t fields, size_t n,
                 uint32_t* rows) {
  if (n == 0) return;
  const int blocks = static_cast<int>(std::min<size_t>((n + 255) / 256, 65535));
  ids_to_rows_kernel<<<blocks, 256, 0, s>>>(ids, offsets, fields, n, rows);
  CTR_CUDA_CHECK_LAUNCH();
}

}  // namespace ctr::cuda
