// DatasetMeta: the contents of a preprocessed dataset's meta.json (format: docs/dataset-format.md),
// written by `ctrtrain preprocess` and read by inspect, training and --vocab-from.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dataset/dense_transform.h"

namespace ctr {

// Version 2 added the valid split; version 1 files (no valid split) still read.
constexpr int kDatasetFormatVersion = 2;

struct SplitInfo {
  uint64_t rows = 0;
  uint64_t positives = 0;
  std::vector<std::string> shards;     // relative to the dataset directory, e.g. "train/part-00000.ctrs"
  std::vector<uint64_t> shard_rows;    // [shards]
  double positive_rate() const { return rows ? static_cast<double>(positives) / rows : 0.0; }
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
  uint64_t seed = 0;
  uint64_t shard_rows = 0;
  std::string on_bad_row;   // fail | skip
  std::string vocab_from;   // "" when the vocabulary was built from these inputs
};

struct DatasetMeta {
  int format_version = kDatasetFormatVersion;
  std::string dataset;      // criteo | avazu
  std::string created_by;   // "ctrtrain 0.1.0"
  std::vector<std::string> dense_fields, cat_fields;
  std::vector<uint64_t> vocab_sizes;      // per categorical field: kept values + 1 OOV id
  std::vector<uint64_t> distinct_values;  // per categorical field, "missing" included, all inputs
  DenseTransform dense_transform = DenseTransform::minmax;
  DenseStats dense_stats;                 // fitted on all input rows, missing as 0
  SplitInfo train, valid, test;  // valid: empty unless preprocess was given --valid-ratio
  std::vector<std::pair<std::string, uint64_t>> bad_rows;  // per kind, every kind listed
  PreprocessRecord options;
  std::vector<InputFileInfo> inputs;

  uint64_t bad_rows_total() const;
  // Id of out-of-vocabulary values of field f (the last id).
  uint64_t oov_id(size_t f) const { return vocab_sizes[f] - 1; }
  // The split named "train", "valid" or "test"; any other name is a ctr::Error.
  const SplitInfo& split(const std::string& name) const;
  uint64_t total_rows() const { return train.rows + valid.rows + test.rows; }
};

// The splits by index (preprocess tags each row with one), and their names in that order.
enum SplitIndex : uint8_t { kTrainSplit = 0, kValidSplit = 1, kTestSplit = 2, kNumSplits = 3 };
inline const char* const kSplitNames[kNumSplits] = {"train", "valid", "test"};

std::string meta_to_json(const DatasetMeta& meta);
// Reads DIR/meta.json. Throws ctr::Error naming the file and the key that is missing or wrong.
DatasetMeta read_meta(const std::string& dataset_dir);
// Absolute (dir-joined) shard paths of a split ("train" | "valid" | "test").
std::vector<std::string> split_shard_paths(const std::string& dataset_dir, const DatasetMeta& meta,
                                           const std::string& split);

}  // namespace ctr
