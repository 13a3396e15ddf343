// FieldVocab implementation: linear probing, power-of-two capacity, load factor <= 0.7.
#include "preprocess/field_vocab.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "core/hash.h"

namespace ctr {

namespace {
constexpr uint64_t kTagMask = 0xffffffffULL;
inline uint64_t slot_value(size_t entry, uint64_t hash) {
  return (static_cast<uint64_t>(entry + 1) << 32) | (hash >> 32);
}
}  // namespace

FieldVocab::FieldVocab() : slots_(1024, 0) {}

int64_t FieldVocab::find_slot(std::string_view value, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = hash >> 32;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    uint64_t s = slots_[i];
    if (s == 0) return -1 - static_cast<int64_t>(i);
    if ((s & kTagMask) != tag) continue;
    const Entry& e = entries_[(s >> 32) - 1];
    if (e.hash == hash && e.length == value.size() &&
        bytes_equal(arena_.data() + e.offset, value.data(), value.size()))
      return static_cast<int64_t>(i);
  }
}

void FieldVocab::grow() {
  std::vector<uint64_t> bigger(slots_.size() * 2, 0);
  const size_t mask = bigger.size() - 1;
  for (size_t e = 0; e < entries_.size(); ++e) {
    size_t i = entries_[e].hash & mask;
    while (bigger[i] != 0) i = (i + 1) & mask;
    bigger[i] = slot_value(e, entries_[e].hash);
  }
  slots_.swap(bigger);
}

void FieldVocab::add(std::string_view value, uint64_t hash, bool in_train) {
  CTR_CHECK(!finalized_, "add after finalize");
  int64_t s = find_slot(value, hash);
  if (s >= 0) {
    Entry& e = entries_[(slots_[s] >> 32) - 1];
    if (e.count_total == std::numeric_limits<uint32_t>::max())
      throw Error("a categorical value occurs more than 4,294,967,295 times; split the input");
    ++e.count_total;
    e.count_train += in_train;
    return;
  }
  if (arena_.size() + value.size() > std::numeric_limits<uint32_t>::max())
    throw Error("one categorical field has more than 4 GiB of distinct value text; the data is "
                "not Criteo/Avazu-shaped (check --dataset and the input)");
  if (entries_.size() + 1 > std::numeric_limits<uint32_t>::max() - 2)
    throw Error("one categorical field has more than 4 billion distinct values");
  entries_.push_back({hash, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(value.size()),
                      1u, in_train ? 1u : 0u});
  arena_.insert(arena_.end(), value.begin(), value.end());
  slots_[static_cast<size_t>(-1 - s)] = slot_value(entries_.size() - 1, hash);
  if (entries_.size() * 10 > slots_.size() * 7) grow();
}

void FieldVocab::finalize(uint64_t min_count) {
  CTR_CHECK(!finalized_, "finalize twice");
  by_id_.clear();
  for (size_t e = 0; e < entries_.size(); ++e)
    if (min_count <= 1 || entries_[e].count_train >= min_count) by_id_.push_back(static_cast<uint32_t>(e));
  std::sort(by_id_.begin(), by_id_.end(), [this](uint32_t a, uint32_t b) {
    return str(entries_[a]) < str(entries_[b]);
  });
  kept_ = static_cast<uint32_t>(by_id_.size());
  ids_.assign(entries_.size(), kept_);
  for (uint32_t id = 0; id < kept_; ++id) ids_[by_id_[id]] = id;
  finalized_ = true;
}

void FieldVocab::add_with_id(std::string_view value, uint64_t hash, uint64_t count) {
  CTR_CHECK(!finalized_, "add_with_id after finish_loading");
  if (find_slot(value, hash) >= 0)
    throw Error(fmt::format("value '{}' is listed twice", std::string(value)));
  uint32_t c = static_cast<uint32_t>(std::min<uint64_t>(count, std::numeric_limits<uint32_t>::max()));
  add(value, hash, false);
  entries_.back().count_total = c;
}

void FieldVocab::finish_loading() {
  CTR_CHECK(!finalized_, "finish_loading twice");
  kept_ = static_cast<uint32_t>(entries_.size());
  by_id_.resize(kept_);
  std::iota(by_id_.begin(), by_id_.end(), 0u);
  ids_ = by_id_;
  finalized_ = true;
}

uint32_t FieldVocab::id_of(std::string_view value, uint64_t hash) const {
  int64_t s = find_slot(value, hash);
  return s < 0 ? kept_ : ids_[(slots_[s] >> 32) - 1];
}

std::string_view FieldVocab::value_of(uint32_t id) const {
  CTR_CHECK(finalized_ && id < kept_, "id {} out of range (vocabulary has {} values)", id, kept_);
  return str(entries_[by_id_[id]]);
}

uint64_t FieldVocab::count_of(uint32_t id) const {
  CTR_CHECK(finalized_ && id < kept_, "id {} out of range", id);
  return entries_[by_id_[id]].count_total;
}

}  // namespace ctr
