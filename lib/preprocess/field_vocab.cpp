// FieldVocab implementation: linear probing, power-of-two capacity, load factor <= 0.7.
#include "preprocess/field_vocab.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/hash.h"
#include "core/uninit_vector.h"

namespace ctr {

uint64_t VocabKey::pack(std::string_view v) {
  uint64_t w = 0;
  if (v.size() == 8) {
    std::memcpy(&w, v.data(), 8);  // fixed size: one load, where a variable memcpy is a call
  } else {
    for (size_t i = 0; i < v.size(); ++i) w |= static_cast<uint64_t>(static_cast<unsigned char>(v[i])) << (8 * i);
  }
  return w;
}

VocabKey VocabKey::of(std::string_view value) {
  if (value.size() > 8)
    return {hash_bytes(value.data(), value.size(), kSeed), 0, value.data(),
            static_cast<uint32_t>(value.size())};
  // A 0 byte would make "a\0" look like "a": the packed form needs printable values.
  CTR_CHECK(std::memchr(value.data(), 0, value.size()) == nullptr, "a vocabulary value holds a 0 byte");
  return of_packed(pack(value));
}

std::string VocabKey::text() const {
  if (length > 8) return std::string(bytes, length);
  return std::string(reinterpret_cast<const char*>(&packed), length);
}

FieldVocab::FieldVocab(uint64_t min_count, uint64_t max_vocab)
    : min_count_(min_count), max_vocab_(max_vocab), counts_train_(min_count > 1 || max_vocab > 0), slots_(1024) {}

std::string_view FieldVocab::str(const Slot& s) const {
  if (!VocabKey::is_long_ref(s.payload)) return {reinterpret_cast<const char*>(&s.payload), VocabKey::packed_length(s.payload)};
  const size_t at = VocabKey::long_index(s.payload);
  uint32_t length;
  std::memcpy(&length, arena_.data() + at, sizeof length);
  return {arena_.data() + at + sizeof length, length};
}

uint64_t FieldVocab::hash_of(const Slot& s) const {
  if (!VocabKey::is_long_ref(s.payload)) return VocabKey::of_packed(s.payload).hash;
  return VocabKey::of(str(s)).hash;
}

size_t FieldVocab::probe_long(const VocabKey& key) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = key.hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.count == 0) return i;
    if (VocabKey::is_long_ref(s.payload)) {
      const std::string_view v = str(s);
      if (v.size() == key.length && bytes_equal(v.data(), key.bytes, key.length)) return i;
    }
  }
}

void FieldVocab::grow() {
  ZeroedArray<Slot> bigger(slots_.size() * 2);
  const size_t mask = bigger.size() - 1;
  for (const Slot& s : slots_) {
    if (s.count == 0) continue;
    size_t i = hash_of(s) & mask;
    while (bigger[i].count != 0) i = (i + 1) & mask;
    bigger[i] = s;
  }
  slots_.swap(bigger);
}

FieldVocab::Slot& FieldVocab::insert_new(size_t at, const VocabKey& key) {
  if (used_ + 1 > std::numeric_limits<uint32_t>::max() - 2)
    throw Error("one categorical field has more than 4 billion distinct values");
  Slot& s = slots_[at];
  s = Slot{key.packed, static_cast<uint32_t>(used_), 0};
  if (key.length > 8) {
    s.payload = VocabKey::long_ref(arena_.size());
    const char* length = reinterpret_cast<const char*>(&key.length);
    arena_.insert(arena_.end(), length, length + sizeof key.length);
    arena_.insert(arena_.end(), key.bytes, key.bytes + key.length);
  }
  if (counts_train_) count_train_.push_back(0);
  ++used_;
  return s;
}

