// Shape checks of the op interface (see op_shapes.h).
#include "backend/op_shapes.h"

#include <fmt/format.h>

#include "backend/interaction_math.h"
#include "core/error.h"
#include "reader/host_batch.h"

namespace ctr::op_shapes {

void load_batch(const HostBatch& host, size_t capacity, size_t num_dense, size_t num_fields) {
  CTR_CHECK(host.rows <= capacity && host.num_dense() == num_dense && host.num_cat() == num_fields,
            "load_batch: batch of {} rows ({} dense, {} fields) does not fit a device batch of {} ({}, {})", host.rows,
            host.num_dense(), host.num_cat(), capacity, num_dense, num_fields);
}

void gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, size_t lda, size_t ldb, size_t ldc) {
  if (m == 0 || n == 0) return;  // nothing is read or written
  CTR_CHECK(ldc >= n, "gemm: ldc {} < n {}", ldc, n);
  if (k == 0) return;  // C = beta * C reads neither A nor B
  CTR_CHECK(lda >= (trans_a ? m : k), "gemm: lda {} too small (m {}, k {}, trans_a {})", lda, m, k, trans_a);
  CTR_CHECK(ldb >= (trans_b ? k : n), "gemm: ldb {} too small (k {}, n {}, trans_b {})", ldb, k, n, trans_b);
}

void copy_2d(size_t src_stride, size_t dst_stride, size_t rows, size_t cols) {
  if (rows == 0) return;
  CTR_CHECK(src_stride >= cols && dst_stride >= cols, "copy_2d: strides {} and {} below {} columns", src_stride,
            dst_stride, cols);
}

void embedding_gather(size_t batch, size_t fields, size_t dim, size_t out_stride) {
  fields_in_row("embedding_gather", batch, out_stride, fields, dim);
}

void embedding_reduce(size_t batch, size_t fields, size_t dim, size_t grad_stride, bool has_d_emb, bool has_d_linear,
                      size_t rows_cap, size_t counts_cap, size_t grad_linear_cap, size_t grad_embed_cap) {
  const size_t n = batch * fields;
  CTR_CHECK(rows_cap >= n, "unique-row buffers hold {} entries, batch needs {}", rows_cap, n);
  CTR_CHECK(counts_cap >= n && grad_linear_cap >= n && grad_embed_cap >= n * dim,
            "unique-row buffers: counts {}, grad_linear {}, grad_embed {} for {} occurrences of dim {}", counts_cap,
            grad_linear_cap, grad_embed_cap, n, dim);
  if (n == 0) return;
  CTR_CHECK(dim <= UINT32_MAX, "embedding dim {} too large", dim);
  CTR_CHECK(dim == 0 || (has_d_emb && grad_stride >= fields * dim),
            "embedding gradient missing or its stride {} below {} fields x dim {}", grad_stride, fields, dim);
  CTR_CHECK(has_d_linear, "embedding_reduce: no linear gradient for {} ids", n);
}

void table_update(size_t table_rows, size_t dim, size_t unique) {
  CTR_CHECK(dim <= UINT32_MAX, "embedding dim {} too large", dim);
  CTR_CHECK(unique <= table_rows, "{} unique rows in a table of {} rows", unique, table_rows);
}

void fields_in_row(const char* op, size_t batch, size_t stride, size_t fields, size_t dim) {
  if (batch == 0) return;
  CTR_CHECK(stride >= fields * dim, "{}: row stride {} below {} fields x dim {}", op, stride, fields, dim);
}

void dot_interaction(size_t batch, size_t stride, size_t vectors, size_t dim, size_t out_stride) {
  if (batch == 0) return;
  fields_in_row("dot_interaction", batch, stride, vectors, dim);
  CTR_CHECK(out_stride >= dim + interaction_pairs(vectors), "dot_interaction: output stride {} below {} + {} pairs",
            out_stride, dim, interaction_pairs(vectors));
}

}  // namespace ctr::op_shapes
