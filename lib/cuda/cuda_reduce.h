// SumScratch: device partials and a pinned host word for the deterministic sums of
// cuda_reduce.cuh (this header is plain C++, so host code can own one).
#pragma once

#include <cuda_runtime.h>

#include "cuda/device_array.h"

namespace ctr::cuda {

constexpr int kReduceThreads = 256;
constexpr int kReduceMaxBlocks = 1024;

// Scratch for sums: block partials on the device and a pinned host word for reading one back.
class SumScratch {
 public:
  SumScratch();
  ~SumScratch();
  SumScratch(const SumScratch&) = delete;
  SumScratch& operator=(const SumScratch&) = delete;
  double* partials() { return partials_.ensure(kReduceMaxBlocks); }
  double* result() { return result_.ensure(1); }
  // Copies *dev to the host and waits for the stream (a host round trip: use outside hot loops
  // or where the interface returns a host value).
  double read(const double* dev, cudaStream_t stream);

 private:
  DeviceArray<double> partials_{"reduction partials"};
  DeviceArray<double> result_{"reduction result"};
  double* host_ = nullptr;  // pinned
};

}  // namespace ctr::cuda
