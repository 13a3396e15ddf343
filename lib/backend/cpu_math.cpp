// CPU reference kernels for dense math and Adam (see cpu_math.h).
#include "backend/cpu_math.h"

#include "backend/cpu_reduce.h"
#include "core/target_clones.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace ctr::cpu {
namespace {

// Loops shorter than this stay on one thread: waking the team costs more than the work.
constexpr size_t kParallelMin = 1 << 14;

void blas_gemm(const GemmParams<float>& p) {
  cblas_sgemm(CblasRowMajor, p.trans_a ? CblasTrans : CblasNoTrans, p.trans_b ? CblasTrans : CblasNoTrans,
              (int)p.m, (int)p.n, (int)p.k, p.alpha, p.a, (int)p.lda, p.b, (int)p.ldb, p.beta, p.c, (int)p.ldc);
}
void blas_gemm(const GemmParams<double>& p) {
  cblas_dgemm(CblasRowMajor, p.trans_a ? CblasTrans : CblasNoTrans, p.trans_b ? CblasTrans : CblasNoTrans,
              (int)p.m, (int)p.n, (int)p.k, p.alpha, p.a, (int)p.lda, p.b, (int)p.ldb, p.beta, p.c, (int)p.ldc);
}

}  // namespace

template <class T>
void gemm(const GemmParams<T>& p) {
  if (p.m == 0 || p.n == 0) return;
  if (p.k == 0) {  // C = beta * C, made explicit; beta == 0 writes zeros without reading C, as in BLAS
    for (size_t i = 0; i < p.m; ++i)
      for (size_t j = 0; j < p.n; ++j) p.c[i * p.ldc + j] = p.beta == T(0) ? T(0) : p.c[i * p.ldc + j] * p.beta;
    return;
  }
  blas_gemm(p);
}

template <class T>
void add_bias(T* y, const T* bias, size_t rows, size_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (size_t b = 0; b < rows; ++b) {
    T* row = y + b * cols;
    for (size_t j = 0; j < cols; ++j) row[j] += bias[j];
  }
}

template <class T>
void bias_grad(const T* dy, T* dbias, size_t rows, size_t cols, bool accumulate) {
  // Column sums, walked row by row so the inner loop is contiguous (and vectorises). Fixed blocks
  // of rows give partial sums that are added in block order: the same value for any thread count.
  constexpr size_t kBlockRows = 256;
  const size_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  static thread_local std::vector<double> partial_buf;  // the caller's; workers use the pointer
  partial_buf.assign(blocks * cols, 0.0);
  double* partial = partial_buf.data();
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (size_t blk = 0; blk < blocks; ++blk) {
    double* acc = partial + blk * cols;
    for (size_t b = blk * kBlockRows; b < std::min(rows, (blk + 1) * kBlockRows); ++b) {
      const T* row = dy + b * cols;
      for (size_t j = 0; j < cols; ++j) acc[j] += row[j];
    }
  }
  for (size_t j = 0; j < cols; ++j) {
    double acc = 0;
    for (size_t blk = 0; blk < blocks; ++blk) acc += partial[blk * cols + j];
    dbias[j] = static_cast<T>(accumulate ? dbias[j] + acc : acc);
  }
}

template <class T>
void relu_forward(const T* x, T* y, size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}

template <class T>
CTR_TARGET_CLONES
void relu_backward_range(const T* __restrict y, const T* __restrict dy, T* __restrict dx, size_t n) {
  for (size_t i = 0; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
}

template <class T>
void relu_backward(const T* y, const T* dy, T* dx, size_t n) {
  constexpr size_t kBlock = 1 << 14;
  const size_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (size_t blk = 0; blk < blocks; ++blk) {
    const size_t at = blk * kBlock;
    relu_backward_range(y + at, dy + at, dx + at, std::min(kBlock, n - at));
  }
}

template <class T>
void copy_2d(const T* src, size_t src_stride, T* dst, size_t dst_stride, size_t rows, size_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (size_t b = 0; b < rows; ++b)
    for (size_t j = 0; j < cols; ++j) dst[b * dst_stride + j] = src[b * src_stride + j];
}

template <class T>
void axpy(T alpha, const T* x, T* y, size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

template <class T>
double sum_squares(const T* x, size_t n) {
  return block_sum(n, 4096, [&](size_t i) { return double(x[i]) * double(x[i]); });
}

template <class T>
void adam_update(T* w, const T* g, T* m, T* v, size_t n, double l2, double grad_scale, const AdamStep& step) {
  const AdamCoeffs<T> adam = AdamCoeffs<T>::from(step);
  const T two_l2 = static_cast<T>(2 * l2), scale = static_cast<T>(grad_scale);
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) adam.apply(scaled_with_l2(g[i], w[i], two_l2, scale), w[i], m[i], v[i]);
}

#define CTR_INSTANTIATE(T)                                                                         \
  template void gemm<T>(const GemmParams<T>&);                                                     \
  template void add_bias<T>(T*, const T*, size_t, size_t);                                         \
  template void bias_grad<T>(const T*, T*, size_t, size_t, bool);                                  \
  template void relu_forward<T>(const T*, T*, size_t);                                             \
  template void relu_backward<T>(const T*, const T*, T*, size_t);                                  \
  template void copy_2d<T>(const T*, size_t, T*, size_t, size_t, size_t);                          \
  template void axpy<T>(T, const T*, T*, size_t);                                                  \
  template double sum_squares<T>(const T*, size_t);                                                \
  template void adam_update<T>(T*, const T*, T*, T*, size_t, double, double, const AdamStep&);
CTR_INSTANTIATE(float)
CTR_INSTANTIATE(double)
#undef CTR_INSTANTIATE

}  // namespace ctr::cpu
