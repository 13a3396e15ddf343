// CUDA kernels for dense math and Adam: the GPU twins of backend/cpu_math.h, with the same
// semantics and shapes (backend/ops.h). Every function queues work on `stream` and returns
// without waiting, except those returning a host value.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>

#include "backend/ops.h"

namespace ctr::cuda {

class SumScratch;

// Row-major GEMM through cuBLAS (the handle is bound to the backend's stream). tf32 selects the
// tensor-core TF32 path; otherwise exact FP32. k == 0 scales C by beta.
void gemm(cublasHandle_t handle, bool tf32, const GemmParams<float>& p);
void add_bias(cudaStream_t s, float* y, const float* bias, size_t rows, size_t cols);
void bias_grad(cudaStream_t s, const float* dy, float* dbias, size_t rows, size_t cols, bool accumulate);
void relu_forward(cudaStream_t s, const float* x, float* y, size_t n);
void relu_backward(cudaStream_t s, const float* y, const float* dy, float* dx, size_t n);
void copy_2d(cudaStream_t s, const float* src, size_t src_stride, float* dst, size_t dst_stride, size_t rows,
             size_t cols);
void axpy(cudaStream_t s, float alpha, const float* x, float* y, size_t n);
double sum_squares(cudaStream_t s, const float* x, size_t n, SumScratch& scratch);  // waits
void adam_update(cudaStream_t s, float* w, const float* g, float* m, float* v, size_t n, double l2,
                 double grad_scale, const AdamStep& step);

}  // namespace ctr::cuda
