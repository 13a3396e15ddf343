// Mean log loss, summed in fixed-size blocks so the result does not depend on the thread count.
#include "metrics/logloss.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.h"

namespace ctr {

double log_loss(const float* probs, const float* labels, size_t n, double eps) {
  CTR_CHECK(eps > 0.0 && eps < 0.5, "log_loss eps {} outside (0, 0.5)", eps);
  if (n == 0) throw Error("log loss is undefined: there are no examples (n = 0)");

  // Blocks, not threads, own the partial sums, and the partials are added in block order: the
  // same inputs give the same bits with any number of threads. Exceptions cannot leave an OpenMP
  // region, so each block records its first bad element and the lowest one is reported after.
  constexpr size_t kBlock = size_t{1} << 16;
  const size_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(blocks, 0.0);
  std::vector<size_t> first_bad(blocks, SIZE_MAX);
  const double lo = eps, hi = 1.0 - eps;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < static_cast<int64_t>(blocks); ++b) {
    const size_t begin = static_cast<size_t>(b) * kBlock, end = std::min(n, begin + kBlock);
    double sum = 0.0;
    for (size_t i = begin; i < end; ++i) {
      const float y = labels[i];
      if ((y != 0.0f && y != 1.0f) || std::isnan(probs[i])) {
        first_bad[b] = i;
        break;
      }
      const double p = std::clamp(static_cast<double>(probs[i]), lo, hi);
      // 1 - p is exact in double for any float p >= eps, so log(1 - p) loses nothing to log1p.
      sum -= y == 1.0f ? std::log(p) : std::log(1.0 - p);
    }
    partial[b] = sum;
  }
  for (size_t b = 0; b < blocks; ++b) {
    const size_t i = first_bad[b];
    if (i == SIZE_MAX) continue;
    if (std::isnan(probs[i]))
      throw Error(
          fmt::format("log loss: probability {} is NaN (the model's predictions diverged?)", i));
    throw Error(fmt::format("log loss: label {} is {} (labels must be 0 or 1)", i, labels[i]));
  }
  double total = 0.0;
  for (double s : partial) total += s;
  return total / static_cast<double>(n);
}

}  // namespace ctr
