// ctrtrain entry point: builds the CLI, runs the chosen subcommand, and is the one place that
// turns exceptions into a message and an exit code (0 ok, 1 runtime error, 2 usage error).
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/cli_help.h"
#include "app/commands.h"
#include "app/logging_options.h"
#include "app/version_info.h"
#include "core/error.h"
#include "core/log.h"
#include "core/malloc_tuning.h"

int main(int argc, char** argv) {
  ctr::keep_freed_memory_in_process();
  CLI::App root{"ctrtrain: large-batch CTR model training with CowClip.\n"};
  root.name("ctrtrain");
  root.require_subcommand(0, 1);
  root.option_defaults()->always_capture_default();  // --help shows every default
  bool show_version = false;
  root.add_flag("--version", show_version, "Print version, build type and CUDA support, then exit");
  ctr::app::LoggingArgs logging;
  ctr::app::add_logging_options(root, logging);

  std::vector<ctr::app::Command> commands = {
      ctr::app::add_synth_command(root),
      ctr::app::add_preprocess_command(root),
      ctr::app::add_inspect_command(root),
      ctr::app::add_eval_command(root),
      ctr::app::add_predict_command(root),
      ctr::app::add_report_command(root),
      ctr::app::add_bench_command(root),
      ctr::app::add_export_command(root),
  };
  ctr::app::TrainCommand train = ctr::app::add_train_options(root);
  // Every subcommand takes them too (`ctrtrain preprocess --quiet ...`), bound to the same values.
  for (auto& c : commands) ctr::app::add_logging_options(*c.cli, logging);
  ctr::app::add_logging_options(*train.cli, logging);
  ctr::app::tidy_help(root);

  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return root.exit(e);  // --help
    std::fprintf(stderr, "ctrtrain: usage error: %s%s\nRun 'ctrtrain --help' (or 'ctrtrain "
                 "SUBCOMMAND --help') for the options.\n", e.what(), ctr::app::suggestion_for(root, e).c_str());
    return 2;
  }

  try {
    ctr::init_logging(ctr::app::resolve_log_level(logging));
    if (show_version) {
      std::printf("%s", ctr::app::version_text().c_str());
      return 0;
    }
    for (auto& c : commands) {
      if (c.cli->parsed()) {
        c.run();
        return 0;
      }
    }
    if (train.requested()) {
      train.run();
      return 0;
    }
    std::printf("%s", root.help().c_str());
    return 0;
  } catch (const ctr::Error& e) {
    const int code = e.exit_code();
    std::fprintf(stderr, "ctrtrain: %s%s\n", code == 2 ? "usage error: " : code > 128 ? "" : "error: ", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "ctrtrain: error: out of host memory (lower --threads, the batch size, "
                 "or use a machine with more RAM)\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctrtrain: error: %s\n", e.what());
    return 1;
  }
}
