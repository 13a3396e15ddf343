// BatchPool implementation: a mutex-guarded free list shared by the pool and every lent batch.
#include "reader/batch_pool.h"

#include <mutex>
#include <vector>

namespace ctr {

struct BatchPoolState {
  BatchPoolState(size_t cap, size_t nd, size_t nc, HostAllocator& a)
      : capacity(cap), num_dense(nd), num_cat(nc), alloc(a) {}
  size_t capacity, num_dense, num_cat;
  HostAllocator& alloc;
  std::mutex mu;
  std::vector<std::unique_ptr<HostBatch>> free;
};

void ReturnToPool::operator()(HostBatch* batch) const {
  std::unique_ptr<HostBatch> owned(batch);
  if (!pool) return;  // a default-constructed deleter owns no pool: just free
  std::lock_guard<std::mutex> lock(pool->mu);
  pool->free.push_back(std::move(owned));
}

BatchPool::BatchPool(size_t capacity, size_t num_dense, size_t num_cat, HostAllocator& alloc)
    : state_(std::make_shared<BatchPoolState>(capacity, num_dense, num_cat, alloc)) {}

PooledBatch BatchPool::acquire() {
  std::unique_ptr<HostBatch> batch;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->free.empty()) {
      batch = std::move(state_->free.back());
      state_->free.pop_back();
    }
  }
  if (!batch) {
    batch = std::make_unique<HostBatch>(state_->capacity, state_->num_dense, state_->num_cat,
                                        state_->alloc);
  }
  batch->rows = 0;
  return PooledBatch(batch.release(), ReturnToPool{state_});
}

}  // namespace ctr