uint32_t FieldVocab::add_slow(Slot& slot, const VocabKey& key, bool in_train) {
  CTR_CHECK(!finalized_, "add after finalize");
  Slot* s = &slot;
  if (s->count == 0) s = &insert_new(static_cast<size_t>(s - slots_.begin()), key);
  if (s->count == kMaxCount)
    throw Error("a categorical value occurs more than 4,294,967,295 times; split the input");
  ++s->count;
  const uint32_t provisional = s->id;
  if (counts_train_) count_train_[provisional] += in_train;
  if (used_ * 10 > slots_.size() * 7) grow();  // moves slots: read s before
  return provisional;
}

namespace {

// What finalize() sorts: the value's first 8 bytes as a big-endian number (byte order, since
// values hold no 0 bytes), and where to find the rest.
struct SortKey {
  uint64_t prefix;
  uint32_t ref;    // the provisional id for a value of <= 8 bytes (the prefix is all of it);
                   // kLongRef | slot index for a longer one
  uint32_t count;  // copied here so that emitting values of <= 8 bytes reads no slot
};
constexpr uint32_t kLongRef = 1u << 31;

// Sorts keys by prefix, then by `tie` (full strings) among equal prefixes. One counting pass
// spreads them over up to n/4 buckets (at most 2^18), then each small bucket is sorted. The
// bucket is the mixed-radix number of the ranks of the prefix's leading bytes among the byte
// values that occur at each position, from the first position that varies: order-preserving,
// and even over an alphabet like Criteo's (16 hex digits and the empty value: four positions
// give 83521 buckets of ~22 keys for a 1.8M-value field, where top-16-bit buckets left 256
// buckets of 7000, and std::sort over all of it took twice as long).
template <class Tie>
void sort_keys(UninitVector<SortKey>& keys, Tie tie) {
  if (keys.size() < 2) return;
  auto byte_at = [](const SortKey& k, int pos) { return static_cast<unsigned>(k.prefix >> (56 - 8 * pos)) & 0xff; };
  bool seen[8][256] = {};
  for (const SortKey& k : keys)
    for (int pos = 0; pos < 8; ++pos) seen[pos][byte_at(k, pos)] = true;
  uint16_t rank[8][256];
  uint32_t radix[8];
  for (int pos = 0; pos < 8; ++pos) {
    radix[pos] = 0;
    for (int b = 0; b < 256; ++b) rank[pos][b] = static_cast<uint16_t>(seen[pos][b] ? radix[pos]++ : 0);
  }
  int first = 0;
  while (first < 8 && radix[first] == 1) ++first;
  uint32_t weight[8] = {};
  int last = first;  // positions [first, last) form the bucket number
  const size_t max_buckets = std::clamp<size_t>(keys.size() / 4, 256, size_t{1} << 18);
  size_t buckets = 1;
  while (last < 8 && buckets * radix[last] <= max_buckets) buckets *= radix[last++];
  for (int pos = last - 1, w = 1; pos >= first; w *= static_cast<int>(radix[pos]), --pos) weight[pos] = static_cast<uint32_t>(w);
  auto bucket = [&](const SortKey& k) {
    size_t b = 0;
    for (int pos = first; pos < last; ++pos) b += size_t{rank[pos][byte_at(k, pos)]} * weight[pos];
    return b;
  };
  std::vector<uint32_t> begin(buckets + 1, 0);
  UninitVector<uint32_t> of(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) ++begin[(of[i] = static_cast<uint32_t>(bucket(keys[i]))) + 1];
  for (size_t b = 1; b < begin.size(); ++b) begin[b] += begin[b - 1];
  UninitVector<SortKey> spread(keys.size());
  std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
  for (size_t i = 0; i < keys.size(); ++i) spread[next[of[i]]++] = keys[i];
  auto less = [&tie](const SortKey& a, const SortKey& b) {
    return a.prefix != b.prefix ? a.prefix < b.prefix : tie(a, b);
  };
  for (size_t b = 0; b < buckets; ++b)
    if (begin[b + 1] - begin[b] > 1) std::sort(spread.begin() + begin[b], spread.begin() + begin[b + 1], less);
  keys.swap(spread);
}

}  // namespace

