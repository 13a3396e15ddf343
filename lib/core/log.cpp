// The stderr logger (see log.h).
#include "core/log.h"

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "core/error.h"

namespace ctr {

namespace {

// %* : nothing for info lines, which read as plain text; "warning: ", "debug: ", ... otherwise.
class LevelPrefix final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    if (msg.level == spdlog::level::info) return;
    const char* name = msg.level == spdlog::level::warn ? "warning" : msg.level == spdlog::level::err ? "error"
                       : msg.level == spdlog::level::critical ? "critical" : msg.level == spdlog::level::debug ? "debug"
                                                                                                              : "trace";
    static const char kSep[] = ": ";
    dest.append(name, name + std::char_traits<char>::length(name));
    dest.append(kSep, kSep + 2);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<LevelPrefix>(); }
};

}  // namespace

spdlog::level::level_enum parse_log_level(const std::string& name) {
  static const std::pair<const char*, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"off", spdlog::level::off}};
  for (const auto& [spelling, level] : kLevels)
    if (name == spelling) return level;
  throw UsageError(fmt::format("--log-level {}: expected trace, debug, info, warn, error or off", name));
}

void init_logging(spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>("ctrtrain", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelPrefix>('*').set_pattern("%*%v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

LogFile::LogFile(const std::string& path) {
  const auto logger = spdlog::default_logger();
  level_before_ = logger->level();
  try {
    sink_ = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  } catch (const spdlog::spdlog_ex& e) {
    throw Error(fmt::format("{}: cannot open the log file: {}", path, e.what()));
  }
  sink_->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %-7l %v",
                                                                   spdlog::pattern_time_type::utc));
  sink_->set_level(std::min(level_before_, spdlog::level::info));
  // The console keeps its level through its sink; the logger lets the file's lines through.
  for (auto& s : logger->sinks()) s->set_level(level_before_);
  logger->sinks().push_back(sink_);
  logger->set_level(std::min(level_before_, spdlog::level::info));
  logger->flush_on(spdlog::level::info);  // a killed run's log still ends where it stopped
}

LogFile::~LogFile() {
  const auto logger = spdlog::default_logger();
  logger->flush();
  auto& sinks = logger->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  logger->set_level(level_before_);
}

}  // namespace ctr
