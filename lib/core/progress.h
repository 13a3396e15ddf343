// ProgressLine: a self-overwriting status line on stderr when it is a terminal; otherwise an
// occasional plain log line, so logs from scripts and CI stay readable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

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

// Rows and bytes done, added to by any number of threads.
struct ProgressCounts {
  std::atomic<uint64_t> rows{0}, bytes{0};
};

// Shows `counts` on `line` from a thread of its own, a few times a second, until destroyed: the
// work may run on many threads, none of which owns the line. `line` may be null (no progress).
class ProgressTicker {
 public:
  ProgressTicker(ProgressLine* line, const ProgressCounts& counts, uint64_t total_bytes);
  ~ProgressTicker();
  ProgressTicker(const ProgressTicker&) = delete;
  ProgressTicker& operator=(const ProgressTicker&) = delete;

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

std::string format_count(uint64_t n);        // 12345678 -> "12.3M"
std::string format_duration(double seconds);  // 83 -> "1:23"

}  // namespace ctr
