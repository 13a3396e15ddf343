// CUDA kernels for the CTR layers (cuda_ctr_layers.h), written to reproduce backend/cpu_ctr_layers.cpp.
#include "cuda/cuda_ctr_layers.h"

#include <algorithm>
#include <climits>

#include "backend/interaction_math.h"
#include "core/error.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_reduce.cuh"

namespace ctr::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarpsPerBlock = kThreads / 32;
// Grid-stride loops cover any n; more blocks than this only add scheduling overhead.
constexpr size_t kMaxBlocks = 8192;
constexpr unsigned kFullMask = 0xffffffffu;

int grid_for(size_t n) { return static_cast<int>(std::min(kMaxBlocks, (n + kThreads - 1) / kThreads)); }
int warp_grid_for(size_t samples) {
  return static_cast<int>(std::min(kMaxBlocks, (samples + kWarpsPerBlock - 1) / kWarpsPerBlock));
}

// 32-bit index math is much cheaper than 64-bit division; it is safe while i + grid stride
// cannot wrap, which n < 2^31 guarantees (the stride is at most kMaxBlocks * kThreads).
bool fits_u32(size_t n) { return n < (size_t(1) << 31); }

// Fixed shuffle tree, then lane 0's total to every lane: the same bits on every run.
__device__ float warp_sum(float v) {
  for (int off = 16; off > 0; off /= 2) v += __shfl_down_sync(kFullMask, v, off);
  return __shfl_sync(kFullMask, v, 0);
}

// The _rn intrinsics below keep each product and sum separately rounded: nvcc would otherwise
// fuse them into FMAs, which the CPU reference (built without FMA) does not do.

// One thread per sample adds in the CPU's order, so the logit matches it bit for bit.
__global__ void linear_forward_kernel(const float* lin_table, const uint32_t* rows_idx, const float* dense,
                                      const float* w_dense, size_t batch, size_t fields, size_t num_dense, float* out) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t b = size_t(blockIdx.x) * blockDim.x + threadIdx.x; b < batch; b += stride) {
    const uint32_t* idx = rows_idx + b * fields;
    const float* x = dense + b * num_dense;
    float acc = 0.0f;
    for (size_t f = 0; f < fields; ++f) acc = __fadd_rn(acc, lin_table[idx[f]]);
    for (size_t j = 0; j < num_dense; ++j) acc = __fadd_rn(acc, __fmul_rn(x[j], w_dense[j]));
    out[b] = acc;
  }
}

// A warp per sample, a lane per embedding dimension (coalesced across d); each lane's term is
// the CPU's, and the terms are added over d in order, so the result matches it bit for bit.
__global__ void fm_forward_kernel(const float* x, size_t stride, size_t batch, size_t fields, size_t dim, float* out) {
  const int lane = threadIdx.x % 32;
  const size_t warps = size_t(gridDim.x) * kWarpsPerBlock;
  for (size_t b = size_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; b < batch; b += warps) {
    const float* e = x + b * stride;
    float acc = 0.0f;
    for (size_t d0 = 0; d0 < dim; d0 += 32) {
      const size_t d = d0 + lane;
      float term = 0.0f;
      if (d < dim) {
        float sum = 0.0f, sum_sq = 0.0f;
        for (size_t f = 0; f < fields; ++f) {
          const float v = e[f * dim + d];
          sum = __fadd_rn(sum, v);
          sum_sq = __fadd_rn(sum_sq, __fmul_rn(v, v));
        }
        term = __fsub_rn(__fmul_rn(sum, sum), sum_sq);
      }
      const int count = dim - d0 < 32 ? static_cast<int>(dim - d0) : 32;
      for (int src = 0; src < count; ++src) acc = __fadd_rn(acc, __shfl_sync(kFullMask, term, src));
    }
    if (lane == 0) out[b] = __fmul_rn(0.5f, acc);
  }
}

