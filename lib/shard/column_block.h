// ColumnBlock: rows laid out as a shard's row group stores them, field by field: labels as 0/1
// bytes, dense values [num_dense][capacity], ids [num_cat][capacity]. Preprocessing builds its
// row groups this way directly, so encoding one transposes nothing; a RowBlock (row-major, what
// readers return) converts with from_rows().
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/uninit_vector.h"
#include "shard/row_block.h"

namespace ctr {

struct ColumnBlock {
  size_t num_dense = 0, num_cat = 0;
  size_t rows = 0;      // rows 0..rows-1 of every column hold data; the rest is uninitialised
  size_t capacity = 0;  // the column stride
  UninitVector<uint8_t> labels;  // [capacity], 0 or 1
  UninitVector<float> dense;     // [num_dense * capacity], already transformed
  UninitVector<uint32_t> cat;    // [num_cat * capacity], per-field ids

  ColumnBlock() = default;
  ColumnBlock(size_t nd, size_t nc, size_t cap)
      : num_dense(nd), num_cat(nc), capacity(cap), labels(cap), dense(nd * cap), cat(nc * cap) {}

  float* dense_col(size_t d) { return dense.data() + d * capacity; }
  const float* dense_col(size_t d) const { return dense.data() + d * capacity; }
  uint32_t* cat_col(size_t f) { return cat.data() + f * capacity; }
  const uint32_t* cat_col(size_t f) const { return cat.data() + f * capacity; }

  // Appends rows [begin, begin+count) of `other` (same schema); needs count <= capacity - rows.
  void append(const ColumnBlock& other, size_t begin, size_t count);
  // Rows [begin, begin+count) of a row-major block, with capacity == rows == count.
  static ColumnBlock from_rows(const RowBlock& rows, size_t begin, size_t count);
};

}  // namespace ctr
