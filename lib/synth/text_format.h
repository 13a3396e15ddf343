// Hand-rolled integer and hex formatting into a raw buffer: synth writes ~40 values per row at
// over a million rows per second, where snprintf or std::string appends would dominate.
// Each put_* writes at p and returns the new end; callers guarantee the room.
#pragma once

#include <cstdint>
#include <cstring>

namespace ctr {

// 8 lowercase hex digits of v, all at once in a 64-bit word (SWAR): a per-nibble loop with a
// table lookup costs about as much as the rest of a Criteo row's 26 ids put together.
inline char* put_hex8(char* p, uint32_t v) {
  uint64_t x = v;
  // Spread the 8 nibbles into the 8 bytes, least significant nibble in the lowest byte.
  x = ((x & 0xffff0000ULL) << 16) | (x & 0x0000ffffULL);
  x = ((x & 0x0000ff000000ff00ULL) << 8) | (x & 0x000000ff000000ffULL);
  x = ((x & 0x00f000f000f000f0ULL) << 4) | (x & 0x000f000f000f000fULL);
  // Bytes >= 10 get 1 in their low bit: b + 6 carries into bit 4 exactly when b >= 10.
  uint64_t letters = ((x + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;
  x += 0x3030303030303030ULL + letters * ('a' - '0' - 10);
  x = __builtin_bswap64(x);  // the most significant digit goes first in the text
  std::memcpy(p, &x, 8);
  return p + 8;
}

// Decimal digits of v: a few compares for the small values synth mostly writes.
inline int decimal_digits(uint64_t v) {
  int n = 1;
  for (uint64_t limit = 10; v >= limit; limit *= 10) {
    if (++n == 20) break;  // 10^20 does not fit: every larger v has 20 digits
  }
  return n;
}

// Knowing the length first lets the digits go straight to their place, two per division, without
// a variable-length copy (which costs a library call per value).
inline char* put_u64(char* p, uint64_t v) {
  static const char pairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char* end = p + decimal_digits(v);
  char* q = end;
  while (v >= 100) {
    uint64_t rest = v / 100;
    q -= 2;
    std::memcpy(q, pairs + 2 * (v - 100 * rest), 2);
    v = rest;
  }
  if (v >= 10) {
    std::memcpy(q - 2, pairs + 2 * v, 2);
  } else {
    q[-1] = static_cast<char>('0' + v);
  }
  return end;
}

inline char* put_i64(char* p, int64_t v) {
  if (v >= 0) return put_u64(p, static_cast<uint64_t>(v));
  *p++ = '-';
  return put_u64(p, static_cast<uint64_t>(-(v + 1)) + 1);  // -(v+1) cannot overflow at INT64_MIN
}

inline char* put_two_digits(char* p, uint64_t v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

}  // namespace ctr
