// ShuffleBuffer: the streaming reader's row mixer. Rows enter in (shuffled) row-group order; once
// the buffer is full, each new row takes the place of a uniformly drawn buffered row, which
// leaves for the batch; at the end of the epoch the rest leave in random order.
#pragma once

#include <array>
#include <cstddef>

#include "core/rng.h"
#include "reader/host_batch.h"
#include "reader/row_table.h"

namespace ctr {

class ShuffleBuffer {
 public:
  ShuffleBuffer(size_t capacity, size_t num_dense, size_t num_cat);

  size_t capacity() const { return table_.rows(); }
  // Empties the buffer; its draws come from `rng` from now on.
  void reset(const Rng& rng);
  // Adds row r of `block`; once the buffer is full, first moves a random buffered row to `out`,
  // which must have room for one row.
  void add(const RowBlock& block, size_t r, HostBatch& out);
  // Moves a random remaining row to `out`; false when the buffer is empty.
  bool take(HostBatch& out);

 private:
  // While full, every draw is uniform over the whole capacity, so draws are made this many rows
  // ahead and their records prefetched: the random reads from a buffer of hundreds of MB are
  // what the assembler would otherwise spend its time waiting on.
  static constexpr size_t kLookahead = 8;
  size_t next_full_draw();

  RowTable table_;
  size_t size_ = 0;
  Rng rng_{0};
  std::array<size_t, kLookahead> ahead_{};
  size_t ahead_pos_ = 0;
};

}  // namespace ctr
