// The CLI's checks of numeric options, one per kind of value, each naming what it expects. Every
// numeric option uses one: CLI11's own Range and PositiveNumber let NaN through (each comparison
// with NaN is false) and accept "inf".
#pragma once

#include <cstdint>

#include <CLI/CLI.hpp>

namespace ctr::app {

// A finite number in [lo, hi]: "expected a number in [0, 1], got 'nan'".
CLI::Validator finite_range(double lo, double hi);
// A finite number > 0, at most `hi`.
CLI::Validator positive_real(double hi);
// A whole number in [lo, hi], written in digits only (no sign, exponent or fraction).
CLI::Validator whole_number(uint64_t lo, uint64_t hi);
// --threads: 0 (all cores) to 4096.
CLI::Validator thread_count();

}  // namespace ctr::app
