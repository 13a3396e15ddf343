// SynthSchema: how `synth` generates each raw column of a dataset: value shape, cardinality,
// missing rate and id distribution, derived from the real schema and --vocab-scale.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "synth/power_law.h"
#include "synth/synth.h"

namespace ctr {

enum class ValueShape {
  hex8,        // 8 lowercase hex chars, like Criteo's C fields and Avazu's site/app/device ids
  decimal,     // a small non-negative integer, like Avazu's C1, banner_pos, C14..C21
  avazu_hour,  // YYMMDDHH over 10 days of 24 hours (240 values), drawn uniformly
};

struct SynthCatField {
  ValueShape shape = ValueShape::hex8;
  uint64_t cardinality = 2;    // distinct values, the missing value included when it occurs
  double missing_rate = 0.0;   // share of rows where the value is empty
  uint64_t decimal_base = 0;   // decimal: values are decimal_base + a permutation of the ranks
  PowerLawSampler ranks;       // over the non-missing values 1..n
  uint32_t perm_key = 0;       // seeds the rank -> value bijection
  // Day-to-day drift: ranks above `stable_ranks` are rotated by `tail_rotation` among themselves
  // (0 on day 0), so the frequent values stay and the rarer ones rise and fall from day to day.
  uint64_t stable_ranks = 0;
  uint64_t tail_rotation = 0;
};

struct SynthDenseField {
  double missing_rate = 0.0;
  int64_t min_value = 0;        // Criteo's I2 goes down to -1
  ParetoCountSampler counts;    // value = min_value + count
};

struct SynthSchema {
  DatasetKind kind;
  std::vector<SynthDenseField> dense;
  std::vector<SynthCatField> cat;
  double target_positive_rate;
};

// Throws UsageError for a non-positive or absurd vocab_scale.
SynthSchema make_synth_schema(const SynthOptions& opts);

}  // namespace ctr
