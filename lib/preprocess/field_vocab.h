// FieldVocab: the distinct raw values of one categorical field with their counts, and after
// finalize() their ids. An open-addressing table over an arena of value bytes: ~30 bytes per
// distinct value, so Criteo's 33.8M values fit in about 1.5 GB.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ctr {

class FieldVocab {
 public:
  FieldVocab();

  // Counting (pass 1). Not thread-safe: callers serialise per field.
  void add(std::string_view value, uint64_t hash, bool in_train);

  // Assigns ids: kept values (see below) get 0..K-1 in byte order of the value, so "missing"
  // ("") is id 0 when kept, and ids match a sorted label encoder; everything else maps to the
  // OOV id K. Kept: every value when min_count <= 1 (the reference keeps all), otherwise
  // values seen at least min_count times in the train split.
  void finalize(uint64_t min_count);

  // Builds a finalized vocabulary from values listed in id order (for --vocab-from).
  // Throws ctr::Error if a value repeats.
  void add_with_id(std::string_view value, uint64_t hash, uint64_t count);
  void finish_loading();

  // Lookup (pass 2; thread-safe once finalized).
  uint32_t id_of(std::string_view value, uint64_t hash) const;

  uint64_t distinct() const { return entries_.size(); }  // distinct values seen
  uint32_t oov_id() const { return kept_; }
  uint32_t vocab_size() const { return kept_ + 1; }     // kept values + the OOV id
  // The kept values in id order with their total counts (for the vocab files).
  std::string_view value_of(uint32_t id) const;
  uint64_t count_of(uint32_t id) const;

 private:
  struct Entry {
    uint64_t hash;
    uint32_t offset, length;     // into arena_
    uint32_t count_total, count_train;
  };
  int64_t find_slot(std::string_view value, uint64_t hash) const;  // slot index, or -1-insert_pos
  void grow();
  std::string_view str(const Entry& e) const { return {arena_.data() + e.offset, e.length}; }

  std::vector<uint64_t> slots_;   // 0 = empty, else (entry index + 1) << 32 | hash tag
  std::vector<Entry> entries_;
  std::vector<char> arena_;
  std::vector<uint32_t> ids_;         // per entry, after finalize
  std::vector<uint32_t> by_id_;       // entry index per kept id
  uint32_t kept_ = 0;
  bool finalized_ = false;
};

}  // namespace ctr
