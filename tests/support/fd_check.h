// FdChecker: compares analytic gradients with central finite differences in double, entry by
// entry, and reports the parameter name and index of the worst mismatch.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace ctr::test {

struct FdOptions {
  // h of the central difference (L(w+h) - L(w-h)) / 2h: truncation error ~ h^2 |L'''| / 6, round-off
  // ~ eps |L| / h; 1e-5 balances both for losses of order 1-100 at a 1e-6 relative tolerance.
  double step = 1e-5;
  double rel_tol = 1e-6;   // an entry passes when |analytic - numeric| <= abs_tol + rel_tol * max(|a|, |n|)
  double abs_tol = 1e-9;
};

class FdChecker {
 public:
  // loss: evaluates the scalar loss from the current parameter values (called twice per entry).
  explicit FdChecker(std::function<double()> loss, FdOptions opts = {});

  // The central difference of the loss in w[index]; w[index] is restored bit-exactly afterwards.
  double numeric(double* w, size_t index);
  // Checks analytic[i] against the central difference for every i < n.
  void check(const std::string& name, double* w, const double* analytic, size_t n);
  // Checks one entry.
  void check_one(const std::string& name, double* w, size_t index, double analytic);

  bool ok() const { return failures_ == 0; }
  size_t checked() const { return checked_; }
  size_t failures() const { return failures_; }
  // The largest |numeric| seen: tests use it to show the gradients are not all (near) zero.
  double max_abs_numeric() const { return max_abs_numeric_; }
  // "N entries checked, M failed; worst: NAME[INDEX] analytic A numeric N (error E, allowed T)".
  std::string report() const;

 private:
  std::function<double()> loss_;
  FdOptions opts_;
  size_t checked_ = 0, failures_ = 0;
  double max_abs_numeric_ = 0;
  // The worst entry by error / allowed (a ratio above 1 fails).
  double worst_ratio_ = -1;
  std::string worst_name_;
  size_t worst_index_ = 0;
  double worst_analytic_ = 0, worst_numeric_ = 0, worst_allowed_ = 0;
};

}  // namespace ctr::test
