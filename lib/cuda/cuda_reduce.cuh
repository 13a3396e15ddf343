// Deterministic sums for CUDA kernels (include from .cu files only). A grid whose size depends
// only on n gives each thread a fixed set of indices; each block adds its threads' values in a
// fixed tree, and one block adds the block partials in order. So a sum depends on the values and
// the GPU model only, never on timing, as the CPU backend's block_sum does.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

#include "cuda/cuda_check.h"
#include "cuda/cuda_reduce.h"

namespace ctr::cuda {

// Sum of one value per thread over a block of kReduceThreads threads; valid in thread 0.
__device__ inline double block_sum(double v) {
  __shared__ double warp_sums[kReduceThreads / 32];
  for (int off = 16; off > 0; off /= 2) v += __shfl_down_sync(0xffffffffu, v, off);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = 0;
  if (warp == 0) {
    v = lane < kReduceThreads / 32 ? warp_sums[lane] : 0.0;
    for (int off = 16; off > 0; off /= 2) v += __shfl_down_sync(0xffffffffu, v, off);
  }
  __syncthreads();  // warp_sums may be reused by a following block_sum in the same kernel
  return v;
}

// ---- Deterministic column sums of a [rows, cols] matrix: each block owns a tile of `tw` columns
// and all rows; its kColThreads threads split the rows in a fixed interleave and meet in a fixed
// tree, so no partial leaves the block and no atomics are needed.
constexpr int kColThreads = 1024;

// Column-tile width: a power of two so the row lanes of a block form a fixed tree, and at most 8
// (one 32-byte sector per row) so a few hundred columns still give dozens of blocks. Very wide
// matrices have blocks enough, and take full 128-byte rows.
inline int column_tile(size_t cols) {
  if (cols >= 4096) return 32;
  int tw = 1;
  while (tw < 8 && size_t(tw) < cols) tw *= 2;
  return tw;
}

// sh[threadIdx.x] holds one row lane's partial for column lane threadIdx.x % tw; adds the row
// lanes in a fixed pairwise tree. Afterwards sh[c] (c < tw) holds column lane c's total.
__device__ inline void column_tree(double* sh, int tw) {
  const int row_lane = threadIdx.x / tw;
  __syncthreads();
  for (int half = kColThreads / tw / 2; half > 0; half /= 2) {
    if (row_lane < half) sh[threadIdx.x] += sh[threadIdx.x + half * tw];
    __syncthreads();
  }
}

inline int reduce_blocks(size_t n) {
  const size_t per_block = size_t(kReduceThreads) * 8;
  return static_cast<int>(std::max<size_t>(1, std::min<size_t>(kReduceMaxBlocks, (n + per_block - 1) / per_block)));
}

// partials[blockIdx.x] = sum over this block's indices of term(i), i < n.
template <class Term>
__global__ void __launch_bounds__(kReduceThreads) partial_sums_kernel(size_t n, Term term, double* partials) {
  double acc = 0;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) acc += term(i);
  acc = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

// out[0] = (accumulate ? out[0] : 0) + sum of partials[0..blocks), in order of a fixed tree.
__global__ void __launch_bounds__(kReduceThreads) finish_sum_kernel(const double* partials, int blocks, double* out,
                                                                    bool accumulate);

// Queues *out = sum_{i<n} term(i) on the stream; term is a __device__ callable of size_t -> double.
template <class Term>
void device_sum(cudaStream_t stream, size_t n, Term term, SumScratch& scratch, double* out, bool accumulate = false) {
  const int blocks = reduce_blocks(n);
  partial_sums_kernel<<<blocks, kReduceThreads, 0, stream>>>(n, term, scratch.partials());
  CTR_CUDA_CHECK_LAUNCH();
  finish_sum_kernel<<<1, kReduceThreads, 0, stream>>>(scratch.partials(), blocks, out, accumulate);
  CTR_CUDA_CHECK_LAUNCH();
}

// sum_{i<n} term(i) returned to the host (waits for the stream).
template <class Term>
double sum_to_host(cudaStream_t stream, size_t n, Term term, SumScratch& scratch) {
  device_sum(stream, n, term, scratch, scratch.result());
  return scratch.read(scratch.result(), stream);
}

}  // namespace ctr::cuda
