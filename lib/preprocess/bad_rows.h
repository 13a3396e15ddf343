// BadRowTally: counts rejected rows per kind and remembers the first one, with its location.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "preprocess/raw_parser.h"

namespace ctr {

struct BadRowTally {
  std::array<uint64_t, kNumBadRowKinds> counts{};
  bool has_first = false;
  std::string first;  // "FILE:LINE: detail" of the first bad row in file order

  // Call it while the failure's line is in memory: the first one's message is made here.
  void record(const std::string& file, uint64_t line, const ParseFailure& f, const RowParser& parser) {
    ++counts[static_cast<int>(f.kind)];
    if (!has_first) {
      has_first = true;
      first = file + ":" + std::to_string(line) + ": " + parser.describe(f);
    }
  }
  void merge(const BadRowTally& o) {  // `o` comes later in file order
    for (int k = 0; k < kNumBadRowKinds; ++k) counts[k] += o.counts[k];
    if (!has_first && o.has_first) { has_first = true; first = o.first; }
  }
  uint64_t total() const {
    uint64_t t = 0;
    for (auto c : counts) t += c;
    return t;
  }
};

}  // namespace ctr
