// Teacher: the hidden model that labels synthetic rows. Its signal sits in per-id effects (rare
// ids included: an id's effect does not depend on its frequency), in latent-vector interactions
// between pairs of fields, and in log-scaled dense values, so that models have something real to
// learn. Per-id parameters are hashed from (field, rank): no tables.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "synth/row_sampler.h"
#include "synth/synth_schema.h"

namespace ctr {

class Teacher {
 public:
  // Calibrates the bias on pilot rows so that the positive rate is the schema's target.
  Teacher(const SynthSchema& schema, uint64_t seed);
  double logit(const SynthRow& row) const { return bias_ + raw_logit(row); }
  double bias() const { return bias_; }

 private:
  double raw_logit(const SynthRow& row) const;
  void calibrate(const SynthSchema& schema, uint64_t seed);

  std::vector<uint64_t> field_key_;   // [num_cat]
  std::vector<double> effect_scale_;  // [num_cat]
  std::vector<std::pair<size_t, size_t>> pairs_;
  std::vector<double> dense_weight_;  // [num_dense]
  double bias_ = 0.0;
};

}  // namespace ctr
