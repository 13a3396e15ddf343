// Build, host and clock facts (see system_info.h).
#include "core/system_info.h"

#include <unistd.h>

#include <ctime>

#include "ctr/git_commit.h"

namespace ctr {

const char* build_commit() { return CTR_GIT_COMMIT; }

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "unknown";
  return buf;
}

std::string iso_utc(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ctr
