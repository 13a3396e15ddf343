// DenseTransform names and DenseStats bookkeeping.
#include "dataset/dense_transform.h"

#include <limits>

#include "core/error.h"

namespace ctr {

DenseTransform parse_dense_transform(const std::string& name) {
  if (name == "minmax") return DenseTransform::minmax;
  if (name == "log") return DenseTransform::log;
  if (name == "none") return DenseTransform::none;
  throw UsageError(fmt::format("unknown dense transform '{}' (expected minmax, log or none)", name));
}

const char* dense_transform_name(DenseTransform t) {
  switch (t) {
    case DenseTransform::minmax: return "minmax";
    case DenseTransform::log: return "log";
    case DenseTransform::none: return "none";
  }
  return "?";
}

void DenseStats::reset(size_t n) {
  min.assign(n, std::numeric_limits<double>::infinity());
  max.assign(n, -std::numeric_limits<double>::infinity());
}

void DenseStats::merge(const DenseStats& o) {
  for (size_t d = 0; d < min.size(); ++d) {
    if (o.min[d] < min[d]) min[d] = o.min[d];
    if (o.max[d] > max[d]) max[d] = o.max[d];
  }
}

}  // namespace ctr
