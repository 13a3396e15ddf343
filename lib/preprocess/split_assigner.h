// SplitAssigner: decides train, valid or test for a data line from where it is alone (its index
// over all inputs, its file and its index in that file), so both passes and any thread count
// agree without coordination.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/hash.h"
#include "dataset/dataset_meta.h"

namespace ctr {

class SplitAssigner {
 public:
  // rand: a seeded hash of the line index, uniform in [0, 1): below test_ratio -> test, below
  // test_ratio + valid_ratio -> valid, else train.
  static SplitAssigner random(double test_ratio, double valid_ratio, uint64_t seed) {
    return SplitAssigner(test_ratio, valid_ratio, seed, 0, false);
  }
  // seq: in file order, train, then the round(valid_ratio * total) valid lines, then the last
  // round(test_ratio * total) lines as test, so that validation stands between training and test
  // in time.
  static SplitAssigner sequential(double test_ratio, double valid_ratio, uint64_t total_lines) {
    return SplitAssigner(test_ratio, valid_ratio, 0, total_lines, true);
  }
  // day: each input file is a day; every file but the last is train, the last is test. With
  // `last_day_valid_rows` > 0 that many of the last day's first lines are valid instead (MLPerf's
  // halves of day 23: docs/preprocess.md).
  static SplitAssigner by_day(size_t num_files, uint64_t last_day_valid_rows) {
    SplitAssigner s(0, 0, 0, 0, false);
    s.by_day_ = true;
    s.last_file_ = num_files - 1;
    s.valid_rows_ = last_day_valid_rows;
    return s;
  }

  // `global_line`: the data line's index over all inputs; `file` and `line_in_file`: its input
  // and its index among that input's data lines.
  SplitIndex split_of(uint64_t global_line, size_t file, uint64_t line_in_file) const {
    if (by_day_) return file < last_file_ ? kTrainSplit : line_in_file < valid_rows_ ? kValidSplit : kTestSplit;
    if (seq_) return global_line >= test_start_ ? kTestSplit : global_line >= valid_start_ ? kValidSplit : kTrainSplit;
    const double u = to_unit(hash_combine(seed_, global_line));
    return u < test_ratio_ ? kTestSplit : u < test_ratio_ + valid_ratio_ ? kValidSplit : kTrainSplit;
  }

 private:
  static uint64_t lines_of(double ratio, uint64_t total) {
    return static_cast<uint64_t>(ratio * static_cast<double>(total) + 0.5);
  }
  SplitAssigner(double test_ratio, double valid_ratio, uint64_t seed, uint64_t total, bool seq)
      : test_ratio_(test_ratio), valid_ratio_(valid_ratio), seed_(mix64(seed)), seq_(seq),
        test_start_(total - lines_of(test_ratio, total)),
        valid_start_(test_start_ - std::min(test_start_, lines_of(valid_ratio, total))) {}
  double test_ratio_, valid_ratio_;
  uint64_t seed_;
  bool seq_;
  uint64_t test_start_, valid_start_;
  bool by_day_ = false;
  size_t last_file_ = 0;
  uint64_t valid_rows_ = 0;
};

}  // namespace ctr
