// upload_batch: copies and the ids -> table rows kernel (see cuda_batch.h).
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

void upload_batch(cudaStream_t s, const BatchUpload& u) {
  if (u.rows == 0) return;
  CTR_CUDA_CHECK(cudaMemcpyAsync(u.labels_out, u.labels, u.rows * sizeof(float), cudaMemcpyHostToDevice, s));
  if (u.num_dense)
    CTR_CUDA_CHECK(cudaMemcpyAsync(u.dense_out, u.dense, u.rows * u.num_dense * sizeof(float),
                                   cudaMemcpyHostToDevice, s));
  if (u.num_fields == 0) return;
  const size_t n = u.rows * u.num_fields;
  CTR_CUDA_CHECK(cudaMemcpyAsync(u.raw_ids, u.ids, n * sizeof(uint32_t), cudaMemcpyHostToDevice, s));
  const int blocks = static_cast<int>(std::min<size_t>((n + 255) / 256, 65535));
  ids_to_rows_kernel<<<blocks, 256, 0, s>>>(u.raw_ids, u.offsets, u.num_fields, n, u.rows_out);
  CTR_CUDA_CHECK_LAUNCH();
}

}  // namespace ctr::cuda
