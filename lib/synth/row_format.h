// RowFormatter: turns a drawn row and its label into one line of raw Criteo (TSV) or Avazu (CSV)
// text, mapping each id rank to its value through a seeded bijection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.h"
#include "synth/row_sampler.h"
#include "synth/synth_schema.h"

namespace ctr {

class RowFormatter {
 public:
  explicit RowFormatter(const SynthSchema& schema);

  // Upper bound of one line: a 20-digit id, the label, 13 dense and 26 categorical values of at
  // most 20 characters, their separators and the newline.
  static constexpr size_t kMaxLineBytes = 1024;

  // The Avazu header line, or nothing for Criteo.
  std::string header() const;
  // Writes the line at p (kMaxLineBytes of room) and returns its end. Avazu's `id` column is
  // random, so rng advances.
  char* write(char* p, Rng& rng, int label, const SynthRow& row) const;

 private:
  char* put_value(char* p, size_t field, uint64_t rank) const;

  const SynthSchema& schema_;
  char sep_;
  std::vector<uint64_t> decimal_mult_;  // [num_cat]: a multiplier coprime with the field's size
};

}  // namespace ctr
