// ProgressLine implementation.
#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "core/stopwatch.h"

namespace ctr {

std::string format_count(uint64_t n) {
  if (n >= 1000000000ULL) return fmt::format("{:.2f}G", n / 1e9);
  if (n >= 1000000ULL) return fmt::format("{:.1f}M", n / 1e6);
  if (n >= 10000ULL) return fmt::format("{:.1f}k", n / 1e3);
  return std::to_string(n);
}

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e7) return "?";
  auto t = static_cast<uint64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

bool ProgressLine::stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

ProgressLine::ProgressLine(std::string label, double log_interval_s)
    : label_(std::move(label)), log_interval_s_(log_interval_s), tty_(stderr_is_tty()),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

ProgressLine::~ProgressLine() {
  if (tty_ && printed_) std::fputc('\n', stderr);
}

std::string ProgressLine::format(uint64_t rows, uint64_t bytes, uint64_t total, double secs) const {
  double mbps = secs > 0 ? bytes / 1e6 / secs : 0.0;
  std::string s = fmt::format("{}: {} rows, {:.0f} MB/s", label_, format_count(rows), mbps);
  if (total > 0 && bytes > 0 && bytes <= total && secs > 0.5) {
    double eta = secs * (static_cast<double>(total) / bytes - 1.0);
    s += fmt::format(", {:.0f}%, ETA {}", 100.0 * bytes / total, format_duration(eta));
  }
  return s;
}

void ProgressLine::update(uint64_t rows, uint64_t bytes, uint64_t total_bytes) {
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_).count();
  double interval = tty_ ? 0.25 : log_interval_s_;
  if (since < interval) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  std::string line = format(rows, bytes, total_bytes, secs);
  if (tty_) std::fprintf(stderr, "\r\033[K%s", line.c_str());
  else std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
  printed_ = true;
}

void ProgressLine::finish(uint64_t rows, uint64_t bytes) {
  double secs = seconds_since(start_);
  std::string line = format(rows, bytes, 0, secs) + fmt::format(" in {:.1f} s", secs);
  if (tty_) std::fprintf(stderr, "\r\033[K%s\n", line.c_str());
  else std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
  printed_ = false;
}

ProgressTicker::ProgressTicker(ProgressLine* line, const ProgressCounts& counts, uint64_t total_bytes) {
  if (!line) return;
  thread_ = std::thread([this, line, &counts, total_bytes] {
    std::unique_lock<std::mutex> lock(m_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; }))
      line->update(counts.rows.load(), counts.bytes.load(), total_bytes);
  });
}

ProgressTicker::~ProgressTicker() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace ctr
