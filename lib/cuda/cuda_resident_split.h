// CudaResidentSplit: a split held in GPU memory (data.cache: device). Loaded once in file order;
// each batch is then gathered on the GPU through an IndexPermutation, so an epoch's shuffle costs
// no host work and no PCIe traffic. Same rows, same order as CpuResidentSplit.
#pragma once

#include <cuda_runtime.h>

#include "backend/ops.h"
#include "cuda/device_array.h"

namespace ctr::cuda {

class CudaResidentSplit final : public ResidentSplit<float> {
 public:
  CudaResidentSplit(cudaStream_t stream, uint64_t rows, size_t num_dense, size_t num_fields);
  void append(const HostBatch& host, const uint64_t* field_offsets_host) override;
  uint64_t rows() const override { return filled_; }
  void gather(const IndexPermutation& order, uint64_t first, size_t count, DeviceBatch<float>& out) override;

 private:
  cudaStream_t stream_;
  uint64_t capacity_, filled_ = 0;
  size_t nd_, nf_;
  DeviceArray<float> labels_{"the resident split's labels (data.cache: device; data.cache: host keeps them in RAM)"};
  DeviceArray<float> dense_{"the resident split's dense values (data.cache: device; data.cache: host keeps them in RAM)"};
  DeviceArray<uint32_t> rows_idx_{"the resident split's ids (data.cache: device; data.cache: host keeps them in RAM)"};
  DeviceArray<uint32_t> raw_ids_{"resident split upload staging"};
  DeviceArray<uint64_t> offsets_{"field offsets"};
};

}  // namespace ctr::cuda
