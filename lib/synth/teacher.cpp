// Teacher implementation and its bias calibration.
#include "synth/teacher.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/hash.h"
#include "core/rng.h"

namespace ctr {
namespace {

// Strengths of the three kinds of signal, chosen so that the teacher's own logit ranks its labels
// with an AUC near 0.80 (docs/synth.md), like the best models on real Criteo.
constexpr double kEffectScaleMin = 0.12, kEffectScaleSpan = 0.3;  // per-field a_f range
constexpr double kInteractionWeight = 0.5;
constexpr int kLatentDim = 3;            // 16 hash bits per coordinate after the 16 of the effect
constexpr double kDenseWeightMax = 0.12;  // per log2 unit of a count
constexpr int kPilotRows = 20000;
constexpr size_t kMaxFields = 64;

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

// 16 bits of h, starting at bit `at`, as a value in [-1, 1).
inline double signed_unit(uint64_t h, int at) {
  return static_cast<double>((h >> at) & 0xffff) / 32768.0 - 1.0;
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

Teacher::Teacher(const SynthSchema& s, uint64_t seed) {
  CTR_CHECK(s.cat.size() <= kMaxFields, "teacher supports at most {} fields, got {}", kMaxFields, s.cat.size());
  Rng rng = Rng::derive(seed, 0x7465616368ULL);
  for (size_t f = 0; f < s.cat.size(); ++f) {
    field_key_.push_back(rng.next_u64());
    effect_scale_.push_back(kEffectScaleMin + kEffectScaleSpan * rng.unit());  // some fields say more
  }
  for (size_t f = 0; f + 1 < s.cat.size(); f += 2) pairs_.emplace_back(f, f + 1);
  for (size_t d = 0; d < s.dense.size(); ++d) dense_weight_.push_back(kDenseWeightMax * (2.0 * rng.unit() - 1.0));
  calibrate(s, seed);
}

// Bisection on the bias over pilot rows drawn from their own stream: the written file's bytes must
// not depend on how many draws calibration takes.
void Teacher::calibrate(const SynthSchema& s, uint64_t seed) {
  RowSampler sampler(s);
  SynthRow row = sampler.make_row();
  Rng pilot = Rng::derive(seed, 0x70696c6f74ULL);
  std::vector<double> logits;
  for (int i = 0; i < kPilotRows; ++i) {
    sampler.draw(pilot, row);
    logits.push_back(raw_logit(row));
  }
  double lo = -20, hi = 20;
  for (int it = 0; it < 60; ++it) {
    double mid = 0.5 * (lo + hi), mean = 0;
    for (double z : logits) mean += sigmoid(z + mid);
    (mean / logits.size() < s.target_positive_rate ? lo : hi) = mid;
  }
  bias_ = 0.5 * (lo + hi);
}

double Teacher::raw_logit(const SynthRow& row) const {
  double z = 0.0;
  uint64_t h[kMaxFields];
  for (size_t f = 0; f < field_key_.size(); ++f) {
    h[f] = mix64(field_key_[f] ^ row.ranks[f]);  // rank 0, the missing value, has its own effect
    z += effect_scale_[f] * signed_unit(h[f], 0);
  }
  for (const auto& [a, b] : pairs_) {
    double dot = 0.0;
    for (int k = 1; k <= kLatentDim; ++k) dot += signed_unit(h[a], 16 * k) * signed_unit(h[b], 16 * k);
    z += kInteractionWeight * dot;
  }
  for (size_t d = 0; d < dense_weight_.size(); ++d)
    z += dense_weight_[d] * fast_log2p1(row.dense[d] > 0 ? static_cast<double>(row.dense[d]) : 0.0);
  return z;
}

}  // namespace ctr
