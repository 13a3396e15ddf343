// Message pieces shared by the readers of our binary formats (shards, checkpoints), so their
// corruption reports read the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ctr {

// "checksum mismatch (stored 0x..., computed 0x...)"
std::string checksum_mismatch(uint32_t stored, uint32_t computed);
// Bytes that should have been a magic string, quoted, with anything unprintable escaped.
std::string shown_bytes(const char* p, size_t n);

}  // namespace ctr
