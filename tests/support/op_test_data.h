// Test data of the op tests: buffers in a backend's memory between guard values, and the random
// inputs fed to them, shared by the every-backend op tables (unit/test_backend_ops.cpp) and the CUDA-vs-CPU
// bit-identity tests (cuda/test_cuda_ops.cpp). A write past either end of a buffer changes a guard
// value, which fetch() reports as a test failure.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "backend/ops.h"
#include "core/rng.h"

namespace ctr::test {

// Guard values on each side of every GuardedBuffer (16 keeps a float buffer's data 64-byte aligned).
constexpr size_t kGuardValues = 16;

inline float float_from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

// The value guards hold: quiet NaNs with payloads no op produces; for indices, a row far outside
// every table.
template <class T>
T guard_value();
template <>
inline float guard_value<float>() {
  return float_from_bits(0x7FC5A5A5u);
}
template <>
inline double guard_value<double>() {
  const uint64_t b = 0x7FF8A5A5A5A5A5A5ull;
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}
template <>
inline uint32_t guard_value<uint32_t>() {
  return 0xA5A5A5A5u;
}
template <>
inline uint64_t guard_value<uint64_t>() {
  return 0xA5A5A5A5A5A5A5A5ull;
}

// What fills outputs an op must overwrite, and input columns it must not read.
inline float poison() { return float_from_bits(0x7FC0FFEEu); }

template <class T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// n values in a backend's memory between kGuardValues guards on each side. get() points past the
// front guard; fetch() downloads the n values and fails the test when a guard changed; unchanged()
// also requires the values to be the initial ones (for inputs).
template <class T>
class GuardedBuffer {
 public:
  GuardedBuffer(MemorySpace& mem, std::vector<T> init, std::string name)
      : name_(std::move(name)), init_(std::move(init)), buf_(mem, init_.size() + 2 * kGuardValues) {
    std::vector<T> host(init_.size() + 2 * kGuardValues, guard_value<T>());
    std::copy(init_.begin(), init_.end(), host.begin() + kGuardValues);
    buf_.upload(host.data(), host.size());  // host -> backend
  }
  GuardedBuffer(Ops<float>& ops, std::vector<T> init, std::string name)
      : GuardedBuffer(ops.memory(), std::move(init), std::move(name)) {}
  T* get() { return buf_.data() + kGuardValues; }
  const T* get() const { return buf_.data() + kGuardValues; }
  size_t size() const { return init_.size(); }
  std::vector<T> fetch() const {
    const size_t n = init_.size();
    std::vector<T> host(n + 2 * kGuardValues);
    buf_.download(host.data(), host.size());  // backend -> host
    const T g = guard_value<T>();
    size_t front = 0, back = 0;
    for (size_t i = 0; i < kGuardValues; ++i) {
      front += !same_bits(host[i], g);
      back += !same_bits(host[kGuardValues + n + i], g);
    }
    INFO(name_ << " [" << n << " values]: " << front << " guard values before it and " << back
               << " after it were overwritten");
    CHECK(front + back == 0);
    return std::vector<T>(host.begin() + kGuardValues, host.begin() + kGuardValues + n);
  }
  void unchanged() const {
    const std::vector<T> got = fetch();
    size_t changed = 0;
    for (size_t i = 0; i < got.size(); ++i) changed += !same_bits(got[i], init_[i]);
    INFO("input " << name_ << ": " << changed << " of " << got.size() << " values changed");
    CHECK(changed == 0);
  }

 private:
  std::string name_;
  std::vector<T> init_;
  Buffer<T> buf_;
};

// n uniform values in [lo, hi) from the seed.
inline std::vector<float> rand_f(size_t n, uint64_t seed, double lo = -1, double hi = 1) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = float(lo + (hi - lo) * rng.unit());
  return v;
}

inline std::vector<float> filled(size_t n, float x) { return std::vector<float>(n, x); }

// Adam moments with |m0| <= sqrt(v0), as real moments have, a fifth of them fresh (zero).
inline void adam_moments(size_t n, uint64_t seed, std::vector<float>& m, std::vector<float>& v) {
  Rng rng(seed);
  m.resize(n);
  v.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (rng.unit() < 0.2) {
      m[i] = v[i] = 0;
      continue;
    }
    const double mm = 0.01 * (2 * rng.unit() - 1);
    m[i] = float(mm);
    v[i] = float(mm * mm * (1 + 3 * rng.unit()) + 1e-8 * rng.unit());
  }
}

// Keras' Adam step size at 1-based step t, in double: lr sqrt(1 - b2^t) / (1 - b1^t).
inline double adam_lr_t(double lr, uint64_t step, double b1 = 0.9, double b2 = 0.999) {
  const double t = double(step);
  return lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
}

}  // namespace ctr::test
