// Hand-rolled integer and hex formatting into a raw buffer: synth writes ~40 values per row at
// over a million rows per second, where snprintf or std::string appends would dominate.
// Each put_* writes at p and returns the new end; callers guarantee the room.
#pragma once

#include <cstdint>
#include <cstring>

namespace ctr {

inline char* put_hex8(char* p, uint32_t v) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 7; i >= 0; --i) {
    p[i] = digits[v & 0xf];
    v >>= 4;
  }
  return p + 8;
}

inline char* put_u64(char* p, uint64_t v) {
  char buf[20];
  int i = 20;
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  std::memcpy(p, buf + i, static_cast<size_t>(20 - i));
  return p + (20 - i);
}

inline char* put_i64(char* p, int64_t v) {
  if (v >= 0) return put_u64(p, static_cast<uint64_t>(v));
  *p++ = '-';
  return put_u64(p, static_cast<uint64_t>(-(v + 1)) + 1);
}

inline char* put_two_digits(char* p, uint64_t v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

}  // namespace ctr
