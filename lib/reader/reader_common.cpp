// Shared reader helpers (see reader_common.h).
#include "reader/reader_common.h"

#include "core/error.h"

namespace ctr {

void validate_reader_options(const BatchReaderOptions& opts) {
  if (opts.batch_size < 1 || opts.batch_size > kMaxBatchSize) {
    throw UsageError(fmt::format("batch size {} is out of range: it must be between 1 and {} (1<<20)",
                                 opts.batch_size, kMaxBatchSize));
  }
  if (opts.threads < 0) {
    throw UsageError(fmt::format("reader threads {} is out of range: use 0 (all hardware threads) or more",
                                 opts.threads));
  }
  if (opts.queue_batches < 1) throw UsageError("reader queue_batches must be at least 1");
}

HostAllocator& allocator_of(const BatchReaderOptions& opts) {
  return opts.allocator ? *opts.allocator : default_host_allocator();
}

ShardSet open_shards(const std::vector<std::string>& paths) {
  if (paths.empty()) throw UsageError("the batch reader was given no shard files");
  ShardSet set;
  for (const std::string& path : paths) {
    auto reader = std::make_unique<ShardReader>(path);
    if (set.readers.empty()) {
      set.num_dense = reader->num_dense();
      set.num_cat = reader->num_cat();
    } else if (reader->num_dense() != set.num_dense || reader->num_cat() != set.num_cat) {
      throw Error(fmt::format(
          "{}: {} dense and {} categorical fields, but {} has {} and {}; all shards of a split "
          "must come from one preprocess run",
          path, reader->num_dense(), reader->num_cat(), paths.front(), set.num_dense, set.num_cat));
    }
    set.rows += reader->num_rows();
    set.readers.push_back(std::move(reader));
  }
  return set;
}

uint64_t epoch_rows(uint64_t rows, const BatchReaderOptions& opts) {
  return opts.drop_last ? rows - rows % opts.batch_size : rows;
}

}  // namespace ctr
