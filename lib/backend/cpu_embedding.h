// CPU reference kernels for the embedding table: gather, the per-step reduction of a batch's ids
// to distinct rows, and the Adam + L2 + CowClip row update (docs/cowclip.md sections 2-3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "backend/ops.h"

namespace ctr::cpu {

// Scratch reused across steps so the hot loop allocates nothing once sizes settle.
struct EmbeddingScratch {
  std::vector<int32_t> slot;       // [table_rows] row -> unique index during a call, else -1
  std::vector<uint32_t> occ_unique;  // [B*F] unique index of each occurrence
  std::vector<uint32_t> start;     // [U+1] CSR offsets of each unique row's occurrences
  std::vector<uint32_t> occ;       // [B*F] occurrences grouped by unique row, ascending
  std::vector<uint32_t> cursor;    // [U] fill positions while grouping
  void reserve_rows(size_t table_rows);
};

template <class T>
void embedding_gather(const T* table, const uint32_t* rows_idx, size_t batch, size_t fields, size_t dim, T* out,
                      size_t out_stride);
template <class T>
size_t embedding_reduce(const EmbeddingReduceParams& p, const uint32_t* rows_idx, const T* d_emb,
                        const T* d_linear, UniqueRows<T>& out, EmbeddingScratch& scratch);
template <class T>
size_t table_update(const TableUpdateParams& p, T* table, T* m, T* v, const uint32_t* rows, const uint32_t* counts,
                    const T* grad, size_t unique, EmbeddingScratch& scratch);
template <class T>
double table_grad_sum_squares(const TableUpdateParams& p, const T* table, const uint32_t* rows, const T* grad,
                              size_t unique, EmbeddingScratch& scratch);

}  // namespace ctr::cpu
