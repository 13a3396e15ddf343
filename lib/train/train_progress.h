// TrainProgress: the training status on stderr: a self-overwriting bar on a terminal (step,
// loss, samples/s, the share of time spent waiting for input, ETA), otherwise a plain log line every 30 s so CI logs stay short.
#pragma once

#include <chrono>
#include <cstdint>

namespace ctr {

class TrainProgress {
 public:
  TrainProgress(bool enabled, uint64_t epoch, uint64_t epochs, uint64_t steps_in_epoch);
  ~TrainProgress();  // clears the terminal line
  // Wipes the terminal line, so that a log line can follow; the next update draws it again.
  void clear();
  // input_wait: seconds of `seconds` spent waiting for batches (shown as a share).
  // recent_loss: the mean loss of the last log window; NaN before the first one (shown as "-").
  void update(uint64_t step_in_epoch, double recent_loss, uint64_t samples, double seconds, double input_wait);

 private:
  bool enabled_, tty_;
  uint64_t epoch_, epochs_, steps_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace ctr
