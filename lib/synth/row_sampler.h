// RowSampler: draws the content of one synthetic row (id ranks, missing flags, dense values) from
// a SynthSchema. The generator and the teacher's calibration share it, so the pilot rows the
// bias is tuned on follow exactly the distribution of the written rows.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "synth/synth_schema.h"

namespace ctr {

struct SynthRow {
  std::vector<uint64_t> ranks;        // [num_cat]; 0 = missing, else 1..present values
  std::vector<int64_t> dense;         // [num_dense]; 0 where missing
  std::vector<uint8_t> dense_missing;  // [num_dense]
};

class RowSampler {
 public:
  explicit RowSampler(const SynthSchema& schema);
  // A row with every vector sized for the schema, ready for draw().
  SynthRow make_row() const;
  void draw(Rng& rng, SynthRow& row) const;

 private:
  const SynthSchema& schema_;
  std::vector<uint64_t> cat_missing_;    // chance_threshold of each missing rate
  std::vector<uint64_t> dense_missing_;
};

}  // namespace ctr
