// Rng: a small deterministic PRNG (xoshiro256**) with our own bounded/normal draws, so that
// results are bit-identical across standard libraries (std:: distributions are not).
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

#include "core/hash.h"

namespace ctr {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (auto& w : s_) { x = mix64(x); w = x; }
  }
  // A generator for sub-stream `stream` of `seed` (e.g. per epoch, per field).
  static Rng derive(uint64_t seed, uint64_t stream) { return Rng(hash_combine(seed, stream)); }

  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift with rejection: unbiased).
  uint64_t uniform(uint64_t n) {
    __uint128_t m = static_cast<__uint128_t>(next_u64()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<__uint128_t>(next_u64()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }
  double unit() { return to_unit(next_u64()); }  // [0, 1)
  double normal() {  // Box-Muller; one value per call keeps the stream simple
    double u1 = unit(), u2 = unit();
    return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Fisher-Yates shuffle with Rng (deterministic across platforms).
template <class It>
void shuffle_range(It first, It last, Rng& rng) {
  auto n = last - first;
  for (decltype(n) i = n - 1; i > 0; --i) {
    auto j = static_cast<decltype(n)>(rng.uniform(static_cast<uint64_t>(i) + 1));
    std::swap(first[i], first[j]);
  }
}

}  // namespace ctr
