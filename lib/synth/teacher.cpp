// Teacher implementation and its bias calibration.
#include "synth/teacher.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/hash.h"
#include "core/rng.h"

namespace ctr {
namespace {

constexpr double kInteractionWeight = 0.6;
constexpr double kDenseScale = 0.05;  // per log2 unit: counts reach 2^24, so keep each term modest
constexpr int kPilotRows = 20000;

// 16 bits of h, starting at bit `at`, as a value in [-1, 1).
// log2(1 + x) for x >= 0, to ~1e-4: the exponent from the bits, the mantissa by a cubic.
// Plenty for a teacher's dense weights and ~5x cheaper than std::log1p.
inline double fast_log2p1(double x) {
  double y = 1.0 + x;
  uint64_t bits;
  std::memcpy(&bits, &y, 8);
  double e = static_cast<double>(static_cast<int64_t>(bits >> 52) - 1023);
  bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;  // mantissa m in [1, 2)
  double m;
  std::memcpy(&m, &bits, 8);
  double t = m - 1.0;
  return e + t * (1.4425449 + t * (-0.7181452 + t * 0.2753002));
}

inline double signed_unit(uint64_t h, int at) {
  return static_cast<double>((h >> at) & 0xffff) / 32768.0 - 1.0;
}

}  // namespace

Teacher::Teacher(const SynthSchema& s, uint64_t seed) : num_cat_(s.cat.size()), num_dense_(s.dense.size()) {
  CTR_CHECK(num_cat_ <= 64, "teacher supports at most 64 fields, got {}", num_cat_);
  Rng rng = Rng::derive(seed, 0x7465616368ULL);
  for (size_t f = 0; f < num_cat_; ++f) {
    field_key_.push_back(rng.next_u64());
    effect_scale_.push_back(0.15 + 0.35 * rng.unit());  // some fields say more than others
  }
  for (size_t f = 0; f + 1 < num_cat_; f += 2) pairs_.emplace_back(f, f + 1);
  for (size_t d = 0; d < num_dense_; ++d) dense_weight_.push_back(kDenseScale * (2.0 * rng.unit() - 1.0));

  // Pilot rows from their own stream: the main stream's bytes must not depend on calibration.
  Rng pilot = Rng::derive(seed, 0x70696c6f74ULL);
  std::vector<double> logits;
  std::vector<uint64_t> ranks(num_cat_);
  std::vector<int64_t> dense(num_dense_);
  for (int i = 0; i < kPilotRows; ++i) {
    for (size_t f = 0; f < num_cat_; ++f)
      ranks[f] = pilot.unit() < s.cat[f].missing_rate ? 0 : s.cat[f].ranks.sample(pilot);
    for (size_t d = 0; d < num_dense_; ++d)
      dense[d] = pilot.unit() < s.dense[d].missing_rate
                     ? 0 : s.dense[d].min_value + static_cast<int64_t>(s.dense[d].magnitude.sample(pilot)) - 1;
    logits.push_back(raw_logit(ranks.data(), dense.data()));
  }
  double lo = -20, hi = 20;
  for (int it = 0; it < 60; ++it) {
    double mid = 0.5 * (lo + hi), mean = 0;
    for (double z : logits) mean += 1.0 / (1.0 + std::exp(-(z + mid)));
    (mean / logits.size() < s.target_positive_rate ? lo : hi) = mid;
  }
  bias_ = 0.5 * (lo + hi);
}

double Teacher::raw_logit(const uint64_t* ranks, const int64_t* dense) const {
  double z = 0.0;
  uint64_t h[64];
  for (size_t f = 0; f < num_cat_; ++f) {
    h[f] = mix64(field_key_[f] ^ ranks[f]);
    z += effect_scale_[f] * signed_unit(h[f], 0);
  }
  for (const auto& [a, b] : pairs_) {
    double dot = 0.0;
    for (int k = 1; k <= 3; ++k) dot += signed_unit(h[a], 16 * k) * signed_unit(h[b], 16 * k);
    z += kInteractionWeight * dot;
  }
  for (size_t d = 0; d < num_dense_; ++d)
    z += dense_weight_[d] * fast_log2p1(dense[d] > 0 ? static_cast<double>(dense[d]) : 0.0);
  return z;
}

double Teacher::logit(const uint64_t* ranks, const int64_t* dense) const {
  return bias_ + raw_logit(ranks, dense);
}

}  // namespace ctr
