// Host values of the ops that leave their results in backend memory (the loss sum, the clipped-row
// count), for tests that check them one call at a time: each helper starts a zeroed scalar in the
// backend's memory, runs the op and reads the scalar back.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/ops.h"

namespace ctr::test {

// Keeps `scale` out of template deduction, so 1.0 / n may be passed to a float backend.
template <class T>
struct SameAs {
  using type = T;
};

// sum_b BCE(logits[b], labels[b]) as Ops::bce_with_logits adds it; dlogits as the op writes it.
template <class T>
double bce_loss_sum(Ops<T>& ops, const T* logits, const T* labels, size_t batch, typename SameAs<T>::type scale,
                    T* dlogits) {
  Buffer<double> sum(ops.memory(), 1);
  ops.bce_with_logits(logits, labels, batch, scale, dlogits, sum.data());
  double host = 0;
  sum.download(&host, 1);
  return host;
}

// Ops::table_update, returning how many of the `unique` rows had their gradient clipped.
template <class T>
size_t table_update_clipped(Ops<T>& ops, const TableUpdateParams& p, T* table, T* m, T* v, const uint32_t* rows,
                            const uint32_t* counts, const T* grad, size_t unique) {
  Buffer<uint64_t> clipped(ops.memory(), 1);
  ops.table_update(p, table, m, v, rows, counts, grad, unique, clipped.data());
  uint64_t host = 0;
  clipped.download(&host, 1);
  return static_cast<size_t>(host);
}

}  // namespace ctr::test
