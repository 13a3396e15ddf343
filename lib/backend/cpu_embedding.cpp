// CPU reference kernels for the embedding table (see cpu_embedding.h).
#include "backend/cpu_embedding.h"

#include <algorithm>
#include <cmath>

#include "backend/cpu_reduce.h"
#include "core/error.h"
#include "core/target_clones.h"

namespace ctr::cpu {

void EmbeddingScratch::reserve_rows(size_t table_rows) {
  if (slot.size() < table_rows) slot.resize(table_rows, -1);
}

template <class T>
void embedding_gather(const T* table, const uint32_t* rows_idx, size_t batch, size_t fields, size_t dim, T* out,
                      size_t out_stride) {
#pragma omp parallel for schedule(static) if (batch * fields * dim >= (1 << 14))
  for (size_t b = 0; b < batch; ++b) {
    T* dst = out + b * out_stride;
    for (size_t f = 0; f < fields; ++f) {
      const T* src = table + size_t(rows_idx[b * fields + f]) * dim;
      for (size_t d = 0; d < dim; ++d) dst[f * dim + d] = src[d];
    }
  }
}

template <class T>
size_t embedding_reduce(const EmbeddingReduceParams& p, const uint32_t* rows_idx, const T* d_emb,
                        const T* d_linear, UniqueRows<T>& out, EmbeddingScratch& s) {
  const size_t n = p.batch * p.fields;
  if (n == 0) {  // no ids: and the scratch may not be sized yet (the first call of a backend)
    out.count = 0;
    return 0;
  }
  s.reserve_rows(p.table_rows);
  if (s.occ_unique.size() < n) {
    s.occ_unique.resize(n);
    s.occ.resize(n);
    s.start.resize(n + 1);
    s.cursor.resize(n);
  }
  uint32_t* urows = out.rows.data();
  uint32_t* counts = out.counts.data();
  // Checked before any slot is claimed: a throw halfway through would leave stale slots behind
  // and corrupt every later call on this scratch.
  for (size_t i = 0; i < n; ++i)
    CTR_CHECK(rows_idx[i] < p.table_rows, "row {} outside a table of {} rows", rows_idx[i], p.table_rows);
  // First-occurrence order makes the output independent of threads and hashing.
  size_t u_count = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = rows_idx[i];
    int32_t u = s.slot[r];
    if (u < 0) {
      u = static_cast<int32_t>(u_count++);
      s.slot[r] = u;
      urows[u] = r;
      counts[u] = 0;
    }
    ++counts[u];
    s.occ_unique[i] = static_cast<uint32_t>(u);
  }
  s.start[0] = 0;
  for (size_t u = 0; u < u_count; ++u) s.start[u + 1] = s.start[u] + counts[u];
  std::copy(s.start.begin(), s.start.begin() + u_count, s.cursor.begin());
  for (size_t i = 0; i < n; ++i) s.occ[s.cursor[s.occ_unique[i]]++] = static_cast<uint32_t>(i);
  const size_t dim = p.dim, fields = p.fields;
  T* gemb = out.grad_embed.data();
  T* glin = out.grad_linear.data();
#pragma omp parallel for schedule(static) if (n * dim >= (1 << 14))
  for (size_t u = 0; u < u_count; ++u) {
    T* g = gemb + u * dim;
    for (size_t d = 0; d < dim; ++d) g[d] = T(0);
    T lin = 0;
    for (uint32_t k = s.start[u]; k < s.start[u + 1]; ++k) {
      const size_t i = s.occ[k], b = i / fields, f = i % fields;
      if (dim) {  // the lr model has no d-dim table and passes no d_emb
        const T* src = d_emb + b * p.grad_stride + f * dim;
        for (size_t d = 0; d < dim; ++d) g[d] += src[d];
      }
      lin += d_linear[b];
    }
    glin[u] = lin;
  }
  for (size_t u = 0; u < u_count; ++u) s.slot[urows[u]] = -1;
  out.count = u_count;
  return u_count;
}

namespace {

// Adam on n consecutive values whose gradient is only the L2 term (runs of absent rows), as one
// loop the compiler vectorises (for each vector unit: core/target_clones.h).
template <class T>
CTR_TARGET_CLONES
void adam_flat(const AdamCoeffs<T> adam, T two_l2, T scale, T* __restrict w, T* __restrict m, T* __restrict v,
               size_t n) {
  for (size_t i = 0; i < n; ++i) adam.apply(l2_only(w[i], two_l2, scale), w[i], m[i], v[i]);
}

}  // namespace

