// Mean, sample standard deviation and Student-t interval (see seed_stats.h).
#include "train/seed_stats.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ctr {

namespace {

// scipy.stats.t.ppf(0.975, df) for df 1..30, rounded to 6 decimals (the usual printed table,
// e.g. Abramowitz & Stegun Table 26.10, agrees to its 3 decimals). Small df is where seed counts
// live and where the series below is least accurate, hence a table there.
constexpr double kT975[30] = {12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
                              2.262157,  2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
                              2.109816,  2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
                              2.059539,  2.055529, 2.051831, 2.048407, 2.045230, 2.042272};

constexpr double kZ975 = 1.959963984540054;  // the standard normal 0.975 quantile

}  // namespace

double t_quantile_975(uint64_t df) {
  if (df == 0) throw Error("t_quantile_975: 0 degrees of freedom (an interval needs two values or more)");
  if (df <= 30) return kT975[df - 1];
  // A&S 26.7.5: t = x + g1/v + g2/v^2 + g3/v^3 + g4/v^4 with x the normal quantile; the error
  // at v = 31 is 3e-8 and falls fast with v, and v -> infinity gives the normal limit exactly.
  const double x = kZ975, v = static_cast<double>(df);
  const double x2 = x * x, x3 = x2 * x, x5 = x3 * x2, x7 = x5 * x2, x9 = x7 * x2;
  const double g1 = (x3 + x) / 4;
  const double g2 = (5 * x5 + 16 * x3 + 3 * x) / 96;
  const double g3 = (3 * x7 + 19 * x5 + 17 * x3 - 15 * x) / 384;
  const double g4 = (79 * x9 + 776 * x7 + 1482 * x5 - 1920 * x3 - 945 * x) / 92160;
  return x + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v;
}

SampleStats sample_stats(const std::vector<double>& values) {
  std::vector<double> x;
  for (double v : values)
    if (!std::isnan(v)) x.push_back(v);
  const double none = std::nan("");
  SampleStats s;
  s.n = x.size();
  s.mean = s.sd = s.t = s.half_width = s.ci_low = s.ci_high = s.min = s.max = none;
  if (x.empty()) return s;
  double sum = 0;
  for (double v : x) sum += v;
  s.mean = sum / static_cast<double>(s.n);
  s.min = *std::min_element(x.begin(), x.end());
  s.max = *std::max_element(x.begin(), x.end());
  if (s.n < 2) return s;
  // Two passes: the squared deviations from the mean, not sum(x^2) - n*mean^2, which cancels
  // badly for AUCs that agree to four decimals.
  double ss = 0;
  for (double v : x) ss += (v - s.mean) * (v - s.mean);
  s.sd = std::sqrt(ss / static_cast<double>(s.n - 1));
  s.t = t_quantile_975(s.n - 1);
  s.half_width = s.t * s.sd / std::sqrt(static_cast<double>(s.n));
  s.ci_low = s.mean - s.half_width;
  s.ci_high = s.mean + s.half_width;
  return s;
}

}  // namespace ctr