void FieldVocab::finalize(const EmitFn& emit) {
  CTR_CHECK(!finalized_, "finalize twice");
  CTR_CHECK(slots_.size() <= kLongRef, "vocabulary table of {} slots", slots_.size());
  UninitVector<SortKey> keys;
  keys.reserve(used_);
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (s.count == 0 || !(min_count_ <= 1 || count_train_[s.id] >= min_count_)) continue;
    if (VocabKey::is_long_ref(s.payload))
      keys.push_back({__builtin_bswap64(VocabKey::pack(str(s).substr(0, 8))), kLongRef | static_cast<uint32_t>(i),
                      s.count});
    else
      keys.push_back({__builtin_bswap64(s.payload), s.id, s.count});
  }
  // The value of a key, for ties and for emitting: from the prefix itself, or from the arena.
  auto value_of = [this](const SortKey& k, uint64_t& packed) -> std::string_view {
    if (k.ref & kLongRef) return str(slots_[k.ref & ~kLongRef]);
    packed = __builtin_bswap64(k.prefix);
    return {reinterpret_cast<const char*>(&packed), VocabKey::packed_length(packed)};
  };
  if (max_vocab_ > 0 && keys.size() > max_vocab_) {
    // The max_vocab_ most frequent in train, the smaller value first among equal counts.
    auto train_count = [this](const SortKey& k) {
      return count_train_[k.ref & kLongRef ? slots_[k.ref & ~kLongRef].id : k.ref];
    };
    std::nth_element(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(max_vocab_), keys.end(),
                     [&](const SortKey& a, const SortKey& b) {
                       const uint32_t ca = train_count(a), cb = train_count(b);
                       if (ca != cb) return ca > cb;
                       uint64_t pa, pb;
                       return value_of(a, pa) < value_of(b, pb);
                     });
    keys.resize(max_vocab_);
  }
  sort_keys(keys, [&value_of](const SortKey& a, const SortKey& b) {
    uint64_t pa, pb;
    return value_of(a, pa) < value_of(b, pb);
  });
  kept_ = static_cast<uint32_t>(keys.size());
  ZeroedArray<uint32_t> final_of(used_);
  for (size_t p = 0; p < used_; ++p) final_of[p] = kept_;  // dropped by min_count: OOV
  for (uint32_t id = 0; id < kept_; ++id) {
    const uint32_t ref = keys[id].ref;
    final_of[ref & kLongRef ? slots_[ref & ~kLongRef].id : ref] = id;
  }
  final_of_provisional_ = std::move(final_of);
  count_train_ = {};
  finalized_ = true;
  if (!emit) return;
  for (const SortKey& k : keys) {
    uint64_t packed;
    emit(value_of(k, packed), k.count);
  }
}

void FieldVocab::add_with_id(const VocabKey& key, uint64_t count) {
  CTR_CHECK(!finalized_, "add_with_id after finish_loading");
  const size_t at = probe(key);
  if (slots_[at].count != 0) throw Error(fmt::format("value '{}' is listed twice", key.text()));
  Slot& s = insert_new(at, key);  // listed order: provisional id == final id
  s.count = static_cast<uint32_t>(std::clamp<uint64_t>(count, 1, std::numeric_limits<uint32_t>::max()));  // 0 = empty
  if (used_ * 10 > slots_.size() * 7) grow();
}

void FieldVocab::finish_loading() {
  CTR_CHECK(!finalized_, "finish_loading twice");
  kept_ = static_cast<uint32_t>(used_);
  final_of_provisional_ = ZeroedArray<uint32_t>(used_);
  for (uint32_t id = 0; id < kept_; ++id) final_of_provisional_[id] = id;
  count_train_ = {};
  finalized_ = true;
}

uint32_t FieldVocab::id_of(const VocabKey& key) const {
  CTR_CHECK(finalized_, "id_of before finalize");
  const Slot& s = slots_[probe(key)];
  return s.count == 0 ? kept_ : final_of_provisional_[s.id];
}

}  // namespace ctr