// One thread per (sample, dimension): the CPU's inner loops exactly.
template <class I>
__global__ void fm_backward_kernel(const float* x, size_t stride, const float* dout, I batch, size_t fields, I dim,
                                   float* dx) {
  const I total = batch * dim;
  const I grid_stride = I(gridDim.x) * blockDim.x;
  for (I i = I(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += grid_stride) {
    const size_t b = i / dim, d = i % dim;
    const float* e = x + b * stride + d;
    float* de = dx + b * stride + d;
    float sum = 0.0f;
    for (size_t f = 0; f < fields; ++f) sum = __fadd_rn(sum, e[f * dim]);
    const float g = dout[b];
    for (size_t f = 0; f < fields; ++f) de[f * dim] = __fadd_rn(de[f * dim], __fmul_rn(g, __fsub_rn(sum, e[f * dim])));
  }
}

// A warp per sample: the dot product over k is split across lanes (coalesced) and closed by
// warp_sum, so only its summation order differs from the CPU.
__global__ void dcn_cross_forward_kernel(const float* x0, const float* xl, const float* w, const float* bias,
                                         size_t batch, size_t k, float* s, float* out) {
  const int lane = threadIdx.x % 32;
  const size_t warps = size_t(gridDim.x) * kWarpsPerBlock;
  for (size_t b = size_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; b < batch; b += warps) {
    const float* a = xl + b * k;
    float dot = 0.0f;
    for (size_t j = lane; j < k; j += 32) dot = __fadd_rn(dot, __fmul_rn(a[j], w[j]));
    dot = warp_sum(dot);
    if (lane == 0) s[b] = dot;
    const float* x = x0 + b * k;
    float* o = out + b * k;
    for (size_t j = lane; j < k; j += 32) o[j] = __fadd_rn(__fadd_rn(__fmul_rn(x[j], dot), bias[j]), a[j]);
  }
}

// The per-sample half of dcn_cross_backward (a warp per sample). ds[b] = dout[b]·x0[b] is needed
// again by the column sums, and the interface has no buffer for it, so it is parked in
// dxl[b, 0]; cross_restore_kernel writes that element's real value once the sums have run.
__global__ void cross_rows_kernel(const float* x0, const float* w, const float* s, const float* dout, size_t batch,
                                  size_t k, float* dx0, float* dxl) {
  const int lane = threadIdx.x % 32;
  const size_t warps = size_t(gridDim.x) * kWarpsPerBlock;
  for (size_t b = size_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; b < batch; b += warps) {
    const size_t row = b * k;
    const float* g = dout + row;
    const float* x = x0 + row;
    float dot = 0.0f;
    for (size_t j = lane; j < k; j += 32) dot = __fadd_rn(dot, __fmul_rn(g[j], x[j]));
    dot = warp_sum(dot);
    const float sb = s[b];
    for (size_t j = lane; j < k; j += 32) {
      const float gj = g[j];
      dx0[row + j] = __fadd_rn(dx0[row + j], __fmul_rn(gj, sb));
      dxl[row + j] = j == 0 ? dot : __fadd_rn(gj, __fmul_rn(dot, w[j]));
    }
  }
}

// dw[j] = sum_b ds[b] xl[b, j] and dbias[j] = sum_b dout[b, j]: one block per column tile over
// all rows, each thread adding its rows in row order in double, then a fixed tree (column_tree).
__global__ void __launch_bounds__(kColThreads)
    cross_cols_kernel(const float* xl, const float* dout, const float* dxl, size_t batch, size_t k, int tw, float* dw,
                      float* dbias) {
  __shared__ double sh_w[kColThreads];
  __shared__ double sh_b[kColThreads];
  const int col_lane = threadIdx.x % tw;
  const size_t step = kColThreads / tw;
  const size_t j = size_t(blockIdx.x) * tw + col_lane;
  double acc_w = 0, acc_b = 0;
  if (j < k) {
    size_t r = threadIdx.x / tw;
    // Two rows' loads in flight per thread; the additions keep plain row order. A product of
    // two floats is exact in double, so FMA contraction cannot change acc_w.
    for (; r + step < batch; r += 2 * step) {
      const size_t r2 = r + step;
      const float ds1 = dxl[r * k], x1 = xl[r * k + j], g1 = dout[r * k + j];
      const float ds2 = dxl[r2 * k], x2 = xl[r2 * k + j], g2 = dout[r2 * k + j];
      acc_w += double(ds1) * double(x1);
      acc_b += g1;
      acc_w += double(ds2) * double(x2);
      acc_b += g2;
    }
    if (r < batch) {
      acc_w += double(dxl[r * k]) * double(xl[r * k + j]);
      acc_b += dout[r * k + j];
    }
  }
  sh_w[threadIdx.x] = acc_w;
  sh_b[threadIdx.x] = acc_b;
  column_tree(sh_w, tw);
  column_tree(sh_b, tw);
  if (threadIdx.x < tw && j < k) {
    dw[j] = static_cast<float>(sh_w[threadIdx.x]);
    dbias[j] = static_cast<float>(sh_b[threadIdx.x]);
  }
}

// Replaces the ds[b] parked in dxl[b, 0] with dout[b, 0] + ds[b] * w[0].
__global__ void cross_restore_kernel(const float* w, const float* dout, size_t batch, size_t k, float* dxl) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t b = size_t(blockIdx.x) * blockDim.x + threadIdx.x; b < batch; b += stride) {
    const size_t i = b * k;
    dxl[i] = __fadd_rn(dout[i], __fmul_rn(dxl[i], w[0]));
  }
}

