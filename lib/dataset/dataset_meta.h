// DatasetMeta: the contents of a preprocessed dataset's meta.json (format: docs/dataset-format.md),
// written by `ctrtrain preprocess` and read by inspect, training and --vocab-from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "dataset/dense_transform.h"
#include "dataset/schema.h"

namespace ctr {

// Version 4 embeds the raw layout's schema (dataset/schema.h), which holds each dense column's
// transform; version 3 added the checksums (of meta.json itself, each shard and each vocabulary
// file) and the consistency checks they make possible; version 2 added the valid split. Versions
// 1 and 2 still read, unchecked (read_meta warns): re-running preprocess gives a checked dataset.
// Before version 4 the schema is the built-in one `dataset` names.
constexpr int kDatasetFormatVersion = 4;
constexpr int kFirstCheckedFormatVersion = 3;

struct SplitInfo {
  uint64_t rows = 0;
  uint64_t positives = 0;
  std::vector<std::string> shards;     // relative to the dataset directory, e.g. "train/part-00000.ctrs"
  std::vector<uint64_t> shard_rows;    // [shards]
  // Format 3 on, [shards] (empty before): file sizes, and each shard header's own CRC32, which
  // identifies the shard's content (docs/dataset-format.md).
  std::vector<uint64_t> shard_bytes;
  std::vector<uint32_t> shard_checksums;
  double positive_rate() const { return rows ? static_cast<double>(positives) / rows : 0.0; }
};

// One vocabulary file as meta.json records it (format 3 on).
struct VocabFileInfo {
  std::string file;       // relative to the dataset directory: "vocab/<field>.tsv.zst"
  uint64_t bytes = 0;     // the file's size
  uint64_t values = 0;    // its lines: vocab_size - 1
  uint32_t checksum = 0;  // CRC32 of its decompressed text
};

struct InputFileInfo {
  std::string path;
  uint64_t bytes = 0;
  std::string compression;  // none | gzip | zstd
  uint64_t lines = 0;       // data lines (header excluded)
};

struct PreprocessRecord {  // the options that shaped the output
  std::string split;        // rand | seq
  double test_ratio = 0;
  double valid_ratio = 0;
  uint64_t min_count = 1;
  uint64_t max_vocab = 0;   // 0: no cap (format 4 on; before, never capped)
  uint64_t seed = 0;
  uint64_t shard_rows = 0;
  std::string on_bad_row;   // fail | skip
  std::string vocab_from;   // "" when the vocabulary was built from these inputs
};

struct DatasetMeta {
  int format_version = kDatasetFormatVersion;
  std::string dataset;      // the schema's name: criteo, avazu, or a user schema's
  Schema schema;            // the raw layout preprocess read, dense transforms set
  std::string created_by;   // "ctrtrain 0.1.0"
  std::vector<std::string> dense_fields, cat_fields;
  std::vector<uint64_t> vocab_sizes;      // per categorical field: kept values + 1 OOV id
  std::vector<uint64_t> distinct_values;  // per categorical field, "missing" included, all inputs
  DenseStats dense_stats;                 // fitted on all input rows, missing as 0
  SplitInfo train, valid, test;  // valid: empty unless preprocess was given --valid-ratio
  std::vector<std::pair<std::string, uint64_t>> bad_rows;  // per kind, every kind listed
  PreprocessRecord options;
  std::vector<InputFileInfo> inputs;
  std::vector<VocabFileInfo> vocab_files;  // [cat_fields] from format 3 on; empty before

  uint64_t bad_rows_total() const;
  // [dense_fields]: how preprocess transformed each dense column (the schema holds them).
  std::vector<DenseTransform> dense_transforms() const { return ctr::dense_transforms(schema); }
  // Id of out-of-vocabulary values of field f (the last id).
  uint64_t oov_id(size_t f) const { return vocab_sizes[f] - 1; }
  // The split named "train", "valid" or "test"; any other name is a ctr::Error. Inline, so
  // that ctr_reader (lib/reader/dataset_split.cpp) may use it without linking ctr_dataset.
  const SplitInfo& split(const std::string& name) const {
    if (name == "train") return train;
    if (name == "valid") return valid;
    if (name == "test") return test;
    throw Error(fmt::format("unknown split '{}' (expected train, valid or test)", name));
  }
  uint64_t total_rows() const { return train.rows + valid.rows + test.rows; }
  // Whether meta.json carried the checksums (format 3 on), so shards and vocabulary files can
  // be checked against it.
  bool checked() const { return format_version >= kFirstCheckedFormatVersion; }
};

// The splits by index (preprocess tags each row with one), and their names in that order.
enum SplitIndex : uint8_t { kTrainSplit = 0, kValidSplit = 1, kTestSplit = 2, kNumSplits = 3 };
inline const char* const kSplitNames[kNumSplits] = {"train", "valid", "test"};

// meta.json's text in the newest layout, ending with its `checksum` key; `format_version` is
// written as meta.format_version says (preprocess leaves it at kDatasetFormatVersion).
std::string meta_to_json(const DatasetMeta& meta);
// The CRC32 (zlib's) of meta.json's text with the 8 hex digits of its last `"checksum": "..."`
// value read as zeros: what that value must be. Throws ctr::Error when there is no such key.
uint32_t meta_json_checksum(std::string_view text);
// `text` with its checksum value set to meta_json_checksum(text): for tools and tests that
// edit meta.json on purpose.
std::string reseal_meta_json(std::string text);
// Reads DIR/meta.json. Throws ctr::Error naming the file and the key that is missing or wrong.
// Format 3 on, also its checksum and that it is consistent: a valid schema named `dataset`,
// row counts that add up, total_vocab_size, every shard listed once, one vocabulary file per
// field, field lists that are the schema's. Older formats read as they always did, with a
// warning that they are unchecked.
DatasetMeta read_meta(const std::string& dataset_dir);

// Every reader of a split needs rows; an empty one is a dataset made for another use. Throws
// UsageError "WHO: DIR: its SPLIT split has no rows (train A, valid B, test C); FIX", where WHO
// is the config key or option that chose the dataset and FIX says what to do.
void check_split_has_rows(const std::string& who, const std::string& dataset_dir, const DatasetMeta& meta,
                          const std::string& split, const std::string& fix);

}  // namespace ctr
