// The per-dataset generation settings. Missing rates and dense ranges are rounded from the public
// Criteo data (e.g. I12 and C22 are missing in about three rows of four); Avazu has no missing values.
#include "synth/synth_schema.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/hash.h"

namespace ctr {
namespace {

constexpr double kCriteoDenseMissing[13] = {0.45, 0.0, 0.21, 0.22, 0.03, 0.22, 0.04,
                                            0.001, 0.04, 0.45, 0.04, 0.77, 0.22};
constexpr int64_t kCriteoDenseMin[13] = {0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
constexpr int64_t kCriteoDenseMax[13] = {5775, 257673, 65535, 969, 23159456, 431037, 56311,
                                         6047, 29019,  11,    231, 4008,     7393};
// Medians of the present values (of value - min), rounded from a sample of the public data; the
// Pareto tail then puts about a tenth of the values above 9x the median, as in the real fields.
constexpr double kCriteoDenseMedian[13] = {1, 4, 6, 5, 2000, 37, 4, 7, 46, 0.5, 1, 0.5, 5};
constexpr double kCriteoCatMissing[26] = {0,     0, 0.034, 0.034, 0,     0.12, 0,    0,    0,
                                          0,     0, 0.034, 0,     0,     0,    0.034, 0,   0,
                                          0.44, 0.44, 0.034, 0.76, 0,    0.034, 0.44, 0.44};
// Avazu columns after `click`: which are small integers (with a typical base) and which are ids.
struct AvazuShape {
  ValueShape shape;
  uint64_t base;
};
const AvazuShape kAvazuShapes[22] = {
    {ValueShape::avazu_hour, 0}, {ValueShape::decimal, 1000},  {ValueShape::decimal, 0},
    {ValueShape::hex8, 0},       {ValueShape::hex8, 0},        {ValueShape::hex8, 0},
    {ValueShape::hex8, 0},       {ValueShape::hex8, 0},        {ValueShape::hex8, 0},
    {ValueShape::hex8, 0},       {ValueShape::hex8, 0},        {ValueShape::hex8, 0},
    {ValueShape::decimal, 0},    {ValueShape::decimal, 0},     {ValueShape::decimal, 15000},
    {ValueShape::decimal, 216},  {ValueShape::decimal, 20},    {ValueShape::decimal, 1700},
    {ValueShape::decimal, 0},    {ValueShape::decimal, 30},    {ValueShape::decimal, 100000},
    {ValueShape::decimal, 10}};

// Share of uniform draws: the big id fields of real data are mostly rare values. Avazu's hours
// are a time axis, not ids: every hour has a similar share of the traffic.
double uniform_share(ValueShape shape, uint64_t cardinality) {
  if (shape == ValueShape::avazu_hour) return 1.0;
  return cardinality > 100000 ? 0.2 : 0.02;
}

// 2^31: far below the 2^32 values the 32-bit rank -> hex bijection tells apart.
constexpr uint64_t kMaxCardinality = uint64_t{1} << 31;

// The top 0.1% of a field's values (at least 10) keep their ranks every day; the others rotate
// by `daily_drift` of them per day.
void set_drift(SynthCatField& f, uint64_t present, const SynthOptions& o) {
  f.stable_ranks = std::min<uint64_t>(present, std::max<uint64_t>(10, present / 1000));
  const uint64_t tail = present - f.stable_ranks;
  if (tail == 0) return;
  const double shift = std::round(o.daily_drift * static_cast<double>(tail));
  f.tail_rotation = (static_cast<uint64_t>(shift) % tail) * (o.day % tail) % tail;
}

}  // namespace

SynthSchema make_synth_schema(const SynthOptions& opts) {
  // The bound keeps the largest field (Criteo C3, 10.1M values) far below the 2^32 values that the
  // 32-bit rank -> hex bijection can tell apart.
  if (!(opts.vocab_scale > 0.0) || opts.vocab_scale > 100.0)
    throw UsageError(fmt::format("--vocab-scale {} is out of range (expected > 0 and <= 100)", opts.vocab_scale));
  if (!(opts.daily_drift >= 0.0 && opts.daily_drift <= 1.0))
    throw UsageError(fmt::format("--daily-drift {} is out of range (expected 0..1)", opts.daily_drift));
  const PublicDataset& real = public_dataset(opts.dataset);
  SynthSchema s;
  s.kind = opts.dataset;
  s.target_positive_rate = real.reference_positive_rate;
  for (size_t d = 0; d < real.schema.num_dense(); ++d) {
    SynthDenseField f;
    f.missing_rate = kCriteoDenseMissing[d];
    f.min_value = kCriteoDenseMin[d];
    f.counts = ParetoCountSampler(kCriteoDenseMedian[d], static_cast<uint64_t>(kCriteoDenseMax[d] - kCriteoDenseMin[d]));
    s.dense.push_back(f);
  }
  for (size_t c = 0; c < real.schema.num_cat(); ++c) {
    SynthCatField f;
    double scaled = std::round(static_cast<double>(real.reference_cardinalities[c]) * opts.vocab_scale);
    f.cardinality = std::max<uint64_t>(2, static_cast<uint64_t>(scaled));
    if (f.cardinality > kMaxCardinality)
      throw UsageError(fmt::format("--vocab-scale {} gives field {} {} values, more than the {} synth can tell apart; "
                                   "lower --vocab-scale",
                                   opts.vocab_scale, real.schema.cat_names[c], f.cardinality, kMaxCardinality));
    if (opts.dataset != DatasetKind::avazu) {  // both Criteo datasets
      f.missing_rate = kCriteoCatMissing[c];
    } else {
      f.shape = kAvazuShapes[c].shape;
      f.decimal_base = kAvazuShapes[c].base;
      if (f.shape == ValueShape::avazu_hour) f.cardinality = std::min<uint64_t>(f.cardinality, 240);
    }
    uint64_t present = f.missing_rate > 0 ? f.cardinality - 1 : f.cardinality;
    f.ranks = PowerLawSampler(present, uniform_share(f.shape, present));
    f.perm_key = static_cast<uint32_t>(mix64(hash_combine(opts.seed, c)));
    set_drift(f, present, opts);
    s.cat.push_back(f);
  }
  return s;
}

}  // namespace ctr
