// Calibration and its reliability bins (see calibration.h).
#include "metrics/calibration.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace ctr {

namespace {

size_t bin_of(float p, size_t num_bins) {
  const size_t b = static_cast<size_t>(std::floor(static_cast<double>(p) * static_cast<double>(num_bins)));
  return b < num_bins ? b : num_bins - 1;  // p == 1 closes the last bin
}

void check_row(const float* probs, const float* labels, size_t i) {
  if (labels[i] != 0.0f && labels[i] != 1.0f)
    throw Error(fmt::format("calibration: label {} is {} (labels must be 0 or 1)", i, labels[i]));
  // Written so that NaN fails too.
  if (!(probs[i] >= 0.0f && probs[i] <= 1.0f))
    throw Error(fmt::format(
        "calibration: probability {} is {} (probabilities must lie in [0, 1]: pass the sigmoid of the logits)", i,
        probs[i]));
}

}  // namespace

CalibrationResult calibration(const float* probs, const float* labels, size_t n, size_t num_bins) {
  CTR_CHECK(num_bins >= 1 && num_bins < (size_t{1} << 29), "calibration: {} bins", num_bins);
  if (n == 0) throw Error("calibration is undefined: there are no examples (n = 0)");
  std::vector<double> pred_sum(num_bins, 0.0);
  std::vector<uint64_t> rows(num_bins, 0), pos(num_bins, 0);
  for (size_t i = 0; i < n; ++i) {
    check_row(probs, labels, i);
    const size_t b = bin_of(probs[i], num_bins);
    ++rows[b];
    pred_sum[b] += probs[i];
    pos[b] += labels[i] == 1.0f;
  }
  CalibrationResult r;
  double pred_total = 0;
  uint64_t pos_total = 0;
  for (size_t b = 0; b < num_bins; ++b) {
    CalibrationBin bin;
    bin.lower = static_cast<double>(b) / static_cast<double>(num_bins);
    bin.upper = static_cast<double>(b + 1) / static_cast<double>(num_bins);
    bin.rows = rows[b];
    if (rows[b] > 0) {
      bin.mean_prediction = pred_sum[b] / static_cast<double>(rows[b]);
      bin.observed_ctr = static_cast<double>(pos[b]) / static_cast<double>(rows[b]);
      r.ece += static_cast<double>(rows[b]) / static_cast<double>(n) * std::abs(bin.mean_prediction - bin.observed_ctr);
    }
    pred_total += pred_sum[b];
    pos_total += pos[b];
    r.bins.push_back(bin);
  }
  r.mean_prediction = pred_total / static_cast<double>(n);
  r.observed_ctr = static_cast<double>(pos_total) / static_cast<double>(n);
  r.ratio = pos_total > 0 ? r.mean_prediction / r.observed_ctr : std::numeric_limits<double>::quiet_NaN();
  return r;
}

}  // namespace ctr
