// FdChecker: central finite differences against analytic gradients (see fd_check.h).
#include "support/fd_check.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace ctr::test {

FdChecker::FdChecker(std::function<double()> loss, FdOptions opts) : loss_(std::move(loss)), opts_(opts) {}

double FdChecker::numeric(double* w, size_t index) {
  const double saved = w[index];
  const double h = opts_.step;
  w[index] = saved + h;
  const double plus = loss_();
  w[index] = saved - h;
  const double minus = loss_();
  w[index] = saved;
  // The step actually taken, (saved + h) - (saved - h), may differ from 2h by round-off.
  const double taken = (saved + h) - (saved - h);
  return (plus - minus) / taken;
}

void FdChecker::check_one(const std::string& name, double* w, size_t index, double analytic) {
  const double num = numeric(w, index);
  const double err = std::fabs(analytic - num);
  const double allowed = opts_.abs_tol + opts_.rel_tol * std::max(std::fabs(analytic), std::fabs(num));
  // NaN compares false everywhere: count it as a failure explicitly.
  const bool bad = !(err <= allowed);
  const double ratio = bad && !std::isfinite(err) ? INFINITY : err / allowed;
  ++checked_;
  if (bad) ++failures_;
  if (std::isfinite(num)) max_abs_numeric_ = std::max(max_abs_numeric_, std::fabs(num));
  if (ratio > worst_ratio_ || (bad && worst_ratio_ <= 1)) {
    worst_ratio_ = ratio;
    worst_name_ = name;
    worst_index_ = index;
    worst_analytic_ = analytic;
    worst_numeric_ = num;
    worst_allowed_ = allowed;
  }
}

void FdChecker::check(const std::string& name, double* w, const double* analytic, size_t n) {
  for (size_t i = 0; i < n; ++i) check_one(name, w, i, analytic[i]);
}

std::string FdChecker::report() const {
  if (checked_ == 0) return "no entries checked";
  return fmt::format("{} entries checked, {} failed; worst: {}[{}] analytic {:.12g} numeric {:.12g} "
                     "(error {:.3g}, allowed {:.3g}); largest |numeric| {:.3g}",
                     checked_, failures_, worst_name_, worst_index_, worst_analytic_, worst_numeric_,
                     std::fabs(worst_analytic_ - worst_numeric_), worst_allowed_, max_abs_numeric_);
}

}  // namespace ctr::test
