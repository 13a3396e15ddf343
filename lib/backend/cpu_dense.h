// CPU reference kernels for dense math and Adam: the plain loops the CUDA kernels are tested against.
// Shapes as in backend/ops.h. Loops are OpenMP-parallel with static schedules, so results depend
// only on the thread count, never on timing.
#pragma once

#include <cmath>
#include <cstddef>

#include "backend/ops.h"

namespace ctr::cpu {

template <class T> void gemm(const GemmParams<T>& p);
template <class T> void add_bias(T* y, const T* bias, size_t rows, size_t cols);
template <class T> void bias_grad(const T* dy, T* dbias, size_t rows, size_t cols, bool accumulate);
template <class T> void relu_forward(const T* x, T* y, size_t n);
template <class T> void relu_backward(const T* y, const T* dy, T* dx, size_t n);
template <class T> void copy_2d(const T* src, size_t src_stride, T* dst, size_t dst_stride, size_t rows, size_t cols);
template <class T> void axpy(T alpha, const T* x, T* y, size_t n);
template <class T> double sum_squares(const T* x, size_t n);
template <class T> void adam_update(T* w, const T* g, T* m, T* v, size_t n, double l2, double grad_scale,
                                    const AdamStep& step);

// Keras' Adam step size for step t: lr * sqrt(1 - beta2^t) / (1 - beta1^t). The update is then
// w -= lr_t * m / (sqrt(v) + eps), the "epsilon hat" form TensorFlow uses.
double adam_step_size(const AdamStep& s);

// One Adam step's constants in T, and the per-value update every CPU Adam loop (dense weights,
// table rows, absent-row runs) shares, so they stay the same arithmetic.
template <class T>
struct AdamCoeffs {
  T lr_t, b1, b2, eps;
  explicit AdamCoeffs(const AdamStep& s)
      : lr_t(static_cast<T>(adam_step_size(s))), b1(static_cast<T>(s.beta1)), b2(static_cast<T>(s.beta2)),
        eps(static_cast<T>(s.eps)) {}
  void apply(T g, T& w, T& m, T& v) const {
    m = b1 * m + (T(1) - b1) * g;
    v = b2 * v + (T(1) - b2) * g * g;
    w -= lr_t * m / (std::sqrt(v) + eps);
  }
};

}  // namespace ctr::cpu
