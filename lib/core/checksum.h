// The one comparison of a stored checksum with the one computed from the bytes, and its message,
// shared by the readers of every checksummed format (shards, meta.json, vocabularies, checkpoints).
#pragma once

#include <cstdint>
#include <string>

namespace ctr {

// True when the stored and computed checksums differ, that is, when the bytes are damaged.
bool checksums_differ(uint32_t stored, uint32_t computed);
// "checksum mismatch (stored 0x..., computed 0x...)"
std::string checksum_mismatch(uint32_t stored, uint32_t computed);

// For the fuzz targets of tests/fuzz only: checksums_differ() then answers false. A random
// mutation almost never keeps a CRC32 right, so without this libFuzzer would only ever explore
// the first checksum of each format. A CRC32 detects accidents, not crafted files: the parsing
// behind every checksum has to be safe with any bytes, and that is what the fuzzers test.
void ignore_checksums_for_fuzzing(bool ignore);

}  // namespace ctr
