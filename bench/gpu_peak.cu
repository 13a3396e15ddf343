// Measures the GPU's own ceilings, which scripts/device_check.sh divides the work of a training
// step by to get its floor: the cuBLAS SGEMM rate (exact FP32 and TF32 tensor cores) and the
// device-memory copy bandwidth (cudaMemcpy device-to-device and a float4 copy kernel).
// The GEMM inputs are random values in [-1, 1), not zeros: tensor cores draw less power on zeros
// and run faster than on real data, which would overstate the ceiling.
// Usage: ctr_bench_gpu_peak  -> lines "SGEMM_FP32_TFLOPS x", "SGEMM_TF32_TFLOPS x", "COPY_GBPS x"
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "cuda/cublas_check.h"
#include "cuda/cuda_check.h"

namespace {

__global__ void copy_kernel(const float4* __restrict__ src, float4* __restrict__ dst, size_t n) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    dst[i] = src[i];
}

// x[i] = a value in [-1, 1) hashed from (i, seed): random-looking data without cuRAND.
__global__ void fill_random_kernel(float* x, size_t n, uint32_t seed) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint32_t h = uint32_t(i) * 0x9e3779b1u ^ seed;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    x[i] = float(h >> 8) * (2.0f / 16777216.0f) - 1.0f;
  }
}

void fill_random(float* x, size_t n, uint32_t seed) {
  fill_random_kernel<<<1024, 256>>>(x, n, seed);
  CTR_CUDA_CHECK_LAUNCH();
}

// Best of `reps` timings of fn(), in milliseconds, after one warm-up call.
template <class F>
float best_ms(int reps, F fn) {
  cudaEvent_t a, b;
  CTR_CUDA_CHECK(cudaEventCreate(&a));
  CTR_CUDA_CHECK(cudaEventCreate(&b));
  fn();
  float best = 1e30f;
  for (int r = 0; r < reps; ++r) {
    CTR_CUDA_CHECK(cudaEventRecord(a));
    fn();
    CTR_CUDA_CHECK(cudaEventRecord(b));
    CTR_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    CTR_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    best = std::min(best, ms);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return best;
}

double sgemm_tflops(cublasHandle_t h, bool tf32, int n, float* A, float* B, float* C) {
  const float alpha = 1, beta = 0;
  const cublasComputeType_t ct = tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  float ms = best_ms(5, [&] {
    CTR_CUBLAS_CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, A, CUDA_R_32F, n, B, CUDA_R_32F, n,
                                  &beta, C, CUDA_R_32F, n, ct, CUBLAS_GEMM_DEFAULT));
  });
  return 2.0 * n * n * double(n) / (ms * 1e-3) / 1e12;
}

}  // namespace

int main() {
  try {
    const int n = 8192;
    float *A, *B, *C;
    CTR_CUDA_CHECK(cudaMalloc(&A, size_t(n) * n * sizeof(float)));
    CTR_CUDA_CHECK(cudaMalloc(&B, size_t(n) * n * sizeof(float)));
    CTR_CUDA_CHECK(cudaMalloc(&C, size_t(n) * n * sizeof(float)));
    fill_random(A, size_t(n) * n, 1);
    fill_random(B, size_t(n) * n, 2);
    cublasHandle_t h;
    CTR_CUBLAS_CHECK(cublasCreate(&h));
    std::printf("SGEMM_FP32_TFLOPS %.2f\n", sgemm_tflops(h, false, n, A, B, C));
    std::printf("SGEMM_TF32_TFLOPS %.2f\n", sgemm_tflops(h, true, n, A, B, C));
    CTR_CUBLAS_CHECK(cublasDestroy(h));
    CTR_CUDA_CHECK(cudaFree(A));
    CTR_CUDA_CHECK(cudaFree(B));
    CTR_CUDA_CHECK(cudaFree(C));

    const size_t bytes = size_t(2) << 30;  // 2 GiB each way: far beyond the L2 cache
    float4 *src, *dst;
    CTR_CUDA_CHECK(cudaMalloc(&src, bytes));
    CTR_CUDA_CHECK(cudaMalloc(&dst, bytes));
    CTR_CUDA_CHECK(cudaMemset(src, 1, bytes));
    const float memcpy_ms = best_ms(5, [&] { CTR_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice)); });
    const size_t n4 = bytes / sizeof(float4);
    int sms = 0;
    CTR_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    const float kernel_ms = best_ms(5, [&] {
      copy_kernel<<<sms * 8, 512>>>(src, dst, n4);
      CTR_CUDA_CHECK_LAUNCH();
    });
    // A copy reads and writes every byte: 2 * bytes of traffic.
    std::printf("COPY_GBPS %.1f\n", 2.0 * bytes / (std::min(memcpy_ms, kernel_ms) * 1e-3) / 1e9);
    std::printf("COPY_MEMCPY_GBPS %.1f\nCOPY_KERNEL_GBPS %.1f\n", 2.0 * bytes / (memcpy_ms * 1e-3) / 1e9,
                2.0 * bytes / (kernel_ms * 1e-3) / 1e9);
    CTR_CUDA_CHECK(cudaFree(src));
    CTR_CUDA_CHECK(cudaFree(dst));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctr_bench_gpu_peak: %s\n", e.what());
    return 1;
  }
  return 0;
}
