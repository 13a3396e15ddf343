// Small, fast, deterministic hashing and seeding helpers (not cryptographic).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ctr {

// splitmix64 finalizer: a bijection on 64-bit values with good avalanche.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline uint64_t hash_combine(uint64_t a, uint64_t b) { return mix64(a ^ mix64(b)); }

// Hash of a byte string: one multiply per 8-byte word, then the mix64 finalizer. Short values
// (Criteo's 8-hex-char ids) cost one word and one finalizer.
inline uint64_t hash_bytes(const char* p, size_t n, uint64_t seed = 0) {
  uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 32;
  }
  return mix64(h);
}

// Equality of two byte strings of length n, inlined for the short values vocabularies hold.
inline bool bytes_equal(const char* a, const char* b, size_t n) {
  while (n >= 8) {
    uint64_t x, y;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    if (x != y) return false;
    a += 8;
    b += 8;
    n -= 8;
  }
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// A uniform double in [0, 1) from 64 random bits.
inline double to_unit(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

}  // namespace ctr
