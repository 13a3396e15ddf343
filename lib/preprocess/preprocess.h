// `ctrtrain preprocess`: raw files laid out as a Schema says -> vocabulary, dense statistics, train/test
// shards and meta.json, in two streaming passes (count, then encode) so memory is bounded by
// the vocabulary, never by the input size. Output layout: docs/dataset-format.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataset/dataset_meta.h"
#include "dataset/public_datasets.h"
#include "dataset/schema.h"

namespace ctr {

enum class SplitMode { rand, seq, day };
enum class BadRowPolicy { fail, skip };

struct PreprocessOptions {
  Schema schema = public_dataset(DatasetKind::criteo).schema;  // the inputs' layout
  std::vector<std::string> inputs;    // plain, .gz or .zst; read in this order
  std::string output;                 // directory; created atomically
  SplitMode split = SplitMode::rand;  // day: each input a day, the last one test
  bool valid_day_half = false;        // day split: the last day's first half is valid instead
  double test_ratio = -1;             // < 0: default (rand: 0.2 Avazu, else 0.1; seq: 1/7)
  double valid_ratio = 0;             // share of rows for the valid split (rand and seq); 0: none
  uint64_t min_count = 1;             // values seen fewer times in train -> OOV; 1 keeps all
  uint64_t max_vocab = 0;             // > 0: per field, only the most frequent in train are kept
  DenseTransform dense_transform = DenseTransform::minmax;  // dense columns the schema leaves unset
  uint64_t seed = 2023;               // rand split
  uint64_t shard_rows = 1u << 20;     // rows per shard file
  uint32_t group_rows = 1u << 16;     // rows per compressed row group (capped by shard_rows)
  int threads = 0;                    // 0 = all hardware threads
  BadRowPolicy on_bad_row = BadRowPolicy::fail;
  std::string vocab_from;             // existing output dir whose vocabulary and stats to reuse
  bool overwrite = false;             // replace an existing output directory
  bool progress = true;               // progress line on stderr
};

struct PreprocessSummary {
  DatasetMeta meta;
  double seconds = 0;
  uint64_t input_bytes = 0;   // on disk (compressed where the input is)
  uint64_t lines = 0;         // data lines read
};

// Throws UsageError for bad options, ctr::Error for bad input ("FILE:LINE: ...") or I/O.
// On any error nothing is left at opts.output.
PreprocessSummary run_preprocess(const PreprocessOptions& opts);

// Resolved test ratio for the options (applies the defaults above).
double resolved_test_ratio(const PreprocessOptions& opts);

}  // namespace ctr
