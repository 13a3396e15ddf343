// CudaMemory and the checked device allocation every CUDA buffer goes through.
#include "cuda/cuda_memory.h"

#include <fmt/format.h>

#include "cuda/cublas_check.h"
#include "cuda/cuda_check.h"
#include "cuda/device_array.h"

namespace ctr::cuda {

namespace {
double mib(size_t bytes) { return bytes / 1048576.0; }
}  // namespace

void* device_malloc(size_t bytes, const char* what) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, bytes);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw Error(fmt::format(
        "out of GPU memory: {} needs {:.1f} MiB but {:.1f} MiB of {:.1f} MiB are free; lower "
        "train.batch_size, model.embedding_dim or model.hidden, set data.cache: host, or rebuild the "
        "dataset with a larger --min-count to shrink the embedding table",
        what, mib(bytes), mib(free_b), mib(total_b)));
  }
  if (err != cudaSuccess) throw_cuda_error(err, "cudaMalloc", __FILE__, __LINE__);
  return p;
}

void device_free(void* p) {
  if (p) cudaFree(p);  // a failing free at teardown has nowhere useful to go
}

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  throw Error(fmt::format("cuBLAS error at {}:{}: {} returned {} ({})", file, line, call,
                          cublasGetStatusName(status), cublasGetStatusString(status)));
}

void* CudaMemory::allocate(size_t bytes) {
  void* p = device_malloc(bytes, "a model or batch buffer");
  if (p) zero(p, bytes);
  return p;
}

void CudaMemory::release(void* p, size_t) {
  // Kernels still queued may use p: wait for them, since cudaFree does not order with our stream.
  cudaStreamSynchronize(stream_);
  device_free(p);
}

void CudaMemory::to_device(void* dst, const void* host_src, size_t bytes) {
  if (!bytes) return;
  CTR_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, stream_));
  CTR_WAIT_FOR_STREAM(stream_);
}

void CudaMemory::to_host(void* host_dst, const void* src, size_t bytes) {
  if (!bytes) return;
  CTR_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
  CTR_WAIT_FOR_STREAM(stream_);
}

void CudaMemory::copy(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  CTR_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
}

void CudaMemory::zero(void* p, size_t bytes) {
  if (!bytes) return;
  CTR_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream_));
}

}  // namespace ctr::cuda
