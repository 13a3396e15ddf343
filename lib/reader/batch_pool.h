// BatchPool: recycles HostBatch buffers so that steady-state reading allocates nothing, and keeps
// its free list alive (shared ownership) for as long as any batch it lent is still held.
#pragma once

#include <memory>

#include "reader/batch_reader.h"
#include "reader/host_batch.h"

namespace ctr {

struct BatchPoolState;

// Deleter that hands a batch back to its pool instead of freeing it.
struct ReturnToPool {
  std::shared_ptr<BatchPoolState> pool;
  void operator()(HostBatch* batch) const;
};

// A batch owned by one stage of a reader; dropping it returns it to the pool.
using PooledBatch = std::unique_ptr<HostBatch, ReturnToPool>;

class BatchPool {
 public:
  BatchPool(size_t capacity, size_t num_dense, size_t num_cat, HostAllocator& alloc);

  // A free batch with rows = 0; allocates a new one when every buffer is on loan, so that a
  // consumer holding batches can never stall the reader.
  PooledBatch acquire();
  // Hands a batch to the consumer; it comes back when the last copy of the BatchPtr is dropped.
  static BatchPtr lend(PooledBatch batch) { return BatchPtr(std::move(batch)); }

 private:
  std::shared_ptr<BatchPoolState> state_;
};

}  // namespace ctr
