// Each subcommand registers its options on the CLI and returns the action to run once parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace ctr::app {

struct Command {
  CLI::App* cli = nullptr;
  std::function<void()> run;  // throws ctr::Error / ctr::UsageError; main() reports them
};

Command add_synth_command(CLI::App& root);
Command add_preprocess_command(CLI::App& root);
Command add_inspect_command(CLI::App& root);
Command add_eval_command(CLI::App& root);
Command add_predict_command(CLI::App& root);
Command add_report_command(CLI::App& root);
Command add_bench_command(CLI::App& root);
Command add_export_command(CLI::App& root);

// Training lives on the root command (`ctrtrain --config FILE`) and, with the same options, on the
// `train` subcommand.
struct TrainCommand {
  CLI::App* cli = nullptr;          // the train subcommand
  std::function<bool()> requested;  // the subcommand or any training option was given
  std::function<void()> run;
};
TrainCommand add_train_options(CLI::App& root);

}  // namespace ctr::app
