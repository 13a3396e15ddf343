// Fuzz target: the YAML config loader and validator, --set overrides included.
//
// Input: the YAML text, then optionally a NUL byte and --set arguments, one per line. What is
// accepted must round-trip: config_to_yaml's text parses back to an equal config (the promise
// of train_config.h), and its scaling resolves.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/train_config.h"
#include "core/error.h"
#include "fuzz/fuzz_support.h"

namespace {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    out.emplace_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = ctr::fuzz::as_text(data, size);
  const size_t nul = input.find('\0');
  const std::string yaml(input.substr(0, nul));
  const std::vector<std::string> overrides =
      nul == std::string_view::npos ? std::vector<std::string>() : split_lines(input.substr(nul + 1));
  const std::string base = ctr::fuzz::scratch_dir();
  return ctr::fuzz::run_input([&] {
    const ctr::TrainConfig cfg = ctr::parse_config_text(yaml, "fuzz.yaml", base, overrides);
    std::string written;
    try {
      written = ctr::config_to_yaml(cfg);
      if (ctr::parse_config_text(written, "resolved.yaml", base) != cfg) {
        std::fprintf(stderr, "fuzz finding: the resolved config parses back different:\n%s\n", written.c_str());
        std::abort();
      }
      ctr::resolve_scaling(cfg);
    } catch (const ctr::Error& e) {
      std::fprintf(stderr, "fuzz finding: an accepted config fails once resolved: %s\n%s\n", e.what(),
                   written.c_str());
      std::abort();
    }
  });
}
