// BatchQueue: the bounded hand-off of ready batches from the streaming reader's assembler thread
// to the consumer, carrying the end of the epoch or the error that ended it.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>

#include "reader/batch_pool.h"

namespace ctr {

class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}

  // Blocks while the queue is full. Returns false (dropping the batch back to its pool) once
  // cancelled, telling the producer to abandon the epoch.
  bool push(PooledBatch batch);
  void finish();                    // no more batches this epoch
  void fail(std::exception_ptr e);  // the epoch ended with `e`
  // Blocks until a batch, the end (nullptr) or the error (rethrown) is available.
  PooledBatch pop();
  // Wakes a producer blocked in push() and makes every later push() fail.
  void cancel();
  // Empties the queue (batches go back to their pool) and makes it ready for a new epoch.
  void reset();

 private:
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PooledBatch> batches_;
  bool finished_ = false, cancelled_ = false;
  std::exception_ptr error_;
};

}  // namespace ctr
