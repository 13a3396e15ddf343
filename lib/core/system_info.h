// Facts a run records about where it ran: the commit the binary was built from, the host, and
// wall-clock times as ISO 8601 UTC strings.
#pragma once

#include <chrono>
#include <string>

namespace ctr {

// `git describe --always --dirty` of the source tree at build time, or "unknown" outside git.
const char* build_commit();
// gethostname(), or "unknown".
std::string host_name();
// "2026-12-03T16:32:20Z".
std::string iso_utc(std::chrono::system_clock::time_point t);

}  // namespace ctr
