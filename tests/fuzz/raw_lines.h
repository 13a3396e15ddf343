// The raw-file path preprocess takes, for fuzz_raw_criteo, fuzz_raw_avazu and fuzz_schema: open
// the file (gzip and zstd detected by their magic bytes), cut it into lines, check the header
// where the schema has one, parse every line.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataset/public_datasets.h"
#include "dataset/schema.h"

namespace ctr::fuzz {

void parse_raw_file(const Schema& schema, const uint8_t* data, size_t size);

}  // namespace ctr::fuzz
