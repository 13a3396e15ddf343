// Calibration of predicted CTRs: mean prediction vs observed CTR, and a binned reliability table (ECE).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ctr {

struct CalibrationBin {
  double lower = 0, upper = 0;  // the bin is [lower, upper); the last one also holds p == 1
  uint64_t rows = 0;
  double mean_prediction = 0;  // 0 when rows == 0 (an empty bin: nothing to plot)
  double observed_ctr = 0;     // share of label 1; 0 when rows == 0
};

struct CalibrationResult {
  double mean_prediction = 0;  // mean of the probabilities
  double observed_ctr = 0;     // mean of the labels
  // mean_prediction / observed_ctr: 1 is calibrated, above 1 over-predicts. NaN when no label is 1
  // (the JSON writer prints null).
  double ratio = 0;
  // Expected calibration error: sum over bins of rows_b / n * |mean_prediction_b - observed_ctr_b|.
  double ece = 0;
  std::vector<CalibrationBin> bins;  // all `num_bins` bins in order, empty ones included
};

// Bins are equal-width on [0, 1]: p goes into bin floor(p * num_bins), and p == 1 into the last
// bin. That product is exact for a float p and num_bins < 2^29, so a p on an edge b / num_bins
// always starts bin b. probs must lie in [0, 1] and labels be 0 or 1 (ctr::Error naming the
// index); n == 0 is a ctr::Error. Sums in double, in row order: deterministic.
CalibrationResult calibration(const float* probs, const float* labels, size_t n, size_t num_bins = 20);

}  // namespace ctr
