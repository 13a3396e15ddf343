// CpuResidentSplit<T>: a split resident in host memory for the CPU backend (data.cache: device
// on the CPU), the reference the CUDA resident split is tested against.
#pragma once

#include "backend/ops.h"

namespace ctr {

template <class T>
class CpuResidentSplit final : public ResidentSplit<T> {
 public:
  CpuResidentSplit(MemorySpace& mem, uint64_t rows, size_t num_dense, size_t num_fields);
  void append(const HostBatch& host, const uint64_t* field_offsets_host) override;
  uint64_t rows() const override { return filled_; }
  void gather(const IndexPermutation& order, uint64_t first, size_t count, DeviceBatch<T>& out) override;

 private:
  uint64_t capacity_, filled_ = 0;
  size_t nd_, nf_;
  Buffer<T> labels_;          // [rows]
  Buffer<T> dense_;           // [rows, Nd]
  Buffer<uint32_t> rows_idx_; // [rows, F] global table rows
};

// The checks both backends' resident splits share: the batch's shape and the room left.
void check_resident_append(const HostBatch& host, uint64_t filled, uint64_t capacity, size_t num_dense,
                           size_t num_fields);
void check_resident_gather(const IndexPermutation& order, uint64_t first, size_t count, uint64_t filled,
                           size_t batch_capacity);

}  // namespace ctr
