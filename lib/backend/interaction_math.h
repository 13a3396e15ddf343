// DLRM's dot interaction for one sample, written once for the CPU loop (backend/cpu_ctr_layers.cpp)
// and the CUDA kernels (cuda/cuda_ctr_layers.cu), so both sum in one order and agree bit for bit.
//
// The sample holds n vectors z_0..z_{n-1} of dim values each, contiguous (z_0 is the bottom MLP's
// output, z_1.. the field embeddings). Its output is [dim + n(n-1)/2]: z_0 itself, then the dot
// z_i . z_j of every pair i > j in the order (1,0), (2,0), (2,1), (3,0), ... : the lower triangle
// row by row, without the diagonal, as MLPerf's DLRM (Naumov et al. 2019, "dot" interaction).
#pragma once

#include <cstddef>

#include "core/host_device.h"

namespace ctr {

// Number of distinct pairs among n vectors.
CTR_HOST_DEVICE inline size_t interaction_pairs(size_t n) { return n * (n - 1) / 2; }

// Output column (after the dim columns of z_0) of the pair i > j.
CTR_HOST_DEVICE inline size_t interaction_pair_index(size_t i, size_t j) { return i * (i - 1) / 2 + j; }

// The pair (i, j), i > j, at pair column p: the inverse of interaction_pair_index.
CTR_HOST_DEVICE inline void interaction_pair_of(size_t p, size_t* i, size_t* j) {
  size_t row = 1;
  while (interaction_pair_index(row + 1, 0) <= p) ++row;  // n is small (fields + 1)
  *i = row;
  *j = p - interaction_pair_index(row, 0);
}

// z_i . z_j, summed in index order.
template <class T>
CTR_HOST_DEVICE T interaction_dot(const T* z, size_t dim, size_t i, size_t j) {
  const T* a = z + i * dim;
  const T* b = z + j * dim;
  T acc = T(0);
  for (size_t d = 0; d < dim; ++d) acc = rn::add(acc, rn::mul(a[d], b[d]));
  return acc;
}

// The gradient at z_k[d] given the output gradient dout [dim + pairs]: dout[d] when k == 0 (the
// copy of z_0), plus sum over j != k, in ascending j, of dout(pair k,j) * z_j[d].
template <class T>
CTR_HOST_DEVICE T interaction_grad(const T* z, const T* dout, size_t n, size_t dim, size_t k, size_t d) {
  T acc = k == 0 ? dout[d] : T(0);
  const T* dpair = dout + dim;
  for (size_t j = 0; j < n; ++j) {
    if (j == k) continue;
    const size_t p = k > j ? interaction_pair_index(k, j) : interaction_pair_index(j, k);
    acc = rn::add(acc, rn::mul(dpair[p], z[j * dim + d]));
  }
  return acc;
}

}  // namespace ctr
