// Facts about where ctrtrain runs: the commit the binary was built from, the host, its memory, and
// wall-clock times as ISO 8601 UTC strings.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ctr {

// `git describe --always --dirty` of the source tree at build time, or "unknown" outside git.
const char* build_commit();
// gethostname(), or "unknown".
std::string host_name();
// The host's RAM in all, or 0 when the system does not say.
uint64_t physical_memory_bytes();
// RAM the host can give a process now without swapping: /proc/meminfo's MemAvailable (which counts
// reclaimable page cache as available), or 0 when the system does not say.
uint64_t host_memory_available_bytes();
// "2026-12-03T16:32:20Z".
std::string iso_utc(std::chrono::system_clock::time_point t);

}  // namespace ctr
