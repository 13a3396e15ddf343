// CUDA dense math and Adam (cuda_math.h), written to reproduce backend/cpu_math.cpp value for value.
#include "cuda/cuda_math.h"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "backend/optimizer_math.h"
#include "core/error.h"
#include "cuda/cublas_check.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_reduce.cuh"

namespace ctr::cuda {
namespace {

constexpr int kThreads = 256;
// Grid-stride loops cover any n; more blocks than this only add scheduling overhead.
constexpr size_t kMaxBlocks = 8192;

int grid_for(size_t n) { return static_cast<int>(std::min(kMaxBlocks, (n + kThreads - 1) / kThreads)); }

// 32-bit index math is much cheaper than 64-bit division; it is safe while i + grid stride
// cannot wrap, which n < 2^31 guarantees (the stride is at most kMaxBlocks * kThreads).
bool fits_u32(size_t n) { return n < (size_t(1) << 31); }

int to_int(size_t v, const char* what) {
  CTR_CHECK(v <= size_t(INT_MAX), "gemm: {} = {} does not fit cuBLAS's int", what, v);
  return static_cast<int>(v);
}

template <class I>
__global__ void scale_c_kernel(float* c, I m, I n, size_t ldc, float beta) {
  const I total = m * n;
  const I stride = I(gridDim.x) * blockDim.x;
  for (I i = I(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    float& x = c[size_t(i / n) * ldc + i % n];
    x = beta == 0.0f ? 0.0f : x * beta;  // beta == 0 overwrites, as cuBLAS does for k > 0
  }
}

template <class I>
__global__ void add_bias_kernel(float* y, const float* bias, I total, I cols) {
  const I stride = I(gridDim.x) * blockDim.x;
  for (I i = I(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) y[i] += bias[i % cols];
}

// One block per column tile walks every row, so no partials leave the block: each thread adds
// its rows in row order (double, like the CPU), then the row lanes meet in column_tree.
__global__ void __launch_bounds__(kColThreads)
    bias_grad_kernel(const float* dy, float* dbias, size_t rows, size_t cols, int tw, bool accumulate) {
  __shared__ double sh[kColThreads];
  const int col_lane = threadIdx.x % tw;
  const size_t step = kColThreads / tw;
  const size_t j = size_t(blockIdx.x) * tw + col_lane;
  double acc = 0;
  if (j < cols) {
    size_t r = threadIdx.x / tw;
    // Four loads in flight per thread; the additions keep plain row order.
    for (; r + 3 * step < rows; r += 4 * step) {
      const float a = dy[r * cols + j], b = dy[(r + step) * cols + j];
      const float c = dy[(r + 2 * step) * cols + j], d = dy[(r + 3 * step) * cols + j];
      acc += a;
      acc += b;
      acc += c;
      acc += d;
    }
    for (; r < rows; r += step) acc += dy[r * cols + j];
  }
  sh[threadIdx.x] = acc;
  column_tree(sh, tw);
  if (threadIdx.x < tw && j < cols) {
    const double total = sh[threadIdx.x];
    dbias[j] = static_cast<float>(accumulate ? double(dbias[j]) + total : total);
  }
}

__global__ void relu_forward_kernel(const float* x, float* y, size_t n) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float v = x[i];
    y[i] = v > 0.0f ? v : 0.0f;
  }
}

__global__ void relu_backward_kernel(const float* y, const float* dy, float* dx, size_t n) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

template <class I>
__global__ void copy_2d_kernel(const float* src, size_t src_stride, float* dst, size_t dst_stride, I total,
                               I cols) {
  const I stride = I(gridDim.x) * blockDim.x;
  for (I i = I(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const size_t b = i / cols, j = i % cols;
    dst[b * dst_stride + j] = src[b * src_stride + j];
  }
}

// The _rn intrinsics keep each product and sum separately rounded: nvcc would otherwise fuse
// them into FMAs, which the CPU reference (built without FMA) does not do.
__global__ void axpy_kernel(float alpha, const float* x, float* y, size_t n) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = __fadd_rn(y[i], __fmul_rn(alpha, x[i]));
}

// cpu::adam_update, operation for operation.
__global__ void adam_kernel(float* w, const float* g, float* m, float* v, size_t n, AdamCoeffs<float> adam,
                            float two_l2, float scale) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    float wi = w[i], mi = m[i], vi = v[i];
    adam.apply(scaled_with_l2(g[i], wi, two_l2, scale), wi, mi, vi);
    m[i] = mi;
    v[i] = vi;
    w[i] = wi;
  }
}

}  // namespace

