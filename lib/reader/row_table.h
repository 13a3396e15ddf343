// RowTable: rows stored row-major as fixed-size records of 32-bit words (label, dense, cat), so
// that moving the row at a random index touches one contiguous record rather than three arrays.
// It is the storage of the streaming shuffle buffer and of the memory reader's dataset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "reader/host_batch.h"
#include "shard/row_block.h"

namespace ctr {

class RowTable {
 public:
  RowTable(size_t num_dense, size_t num_cat) : nd_(num_dense), nc_(num_cat), width_(1 + nd_ + nc_) {}

  // Sets the row count; contents are left uninitialised (the first touch of a multi-GB table
  // then happens in the parallel loaders, not in one thread).
  void resize(size_t rows);
  size_t rows() const { return rows_; }

  void set(size_t i, const RowBlock& from, size_t r);  // row i := row r of `from`
  void copy_row(size_t from, size_t to);
  void append_to(size_t i, HostBatch& out) const;      // row i becomes out's next row
  void prefetch(size_t i) const { __builtin_prefetch(record(i)); }

 private:
  uint32_t* record(size_t i) const { return words_.get() + i * width_; }
  size_t nd_, nc_, width_;
  size_t rows_ = 0;
  std::unique_ptr<uint32_t[]> words_;
};

// Appends rows [begin, begin+count) of `from` to `out` (same schema, enough room).
void append_rows(const RowBlock& from, size_t begin, size_t count, HostBatch& out);

}  // namespace ctr
