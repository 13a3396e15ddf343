// Teacher: the hidden model that labels synthetic rows. Its signal sits in per-id effects (rare
// ids included: an id's effect does not depend on its frequency), in latent-vector interactions
// between pairs of fields, and in log-scaled dense values, so that models have something real to
// learn. Per-id parameters are hashed from (field, rank): no tables.
#pragma once

#include <cstdint>
#include <vector>

#include "synth/synth_schema.h"

namespace ctr {

class Teacher {
 public:
  // Calibrates the bias on a pilot sample so that the positive rate is the schema's target.
  Teacher(const SynthSchema& schema, uint64_t seed);
  // ranks: [num_cat], 0 = missing; dense: [num_dense] raw values (missing already 0).
  double logit(const uint64_t* ranks, const int64_t* dense) const;
  double bias() const { return bias_; }

 private:
  double raw_logit(const uint64_t* ranks, const int64_t* dense) const;
  size_t num_cat_, num_dense_;
  std::vector<uint64_t> field_key_;      // [num_cat]
  std::vector<double> effect_scale_;     // [num_cat]
  std::vector<std::pair<size_t, size_t>> pairs_;
  std::vector<double> dense_weight_;     // [num_dense]
  double bias_ = 0.0;
};

}  // namespace ctr
