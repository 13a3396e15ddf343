// PinnedHostAllocator: page-locked host memory for batches, so host-to-device copies can run
// asynchronously on a copy stream while the GPU computes.
#pragma once

#include "reader/host_batch.h"

namespace ctr::cuda {

class PinnedHostAllocator : public HostAllocator {
 public:
  void* allocate(size_t bytes) override;  // cudaHostAlloc; throws ctr::Error with sizes
  void deallocate(void* p, size_t bytes) override;
  const char* name() const override { return "cuda-pinned"; }
};

}  // namespace ctr::cuda
