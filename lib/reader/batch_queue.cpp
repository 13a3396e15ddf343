// BatchQueue implementation: one mutex and one condition variable (one producer, one consumer).
#include "reader/batch_queue.h"

namespace ctr {

bool BatchQueue::push(PooledBatch batch) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return cancelled_ || batches_.size() < capacity_; });
  if (cancelled_) return false;
  batches_.push_back(std::move(batch));
  cv_.notify_all();
  return true;
}

void BatchQueue::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
  cv_.notify_all();
}

void BatchQueue::fail(std::exception_ptr e) {
  std::lock_guard<std::mutex> lock(mu_);
  error_ = std::move(e);
  cv_.notify_all();
}

PooledBatch BatchQueue::pop() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return cancelled_ || finished_ || error_ || !batches_.empty(); });
  if (!batches_.empty()) {
    PooledBatch batch = std::move(batches_.front());
    batches_.pop_front();
    cv_.notify_all();
    return batch;
  }
  if (error_) std::rethrow_exception(error_);
  return nullptr;
}

void BatchQueue::cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  cv_.notify_all();
}

void BatchQueue::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  batches_.clear();
  finished_ = cancelled_ = false;
  error_ = nullptr;
}

}  // namespace ctr
