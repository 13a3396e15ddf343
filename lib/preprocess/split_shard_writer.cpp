// SplitShardWriter implementation.
#include "preprocess/split_shard_writer.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"

namespace ctr {

SplitShardWriter::SplitShardWriter(SplitShardWriterOptions opts, ThreadPool& pool)
    : opts_(std::move(opts)), pool_(pool) {
  CTR_CHECK(opts_.shard_rows > 0 && opts_.group_rows > 0, "zero shard/group rows");
  opts_.group_rows = static_cast<uint32_t>(std::min<uint64_t>(opts_.group_rows, opts_.shard_rows));
  buffer_ = ColumnBlock(opts_.num_dense, opts_.num_cat, opts_.group_rows);
  std::filesystem::create_directories(std::filesystem::path(opts_.dataset_dir) / opts_.split);
}

SplitShardWriter::~SplitShardWriter() {
  for (auto& p : pending_)  // the tasks reference buffers we own: let them end first
    if (p.group.valid()) p.group.wait();
}

void SplitShardWriter::append(const ColumnBlock& rows) {
  size_t begin = 0;
  while (begin < rows.rows) {
    // A group never crosses a shard boundary, so it is cut at whichever comes first.
    uint64_t room_in_shard = opts_.shard_rows - rows_in_shard_;
    uint64_t group_room = std::min<uint64_t>(opts_.group_rows, room_in_shard) - buffer_.rows;
    size_t take = static_cast<size_t>(std::min<uint64_t>(group_room, rows.rows - begin));
    buffer_.append(rows, begin, take);
    for (size_t i = begin; i < begin + take; ++i) info_.positives += rows.labels[i];
    begin += take;
    if (buffer_.rows == std::min<uint64_t>(opts_.group_rows, room_in_shard)) submit_group();
  }
}

void SplitShardWriter::submit_group() {
  auto block = std::make_shared<ColumnBlock>(std::move(buffer_));
  buffer_ = ColumnBlock(opts_.num_dense, opts_.num_cat, opts_.group_rows);
  uint64_t rows = block->rows;
  pending_.push_back({pool_.submit([block] { return encode_row_group(*block); }), shard_index_});
  rows_in_shard_ += rows;
  if (rows_in_shard_ == opts_.shard_rows) {
    ++shard_index_;
    rows_in_shard_ = 0;
  }
  while (pending_.size() > opts_.max_pending_groups) write_front();
}

void SplitShardWriter::write_front() {
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  EncodedRowGroup g = p.group.get();
  if (!writer_ || writer_shard_ != p.shard) {
    if (writer_) writer_->finish();
    std::string rel = fmt::format("{}/part-{:05}.ctrs", opts_.split, p.shard);
    writer_ = std::make_unique<ShardWriter>(
        (std::filesystem::path(opts_.dataset_dir) / rel).string(),
        static_cast<uint32_t>(opts_.num_dense), static_cast<uint32_t>(opts_.num_cat));
    writer_shard_ = p.shard;
    info_.shards.push_back(rel);
    info_.shard_rows.push_back(0);
  }
  writer_->write(g);
  info_.shard_rows.back() += g.rows;
  info_.rows += g.rows;
}

void SplitShardWriter::finish() {
  if (buffer_.rows > 0) submit_group();
  while (!pending_.empty()) write_front();
  if (writer_) writer_->finish();
  writer_.reset();
}

}  // namespace ctr
