// Several seeds of one config (ctrtrain --seeds): one run per seed in <output.dir>/seed-<S>, then
// <output.dir>/seeds.json and seeds.md with each seed's figures and their mean, sd and 95% CI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/train_config.h"
#include "train/run_summary.h"
#include "train/trainer.h"

namespace ctr {

// "1,2,3" -> {1, 2, 3}, in the given order. A UsageError naming --seeds for an empty list or
// entry, an entry that is not a non-negative integer (or beyond 64 bits), and a repeated seed.
std::vector<uint64_t> parse_seed_list(const std::string& text);

// <base_dir>/seed-<seed>
std::string seed_run_dir(const std::string& base_dir, uint64_t seed);
// The run of one seed: train.seed = seed, output.dir = seed_run_dir(base's output.dir), name
// <name>-s<seed> (so `ctrtrain report` tells the seeds apart).
TrainConfig seed_config(const TrainConfig& base, uint64_t seed);

struct SeedsOutcome {
  std::vector<RunSummary> runs;  // in the order of the seeds
  std::string dir;               // the base output.dir, which holds seeds.json and seeds.md
  std::string markdown, summary;
};

// Refuses (UsageError) seed directories or a seeds.json of an earlier sequence unless
// opts.force, trains each seed in turn with run_training, writes dir/seeds.json and dir/seeds.md,
// and prints the markdown and then the one-line summary on stdout. A failed seed stops the
// sequence with an error naming it; the finished seeds' runs stay, and no seeds.json is written.
SeedsOutcome run_seeds(const TrainConfig& base, const std::vector<uint64_t>& seeds, const TrainOptions& opts);

// What run_seeds writes, from the runs read back with read_run_summary. `name` is the base
// config's name.
std::string seeds_json(const std::string& name, const std::string& dir, const std::vector<RunSummary>& runs);
std::string seeds_markdown(const std::string& name, const std::vector<RunSummary>& runs);
// "test AUC 0.80123 ± 0.00042 (95% CI [0.79919, 0.80327], 3 seeds)  logloss ... | seeds 1,2,3,
// mean train 12.3 s | DIR"; ± is the sample standard deviation.
std::string seeds_summary_line(const std::vector<RunSummary>& runs, const std::string& dir);

}  // namespace ctr
