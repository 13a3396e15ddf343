// Message pieces shared by the readers of our binary formats (shards, checkpoints), so their
// corruption reports read the same (checksum messages: core/checksum.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ctr {

// Bytes that should have been a magic string, quoted, with anything unprintable escaped.
std::string shown_bytes(const char* p, size_t n);

}  // namespace ctr
