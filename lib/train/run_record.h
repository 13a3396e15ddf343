// What a run has done so far: per-epoch results and counters. It goes into report.json and into
// every checkpoint's header, so a resumed run reports the epochs before the interruption too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctr {

struct EpochRecord {
  uint64_t epoch = 0;               // 1-based
  double train_loss = 0;            // mean BCE over the epoch's batches (no L2 term)
  // The evaluation at the epoch's end, of the run's selection split (RunRecord::eval_split); 0
  // when the run evaluates nothing.
  double eval_auc = 0, eval_logloss = 0;
  double seconds = 0;               // training time of the epoch (evaluation excluded)
  double eval_seconds = 0;          // every evaluation of the epoch, mid-epoch ones included
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

// One evaluation of the selection split during training: at each epoch's end, and every
// train.eval_every_steps steps.
struct EvalRecord {
  uint64_t epoch = 0, step = 0;     // the epoch it fell in (1-based) and the steps done by then
  double auc = 0, logloss = 0;
  double seconds = 0;
};

struct SplitScore {
  double auc = 0, logloss = 0;
  uint64_t rows = 0;
};

struct RunRecord {
  uint64_t epochs_done = 0;
  uint64_t steps_done = 0;
  bool time_limit_reached = false;  // train.time_limit_seconds ended the run before train.epochs
  bool stopped_early = false;       // train.early_stopping ended the run before train.epochs
  std::string eval_split;           // the selection split: "valid", "test", or "" (nothing evaluated)
  std::vector<EpochRecord> epochs;
  std::vector<EvalRecord> evals;    // in order
  // A signal stopped the run inside epoch epochs_done + 1: what that epoch had done (its steps
  // and counters) and its loss sum, so that --resume continues it from the next step.
  std::optional<EpochRecord> partial;
  double partial_loss_sum = 0;
};

}  // namespace ctr
