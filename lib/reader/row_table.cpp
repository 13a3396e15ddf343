// RowTable and row-copy helpers shared by the readers.
#include "reader/row_table.h"

#include <cstring>

#include "core/error.h"

namespace ctr {
namespace {

// memcpy of n 4-byte values; n == 0 is common (Avazu has no dense fields) and an empty vector's
// data() may be null, which memcpy must not be given.
inline void copy_words(void* dst, const void* src, size_t n) {
  if (n) std::memcpy(dst, src, n * 4);
}

}  // namespace

void RowTable::resize(size_t rows) {
  words_.reset(new uint32_t[rows * width_]);
  rows_ = rows;
}

void RowTable::set(size_t i, const RowBlock& from, size_t r) {
  uint32_t* rec = record(i);
  copy_words(rec, &from.labels[r], 1);
  copy_words(rec + 1, from.dense.data() + r * nd_, nd_);
  copy_words(rec + 1 + nd_, from.cat.data() + r * nc_, nc_);
}

void RowTable::copy_row(size_t from, size_t to) { copy_words(record(to), record(from), width_); }

void RowTable::append_to(size_t i, HostBatch& out) const {
  const uint32_t* rec = record(i);
  size_t k = out.rows++;
  copy_words(out.labels + k, rec, 1);
  copy_words(out.dense + k * nd_, rec + 1, nd_);
  copy_words(out.cat + k * nc_, rec + 1 + nd_, nc_);
}

void append_rows(const RowBlock& from, size_t begin, size_t count, HostBatch& out) {
  CTR_CHECK(out.rows + count <= out.capacity(), "batch overflow: {} + {} > {}", out.rows, count,
            out.capacity());
  size_t nd = from.num_dense, nc = from.num_cat, k = out.rows;
  copy_words(out.labels + k, from.labels.data() + begin, count);
  copy_words(out.dense + k * nd, from.dense.data() + begin * nd, count * nd);
  copy_words(out.cat + k * nc, from.cat.data() + begin * nc, count * nc);
  out.rows += count;
}

}  // namespace ctr
