// Numeric option checks of the CLI (see cli_checks.h).
#include "app/cli_checks.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace ctr::app {
namespace {

// The whole string as a finite double; false for "", "nan", "inf", "1e999", "2x".
bool parse_finite(const std::string& s, double& v) {
  char* end = nullptr;
  errno = 0;
  v = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' && errno != ERANGE && std::isfinite(v);
}

}  // namespace

CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        double v = 0;
        if (parse_finite(s, v) && v >= lo && v <= hi) return "";
        return fmt::format("expected a number in [{:g}, {:g}], got '{}'", lo, hi, s);
      },
      fmt::format("X in [{:g}, {:g}]", lo, hi));
}

CLI::Validator positive_real(double hi) {
  return CLI::Validator(
      [hi](std::string& s) -> std::string {
        double v = 0;
        if (parse_finite(s, v) && v > 0 && v <= hi) return "";
        return fmt::format("expected a number > 0 and at most {:g}, got '{}'", hi, s);
      },
      fmt::format("0 < X <= {:g}", hi));
}

CLI::Validator whole_number(uint64_t lo, uint64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        const bool digits = !s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos;
        errno = 0;
        const unsigned long long v = digits ? std::strtoull(s.c_str(), nullptr, 10) : 0;
        if (digits && errno != ERANGE && v >= lo && v <= hi) return "";
        return fmt::format("expected a whole number in [{}, {}], got '{}'", lo, hi, s);
      },
      fmt::format("INT in [{}, {}]", lo, hi));
}

CLI::Validator thread_count() { return whole_number(0, 4096); }

}  // namespace ctr::app
