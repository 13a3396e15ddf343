// Weight initialisers (see init.h).
#include "model/init.h"

#include <cmath>

#include "core/hash.h"
#include "core/rng.h"

namespace ctr {
namespace {
constexpr size_t kChunk = 1 << 16;  // values per independent RNG stream

uint64_t stream_seed(uint64_t seed, const std::string& stream) {
  return hash_combine(seed, hash_bytes(stream.data(), stream.size()));
}
}  // namespace

void fill_normal(std::vector<double>& out, size_t n, double stddev, uint64_t seed, const std::string& stream) {
  out.resize(n);
  const uint64_t base = stream_seed(seed, stream);
  const size_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
  for (size_t c = 0; c < chunks; ++c) {
    Rng rng = Rng::derive(base, c);
    for (size_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) out[i] = stddev * rng.normal();
  }
}

void fill_glorot_normal(std::vector<double>& out, size_t n, size_t fan_in, size_t fan_out, uint64_t seed,
                        const std::string& stream) {
  out.resize(n);
  // 0.8796 is the stddev of a unit normal truncated at +-2; dividing restores the target variance.
  const double stddev = std::sqrt(2.0 / double(fan_in + fan_out)) / 0.87962566103423978;
  Rng rng(stream_seed(seed, stream));
  for (size_t i = 0; i < n; ++i) {
    double x;
    do x = rng.normal();
    while (std::fabs(x) > 2.0);
    out[i] = stddev * x;
  }
}

}  // namespace ctr