void gemm(cublasHandle_t handle, bool tf32, const GemmParams<float>& p) {
  if (p.m == 0 || p.n == 0) return;
  if (p.k == 0) {  // cuBLAS would leave C alone; the CPU reference scales it by beta
    cudaStream_t stream = nullptr;
    CTR_CUBLAS_CHECK(cublasGetStream(handle, &stream));
    const size_t total = p.m * p.n;
    if (fits_u32(total))
      scale_c_kernel<uint32_t>
          <<<grid_for(total), kThreads, 0, stream>>>(p.c, uint32_t(p.m), uint32_t(p.n), p.ldc, p.beta);
    else
      scale_c_kernel<size_t><<<grid_for(total), kThreads, 0, stream>>>(p.c, p.m, p.n, p.ldc, p.beta);
    CTR_CUDA_CHECK_LAUNCH();
    return;
  }
  // Row-major A [rows, lda] is column-major A^T, so C^T = op(B)^T op(A)^T is one column-major GEMM
  // with the operands swapped; the stored widths below are cuBLAS's lda/ldb bounds.
  const int m = to_int(p.m, "m"), n = to_int(p.n, "n"), k = to_int(p.k, "k");
  const int lda = to_int(p.lda, "lda"), ldb = to_int(p.ldb, "ldb"), ldc = to_int(p.ldc, "ldc");
  cublasPointerMode_t mode;
  CTR_CUBLAS_CHECK(cublasGetPointerMode(handle, &mode));
  CTR_CHECK(mode == CUBLAS_POINTER_MODE_HOST, "gemm: alpha and beta are host values, the handle expects device ones");
  const cublasOperation_t op_a = p.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = p.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasComputeType_t compute = tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  CTR_CUBLAS_CHECK(cublasGemmEx(handle, op_b, op_a, n, m, k, &p.alpha, p.b, CUDA_R_32F, ldb, p.a, CUDA_R_32F, lda,
                                &p.beta, p.c, CUDA_R_32F, ldc, compute, CUBLAS_GEMM_DEFAULT));
}

void add_bias(cudaStream_t s, float* y, const float* bias, size_t rows, size_t cols) {
  const size_t total = rows * cols;
  if (total == 0) return;
  if (fits_u32(total))
    add_bias_kernel<uint32_t><<<grid_for(total), kThreads, 0, s>>>(y, bias, uint32_t(total), uint32_t(cols));
  else
    add_bias_kernel<size_t><<<grid_for(total), kThreads, 0, s>>>(y, bias, total, cols);
  CTR_CUDA_CHECK_LAUNCH();
}

void bias_grad(cudaStream_t s, const float* dy, float* dbias, size_t rows, size_t cols, bool accumulate) {
  if (cols == 0) return;  // rows == 0 still runs: dbias becomes 0 (or stays, accumulating)
  const int tw = column_tile(cols);
  const size_t blocks = (cols + tw - 1) / tw;
  CTR_CHECK(blocks <= size_t(INT_MAX), "bias_grad: {} columns are too many", cols);
  bias_grad_kernel<<<static_cast<unsigned>(blocks), kColThreads, 0, s>>>(dy, dbias, rows, cols, tw, accumulate);
  CTR_CUDA_CHECK_LAUNCH();
}

void relu_forward(cudaStream_t s, const float* x, float* y, size_t n) {
  if (n == 0) return;
  relu_forward_kernel<<<grid_for(n), kThreads, 0, s>>>(x, y, n);
  CTR_CUDA_CHECK_LAUNCH();
}

void relu_backward(cudaStream_t s, const float* y, const float* dy, float* dx, size_t n) {
  if (n == 0) return;
  relu_backward_kernel<<<grid_for(n), kThreads, 0, s>>>(y, dy, dx, n);
  CTR_CUDA_CHECK_LAUNCH();
}

void copy_2d(cudaStream_t s, const float* src, size_t src_stride, float* dst, size_t dst_stride, size_t rows,
             size_t cols) {
  const size_t total = rows * cols;
  if (total == 0) return;
  if (fits_u32(total))
    copy_2d_kernel<uint32_t>
        <<<grid_for(total), kThreads, 0, s>>>(src, src_stride, dst, dst_stride, uint32_t(total), uint32_t(cols));
  else
    copy_2d_kernel<size_t><<<grid_for(total), kThreads, 0, s>>>(src, src_stride, dst, dst_stride, total, cols);
  CTR_CUDA_CHECK_LAUNCH();
}

void axpy(cudaStream_t s, float alpha, const float* x, float* y, size_t n) {
  if (n == 0) return;
  axpy_kernel<<<grid_for(n), kThreads, 0, s>>>(alpha, x, y, n);
  CTR_CUDA_CHECK_LAUNCH();
}

double sum_squares(cudaStream_t s, const float* x, size_t n, SumScratch& scratch) {
  if (n == 0) return 0.0;
  // __dmul_rn keeps the square rounded before the sum adds it, as the CPU does.
  return sum_to_host(
      s, n,
      [x] __device__(size_t i) -> double {
        const double v = x[i];
        return __dmul_rn(v, v);
      },
      scratch);
}

void adam_update(cudaStream_t s, float* w, const float* g, float* m, float* v, size_t n, double l2,
                 double grad_scale, const AdamStep& step) {
  if (n == 0) return;
  // The CPU's own coefficient conversions, so both round lr_t, beta and eps identically.
  adam_kernel<<<grid_for(n), kThreads, 0, s>>>(w, g, m, v, n, AdamCoeffs<float>::from(step),
                                               static_cast<float>(2 * l2), static_cast<float>(grad_scale));
  CTR_CUDA_CHECK_LAUNCH();
}

}  // namespace ctr::cuda
