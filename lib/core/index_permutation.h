// IndexPermutation: a keyed pseudo-random permutation of [0, n) evaluated index by index, with no
// table to store or sort. A 4-round alternating Feistel network permutes [0, 2^k), the smallest
// power of two >= n, split into a high part of ceil(k/2) bits and a low part of floor(k/2) bits;
// each round XORs one part with a keyed hash of the other, so every round is invertible. Values
// that land outside [0, n) are fed through again ("cycle walking"), which keeps it a bijection on
// [0, n); since 2^k < 2n, that takes under 2 passes on average. The same header compiles for the
// CPU and for CUDA kernels, so every in-memory path (data.cache: host and device, on every
// backend) draws an epoch in the same order.
#pragma once

#include <cstdint>

#include "core/host_device.h"

namespace ctr {

struct IndexPermutation {
  uint64_t n = 0;
  bool identity = true;   // file order (evaluation)
  uint32_t low_bits = 0;  // floor(k/2); the high part has the other ceil(k/2) bits
  uint64_t low_mask = 0, high_mask = 0;
  uint64_t keys[4] = {0, 0, 0, 0};

  static IndexPermutation file_order(uint64_t n) {
    IndexPermutation p;
    p.n = n;
    return p;
  }
  // A different permutation for every (seed, epoch).
  static IndexPermutation shuffled(uint64_t n, uint64_t seed, uint64_t epoch) {
    IndexPermutation p;
    p.n = n;
    p.identity = false;
    uint32_t bits = 0;
    while (bits < 62 && (uint64_t(1) << bits) < n) ++bits;  // n <= 2^62 in practice
    p.low_bits = bits / 2;
    p.low_mask = (uint64_t(1) << p.low_bits) - 1;
    p.high_mask = (uint64_t(1) << (bits - p.low_bits)) - 1;
    uint64_t s = mix(seed ^ 0x5851f42d4c957f2dULL) ^ mix(epoch + 0x14057b7ef767814fULL);
    for (uint64_t& key : p.keys) key = s = mix(s + 0x9e3779b97f4a7c15ULL);
    return p;
  }

  // The row at position i (i < n) of this order.
  CTR_HOST_DEVICE uint64_t operator()(uint64_t i) const {
    if (identity) return i;
    uint64_t x = i;
    do {
      x = round_trip(x);
    } while (x >= n);
    return x;
  }

  // splitmix64's finaliser: a cheap 64-bit mixer with full avalanche.
  CTR_HOST_DEVICE static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  CTR_HOST_DEVICE uint64_t round_trip(uint64_t x) const {
    uint64_t high = x >> low_bits, low = x & low_mask;
    for (int round = 0; round < 4; round += 2) {
      high ^= mix(low ^ keys[round]) & high_mask;
      low ^= mix(high ^ keys[round + 1]) & low_mask;
    }
    return (high << low_bits) | low;
  }
};

}  // namespace ctr
