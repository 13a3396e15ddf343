// Streaming BatchReader: decoder threads decompress row groups (in a seeded per-epoch order) and
// one assembler thread mixes their rows through a shuffle buffer into a bounded queue of batches.
// Memory is bounded by the options (decoded groups in flight, shuffle buffer, queue), never by
// the dataset size.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "reader/batch_pool.h"
#include "reader/batch_queue.h"
#include "reader/ordered_workers.h"
#include "reader/reader_common.h"
#include "reader/row_table.h"
#include "reader/shuffle_buffer.h"

namespace ctr {
namespace {

struct GroupRef {
  uint32_t shard;
  uint32_t group;
};

std::vector<GroupRef> groups_in_file_order(const ShardSet& shards) {
  std::vector<GroupRef> groups;
  for (size_t s = 0; s < shards.readers.size(); ++s) {
    for (size_t g = 0; g < shards.readers[s]->num_groups(); ++g) {
      groups.push_back({static_cast<uint32_t>(s), static_cast<uint32_t>(g)});
    }
  }
  return groups;
}

class StreamingReader final : public BatchReader {
 public:
  StreamingReader(ShardSet shards, const BatchReaderOptions& opts, int threads)
      : opts_(opts),
        shards_(std::move(shards)),
        file_order_(groups_in_file_order(shards_)),
        buffer_(opts.shuffle ? std::min<uint64_t>(opts.shuffle_buffer_rows, shards_.rows) : 0,
                shards_.num_dense, shards_.num_cat),
        pool_(opts.batch_size, shards_.num_dense, shards_.num_cat, allocator_of(opts)),
        ready_(opts.queue_batches),
        // One slot more than threads: every decoder stays busy while the assembler holds a group.
        decoders_(threads, static_cast<size_t>(threads) + 1,
                  [this](size_t i, RowBlock& out) { decode(i, out); }) {
    assembler_ = std::thread([this] { assembler_loop(); });
  }

  ~StreamingReader() override {
    halt();
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    cv_.notify_all();
    assembler_.join();
  }

  void start_epoch(uint64_t epoch) override {
    halt();
    ready_.reset();
    plan_ = file_order_;
    Rng rng = Rng::derive(opts_.seed, epoch);
    if (opts_.shuffle) shuffle_range(plan_.begin(), plan_.end(), rng);
    buffer_.reset(rng);  // the shuffle buffer's draws continue the epoch's stream
    decoders_.start(plan_.size());
    {
      std::lock_guard<std::mutex> lock(mu_);
      assembling_ = true;
    }
    cv_.notify_all();
    started_ = true;
  }

  BatchPtr next() override {
    CTR_CHECK(started_, "BatchReader::next() called before start_epoch()");
    WaitClock::Scope wait(wait_);
    PooledBatch batch = ready_.pop();
    return batch ? BatchPool::lend(std::move(batch)) : nullptr;
  }

  uint64_t rows_per_epoch() const override { return epoch_rows(shards_.rows, opts_); }
  size_t num_dense() const override { return shards_.num_dense; }
  size_t num_cat() const override { return shards_.num_cat; }
  double input_wait_seconds() const override { return wait_.seconds(); }

 private:
  void decode(size_t index, RowBlock& out) {
    const GroupRef& g = plan_[index];
    shards_.readers[g.shard]->read_group(g.group, out);
  }

  // Abandons the current epoch: wakes the assembler wherever it blocks, waits for decodes in
  // flight (one group per thread at most) and for the assembler to go idle.
  void halt() {
    ready_.cancel();
    decoders_.stop();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !assembling_; });
  }

  void assembler_loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return shutdown_ || assembling_; });
      if (shutdown_) return;
      lock.unlock();
      try {
        assemble_epoch();
      } catch (...) {
        ready_.fail(std::current_exception());
      }
      lock.lock();
      assembling_ = false;
      cv_.notify_all();
    }
  }

  // Consumes the decoded groups in plan order, so the batches depend only on the seed and epoch.
  // Returns early when the epoch is cancelled.
  void assemble_epoch() {
    PooledBatch batch = pool_.acquire();
    while (RowBlock* block = decoders_.next()) {
      const bool go_on = feed(*block, batch);
      decoders_.release();
      if (!go_on) return;
    }
    if (!drain(batch)) return;
    if (batch->rows > 0 && !opts_.drop_last && !ready_.push(std::move(batch))) return;
    ready_.finish();
  }

  bool feed(const RowBlock& block, PooledBatch& batch) {
    const size_t n = block.rows();
    for (size_t r = 0; r < n;) {
      if (buffer_.capacity() == 0) {  // no row mixing: copy whole runs
        const size_t run = std::min(n - r, batch->capacity() - batch->rows);
        append_rows(block, r, run, *batch);
        r += run;
      } else {
        buffer_.add(block, r++, *batch);
      }
      if (batch->rows == batch->capacity() && !emit(batch)) return false;
    }
    return true;
  }

  // Empties the shuffle buffer at the end of the epoch.
  bool drain(PooledBatch& batch) {
    while (buffer_.take(*batch)) {
      if (batch->rows == batch->capacity() && !emit(batch)) return false;
    }
    return true;
  }

  // Queues the full batch and starts a fresh one; false when the epoch was cancelled.
  bool emit(PooledBatch& batch) {
    if (!ready_.push(std::move(batch))) return false;
    batch = pool_.acquire();
    return true;
  }

  const BatchReaderOptions opts_;
  ShardSet shards_;
  const std::vector<GroupRef> file_order_;
  std::vector<GroupRef> plan_;  // this epoch's group order; read by the decoders
  ShuffleBuffer buffer_;        // capacity 0 when not shuffling
  BatchPool pool_;
  BatchQueue ready_;
  OrderedWorkers<RowBlock> decoders_;
  WaitClock wait_;
  bool started_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  bool assembling_ = false;  // the assembler owns buffer_ and the decoder results
  bool shutdown_ = false;
  std::thread assembler_;
};

}  // namespace

std::unique_ptr<BatchReader> open_streaming_reader(const std::vector<std::string>& shard_paths,
                                                   const BatchReaderOptions& opts) {
  validate_reader_options(opts);
  return std::make_unique<StreamingReader>(open_shards(shard_paths), opts,
                                           resolve_thread_count(opts.threads));
}

}  // namespace ctr
