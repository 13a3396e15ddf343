// FieldVocab: the distinct raw values of one categorical field with their counts, and after
// finalize() their ids. An open-addressing table of 32-byte slots; values of up to 8 bytes
// (Criteo's hex ids, most Avazu values) live inside the slot, so a lookup touches one cache
// line. Longer values go to an arena. Criteo's 33.8M values take about 2 GB.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/zeroed_array.h"

namespace ctr {

// A raw value with what a table lookup needs, computed once while the value's bytes are in
// cache (at parse time): a lookup then reads the bytes again only for values longer than 8
// bytes. Re-reading them was most of pass 1's time, since each field's loop revisits the whole
// 4 MB chunk of text.
struct VocabKey {
  std::string_view value;
  uint64_t hash = 0;    // the vocabulary hash, the same wherever a value is looked up
  uint64_t packed = 0;  // the bytes, zero-padded, when value.size() <= 8; else 0
  static VocabKey of(std::string_view value);
};

class FieldVocab {
 public:
  FieldVocab();

  // Counting (pass 1). Not thread-safe: callers serialise per field. Returns the value's
  // provisional id: its rank in first-seen order, 0..distinct()-1, which never changes.
  uint32_t add(const VocabKey& key, bool in_train);

  // Assigns ids: kept values (see below) get 0..K-1 in byte order of the value, so "missing"
  // ("") is id 0 when kept, and ids match a sorted label encoder; everything else maps to the
  // OOV id K. Kept: every value when min_count <= 1 (the reference keeps all), otherwise
  // values seen at least min_count times in the train split.
  // Also fills the provisional -> final id table (final_id_of_provisional), and calls
  // emit(value, total count) for each kept value in id order (the vocabulary file's lines):
  // the sort has them in order anyway, where reading them back by id would visit the table at
  // random.
  using EmitFn = std::function<void(std::string_view value, uint64_t count)>;
  void finalize(uint64_t min_count, const EmitFn& emit = {});

  // Builds a finalized vocabulary from values listed in id order (for --vocab-from).
  // Throws ctr::Error if a value repeats.
  void add_with_id(const VocabKey& key, uint64_t count);
  void finish_loading();

  // Lookup (pass 2; thread-safe once finalized).
  uint32_t id_of(const VocabKey& key) const;
  // Final id (or the OOV id) of each provisional id from add(), after finalize():
  // [distinct()]. Pass 2 maps spilled rows through it instead of probing the table again.
  const uint32_t* final_id_of_provisional() const { return final_of_provisional_.begin(); }
  // Hints the cache about a later add/id_of of `hash`: tables far larger than the cache make
  // every probe a memory miss, and a few prefetches in flight hide most of that latency.
  void prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[stored_hash(hash) & (slots_.size() - 1)]); }

  uint64_t distinct() const { return used_; }           // distinct values seen
  uint32_t oov_id() const { return kept_; }
  uint32_t vocab_size() const { return kept_ + 1; }     // kept values + the OOV id

 private:
  struct Slot {
    uint64_t hash;      // 0 = empty; real hashes of 0 are stored as 1
    uint64_t payload;   // the value's bytes when length <= 8, else its offset in arena_
    uint32_t length;
    uint32_t count_total;
    uint32_t count_train;
    uint32_t id;        // provisional id: rank in first-seen (or, loaded, listed) order
  };
  static uint64_t stored_hash(uint64_t h) { return h == 0 ? 1 : h; }
  // Index of the slot holding the key's value, or of the empty slot where it would go; `stored`
  // is stored_hash(key.hash).
  size_t probe(const VocabKey& key, uint64_t stored) const;
  bool holds(const Slot& s, const VocabKey& key, uint64_t stored) const;
  std::string_view str(const Slot& s) const;
  Slot& insert_new(size_t at, const VocabKey& key, uint64_t stored);
  void grow();

  ZeroedArray<Slot> slots_;  // all-zero slot = empty
  std::vector<char> arena_;
  uint64_t used_ = 0;
  ZeroedArray<uint32_t> final_of_provisional_;  // [used_], once finalized (random access: huge pages)
  uint32_t kept_ = 0;
  bool finalized_ = false;
};

}  // namespace ctr
