// TrainProgress (see train_progress.h).
#include "train/train_progress.h"

#include <cmath>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "core/progress.h"

namespace ctr {

TrainProgress::TrainProgress(bool enabled, uint64_t epoch, uint64_t epochs, uint64_t steps_in_epoch)
    : enabled_(enabled), tty_(ProgressLine::stderr_is_tty()), epoch_(epoch), epochs_(epochs), steps_(steps_in_epoch),
      last_(std::chrono::steady_clock::now()) {}

TrainProgress::~TrainProgress() { clear(); }

void TrainProgress::clear() {
  if (drawn_ && tty_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

void TrainProgress::update(uint64_t step, double recent_loss, uint64_t samples, double seconds, double input_wait) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (since < (tty_ ? 0.2 : 30.0) && step != steps_) return;
  last_ = now;
  const double rate = seconds > 0 ? samples / seconds : 0;
  const double eta = step > 0 ? seconds / double(step) * double(steps_ - step) : 0;
  const std::string text =
      fmt::format("epoch {}/{} step {}/{} loss {} {} samples/s input wait {:.0f}% ETA {}", epoch_, epochs_, step,
                  steps_, std::isnan(recent_loss) ? std::string("-") : fmt::format("{:.5f}", recent_loss),
                  format_count(static_cast<uint64_t>(rate)),
                  seconds > 0 ? 100 * input_wait / seconds : 0.0, format_duration(eta));
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    drawn_ = true;
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
}

}  // namespace ctr
