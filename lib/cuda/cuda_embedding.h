// CUDA kernels for the embedding table: the GPU twins of backend/cpu_embedding.h. The batch's
// rows are reduced with a CUB radix sort (stable, so deterministic), and the Adam + L2 + CowClip
// update runs over the unique rows (batch-rows mode) or the whole table (all-rows mode), exactly as
// docs/cowclip.md sections 2-3 and the CPU reference define it.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "backend/ops.h"
#include "cuda/device_array.h"

namespace ctr::cuda {

class SumScratch;

// The reduction's counters in device memory, written by its kernels and read back in one copy.
struct ReduceCounters {
  uint32_t unique = 0;   // U, written by CUB's run-length encode
  uint32_t bad_row = 0;  // the largest row outside the table; 0: none
  uint32_t heavy = 0;    // rows with more than kHeavyCount occurrences, each reduced by a block
};

// Device scratch reused across steps (grows to the largest batch, then stays).
struct EmbeddingScratch {
  DeviceArray<uint32_t> occ_index{"embedding reduce: occurrence indices"};     // [B*F]
  DeviceArray<uint32_t> sorted_rows{"embedding reduce: sorted rows"};          // [B*F]
  DeviceArray<uint32_t> sorted_occ{"embedding reduce: sorted occurrences"};    // [B*F]
  DeviceArray<uint32_t> run_start{"embedding reduce: run offsets"};            // [B*F + 1]
  DeviceArray<ReduceCounters> counters{"embedding reduce: counters"};  // [1]
  DeviceArray<uint32_t> heavy_rows{"embedding reduce: rows with many occurrences"};  // each reduced by a block
  DeviceArray<unsigned char> cub_temp{"CUB temporary storage"};
  DeviceArray<int32_t> slot{"embedding update: row -> unique index map"};      // [table_rows], -1 when absent
  size_t slot_rows = 0;  // rows of `slot` initialised to -1
  ReduceCounters* host_counters = nullptr;  // pinned: the counters read back
  EmbeddingScratch();
  ~EmbeddingScratch();
  EmbeddingScratch(const EmbeddingScratch&) = delete;
  EmbeddingScratch& operator=(const EmbeddingScratch&) = delete;
};

void embedding_gather(cudaStream_t s, const float* table, const uint32_t* rows_idx, size_t batch, size_t fields,
                      size_t dim, float* out, size_t out_stride);
// Unique rows come out in ascending row order (the CPU backend uses first-occurrence order; both
// are deterministic and table_update does not depend on the order). Returns U (waits for the stream).
// A row outside the table is a ctr::Error, as on the CPU (checked on the device, read back with U).
size_t embedding_reduce(cudaStream_t s, const EmbeddingReduceParams& p, const uint32_t* rows_idx,
                        const float* d_emb, const float* d_linear, UniqueRows<float>& out, EmbeddingScratch& scratch);
// Adds the number of unique rows whose gradient was clipped to *clipped_rows (device memory;
// nullptr: not counted); never waits for the stream.
void table_update(cudaStream_t s, const TableUpdateParams& p, float* table, float* m, float* v,
                  const uint32_t* rows, const uint32_t* counts, const float* grad, size_t unique,
                  uint64_t* clipped_rows, EmbeddingScratch& scratch);
double table_grad_sum_squares(cudaStream_t s, const TableUpdateParams& p, const float* table, const uint32_t* rows,
                              const float* grad, size_t unique, EmbeddingScratch& scratch, SumScratch& sums);

}  // namespace ctr::cuda
