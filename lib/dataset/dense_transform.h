// How raw integer dense values become model inputs: minmax (the reference), log (DLRM) or none.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace ctr {

enum class DenseTransform { minmax, log, none };
DenseTransform parse_dense_transform(const std::string& name);  // throws UsageError
const char* dense_transform_name(DenseTransform t);

// Per-feature statistics of the raw values, missing counted as 0 (as the reference does).
struct DenseStats {
  std::vector<double> min, max;
  void reset(size_t num_dense);  // min = +inf, max = -inf
  void observe(size_t d, double v) {
    if (v < min[d]) min[d] = v;
    if (v > max[d]) max[d] = v;
  }
  void merge(const DenseStats& other);
};

// minmax: (x - min) / (max - min), 0 when max == min; values outside the fitted range (data
// encoded with --vocab-from) are not clamped, as sklearn's MinMaxScaler does not clamp.
// log: log(1 + x) for x > -1, else 0.   none: x as float.
inline float transform_dense(DenseTransform t, double x, double min, double max) {
  switch (t) {
    case DenseTransform::minmax: return max > min ? static_cast<float>((x - min) / (max - min)) : 0.0f;
    case DenseTransform::log: return x > -1.0 ? static_cast<float>(std::log1p(x)) : 0.0f;
    case DenseTransform::none: return static_cast<float>(x);
  }
  return 0.0f;
}

}  // namespace ctr
