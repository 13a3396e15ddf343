// The non-template parts of cuda_reduce.cuh.
#include "cuda/cuda_reduce.cuh"

namespace ctr::cuda {

__global__ void __launch_bounds__(kReduceThreads) finish_sum_kernel(const double* partials, int blocks, double* out,
                                                                    bool accumulate) {
  double acc = 0;
  for (int i = threadIdx.x; i < blocks; i += blockDim.x) acc += partials[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) out[0] = (accumulate ? out[0] : 0.0) + acc;
}

SumScratch::SumScratch() { CTR_CUDA_CHECK(cudaMallocHost(&host_, sizeof(double))); }
SumScratch::~SumScratch() { cudaFreeHost(host_); }

double SumScratch::read(const double* dev, cudaStream_t stream) {
  CTR_CUDA_CHECK(cudaMemcpyAsync(host_, dev, sizeof(double), cudaMemcpyDeviceToHost, stream));
  CTR_WAIT_FOR_STREAM(stream);
  return *host_;
}

}  // namespace ctr::cuda
