// Unit tests for byte sizes as people write them (parse_byte_size) and as ctrtrain prints them
// (format_bytes): suffixes, decimals, refusals and the 2^63 ceiling.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>

#include "core/byte_size.h"

using namespace ctr;

TEST_CASE("parse_byte_size reads plain counts and binary suffixes", "[core]") {
  CHECK(parse_byte_size("0") == std::optional<uint64_t>(0));
  CHECK(parse_byte_size("4096") == std::optional<uint64_t>(4096));
  CHECK(parse_byte_size("512B") == std::optional<uint64_t>(512));
  CHECK(parse_byte_size("1K") == std::optional<uint64_t>(1024));
  CHECK(parse_byte_size("1k") == std::optional<uint64_t>(1024));
  CHECK(parse_byte_size("1KiB") == std::optional<uint64_t>(1024));
  CHECK(parse_byte_size("1KB") == std::optional<uint64_t>(1024));
  CHECK(parse_byte_size("512M") == std::optional<uint64_t>(512ull << 20));
  CHECK(parse_byte_size("8G") == std::optional<uint64_t>(8ull << 30));
  CHECK(parse_byte_size("8 GiB") == std::optional<uint64_t>(8ull << 30));
  CHECK(parse_byte_size("1.5G") == std::optional<uint64_t>(3ull << 29));
  CHECK(parse_byte_size("2T") == std::optional<uint64_t>(2ull << 40));
}

TEST_CASE("parse_byte_size refuses what is not a size", "[core]") {
  for (const char* bad : {"", "G", "-1", "1.5", "1..5G", "1X", "1 G B", "8GiBs", "1P", " 8G", "0x10"}) {
    INFO(bad);
    CHECK_FALSE(parse_byte_size(bad).has_value());
  }
  CHECK(parse_byte_size("8388607T").has_value());       // just under 2^63
  CHECK_FALSE(parse_byte_size("8388608T").has_value());  // 2^63 exactly
  CHECK_FALSE(parse_byte_size("99999999999999999999").has_value());
}

TEST_CASE("format_bytes prints three significant digits in binary units", "[core]") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1024) == "1.00 KiB");
  CHECK(format_bytes(3ull << 29) == "1.50 GiB");
  CHECK(format_bytes(50ull << 20) == "50.0 MiB");
  CHECK(format_bytes(12ull << 40) == "12.0 TiB");
  CHECK(format_bytes(500ull << 30) == "500 GiB");
}
