// The device half of CudaOps::load_batch: per-field ids to global embedding-table rows.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace ctr::cuda {

// rows[i] = offsets[i % fields] + ids[i] for i < n (ids [B, F] row-major, already range-checked).
void ids_to_rows(cudaStream_t s, const uint32_t* ids, const uint64_t* offsets, size_t fields, size_t n,
                 uint32_t* rows);

}  // namespace ctr::cuda
