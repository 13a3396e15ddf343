// IndexPermutation: a keyed pseudo-random permutation of [0, n) evaluated index by index, with no
// table to store or sort. A 4-round Feistel network permutes [0, 4^h) (the smallest such range
// >= n); values that land outside [0, n) are fed through again ("cycle walking"), which keeps it a
// bijection on [0, n). The same header compiles for the CPU and for CUDA kernels, so a split held
// in backend memory (data.cache: device) is drawn in the same order on every backend.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define CTR_HOST_DEVICE __host__ __device__
#else
#define CTR_HOST_DEVICE
#endif

namespace ctr {

struct IndexPermutation {
  uint64_t n = 0;
  bool identity = true;   // file order (evaluation)
  uint32_t half_bits = 0;
  uint64_t half_mask = 0;
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
    while ((uint64_t(1) << (2 * p.half_bits)) < n) ++p.half_bits;  // n <= 2^62 in practice
    p.half_mask = (uint64_t(1) << p.half_bits) - 1;
    uint64_t s = mix(seed ^ 0x5851f42d4c957f2dULL) ^ mix(epoch + 0x14057b7ef767814fULL);
    for (uint64_t& k : p.keys) k = s = mix(s + 0x9e3779b97f4a7c15ULL);
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
    uint64_t l = x >> half_bits, r = x & half_mask;
    for (int k = 0; k < 4; ++k) {
      const uint64_t f = mix(r ^ keys[k]) & half_mask;
      const uint64_t next_r = l ^ f;
      l = r;
      r = next_r;
    }
    return (l << half_bits) | r;
  }
};

}  // namespace ctr
