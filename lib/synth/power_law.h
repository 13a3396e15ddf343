// The heavy-tailed draws of synth, O(1) each and without tables, so 10M-value fields cost nothing
// to set up: PowerLawSampler for id ranks (Zipf-like), ParetoCountSampler for dense counts.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/rng.h"

namespace ctr {

// 2^x for x in [0, 64): integer part through the exponent bits, fraction by a degree-5
// polynomial (relative error < 2e-7), several times faster than std::exp2.
inline double fast_exp2(double x) {
  int64_t xi = static_cast<int64_t>(x);  // x >= 0: truncation is floor, and cheaper
  double f = x - static_cast<double>(xi);
  double p = 1.0 + f * (0.6931471806 + f * (0.2402265070 + f * (0.0555041087 +
             f * (0.0096181291 + f * 0.0013333558))));
  uint64_t bits;
  std::memcpy(&bits, &p, 8);
  bits += static_cast<uint64_t>(xi) << 52;
  std::memcpy(&p, &bits, 8);
  return p;
}

// Ranks 1..n with P(k) ~ 1/k (Zipf with exponent 1, as a continuous inverse CDF) mixed with a
// uniform share that creates the long tail of rare ids real CTR data has.
class PowerLawSampler {
 public:
  PowerLawSampler() = default;
  // n >= 1 values; `uniform_share` (0..1) of draws are uniform over 1..n instead of 1/k.
  PowerLawSampler(uint64_t n, double uniform_share)
      : n_(n), log2_n1_(std::log2(static_cast<double>(n) + 1.0)),
        uniform_below_(static_cast<uint64_t>(uniform_share * 0x1p32)) {}

  // One 64-bit draw serves both the choice (high half) and the position (low half). A step of u
  // by 2^-32 moves k by k ln(n+1) / 2^32, under one value up to n ~ 10^8 (Criteo's largest field
  // has 10^7); above that the rarest ranks come from the uniform share.
  uint64_t sample(Rng& rng) const {
    uint64_t bits = rng.next_u64();
    if ((bits >> 32) < uniform_below_) return 1 + rng.uniform(n_);
    double u = static_cast<double>(bits & 0xffffffffULL) * 0x1p-32;
    // k = floor((n+1)^u) has P(k) = log2((k+1)/k) / log2(n+1), about 1/(k ln n).
    uint64_t k = static_cast<uint64_t>(fast_exp2(u * log2_n1_));
    return k < 1 ? 1 : (k > n_ ? n_ : k);
  }
  uint64_t size() const { return n_; }

 private:
  uint64_t n_ = 1;
  double log2_n1_ = 1.0;
  uint64_t uniform_below_ = 0;  // out of 2^32: 2^32 makes every draw uniform
};

// Counts 0..max_value with median about `median` and a Pareto tail of index 1 (P(x > t) ~ median/t),
// the shape of Criteo's dense fields: mostly small, a few huge. Inverse CDF, one division.
class ParetoCountSampler {
 public:
  ParetoCountSampler() = default;
  ParetoCountSampler(double median, uint64_t max_value) : median_(median), max_(max_value) {}

  uint64_t sample(Rng& rng) const {
    double u = rng.unit();
    double x = median_ * u / (1.0 - u);  // 1 - u > 0: unit() is below 1
    return x >= static_cast<double>(max_) ? max_ : static_cast<uint64_t>(x);
  }

 private:
  double median_ = 1.0;
  uint64_t max_ = 0;
};

}  // namespace ctr
