// SplitAssigner: decides train or test for a data line from its global index alone, so both
// passes and any thread count agree without coordination.
#pragma once

#include <cstdint>

#include "core/hash.h"

namespace ctr {

class SplitAssigner {
 public:
  // rand: a seeded hash of the line index below `ratio` -> test.
  static SplitAssigner random(double ratio, uint64_t seed) { return SplitAssigner(ratio, seed, 0, false); }
  // seq: the last round(ratio * total_lines) lines, in file order -> test.
  static SplitAssigner sequential(double ratio, uint64_t total_lines) {
    return SplitAssigner(ratio, 0, total_lines, true);
  }

  bool is_test(uint64_t global_line) const {
    if (seq_) return global_line >= test_start_;
    return to_unit(hash_combine(seed_, global_line)) < ratio_;
  }

 private:
  SplitAssigner(double ratio, uint64_t seed, uint64_t total, bool seq)
      : ratio_(ratio), seed_(mix64(seed)), seq_(seq),
        test_start_(total - static_cast<uint64_t>(ratio * static_cast<double>(total) + 0.5)) {}
  double ratio_;
  uint64_t seed_;
  bool seq_;
  uint64_t test_start_;
};

}  // namespace ctr
