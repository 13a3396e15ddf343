// BatchReader: the library API training uses to pull shuffled batches from a split's shards.
//
// Two implementations share it:
//   streaming  background threads decompress shards into a bounded queue of ready batches;
//              per epoch the row-group order is permuted and rows pass through a shuffle buffer.
//   memory     loads the whole split once and shuffles a row-index permutation per epoch.
// Both are deterministic: the same files, options and seed give the same batches in the same
// order, whatever the thread count. docs/reader.md describes the design and memory bounds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/limits.h"
#include "reader/host_batch.h"

namespace ctr {

struct BatchReaderOptions {
  size_t batch_size = 1024;          // 1 .. kMaxBatchSize, independent of the shard or row-group size
  bool drop_last = false;            // drop the final partial batch of an epoch
  bool shuffle = true;               // false: file order (shards in the given order), for evaluation
  uint64_t seed = 0;                 // epoch e uses a stream derived from (seed, e)
  size_t shuffle_buffer_rows = 1u << 20;  // streaming only: rows mixed before batches are drawn;
                                          // 0 = only the row-group order is shuffled
  int threads = 0;                   // decompression (streaming) or gather (memory) threads;
                                     // 0 = all hardware threads
  size_t queue_batches = 4;          // ready batches kept ahead of the consumer, >= 1
  HostAllocator* allocator = nullptr;  // nullptr = default_host_allocator(); must outlive every
                                       // batch the reader hands out
};

// A batch on loan from the reader's pool; it returns to the pool when the last copy is dropped,
// so a consumer may keep a few alive (e.g. while an asynchronous GPU copy is in flight). Holding
// batches never blocks the reader: the pool allocates another buffer when all are on loan and
// keeps it, so in steady state nothing is allocated. The pool outlives the reader as long as a
// batch is held. With H = the most batches the consumer holds at once (including the one next()
// just returned), the pool settles at queue_batches + 1 + H buffers (streaming) or
// max(queue_batches, threads) + H (memory).
using BatchPtr = std::shared_ptr<const HostBatch>;

// One consumer thread calls start_epoch() and next(); the reader's own threads do the rest.
class BatchReader {
 public:
  virtual ~BatchReader() = default;  // stops and joins the reader's threads, even mid-epoch
  // Begins epoch `epoch` (0-based); must precede next(). Any batches of a previous epoch not yet
  // taken are discarded.
  virtual void start_epoch(uint64_t epoch) = 0;
  // The next batch of the current epoch, or nullptr when the epoch is done.
  // Errors from background threads (corrupt shard, ...) are rethrown here, after the batches
  // that precede the failing data, and again on later calls until the next start_epoch().
  virtual BatchPtr next() = 0;
  virtual uint64_t rows_per_epoch() const = 0;  // after drop_last
  virtual size_t num_dense() const = 0;
  virtual size_t num_cat() const = 0;
  // Cumulative wall seconds spent inside next() since the reader was opened: the time training
  // waited for input.
  virtual double input_wait_seconds() const = 0;
};

// Throws UsageError for bad options and ctr::Error for unreadable or mismatched shards.
// The memory reader decodes every shard here, so it reports corruption from the open call.
std::unique_ptr<BatchReader> open_streaming_reader(const std::vector<std::string>& shard_paths,
                                                   const BatchReaderOptions& opts);
std::unique_ptr<BatchReader> open_memory_reader(const std::vector<std::string>& shard_paths,
                                                const BatchReaderOptions& opts);

}  // namespace ctr
