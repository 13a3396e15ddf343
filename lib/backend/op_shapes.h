// The shape checks of the op interface, run once by Ops<T>'s public (non-virtual) ops before any
// backend sees the call: what backend/ops.h promises about strides and capacities, checked in one
// place for every backend. A failure is a ctr::Error naming the op, the sizes and the bound.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ctr {

class HostBatch;

namespace op_shapes {

void load_batch(const HostBatch& host, size_t capacity, size_t num_dense, size_t num_fields);
// op(A) [m, k], op(B) [k, n], C [m, n], row-major with row strides lda, ldb, ldc.
void gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, size_t lda, size_t ldb, size_t ldc);
void copy_2d(size_t src_stride, size_t dst_stride, size_t rows, size_t cols);
void embedding_gather(size_t batch, size_t fields, size_t dim, size_t out_stride);
// capacities: the UniqueRows buffers' sizes (rows, counts, grad_linear, grad_embed).
void embedding_reduce(size_t batch, size_t fields, size_t dim, size_t grad_stride, bool has_d_emb, bool has_d_linear,
                      size_t rows_cap, size_t counts_cap, size_t grad_linear_cap, size_t grad_embed_cap);
void table_update(size_t table_rows, size_t dim, size_t unique);
// stride >= fields * dim when any row is read or written (batch > 0), for every op below.
void fields_in_row(const char* op, size_t batch, size_t stride, size_t fields, size_t dim);
void dot_interaction(size_t batch, size_t stride, size_t vectors, size_t dim, size_t out_stride);

}  // namespace op_shapes
}  // namespace ctr
