// ColumnBlock: appending column ranges, and the transposition from row-major blocks.
#include "shard/column_block.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace ctr {

void ColumnBlock::append(const ColumnBlock& other, size_t begin, size_t count) {
  CTR_CHECK(other.num_dense == num_dense && other.num_cat == num_cat, "ColumnBlock schemas differ");
  CTR_CHECK(begin <= other.rows && count <= other.rows - begin && count <= capacity - rows,
            "appending rows [{}, {}) of {} to a block of {}/{}", begin, begin + count, other.rows, rows, capacity);
  if (count == 0) return;
  std::memcpy(labels.data() + rows, other.labels.data() + begin, count);
  for (size_t d = 0; d < num_dense; ++d)
    std::memcpy(dense_col(d) + rows, other.dense_col(d) + begin, count * sizeof(float));
  for (size_t f = 0; f < num_cat; ++f)
    std::memcpy(cat_col(f) + rows, other.cat_col(f) + begin, count * sizeof(uint32_t));
  rows += count;
}

ColumnBlock ColumnBlock::from_rows(const RowBlock& r, size_t begin, size_t count) {
  CTR_CHECK(begin <= r.rows() && count <= r.rows() - begin, "rows [{}, {}) out of a block of {}", begin,
            begin + count, r.rows());
  CTR_CHECK(r.dense.size() == r.rows() * r.num_dense && r.cat.size() == r.rows() * r.num_cat,
            "RowBlock arrays ({} dense, {} cat) disagree with {} rows x ({}, {})", r.dense.size(), r.cat.size(),
            r.rows(), r.num_dense, r.num_cat);
  const size_t nd = r.num_dense, nc = r.num_cat;
  ColumnBlock c(nd, nc, count);
  c.rows = count;
  bool binary = true;
  for (size_t i = 0; i < count; ++i) {
    const float y = r.labels[begin + i];
    binary &= (y == 0.0f) | (y == 1.0f);
    c.labels[i] = static_cast<uint8_t>(y != 0.0f);
  }
  CTR_CHECK(binary, "labels of rows [{}, {}) are not all 0 or 1", begin, begin + count);
  constexpr size_t kTile = 64;  // rows per tile: a tile of source rows stays in L1
  for (size_t r0 = 0; r0 < count; r0 += kTile) {
    const size_t r1 = std::min(count, r0 + kTile);
    for (size_t d = 0; d < nd; ++d) {
      float* out = c.dense_col(d);
      for (size_t i = r0; i < r1; ++i) out[i] = r.dense[(begin + i) * nd + d];
    }
    for (size_t f = 0; f < nc; ++f) {
      uint32_t* out = c.cat_col(f);
      for (size_t i = r0; i < r1; ++i) out[i] = r.cat[(begin + i) * nc + f];
    }
  }
  return c;
}

}  // namespace ctr
