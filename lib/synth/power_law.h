// PowerLawSampler: draws ranks 1..n with P(k) ~ 1/k (Zipf with exponent 1, as a continuous
// inverse CDF) mixed with a uniform share that creates the long tail of rare ids real CTR data
// has. O(1) per draw, no tables, so 10M-value fields cost nothing to set up.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/rng.h"

namespace ctr {

// 2^x for x in [0, 64): integer part through the exponent bits, fraction by a degree-5
// polynomial (relative error < 2e-7), several times faster than std::exp2.
inline double fast_exp2(double x) {
  double xi = std::floor(x);
  double f = x - xi;
  double p = 1.0 + f * (0.6931471806 + f * (0.2402265070 + f * (0.0555041087 +
             f * (0.0096181291 + f * 0.0013333558))));
  uint64_t bits;
  std::memcpy(&bits, &p, 8);
  bits += static_cast<uint64_t>(static_cast<int64_t>(xi)) << 52;
  std::memcpy(&p, &bits, 8);
  return p;
}

class PowerLawSampler {
 public:
  PowerLawSampler() = default;
  // n >= 1 values; `uniform_share` of draws are uniform over 1..n instead of 1/k.
  PowerLawSampler(uint64_t n, double uniform_share)
      : n_(n), log2_n1_(std::log2(static_cast<double>(n) + 1.0)),
        uniform_threshold_(static_cast<uint64_t>(uniform_share * 18446744073709551615.0)) {}

  uint64_t sample(Rng& rng) const {
    uint64_t bits = rng.next_u64();
    if (bits < uniform_threshold_) return 1 + rng.uniform(n_);
    // k = floor((n+1)^u) has P(k) = log2((k+1)/k) / log2(n+1), about 1/(k ln n).
    uint64_t k = static_cast<uint64_t>(fast_exp2(to_unit(rng.next_u64()) * log2_n1_));
    return k < 1 ? 1 : (k > n_ ? n_ : k);
  }
  uint64_t size() const { return n_; }

 private:
  uint64_t n_ = 1;
  double log2_n1_ = 1.0;
  uint64_t uniform_threshold_ = 0;
};

}  // namespace ctr