__global__ void dcnv2_combine_kernel(const float* x0, const float* u, const float* xl, float* out, size_t n) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = __fadd_rn(__fmul_rn(x0[i], u[i]), xl[i]);
}

__global__ void dcnv2_combine_backward_kernel(const float* x0, const float* u, const float* dout, float* dx0,
                                               float* du, size_t n) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float g = dout[i], x = x0[i];  // read before writing: du may alias dout
    dx0[i] = __fadd_rn(dx0[i], __fmul_rn(g, u[i]));
    du[i] = __fmul_rn(g, x);
  }
}

// A thread per output value (sample b, column c of dim + pairs); each computes it as the CPU does
// (interaction_math.h), so the results match bit for bit.
__global__ void dot_interaction_forward_kernel(const float* x, size_t stride, size_t batch, size_t vectors, size_t dim,
                                               float* out, size_t out_stride) {
  const size_t width = dim + interaction_pairs(vectors), total = batch * width;
  const size_t step = size_t(gridDim.x) * blockDim.x;
  for (size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += step) {
    const size_t b = t / width, c = t - b * width;
    const float* z = x + b * stride;
    float* o = out + b * out_stride + c;
    if (c < dim) {
      *o = z[c];
    } else {
      size_t i, j;
      interaction_pair_of(c - dim, &i, &j);
      *o = interaction_dot(z, dim, i, j);
    }
  }
}

// A thread per input value (sample b, vector k, dimension d).
__global__ void dot_interaction_backward_kernel(const float* x, size_t stride, const float* dout, size_t dout_stride,
                                                size_t batch, size_t vectors, size_t dim, float* dx) {
  const size_t per_sample = vectors * dim, total = batch * per_sample;
  const size_t step = size_t(gridDim.x) * blockDim.x;
  for (size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += step) {
    const size_t b = t / per_sample, rem = t - b * per_sample, k = rem / dim, d = rem - k * dim;
    dx[b * stride + rem] = interaction_grad(x + b * stride, dout + b * dout_stride, vectors, dim, k, d);
  }
}

__global__ void sigmoid_kernel(const float* logits, float* probs, size_t n) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    probs[i] = static_cast<float>(1.0 / (1.0 + exp(-double(logits[i]))));
}

}  // namespace

void linear_forward(cudaStream_t s, const float* lin_table, const uint32_t* rows_idx, const float* dense,
                    const float* w_dense, size_t batch, size_t fields, size_t num_dense, float* out) {
  if (batch == 0) return;
  linear_forward_kernel<<<grid_for(batch), kThreads, 0, s>>>(lin_table, rows_idx, dense, w_dense, batch, fields,
                                                             num_dense, out);
  CTR_CUDA_CHECK_LAUNCH();
}

void fm_forward(cudaStream_t s, const float* x, size_t stride, size_t batch, size_t fields, size_t dim, float* out) {
  if (batch == 0) return;
  fm_forward_kernel<<<warp_grid_for(batch), kThreads, 0, s>>>(x, stride, batch, fields, dim, out);
  CTR_CUDA_CHECK_LAUNCH();
}

void fm_backward(cudaStream_t s, const float* x, size_t stride, const float* dout, size_t batch, size_t fields,
                 size_t dim, float* dx) {
  const size_t total = batch * dim;
  if (total == 0 || fields == 0) return;
  if (fits_u32(total))
    fm_backward_kernel<uint32_t>
        <<<grid_for(total), kThreads, 0, s>>>(x, stride, dout, uint32_t(batch), fields, uint32_t(dim), dx);
  else
    fm_backward_kernel<size_t><<<grid_for(total), kThreads, 0, s>>>(x, stride, dout, batch, fields, dim, dx);
  CTR_CUDA_CHECK_LAUNCH();
}

void dot_interaction_forward(cudaStream_t s, const float* x, size_t stride, size_t batch, size_t vectors, size_t dim,
                             float* out, size_t out_stride) {
  if (vectors == 0) return;
  const size_t total = batch * (dim + interaction_pairs(vectors));
  if (total == 0) return;  // a grid of 0 blocks is a launch error
  dot_interaction_forward_kernel<<<grid_for(total), kThreads, 0, s>>>(x, stride, batch, vectors, dim, out, out_stride);
  CTR_CUDA_CHECK_LAUNCH();
}

