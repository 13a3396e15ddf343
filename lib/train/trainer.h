// run_training: `ctrtrain --config FILE` end to end. Epochs over the train split, evaluation on
// the test split after each, metrics.csv / report.json / checkpoints in the run directory, and a
// one-line summary as the last line on stdout (docs/training.md).
#pragma once

#include <string>

#include "config/train_config.h"
#include "train/run_record.h"

namespace ctr {

struct TrainOptions {
  bool resume = false;    // continue from output.dir/checkpoint.ckpt
  bool force = false;     // replace an earlier run's files in output.dir
  bool progress = true;   // progress line (a terminal) or periodic log lines (otherwise) on stderr
};

struct TrainOutcome {
  RunRecord record;
  std::string run_dir;
  std::string summary;
};

TrainOutcome run_training(const TrainConfig& cfg, const TrainOptions& opts);

// Paths inside a run directory.
std::string run_checkpoint_path(const std::string& run_dir);  // DIR/checkpoint.ckpt
std::string run_config_path(const std::string& run_dir);      // DIR/config.resolved.yaml

}  // namespace ctr
