// FieldVocab: the distinct raw values of one categorical field with their counts, and after
// finalize() their ids. An open-addressing table of 16-byte slots; values of up to 8 bytes
// (Criteo's hex ids, most Avazu values) live inside the slot, so a lookup touches one cache
// line. Longer values go to an arena. Criteo's 33.8M values take about 1 GB.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/zeroed_array.h"

namespace ctr {

// A raw value with what a table lookup needs, computed once while the value's bytes are in
// cache (at parse time): a lookup then reads the bytes again only for values longer than 8
// bytes. Values are printable ASCII (the parser and the vocabulary loader reject anything else),
// so a value of up to 8 bytes is fully described by its zero-padded bytes.
struct VocabKey {
  uint64_t hash = 0;            // the vocabulary hash, the same wherever a value is looked up
  uint64_t packed = 0;          // the bytes, zero-padded, when length <= 8; else 0
  const char* bytes = nullptr;  // the value's bytes when length > 8 (must outlive the lookup)
  uint32_t length = 0;

  static VocabKey of(std::string_view value);
  // A value of at most 8 bytes, given as its zero-padded bytes (pack()).
  static VocabKey of_packed(uint64_t packed) {
    return {mix64(packed ^ kSeed), packed, nullptr, packed_length(packed)};
  }
  static uint64_t pack(std::string_view value);  // value.size() <= 8
  static uint32_t packed_length(uint64_t packed) {
    return packed == 0 ? 0 : static_cast<uint32_t>(71 - __builtin_clzll(packed)) / 8;
  }
  // Where a 64-bit word stands for either a packed value or a longer value kept elsewhere:
  // (n + 1) << 8 refers to long value n. Its low byte is 0 and it is not 0, which no packed
  // value can be (value bytes are never 0, and "" packs to 0), so one word compare never
  // confuses the two.
  static uint64_t long_ref(size_t n) { return static_cast<uint64_t>(n + 1) << 8; }
  static bool is_long_ref(uint64_t word) { return (word & 0xff) == 0 && word != 0; }
  static size_t long_index(uint64_t word) { return (word >> 8) - 1; }
  std::string text() const;  // the value, for messages

 private:
  static constexpr uint64_t kSeed = 0x766f636162ULL;  // "vocab"
};

class FieldVocab {
 public:
  // min_count: values seen fewer times than this in the train split become the OOV id at
  // finalize(). <= 1 keeps every value, as the reference does. max_vocab > 0: of those, only the
  // max_vocab most frequent in the train split are kept (ties: the smaller value in byte
  // order). Only with either are train-split counts kept (4 bytes per value, and a second
  // memory access per add).
  explicit FieldVocab(uint64_t min_count = 1, uint64_t max_vocab = 0);

  // Counting (pass 1). Not thread-safe: callers serialise per field. Returns the value's
  // provisional id: its rank in first-seen order, 0..distinct()-1, which never changes.
  // Inline, since it runs once per value of the input: a value seen before only bumps its count.
  uint32_t add(const VocabKey& key, bool in_train) {
    Slot& s = slots_[probe(key)];
    if (s.count == 0 || s.count == kMaxCount || counts_train_ || finalized_) return add_slow(s, key, in_train);
    ++s.count;
    return s.id;
  }

  // Assigns ids: kept values get 0..K-1 in byte order of the value, so "missing" ("") is id 0
  // when kept, and ids match a sorted label encoder; everything else maps to the OOV id K.
  // Also fills the provisional -> final id table (final_id_of_provisional), and calls
  // emit(value, total count) for each kept value in id order (the vocabulary file's lines):
  // the sort has them in order anyway, where reading them back by id would visit the table at
  // random.
  using EmitFn = std::function<void(std::string_view value, uint64_t count)>;
  void finalize(const EmitFn& emit = {});

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
  void prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]); }

  uint64_t distinct() const { return used_; }           // distinct values seen
  uint32_t oov_id() const { return kept_; }
  uint32_t vocab_size() const { return kept_ + 1; }     // kept values + the OOV id

 private:
  // Four slots to a cache line. No hash is stored: a value of <= 8 bytes is compared as one
  // word, and growing the table recomputes hashes from the values. Half the size of a slot with
  // the hash and both counts, which halves the memory the kernel must zero as tables double.
  struct Slot {
    uint64_t payload;  // the packed value (<= 8 bytes), or a VocabKey::long_ref() to the arena
    uint32_t id;       // provisional id: rank in first-seen (or, loaded, listed) order
    uint32_t count;    // occurrences in both splits; 0 = empty slot
  };
  // A value longer than 8 bytes is stored in arena_ as u32 length + bytes; the slot holds
  // VocabKey::long_ref(its offset).
  static constexpr uint32_t kMaxCount = 0xffffffffu;
  // Index of the slot holding the key's value, or of the empty slot where it would go.
  size_t probe(const VocabKey& key) const {
    if (key.length > 8) return probe_long(key);
    // One word compare is exact: a long_ref never equals a packed value.
    const size_t mask = slots_.size() - 1;
    for (size_t i = key.hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.count == 0 || s.payload == key.packed) return i;
    }
  }
  size_t probe_long(const VocabKey& key) const;
  // add() for a new value, a count about to overflow, train-split counting, or misuse.
  uint32_t add_slow(Slot& s, const VocabKey& key, bool in_train);
  std::string_view str(const Slot& s) const;
  uint64_t hash_of(const Slot& s) const;
  Slot& insert_new(size_t at, const VocabKey& key);
  void grow();

  uint64_t min_count_, max_vocab_;
  bool counts_train_;                  // min_count_ > 1 or max_vocab_ > 0
  ZeroedArray<Slot> slots_;  // all-zero slot = empty
  std::vector<char> arena_;
  std::vector<uint32_t> count_train_;  // [used_] by provisional id, only when counts_train_
  uint64_t used_ = 0;
  ZeroedArray<uint32_t> final_of_provisional_;  // [used_], once finalized (random access: huge pages)
  uint32_t kept_ = 0;
  bool finalized_ = false;
};

}  // namespace ctr
