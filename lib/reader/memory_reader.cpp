// In-memory BatchReader: decodes every row group once (in parallel) into a row-major table, then
// gathers each epoch's batches on worker threads in the order of an IndexPermutation, the one
// order every in-memory path shares (the resident splits of data.cache: device draw through the
// same permutation), so the cache setting and the backend change only speed, never the batches.
#include <algorithm>
#include <atomic>
#include <future>
#include <vector>

#include "core/error.h"
#include "core/index_permutation.h"
#include "core/thread_pool.h"
#include "reader/batch_pool.h"
#include "reader/ordered_workers.h"
#include "reader/reader_common.h"
#include "reader/row_table.h"

namespace ctr {
namespace {

// Rows prefetched ahead of the gather: enough to cover a DRAM miss at a few ns per row.
constexpr size_t kPrefetchAhead = 16;

struct GroupPiece {
  const ShardReader* shard;
  size_t group;
  uint64_t first_row;  // where the group's rows go in the table
};

std::vector<GroupPiece> pieces_in_file_order(const ShardSet& shards) {
  std::vector<GroupPiece> pieces;
  uint64_t row = 0;
  for (const auto& shard : shards.readers) {
    for (size_t g = 0; g < shard->num_groups(); ++g) {
      pieces.push_back({shard.get(), g, row});
      row += shard->group_rows(g);
    }
  }
  return pieces;
}

class MemoryReader final : public BatchReader {
 public:
  MemoryReader(const ShardSet& shards, const BatchReaderOptions& opts, int threads)
      : opts_(opts),
        num_dense_(shards.num_dense),
        num_cat_(shards.num_cat),
        rows_(shards.rows),
        table_(num_dense_, num_cat_),
        pool_(opts.batch_size, num_dense_, num_cat_, allocator_of(opts)),
        workers_(threads, std::max<size_t>(opts.queue_batches, threads),
                 [this](size_t k, PooledBatch& out) { gather(k, out); }) {
    load(shards, threads);
  }

  void start_epoch(uint64_t epoch) override {
    workers_.stop();
    order_ = opts_.shuffle ? IndexPermutation::shuffled(rows_, opts_.seed, epoch) : IndexPermutation::file_order(rows_);
    workers_.start((rows_per_epoch() + opts_.batch_size - 1) / opts_.batch_size);
    started_ = true;
  }

  BatchPtr next() override {
    CTR_CHECK(started_, "BatchReader::next() called before start_epoch()");
    WaitClock::Scope wait(wait_);
    PooledBatch* ready = workers_.next();
    if (!ready) return nullptr;
    BatchPtr batch = BatchPool::lend(std::move(*ready));
    workers_.release();
    return batch;
  }

  uint64_t rows_per_epoch() const override { return epoch_rows(rows_, opts_); }
  size_t num_dense() const override { return num_dense_; }
  size_t num_cat() const override { return num_cat_; }
  double input_wait_seconds() const override { return wait_.seconds(); }

 private:
  // Decodes the groups on `threads` threads, each copying its groups' rows to their final place.
  // After the first failure the others stop taking groups, so a corrupt shard fails fast.
  void load(const ShardSet& shards, int threads) {
    const std::vector<GroupPiece> pieces = pieces_in_file_order(shards);
    table_.resize(rows_);
    std::atomic<size_t> next_piece{0};
    auto loader = [&] {
      RowBlock block;
      try {
        for (size_t i; (i = next_piece++) < pieces.size();) load_piece(pieces[i], block);
      } catch (...) {
        next_piece = pieces.size();
        throw;
      }
    };
    ThreadPool pool(threads);
    std::vector<std::future<void>> done;
    for (int t = 0; t < threads; ++t) done.push_back(pool.submit(loader));
    for (auto& f : done) f.get();
  }

  void load_piece(const GroupPiece& piece, RowBlock& block) {
    piece.shard->read_group(piece.group, block);
    CTR_CHECK(block.rows() == piece.shard->group_rows(piece.group), "{}: group {} decoded {} rows",
              piece.shard->path(), piece.group, block.rows());
    for (size_t r = 0; r < block.rows(); ++r) table_.set(piece.first_row + r, block, r);
  }

  // Batch k holds the rows at permutation positions [k*B, (k+1)*B). The permutation is evaluated
  // per position (a few hashes), so there is no table to shuffle or keep; each position's row is
  // computed once, ahead of the copies, so the prefetch can use it.
  void gather(size_t k, PooledBatch& out) {
    if (!out) out = pool_.acquire();
    out->rows = 0;
    const size_t begin = k * opts_.batch_size;
    const size_t end = std::min<size_t>(begin + opts_.batch_size, rows_);
    // One per worker thread, up to a batch of indices (8 bytes each), kept for the thread's life.
    thread_local std::vector<uint64_t> order_rows;
    order_rows.resize(end - begin);
    for (size_t i = begin; i < end; ++i) order_rows[i - begin] = order_(i);
    for (size_t j = 0; j < order_rows.size(); ++j) {
      if (j + kPrefetchAhead < order_rows.size()) table_.prefetch(order_rows[j + kPrefetchAhead]);
      table_.append_to(order_rows[j], *out);
    }
  }

  const BatchReaderOptions opts_;
  const size_t num_dense_, num_cat_;
  const uint64_t rows_;
  RowTable table_;
  IndexPermutation order_;  // this epoch's row order; read by the workers
  BatchPool pool_;
  WaitClock wait_;
  bool started_ = false;
  OrderedWorkers<PooledBatch> workers_;  // last: its threads stop before the data they read dies
};

}  // namespace

std::unique_ptr<BatchReader> open_memory_reader(const std::vector<std::string>& shard_paths,
                                                const BatchReaderOptions& opts) {
  validate_reader_options(opts);
  ShardSet shards = open_shards(shard_paths);
  return std::make_unique<MemoryReader>(shards, opts, resolve_thread_count(opts.threads));
}

}  // namespace ctr
