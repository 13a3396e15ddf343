// Message pieces for binary-format readers (see format_text.h).
#include "core/format_text.h"

#include <fmt/format.h>

namespace ctr {

std::string shown_bytes(const char* p, size_t n) {
  std::string s = "\"";
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    s += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? std::string(1, static_cast<char>(c))
                                                          : fmt::format("\\x{:02x}", c);
  }
  return s + "\"";
}

}  // namespace ctr
