// block_sum: the one way the CPU backend sums many values in parallel. Fixed-size blocks are
// summed by OpenMP threads and the block sums added in order, so the result depends on the
// values only, never on the thread count or timing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace ctr::cpu {

// sum of f(i) for i < n, in double.
template <class F>
double block_sum(size_t n, size_t block, F&& f) {
  const size_t blocks = (n + block - 1) / block;
  std::vector<double> partial(blocks);
#pragma omp parallel for schedule(static) if (n >= (1u << 14))
  for (size_t blk = 0; blk < blocks; ++blk) {
    double acc = 0;
    for (size_t i = blk * block; i < std::min(n, (blk + 1) * block); ++i) acc += f(i);
    partial[blk] = acc;
  }
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace ctr::cpu
