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
  uint32_t version() const { return version_; }
  uint32_t num_dense() const { return num_dense_; }
  uint32_t num_cat() const { return num_cat_; }
  uint64_t num_rows() const { return num_rows_; }
  uint64_t file_size() const { return file_size_; }
  size_t num_groups() const { return group_offsets_.size(); }
  uint32_t group_rows(size_t g) const { return group_rows_[g]; }
  // The header's own CRC32. From version 2 on it covers the index CRC, which covers every
  // group's header CRC, which covers every chunk's CRC: it identifies the shard's content.
  uint32_t header_crc() const { return header_crc_; }
  // Version 2 on: each field's largest id and the count of non-finite dense values, as the
  // writer recorded them (read_group holds the data to them). Version 1: not recorded.
  bool has_field_stats() const { return version_ >= 2; }
  const std::vector<uint32_t>& max_ids() const { return max_ids_; }
  uint64_t nonfinite_dense() const { return nonfinite_; }

  // Decodes row group `g` into `out` (replacing its contents; capacity is reused).
  // Verifies every checksum and size, that labels are 0/1, dense values finite and (version 2)
  // ids within the header's maxima; throws ctr::Error "FILE: row group G (rows A..B), <chunk>
  // chunk: <what>" on corruption. Thread-safe: concurrent calls on one reader are allowed.
  void read_group(size_t g, RowBlock& out) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint32_t version_ = 0;
  uint64_t file_size_ = 0;
  uint64_t header_size_ = 0;  // where group 0 starts
  uint32_t num_dense_ = 0, num_cat_ = 0;
  uint64_t num_rows_ = 0;
  uint32_t header_crc_ = 0, index_crc_ = 0;  // index_crc_: version 2's copy in the header
  uint64_t nonfinite_ = 0;
  std::vector<uint32_t> max_ids_;
  std::vector<uint64_t> group_offsets_;
  std::vector<uint32_t> group_rows_;
  std::vector<uint32_t> group_crcs_;       // version 2: each group header's CRC, from the index
  std::vector<uint64_t> group_first_row_;  // for error messages: "rows A..B"
  uint64_t index_offset_ = 0;              // where the last group ends

  void load_header_and_index();
  void read_header(uint32_t& num_groups);
  void parse_header(const char* h, uint32_t& num_groups);
  void load_index(uint32_t num_groups);
};

struct ShardVerifyResult {
  uint64_t rows = 0;
  size_t groups = 0;
  uint64_t positives = 0;
};
// What the shard's ids mean, for verify_shard's check of every id: a field's ids must be
// below its vocab_size. Empty: ids are checked against the header's maxima only.
struct ShardIdLimits {
  std::vector<std::string> fields;    // [num_cat] names, for messages
  std::vector<uint64_t> vocab_sizes;  // [num_cat]
};
// Decodes every row group, checking every checksum and value. Throws like read_group.
ShardVerifyResult verify_shard(const ShardReader& reader, const ShardIdLimits& limits = {});
// The same, opening the shard first.
ShardVerifyResult verify_shard(const std::string& path, const ShardIdLimits& limits = {});

}  // namespace ctr
