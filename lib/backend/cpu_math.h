// CPU reference kernels for dense math and Adam: the plain loops the CUDA kernels are tested against.
// Shapes as in backend/ops.h. Loops are OpenMP-parallel with static schedules, so results depend
// only on the thread count, never on timing.
#pragma once

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

}  // namespace ctr::cpu
