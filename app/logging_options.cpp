// The logging options (see logging_options.h).
#include "app/logging_options.h"

#include "core/error.h"
#include "core/log.h"

namespace ctr::app {

void add_logging_options(CLI::App& app, LoggingArgs& a) {
  app.add_option("--log-level", a.level, "What stderr shows: trace, debug, info, warn, error or off")
      ->each([&a](const std::string&) { ++a.level_given; });
  app.add_flag("--quiet", a.quiet, "Only warnings and errors on stderr: no set-up, epoch or progress lines");
  app.add_flag("--verbose", a.verbose, "Debug lines on stderr too (--log-level debug)");
}

spdlog::level::level_enum resolve_log_level(const LoggingArgs& a) {
  const spdlog::level::level_enum given = parse_log_level(a.level);  // an unknown name is an error either way
  if (int(a.quiet) + int(a.verbose) + int(a.level_given > 0) > 1)
    throw UsageError("--quiet, --verbose and --log-level each set what stderr shows; give one of them");
  return a.quiet ? spdlog::level::warn : a.verbose ? spdlog::level::debug : given;
}

}  // namespace ctr::app
