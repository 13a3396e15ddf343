// Stored-versus-computed checksum comparison (see checksum.h).
#include "core/checksum.h"

#include <atomic>

#include <fmt/format.h>

namespace ctr {
namespace {
std::atomic<bool> g_ignore_checksums{false};
}  // namespace

bool checksums_differ(uint32_t stored, uint32_t computed) {
  return stored != computed && !g_ignore_checksums.load(std::memory_order_relaxed);
}

std::string checksum_mismatch(uint32_t stored, uint32_t computed) {
  return fmt::format("checksum mismatch (stored 0x{:08x}, computed 0x{:08x})", stored, computed);
}

void ignore_checksums_for_fuzzing(bool ignore) { g_ignore_checksums.store(ignore); }

}  // namespace ctr
