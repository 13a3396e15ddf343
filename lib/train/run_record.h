// What a run has done so far: per-epoch results and counters. It goes into report.json and into
// every checkpoint's header, so a resumed run reports the epochs before the interruption too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ctr {

struct EpochRecord {
  uint64_t epoch = 0;               // 1-based
  double train_loss = 0;            // mean BCE over the epoch's batches (no L2 term)
  double test_auc = 0, test_logloss = 0;
  double seconds = 0;               // training time of the epoch (evaluation excluded)
  double eval_seconds = 0;
  double samples_per_sec = 0;
  double clipped_fraction = 0;      // clipped_pairs / id_pairs
  uint64_t clipped_pairs = 0;       // (unique id, step) pairs whose gradient CowClip cut
  uint64_t id_pairs = 0;            // all (unique id, step) pairs of the epoch
  double lr = 0;                    // network-group lr at the epoch's last step
  uint64_t steps = 0, samples = 0;
  double input_wait_seconds = 0;    // time the loop waited for batches
  // The run's first step in this process (allocations, library set-up: one-time costs), counted
  // in seconds and samples but kept out of samples_per_sec; 0 in every other epoch.
  double first_step_seconds = 0;
  uint64_t first_step_samples = 0;
};

struct RunRecord {
  uint64_t epochs_done = 0;
  uint64_t steps_done = 0;
  bool time_limit_reached = false;  // train.time_limit_seconds ended the run before train.epochs
  std::vector<EpochRecord> epochs;
};

}  // namespace ctr
