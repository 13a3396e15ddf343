// SplitShardWriter: appends encoded rows of one split (train or test) to numbered shard files,
// cutting row groups and shards at fixed row counts and compressing groups on the thread pool
// while keeping their order.
#pragma once

#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <string>

#include "core/thread_pool.h"
#include "dataset/dataset_meta.h"
#include "shard/column_block.h"
#include "shard/shard_writer.h"

namespace ctr {

struct SplitShardWriterOptions {
  std::string dataset_dir;   // the (staging) output directory
  std::string split;         // "train" | "test": shards go to DIR/<split>/part-NNNNN.ctrs
  size_t num_dense = 0, num_cat = 0;
  uint64_t shard_rows = 1u << 20;
  uint32_t group_rows = 1u << 16;
  size_t max_pending_groups = 8;  // compressed groups in flight; bounds memory
};

class SplitShardWriter {
 public:
  SplitShardWriter(SplitShardWriterOptions opts, ThreadPool& pool);
  ~SplitShardWriter();
  void append(const ColumnBlock& rows);
  void finish();  // flushes the partial group, writes every pending group, closes the last shard
  const SplitInfo& info() const { return info_; }

 private:
  struct Pending {
    std::future<EncodedRowGroup> group;
    size_t shard;
  };
  void submit_group();
  void write_front();
  SplitShardWriterOptions opts_;
  ThreadPool& pool_;
  ColumnBlock buffer_;               // rows not yet cut into a group (capacity: a group)
  uint64_t rows_in_shard_ = 0;       // rows assigned to the current shard index
  size_t shard_index_ = 0;           // shard the next group goes to
  std::deque<Pending> pending_;
  std::unique_ptr<ShardWriter> writer_;
  size_t writer_shard_ = 0;
  SplitInfo info_;
};

}  // namespace ctr
