// RowSampler implementation.
#include "synth/row_sampler.h"

#include <cstdint>

namespace ctr {
namespace {

// Probability p as a threshold on 64 random bits: `bits < threshold` has probability p.
uint64_t chance_threshold(double p) {
  if (p <= 0.0) return 0;
  return p >= 1.0 ? UINT64_MAX : static_cast<uint64_t>(p * 0x1p64);
}

// The rank the day's drift moves `rank` to: a bijection on the ranks above stable_ranks.
uint64_t drifted(const SynthCatField& f, uint64_t rank) {
  if (f.tail_rotation == 0 || rank <= f.stable_ranks) return rank;
  const uint64_t tail = f.ranks.size() - f.stable_ranks;
  return f.stable_ranks + 1 + (rank - f.stable_ranks - 1 + f.tail_rotation) % tail;
}

}  // namespace

RowSampler::RowSampler(const SynthSchema& schema) : schema_(schema) {
  for (const auto& f : schema_.cat) cat_missing_.push_back(chance_threshold(f.missing_rate));
  for (const auto& f : schema_.dense) dense_missing_.push_back(chance_threshold(f.missing_rate));
}

SynthRow RowSampler::make_row() const {
  SynthRow row;
  row.ranks.resize(schema_.cat.size());
  row.dense.resize(schema_.dense.size());
  row.dense_missing.resize(schema_.dense.size());
  return row;
}

void RowSampler::draw(Rng& rng, SynthRow& row) const {
  // Fields that are never missing draw no missing coin, which keeps Avazu rows cheap.
  for (size_t f = 0; f < schema_.cat.size(); ++f) {
    bool missing = cat_missing_[f] && rng.next_u64() < cat_missing_[f];
    row.ranks[f] = missing ? 0 : drifted(schema_.cat[f], schema_.cat[f].ranks.sample(rng));
  }
  for (size_t d = 0; d < schema_.dense.size(); ++d) {
    const SynthDenseField& f = schema_.dense[d];
    bool missing = dense_missing_[d] && rng.next_u64() < dense_missing_[d];
    row.dense_missing[d] = missing;
    row.dense[d] = missing ? 0 : f.min_value + static_cast<int64_t>(f.counts.sample(rng));
  }
}

}  // namespace ctr
