// FieldVocab implementation: linear probing, power-of-two capacity, load factor <= 0.7.
#include "preprocess/field_vocab.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/hash.h"

namespace ctr {

FieldVocab::FieldVocab() : slots_(1024) {}

namespace {

uint64_t pack(std::string_view v) {  // <= 8 bytes, zero-padded
  uint64_t w = 0;
  if (v.size() == 8) {
    std::memcpy(&w, v.data(), 8);  // fixed size: one load, where a variable memcpy is a call
  } else {
    for (size_t i = 0; i < v.size(); ++i) w |= static_cast<uint64_t>(static_cast<unsigned char>(v[i])) << (8 * i);
  }
  return w;
}

}  // namespace

VocabKey VocabKey::of(std::string_view value) {
  return {value, hash_bytes(value.data(), value.size(), 0x766f636162ULL), value.size() <= 8 ? pack(value) : 0};
}

std::string_view FieldVocab::str(const Slot& s) const {
  if (s.length <= 8) return {reinterpret_cast<const char*>(&s.payload), s.length};
  return {arena_.data() + s.payload, s.length};
}

bool FieldVocab::holds(const Slot& s, const VocabKey& key, uint64_t stored) const {
  if (s.hash != stored || s.length != key.value.size()) return false;
  if (key.value.size() <= 8) return s.payload == key.packed;
  return bytes_equal(arena_.data() + s.payload, key.value.data(), key.value.size());
}

size_t FieldVocab::probe(const VocabKey& key, uint64_t stored) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = stored & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.hash == 0 || holds(s, key, stored)) return i;
  }
}

void FieldVocab::grow() {
  ZeroedArray<Slot> bigger(slots_.size() * 2);
  const size_t mask = bigger.size() - 1;
  for (const Slot& s : slots_) {
    if (s.hash == 0) continue;
    size_t i = s.hash & mask;
    while (bigger[i].hash != 0) i = (i + 1) & mask;
    bigger[i] = s;
  }
  slots_.swap(bigger);
}

FieldVocab::Slot& FieldVocab::insert_new(size_t at, const VocabKey& key, uint64_t stored) {
  if (used_ + 1 > std::numeric_limits<uint32_t>::max() - 2)
    throw Error("one categorical field has more than 4 billion distinct values");
  const std::string_view value = key.value;
  Slot& s = slots_[at];
  s = Slot{stored, 0, static_cast<uint32_t>(value.size()), 0, 0, static_cast<uint32_t>(used_)};
  if (value.size() <= 8) {
    s.payload = key.packed;
  } else {
    s.payload = arena_.size();
    arena_.insert(arena_.end(), value.begin(), value.end());
  }
  ++used_;
  return s;
}

uint32_t FieldVocab::add(const VocabKey& key, bool in_train) {
  CTR_CHECK(!finalized_, "add after finalize");
  const uint64_t stored = stored_hash(key.hash);
  size_t at = probe(key, stored);
  Slot* s = &slots_[at];
  if (s->hash == 0) s = &insert_new(at, key, stored);
  if (s->count_total == std::numeric_limits<uint32_t>::max())
    throw Error("a categorical value occurs more than 4,294,967,295 times; split the input");
  ++s->count_total;
  s->count_train += in_train;
  const uint32_t provisional = s->id;
  if (used_ * 10 > slots_.size() * 7) grow();  // moves slots: read s before
  return provisional;
}

void FieldVocab::finalize(uint64_t min_count, const EmitFn& emit) {
  CTR_CHECK(!finalized_, "finalize twice");
  // Sort by the first 8 bytes as a big-endian number (byte order, since values hold no NUL
  // bytes), falling back to the full strings only on a tie: most comparisons touch no arena.
  struct Key {
    uint64_t prefix;
    uint32_t slot;
    uint32_t count, length;  // copied here so that emitting values of <= 8 bytes reads no slot
  };
  std::vector<Key> keys;
  keys.reserve(used_);
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (s.hash == 0 || !(min_count <= 1 || s.count_train >= min_count)) continue;
    const uint64_t first8 = s.length <= 8 ? s.payload : pack(str(s).substr(0, 8));
    keys.push_back({__builtin_bswap64(first8), static_cast<uint32_t>(i), s.count_total, s.length});
  }
  std::sort(keys.begin(), keys.end(), [this](const Key& a, const Key& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return str(slots_[a.slot]) < str(slots_[b.slot]);
  });
  kept_ = static_cast<uint32_t>(keys.size());
  ZeroedArray<uint32_t> final_of(used_);
  for (size_t p = 0; p < used_; ++p) final_of[p] = kept_;  // dropped by min_count: OOV
  for (uint32_t id = 0; id < kept_; ++id) final_of[slots_[keys[id].slot].id] = id;
  final_of_provisional_ = std::move(final_of);
  finalized_ = true;
  if (!emit) return;
  for (const Key& k : keys) {
    if (k.length <= 8) {
      const uint64_t packed = __builtin_bswap64(k.prefix);  // the value itself
      emit(std::string_view(reinterpret_cast<const char*>(&packed), k.length), k.count);
    } else {
      emit(str(slots_[k.slot]), k.count);
    }
  }
}

void FieldVocab::add_with_id(const VocabKey& key, uint64_t count) {
  CTR_CHECK(!finalized_, "add_with_id after finish_loading");
  const uint64_t stored = stored_hash(key.hash);
  size_t at = probe(key, stored);
  if (slots_[at].hash != 0) throw Error(fmt::format("value '{}' is listed twice", std::string(key.value)));
  Slot& s = insert_new(at, key, stored);  // listed order: provisional id == final id
  s.count_total = static_cast<uint32_t>(std::min<uint64_t>(count, std::numeric_limits<uint32_t>::max()));
  if (used_ * 10 > slots_.size() * 7) grow();
}

void FieldVocab::finish_loading() {
  CTR_CHECK(!finalized_, "finish_loading twice");
  kept_ = static_cast<uint32_t>(used_);
  final_of_provisional_ = ZeroedArray<uint32_t>(used_);
  for (uint32_t id = 0; id < kept_; ++id) final_of_provisional_[id] = id;
  finalized_ = true;
}

uint32_t FieldVocab::id_of(const VocabKey& key) const {
  CTR_CHECK(finalized_, "id_of before finalize");
  const Slot& s = slots_[probe(key, stored_hash(key.hash))];
  return s.hash == 0 ? kept_ : final_of_provisional_[s.id];
}

}  // namespace ctr
