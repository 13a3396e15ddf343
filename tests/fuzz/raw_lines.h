// The raw-file path preprocess takes, for fuzz_raw_criteo and fuzz_raw_avazu: open the file (gzip
// and zstd detected by their magic bytes), cut it into lines, check the Avazu header, parse
// every line.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/schema.h"

namespace ctr::fuzz {

void parse_raw_file(DatasetKind kind, const uint8_t* data, size_t size);

}  // namespace ctr::fuzz