void dot_interaction_backward(cudaStream_t s, const float* x, size_t stride, const float* dout, size_t dout_stride,
                              size_t batch, size_t vectors, size_t dim, float* dx) {
  const size_t total = batch * vectors * dim;
  if (total == 0) return;
  dot_interaction_backward_kernel<<<grid_for(total), kThreads, 0, s>>>(x, stride, dout, dout_stride, batch, vectors,
                                                                       dim, dx);
  CTR_CUDA_CHECK_LAUNCH();
}

void dcn_cross_forward(cudaStream_t s, const float* x0, const float* xl, const float* w, const float* bias,
                       size_t batch, size_t k, float* sbuf, float* out) {
  if (batch == 0) return;  // k == 0 still runs: s[b] = 0, as on the CPU
  dcn_cross_forward_kernel<<<warp_grid_for(batch), kThreads, 0, s>>>(x0, xl, w, bias, batch, k, sbuf, out);
  CTR_CUDA_CHECK_LAUNCH();
}

// The column sums need no partials outside their blocks (see cross_cols_kernel), so `scratch`
// stays unused; it is part of the interface for backends that split the rows across blocks.
void dcn_cross_backward(cudaStream_t s, const float* x0, const float* xl, const float* w, const float* sbuf,
                    const float* dout, size_t batch, size_t k, float* dx0, float* dxl, float* dw, float* dbias,
                    SumScratch& /*scratch*/) {
  if (k == 0) return;
  if (batch > 0) {
    cross_rows_kernel<<<warp_grid_for(batch), kThreads, 0, s>>>(x0, w, sbuf, dout, batch, k, dx0, dxl);
    CTR_CUDA_CHECK_LAUNCH();
  }
  // With batch == 0 this still writes the CPU's zero sums to dw and dbias.
  const int tw = column_tile(k);
  const size_t blocks = (k + tw - 1) / tw;
  CTR_CHECK(blocks <= size_t(INT_MAX), "dcn_cross_backward: k = {} is too wide", k);
  cross_cols_kernel<<<static_cast<unsigned>(blocks), kColThreads, 0, s>>>(xl, dout, dxl, batch, k, tw, dw, dbias);
  CTR_CUDA_CHECK_LAUNCH();
  if (batch > 0) {
    cross_restore_kernel<<<grid_for(batch), kThreads, 0, s>>>(w, dout, batch, k, dxl);
    CTR_CUDA_CHECK_LAUNCH();
  }
}

void dcnv2_combine(cudaStream_t s, const float* x0, const float* u, const float* xl, float* out, size_t n) {
  if (n == 0) return;
  dcnv2_combine_kernel<<<grid_for(n), kThreads, 0, s>>>(x0, u, xl, out, n);
  CTR_CUDA_CHECK_LAUNCH();
}

void dcnv2_combine_backward(cudaStream_t s, const float* x0, const float* u, const float* dout, float* dx0, float* du,
                             size_t n) {
  if (n == 0) return;
  dcnv2_combine_backward_kernel<<<grid_for(n), kThreads, 0, s>>>(x0, u, dout, dx0, du, n);
  CTR_CUDA_CHECK_LAUNCH();
}

void bce_with_logits(cudaStream_t s, const float* logits, const float* labels, size_t batch, float scale,
                     float* dlogits, double* loss_sum, SumScratch& scratch) {
  if (batch == 0) return;
  // The reduction visits every b exactly once, so the gradient is written in the same pass.
  device_sum(
      s, batch,
      [logits, labels, scale, dlogits] __device__(size_t b) -> double {
        const double z = logits[b], y = labels[b];
        const double p = 1.0 / (1.0 + exp(-z));
        dlogits[b] = __fmul_rn(scale, static_cast<float>(p - y));
        // std::max(z, 0.0) spelled out, NaN included; max(z,0) - z*y + log(1 + e^-|z|).
        const double relu = z < 0.0 ? 0.0 : z;
        return __dadd_rn(__dsub_rn(relu, __dmul_rn(z, y)), log1p(exp(-fabs(z))));
      },
      scratch, loss_sum, /*accumulate=*/true);
}

void sigmoid(cudaStream_t s, const float* logits, float* probs, size_t n) {
  if (n == 0) return;
  sigmoid_kernel<<<grid_for(n), kThreads, 0, s>>>(logits, probs, n);
  CTR_CUDA_CHECK_LAUNCH();
}

}  // namespace ctr::cuda
