// The host -> device half of a batch, shared by CudaOps::load_batch (one batch per step) and
// CudaResidentSplit::append (a whole split, once): labels and dense values copied as they are,
// per-field ids turned into global embedding-table rows on the device.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace ctr::cuda {

struct BatchUpload {
  // Host source (pinned or pageable): rows x {1 label, num_dense values, num_fields ids}.
  const float* labels = nullptr;     // [rows]
  const float* dense = nullptr;      // [rows * num_dense]
  const uint32_t* ids = nullptr;     // [rows * num_fields], per-field ids, already range-checked
  size_t rows = 0, num_dense = 0, num_fields = 0;
  // Device destinations.
  const uint64_t* offsets = nullptr; // [num_fields + 1], each field's first table row
  uint32_t* raw_ids = nullptr;       // [rows * num_fields] scratch for the ids
  float* labels_out = nullptr;       // [rows]
  float* dense_out = nullptr;        // [rows * num_dense]
  uint32_t* rows_out = nullptr;      // [rows * num_fields]: offsets[f] + ids[r, f]
};

// Queues the copies and the id kernel on `s`; returns before they finish. The host source must
// stay untouched until the stream has passed this point (pageable sources: until the copies
// return, which cudaMemcpyAsync does once it has read them).
void upload_batch(cudaStream_t s, const BatchUpload& u);

}  // namespace ctr::cuda
