// Which rows a run evaluates: the valid split (model selection, early stopping) and the test
// split (the figure reported), each taken from data.path's meta.json or from the directory that
// data.valid_path / data.test_path names (docs/training.md, "Validation and test").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/train_config.h"
#include "dataset/dataset_meta.h"

namespace ctr {

struct EvalSplit {
  std::string role;   // "valid" | "test": what the run uses it for
  std::string dir;    // the dataset directory holding it
  DatasetMeta meta;   // that directory's meta.json
  std::string split;  // the split of `dir` read: "valid" or "test"
  uint64_t rows() const { return meta.split(split).rows; }
  std::string describe() const;  // "valid split of DIR (N rows)"
};

struct EvalSplits {
  std::optional<EvalSplit> valid, test;
  // The split evaluated during training, which selects the model: valid when there is one, else test.
  const EvalSplit* selection() const { return valid ? &*valid : test ? &*test : nullptr; }
};

// Throws UsageError when data.valid_path / data.test_path is not a dataset with data.path's
// vocabulary, or holds no rows to evaluate.
EvalSplits resolve_eval_splits(const TrainConfig& cfg, const DatasetMeta& train_meta);

}  // namespace ctr
