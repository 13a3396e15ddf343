// PackedValues: one chunk's categorical values, field-major, 8 bytes each, as pass 1 keeps them
// between parsing a chunk and counting it into the per-field tables. Why not string views: the
// counting loop walks one field at a time, and 32-byte keys laid out row by row made every
// step a cache miss on a 13 MB array; one field's 8-byte words are read in order instead.
//
// A word holds a value of up to 8 bytes itself, zero-padded (VocabKey::pack), or, for a
// longer value, VocabKey::long_ref(its index in a side list of views).
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/uninit_vector.h"
#include "preprocess/field_vocab.h"

namespace ctr {

class PackedValues {
 public:
  // Room for `rows` rows of `fields` fields; forgets earlier values.
  void reset(size_t fields, size_t rows) {
    stride_ = rows;
    words_.resize(fields * rows);
    long_.clear();
    copies_.clear();
  }
  // Row i's value of field f. Views of long values must outlive key(); the 8 bytes from
  // value.data() are read when value.data() + 8 <= readable_end (one load instead of a loop).
  void set(size_t f, size_t i, std::string_view value, const char* readable_end) {
    uint64_t w;
    if (value.size() > 8) {
      w = VocabKey::long_ref(long_.size());
      long_.push_back(value);
    } else if (value.data() + 8 <= readable_end) {
      std::memcpy(&w, value.data(), 8);
      if (value.size() < 8) w &= (uint64_t{1} << (8 * value.size())) - 1;
    } else {
      w = VocabKey::pack(value);
    }
    words_[f * stride_ + i] = w;
  }
  // The same for a value that does not outlive its row (one RowParser unquoted): kept as a copy.
  void set_copy(size_t f, size_t i, std::string_view value) {
    if (value.size() <= 8) {
      words_[f * stride_ + i] = VocabKey::pack(value);
      return;
    }
    words_[f * stride_ + i] = VocabKey::long_ref(long_.size());
    long_.push_back(copies_.emplace_back(value));
  }
  VocabKey key(size_t f, size_t i) const {
    const uint64_t w = words_[f * stride_ + i];
    if (VocabKey::is_long_ref(w)) return VocabKey::of(long_[VocabKey::long_index(w)]);
    return VocabKey::of_packed(w);
  }

 private:
  UninitVector<uint64_t> words_;  // [fields][stride_]; only the parsed rows are written or read
  size_t stride_ = 0;
  std::vector<std::string_view> long_;
  std::deque<std::string> copies_;  // a deque: its strings stay put as it grows, and when it moves
};

}  // namespace ctr
