// Statistics of one figure over several seeds' runs: mean, sample standard deviation and the
// Student-t 95% confidence interval of the mean (ctrtrain --seeds, docs/training.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ctr {

// t_{0.975, df}: the 0.975 quantile of Student's t with df >= 1 degrees of freedom, i.e. the
// factor of a two-sided 95% interval. df 1..30 from a table (scipy.stats.t.ppf, 6 decimals);
// above, the Cornish-Fisher expansion of Abramowitz & Stegun 26.7.5 around the normal quantile
// 1.959964, within 3e-8 of scipy there. Throws ctr::Error for df 0.
double t_quantile_975(uint64_t df);

struct SampleStats {
  size_t n = 0;                    // values that entered (NaNs are left out)
  double mean = 0;                 // NaN when n = 0
  double sd = 0;                   // sample standard deviation (divisor n - 1); NaN when n < 2
  double t = 0;                    // t_{0.975, n-1}; NaN when n < 2
  double half_width = 0;           // t * sd / sqrt(n); NaN when n < 2
  double ci_low = 0, ci_high = 0;  // mean -/+ half_width; NaN when n < 2
  double min = 0, max = 0;         // NaN when n = 0
  bool has_interval() const { return n >= 2; }
};

// The statistics of `values`. NaN entries (a split a run did not have) are skipped, so n may be
// smaller than values.size().
SampleStats sample_stats(const std::vector<double>& values);

}  // namespace ctr
