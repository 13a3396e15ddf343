// `ctrtrain --config FILE`: the root-level training options (--set, --print-config, --resume,
// --force) -> a resolved TrainConfig -> run_training.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/commands.h"
#include "config/train_config.h"
#include "core/error.h"
#include "core/log.h"
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

}  // namespace

TrainCommand add_train_options(CLI::App& root) {
  auto a = std::make_shared<TrainArgs>();
  root.add_option("--config", a->config, "Train with this YAML config (docs/config.md)");
  root.add_option("--set", a->sets, "Override a config key: --set section.key=value (repeatable)")
      ->type_name("KEY=VALUE");
  root.add_flag("--print-config", a->print_config, "Print the fully resolved config (YAML) and exit");
  root.add_option("--resume", a->resume, "Continue the run in this run directory from its last checkpoint")
      ->type_name("RUN_DIR");
  root.add_flag("--force", a->force, "Replace an earlier run's files in output.dir");
  root.add_flag("--no-progress", a->no_progress, "No progress line or periodic log lines on stderr");
  TrainCommand c;
  c.requested = [a] { return !a->config.empty() || !a->resume.empty() || a->print_config || !a->sets.empty(); };
  c.run = [a] {
    const TrainConfig cfg = resolve_config(*a);
    if (a->print_config) {
      std::fputs(config_to_yaml(cfg).c_str(), stdout);
      return;
    }
    TrainOptions opts;
    opts.resume = !a->resume.empty();
    opts.force = a->force;
    opts.progress = !a->no_progress && info_logging();
    run_training(cfg, opts);
  };
  return c;
}

}  // namespace ctr::app
