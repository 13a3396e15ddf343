// ShuffleBuffer implementation.
#include "reader/shuffle_buffer.h"

namespace ctr {

ShuffleBuffer::ShuffleBuffer(size_t capacity, size_t num_dense, size_t num_cat) : table_(num_dense, num_cat) {
  table_.resize(capacity);
}

void ShuffleBuffer::reset(const Rng& rng) {
  size_ = 0;
  rng_ = rng;
}

void ShuffleBuffer::add(const RowBlock& block, size_t r, HostBatch& out) {
  if (size_ < capacity()) {
    table_.set(size_++, block, r);
    if (size_ < capacity()) return;
    for (size_t& j : ahead_) {  // just became full: start the lookahead
      j = rng_.uniform(size_);
      table_.prefetch(j);
    }
    ahead_pos_ = 0;
    return;
  }
  const size_t j = next_full_draw();
  table_.append_to(j, out);
  table_.set(j, block, r);
}

size_t ShuffleBuffer::next_full_draw() {
  size_t& slot = ahead_[ahead_pos_];
  const size_t j = slot;
  slot = rng_.uniform(size_);
  table_.prefetch(slot);
  ahead_pos_ = (ahead_pos_ + 1) % kLookahead;
  return j;
}

bool ShuffleBuffer::take(HostBatch& out) {
  if (size_ == 0) return false;
  const size_t j = rng_.uniform(size_);
  table_.append_to(j, out);
  if (j != --size_) table_.copy_row(size_, j);
  return true;
}

}  // namespace ctr
