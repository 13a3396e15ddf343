// seconds_since: wall seconds on the steady clock since a time point; the one spelling of it.
#pragma once

#include <chrono>

namespace ctr {

using SteadyClock = std::chrono::steady_clock;

inline double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

}  // namespace ctr
