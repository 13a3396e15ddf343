// `ctrtrain --config FILE` (or `ctrtrain train --config FILE`, the same options on a subcommand):
// the training options (--set, --print-config, --resume, --force, --seeds) -> a resolved
// TrainConfig -> run_training, or run_seeds for one run per seed.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/commands.h"
#include "config/train_config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stop_request.h"
#include "train/seed_runs.h"
#include "train/trainer.h"

namespace ctr::app {
namespace {

struct TrainArgs {
  std::string config;
  std::vector<std::string> sets;
  bool print_config = false;
  std::string resume;
  bool force = false;
  bool no_progress = false;
  std::string seeds;  // --seeds S1,S2,...; used when seeds_given (so that `--seeds ""` is an error)
  bool seeds_given = false;
};

TrainConfig resolve_config(const TrainArgs& a) {
  if (!a.resume.empty()) {
    // A run directory carries its own resolved config; --config may replace it (same model).
    std::vector<std::string> sets = a.sets;
    sets.push_back("output.dir=" + a.resume);
    if (!a.config.empty()) return load_config_file(a.config, sets);
    const std::string path = run_config_path(a.resume);
    if (!std::filesystem::exists(path))
      throw UsageError(fmt::format("--resume {}: no config.resolved.yaml there; is it a ctrtrain run directory?",
                                   a.resume));
    return load_config_file(path, sets);
  }
  if (a.config.empty()) throw UsageError("--config FILE is required (or --resume RUN_DIR)");
  return load_config_file(a.config, a.sets);
}

// The training options on `app` (the root or the train subcommand), bound to `a`.
void add_options(CLI::App& app, TrainArgs& a) {
  app.add_option("--config", a.config, "Train with this YAML config (docs/config.md)")->type_name("FILE");
  app.add_option("--set", a.sets, "Override a config key: --set section.key=value (repeatable)")
      ->type_name("KEY=VALUE");
  app.add_flag("--print-config", a.print_config, "Print the fully resolved config (YAML) and exit");
  app.add_option("--resume", a.resume, "Continue the run in this run directory from its last checkpoint")
      ->type_name("RUN_DIR");
  app.add_flag("--force", a.force, "Replace an earlier run's files in output.dir");
  app.add_flag("--no-progress", a.no_progress, "No progress line or periodic log lines on stderr");
  app.add_option_function<std::string>(
         "--seeds",
         [&a](const std::string& v) {
           a.seeds = v;
           a.seeds_given = true;
         },
         "Train once per seed, into output.dir/seed-S, then write the mean, sd and 95% CI of the seeds' "
         "AUC and logloss to output.dir/seeds.json and seeds.md (docs/training.md)")
      ->type_name("S1,S2,...");
}

// --seeds: the checks that need the command line, then one run per seed (seed_runs.h).
void train_seeds(const TrainArgs& a, const TrainOptions& opts) {
  if (!a.resume.empty())
    throw UsageError(
        "--seeds starts fresh runs and cannot be combined with --resume; resume one seed's run "
        "on its own: ctrtrain --resume OUTPUT_DIR/seed-S");
  for (const std::string& s : a.sets) {
    std::string key = s.substr(0, s.find('='));
    key.erase(0, key.find_first_not_of(" \t"));
    key.erase(key.find_last_not_of(" \t") + 1);
    if (key == "train.seed")
      throw UsageError(fmt::format("--seeds sets train.seed of each run; leave out --set {}", s));
  }
  const std::vector<uint64_t> seeds = parse_seed_list(a.seeds);
  const TrainConfig base = resolve_config(a);
  if (a.print_config) {
    // One YAML document per seed: each run's config as it will be trained.
    for (uint64_t seed : seeds)
      std::fputs(fmt::format("--- # seed {}\n{}", seed, config_to_yaml(seed_config(base, seed))).c_str(), stdout);
    return;
  }
  run_seeds(base, seeds, opts);
}

}  // namespace

TrainCommand add_train_options(CLI::App& root) {
  auto a = std::make_shared<TrainArgs>();
  add_options(root, *a);
  TrainCommand c;
  c.cli = root.add_subcommand("train", "Train a model: the same as ctrtrain --config FILE (docs/training.md)");
  add_options(*c.cli, *a);
  CLI::App* sub = c.cli;
  c.requested = [a, sub] {
    return sub->parsed() || !a->config.empty() || !a->resume.empty() || a->print_config || !a->sets.empty() ||
           a->seeds_given;
  };
  c.run = [a] {
    install_stop_handlers();  // Ctrl-C and SIGTERM end training after the current step, with a checkpoint
    TrainOptions opts;
    opts.force = a->force;
    opts.progress = !a->no_progress && info_logging();
    if (a->seeds_given) return train_seeds(*a, opts);
    const TrainConfig cfg = resolve_config(*a);
    if (a->print_config) {
      std::fputs(config_to_yaml(cfg).c_str(), stdout);
      return;
    }
    opts.resume = !a->resume.empty();
    run_training(cfg, opts);
  };
  return c;
}

}  // namespace ctr::app
