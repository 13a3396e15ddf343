// ProgressLine: a self-overwriting status line on stderr when it is a terminal; otherwise an
// occasional plain log line, so logs from scripts and CI stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ctr {

class ProgressLine {
 public:
  // `label` prefixes every line, e.g. "preprocess pass 1/2".
  explicit ProgressLine(std::string label, double log_interval_s = 30.0);
  ~ProgressLine();
  // rows and bytes done so far; total_bytes (0 if unknown) gives the ETA.
  void update(uint64_t rows, uint64_t bytes, uint64_t total_bytes);
  void finish(uint64_t rows, uint64_t bytes);  // prints the final summary line

  static bool stderr_is_tty();

 private:
  std::string format(uint64_t rows, uint64_t bytes, uint64_t total_bytes, double secs) const;
  std::string label_;
  double log_interval_s_;
  bool tty_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

std::string format_count(uint64_t n);        // 12345678 -> "12.3M"
std::string format_duration(double seconds);  // 83 -> "1:23"

}  // namespace ctr
