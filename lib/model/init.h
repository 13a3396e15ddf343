// Weight initialisers, run on the host with our own RNG and then uploaded, so every backend
// starts from bit-identical weights (the CPU/CUDA parity tests rely on it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ctr {

// n values of N(0, stddev); value i depends only on (seed, stream, i), so chunks can be filled in parallel.
void fill_normal(std::vector<double>& out, size_t n, double stddev, uint64_t seed, const std::string& stream);
// Keras' glorot_normal: a normal truncated at 2 sigma, sigma = sqrt(2 / (fan_in + fan_out)) / 0.8796.
void fill_glorot_normal(std::vector<double>& out, size_t n, size_t fan_in, size_t fan_out, uint64_t seed,
                        const std::string& stream);

}  // namespace ctr
