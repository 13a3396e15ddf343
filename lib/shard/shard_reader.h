// Reads and verifies `.ctrs` shard files (format: docs/shard-format.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shard/row_block.h"

namespace ctr {

class ShardReader {
 public:
  // Opens and validates the header and the row-group index. Throws ctr::Error naming the file
  // and what is wrong (bad magic, unsupported version, truncated, checksum mismatch).
  explicit ShardReader(const std::string& path);
  ~ShardReader();
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  const std::string& path() const { return path_; }
  uint32_t num_dense() const { return num_dense_; }
  uint32_t num_cat() const { return num_cat_; }
  uint64_t num_rows() const { return num_rows_; }
  size_t num_groups() const { return group_offsets_.size(); }
  uint32_t group_rows(size_t g) const { return group_rows_[g]; }

  // Decodes row group `g` into `out` (replacing its contents; capacity is reused).
  // Verifies every checksum and size; throws ctr::Error "FILE: row group G (rows A..B), <chunk>
  // chunk: <what>" on corruption. Thread-safe: concurrent calls on one reader are allowed.
  void read_group(size_t g, RowBlock& out) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  uint32_t num_dense_ = 0, num_cat_ = 0;
  uint64_t num_rows_ = 0;
  std::vector<uint64_t> group_offsets_;
  std::vector<uint32_t> group_rows_;
  std::vector<uint64_t> group_first_row_;  // for error messages: "rows A..B"
  uint64_t index_offset_ = 0;              // where the last group ends

  void load_header_and_index();
  void load_index(uint32_t num_groups);
};

struct ShardVerifyResult {
  uint64_t rows = 0;
  size_t groups = 0;
  uint64_t positives = 0;
};
// Opens the shard and decodes every row group, checking every checksum. Throws like above.
ShardVerifyResult verify_shard(const std::string& path);

}  // namespace ctr
