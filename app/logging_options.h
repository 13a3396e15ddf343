// The logging options every command takes (--log-level, --quiet, --verbose), on the root and on
// each subcommand alike, bound to one LoggingArgs, and the log level they resolve to.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

namespace ctr::app {

struct LoggingArgs {
  std::string level = "info";
  int level_given = 0;  // how often --log-level appeared, on any command
  bool quiet = false, verbose = false;
};

void add_logging_options(CLI::App& app, LoggingArgs& a);
// The level the options ask for; more than one of them is a UsageError, as is an unknown level.
spdlog::level::level_enum resolve_log_level(const LoggingArgs& a);

}  // namespace ctr::app
