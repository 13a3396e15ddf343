// Sizes in bytes as people write them ("8G", "512M", "1.5T", "4096") and as ctrtrain prints them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctr {

// A count of bytes, optionally with a binary suffix K, M, G or T (KiB = 1024; "KiB", "GB" and
// lower case are accepted as the same). A decimal point is allowed before a suffix ("1.5G").
// nullopt for anything else, or above 2^63: callers say where the text came from.
std::optional<uint64_t> parse_byte_size(std::string_view text);

// "512 B", "3.2 KiB", "1.50 GiB", "12.0 TiB": three significant digits, binary units.
std::string format_bytes(uint64_t bytes);

}  // namespace ctr
