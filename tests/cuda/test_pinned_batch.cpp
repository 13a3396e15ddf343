// cuda tests: pinned host batches round-trip through device memory, and CUDA errors carry context.
#include <catch2/catch.hpp>

#include <cuda_runtime.h>

#include <vector>

#include "cuda/cuda_check.h"
#include "cuda/device_info.h"
#include "cuda/pinned_allocator.h"
#include "reader/host_batch.h"

using namespace ctr;

TEST_CASE("a pinned HostBatch copies to the device and back asynchronously", "[cuda]") {
  cuda::PinnedHostAllocator pinned;
  HostBatch batch(1000, 13, 26, pinned);
  for (size_t i = 0; i < 1000 * 26; ++i) batch.cat[i] = static_cast<uint32_t>(i * 2654435761u);
  cudaPointerAttributes attr{};
  CTR_CUDA_CHECK(cudaPointerGetAttributes(&attr, batch.cat));
  CHECK(attr.type == cudaMemoryTypeHost);

  uint32_t* dev = nullptr;
  const size_t bytes = 1000 * 26 * sizeof(uint32_t);
  CTR_CUDA_CHECK(cudaMalloc(&dev, bytes));
  cudaStream_t s;
  CTR_CUDA_CHECK(cudaStreamCreate(&s));
  std::vector<uint32_t> back(1000 * 26);
  CTR_CUDA_CHECK(cudaMemcpyAsync(dev, batch.cat, bytes, cudaMemcpyHostToDevice, s));
  CTR_CUDA_CHECK(cudaMemcpyAsync(back.data(), dev, bytes, cudaMemcpyDeviceToHost, s));
  CTR_CUDA_CHECK(cudaStreamSynchronize(s));
  CTR_CUDA_CHECK(cudaStreamDestroy(s));
  CTR_CUDA_CHECK(cudaFree(dev));
  for (size_t i = 0; i < back.size(); ++i) REQUIRE(back[i] == batch.cat[i]);
}

TEST_CASE("CUDA failures become ctr::Error with the call and location", "[cuda]") {
  void* p = nullptr;
  CHECK_THROWS_WITH([&] { CTR_CUDA_CHECK(cudaMalloc(&p, size_t(1) << 62)); }(),
                    Catch::Contains("cudaMalloc") && Catch::Contains("test_pinned_batch.cpp"));
  cudaGetLastError();
  CHECK(cuda::device_count() >= 1);
  CHECK_THAT(cuda::device_summary(), Catch::Contains("sm_"));
}
