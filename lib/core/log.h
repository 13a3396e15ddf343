// Logging: what a command reports along the way (run set-up, epochs, timings) goes through one
// spdlog logger on stderr, at a level set once by main (--log-level, --quiet, --verbose). Results
// meant for scripts (training's summary line, inspect's tables, reports, --print-config) are not
// logs: they go to stdout. Progress lines are info-level output, so they follow the level too.
#pragma once

#include <string>

#include <spdlog/spdlog.h>

namespace ctr {

// "trace", "debug", "info", "warn", "error" or "off"; throws UsageError naming the choices.
spdlog::level::level_enum parse_log_level(const std::string& name);
// Makes the stderr logger the default, at `level`.
void init_logging(spdlog::level::level_enum level);
// Whether info lines (and so progress lines) are shown.
inline bool info_logging() { return spdlog::should_log(spdlog::level::info); }

// While alive, the default logger also appends to PATH, each line with a UTC timestamp and its
// level, at info and above even when the console shows less (--quiet); debug too with --verbose.
class LogFile {
 public:
  explicit LogFile(const std::string& path);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

 private:
  std::shared_ptr<spdlog::sinks::sink> sink_;
  spdlog::level::level_enum level_before_;
};

}  // namespace ctr
