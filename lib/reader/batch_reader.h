// BatchReader: the library API training uses to pull shuffled batches from a split's shards.
//
// Two implementations share it:
//   streaming  background threads decompress shards into a bounded queue of ready batches;
//              per epoch the shard order is permuted and rows pass through a shuffle buffer.
//   memory     loads the whole split once and shuffles a row-index permutation per epoch.
// Both are deterministic: the same files, options and seed give the same batches in the same
// order, whatever the thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "reader/host_batch.h"

namespace ctr {

struct BatchReaderOptions {
  size_t batch_size = 1024;          // 1 .. 1<<20, independent of the shard or row-group size
  bool drop_last = false;            // drop the final partial batch of an epoch
  bool shuffle = true;               // false: file order, for evaluation
  uint64_t seed = 0;                 // epoch e uses a stream derived from (seed, e)
  size_t shuffle_buffer_rows = 1u << 20;  // streaming only: rows mixed before batches are drawn
  int threads = 0;                   // decompression threads; 0 = all hardware threads
  size_t queue_batches = 4;          // streaming only: ready batches kept ahead of the consumer
  HostAllocator* allocator = nullptr;  // nullptr = default_host_allocator()
};

// A batch on loan from the reader's pool; it returns to the pool when the last copy is dropped,
// so a consumer may keep a few alive (e.g. while an asynchronous GPU copy is in flight).
using BatchPtr = std::shared_ptr<const HostBatch>;

class BatchReader {
 public:
  virtual ~BatchReader() = default;
  // Begins epoch `epoch` (0-based). Any batches of a previous epoch not yet taken are discarded.
  virtual void start_epoch(uint64_t epoch) = 0;
  // The next batch of the current epoch, or nullptr when the epoch is done.
  // Errors from background threads (corrupt shard, ...) are rethrown here.
  virtual BatchPtr next() = 0;
  virtual uint64_t rows_per_epoch() const = 0;  // after drop_last
  virtual size_t num_dense() const = 0;
  virtual size_t num_cat() const = 0;
};

// Throws UsageError for bad options and ctr::Error for unreadable shards.
std::unique_ptr<BatchReader> open_streaming_reader(const std::vector<std::string>& shard_paths,
                                                   const BatchReaderOptions& opts);
std::unique_ptr<BatchReader> open_memory_reader(const std::vector<std::string>& shard_paths,
                                                const BatchReaderOptions& opts);

}  // namespace ctr
