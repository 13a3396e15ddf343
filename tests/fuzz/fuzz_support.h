// What every fuzz target shares: the libFuzzer entry points' contract, a scratch directory for
// the readers that take paths, and the rule that tells an expected rejection from a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

// libFuzzer's entry points; tests/fuzz/replay_main.cpp calls the same ones in builds without it.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace ctr::fuzz {

// Once per process: logging off (a rejection is expected, its warning is noise) and checksums
// ignored (core/checksum.h says why).
void init_target();

// This process's scratch directory (in /dev/shm when there is one: every input is written to a
// file, and a disk would be the bottleneck). Removed at exit.
const std::string& scratch_dir();
// Writes `bytes` to scratch_dir()/name (creating parent directories) and returns the path.
std::string write_scratch(const std::string& name, std::string_view bytes);

// Runs one input. A ctr::Error is the answer to bad bytes and ends the input quietly. Anything
// else is a finding and aborts, so libFuzzer records the input: a ctr::InternalError (a CTR_CHECK
// the input reached), or any exception that is not a ctr::Error (std::bad_alloc, a library's
// own exception the code let through).
int run_input(const std::function<void()>& body);

// The input as text.
inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace ctr::fuzz