template <class T>
size_t table_update(const TableUpdateParams& p, T* table, T* m, T* v, const uint32_t* rows, const uint32_t* counts,
                    const T* grad, size_t unique, EmbeddingScratch& s) {
  const size_t dim = p.dim;
  const RowUpdateCoeffs<T> row = RowUpdateCoeffs<T>::from(p);
  size_t clipped = 0;
  if (!p.update_all_rows) {
#pragma omp parallel for schedule(static) reduction(+ : clipped) if (unique * dim >= (1 << 12))
    for (size_t u = 0; u < unique; ++u) {
      const size_t off = size_t(rows[u]) * dim;
      clipped += update_row(row, table + off, m + off, v + off, grad + u * dim, counts[u]);
    }
    return clipped;
  }
  s.reserve_rows(p.table_rows);
  for (size_t u = 0; u < unique; ++u) s.slot[rows[u]] = static_cast<int32_t>(u);
  // Rows absent from the batch get g = 2*lambda*w. When CowClip cannot cut that, runs of absent
  // rows are one flat elementwise Adam pass, which vectorises: this pass over the whole table is
  // most of an all-rows step.
  const bool absent_flat = absent_rows_unclipped(p);
  constexpr size_t kBlockRows = 4096;
  const size_t blocks = (p.table_rows + kBlockRows - 1) / kBlockRows;
#pragma omp parallel for schedule(static) reduction(+ : clipped) if (p.table_rows * dim >= (1 << 12))
  for (size_t blk = 0; blk < blocks; ++blk) {
    const size_t end = std::min(p.table_rows, (blk + 1) * kBlockRows);
    size_t r = blk * kBlockRows;
    while (r < end) {
      const int32_t u = s.slot[r];
      if (u < 0 && absent_flat) {
        size_t run_end = r + 1;
        while (run_end < end && s.slot[run_end] < 0) ++run_end;
        adam_flat(row.adam, row.two_l2, row.scale, table + r * dim, m + r * dim, v + r * dim, (run_end - r) * dim);
        r = run_end;
        continue;
      }
      const size_t off = r * dim;
      const bool cut = update_row(row, table + off, m + off, v + off, u >= 0 ? grad + size_t(u) * dim : nullptr,
                                  u >= 0 ? counts[u] : 1u);
      if (u >= 0) clipped += cut;  // the statistic is over (id present in the batch, step) pairs
      ++r;
    }
  }
  for (size_t u = 0; u < unique; ++u) s.slot[rows[u]] = -1;
  return clipped;
}

template <class T>
double table_grad_sum_squares(const TableUpdateParams& p, const T* table, const uint32_t* rows, const T* grad,
                              size_t unique, EmbeddingScratch& s) {
  const size_t dim = p.dim;
  const T two_l2 = static_cast<T>(2 * p.l2);
  auto row_sq = [&](const T* w, const T* data) { return row_grad_sq(w, data, uint32_t(dim), two_l2); };
  const size_t n = p.update_all_rows ? p.table_rows : unique;
  if (p.update_all_rows) {
    s.reserve_rows(p.table_rows);
    for (size_t u = 0; u < unique; ++u) s.slot[rows[u]] = static_cast<int32_t>(u);
  }
  const double total = block_sum(n, 1024, [&](size_t i) {
    if (!p.update_all_rows) return row_sq(table + size_t(rows[i]) * dim, grad + i * dim);
    const int32_t u = s.slot[i];
    return row_sq(table + i * dim, u >= 0 ? grad + size_t(u) * dim : nullptr);
  });
  if (p.update_all_rows)
    for (size_t u = 0; u < unique; ++u) s.slot[rows[u]] = -1;
  return total;
}

#define CTR_INSTANTIATE(T)                                                                                    \
  template void embedding_gather<T>(const T*, const uint32_t*, size_t, size_t, size_t, T*, size_t);            \
  template size_t embedding_reduce<T>(const EmbeddingReduceParams&, const uint32_t*, const T*, const T*,       \
                                      UniqueRows<T>&, EmbeddingScratch&);                                      \
  template size_t table_update<T>(const TableUpdateParams&, T*, T*, T*, const uint32_t*, const uint32_t*,      \
                                  const T*, size_t, EmbeddingScratch&);                                        \
  template double table_grad_sum_squares<T>(const TableUpdateParams&, const T*, const uint32_t*, const T*,     \
                                            size_t, EmbeddingScratch&);
CTR_INSTANTIATE(float)
CTR_INSTANTIATE(double)
#undef CTR_INSTANTIATE

}  // namespace ctr::cpu
