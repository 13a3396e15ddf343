// Resolution of a run's valid and test splits (see eval_splits.h).
#include "train/eval_splits.h"

#include <fmt/format.h>

#include "core/error.h"

namespace ctr {

std::string EvalSplit::describe() const { return fmt::format("{} split of {} ({} rows)", split, dir, rows()); }

namespace {

// The ids of an evaluated split index the training tables, so its vocabulary must be theirs.
void check_same_vocabulary(const std::string& key, const std::string& dir, const DatasetMeta& m,
                           const DatasetMeta& train) {
  const char* fix = "encode it with the training vocabulary: ctrtrain preprocess --vocab-from DATA_PATH --test-ratio 1";
  if (!same_layout(m.schema, train.schema) || m.cat_fields != train.cat_fields || m.dense_fields != train.dense_fields)
    throw UsageError(fmt::format("{} {}: a {} dataset with other fields than data.path's {} dataset; {}", key, dir,
                                 m.dataset, train.dataset, fix));
  if (m.vocab_sizes != train.vocab_sizes || m.schema != train.schema ||
      m.dense_stats.min != train.dense_stats.min || m.dense_stats.max != train.dense_stats.max)
    throw UsageError(fmt::format("{} {}: its vocabulary or dense statistics differ from data.path's, so its ids would "
                                 "mean other values; {}",
                                 key, dir, fix));
}

// data.valid_path / data.test_path: that directory's test split (where --test-ratio 1 puts every row).
EvalSplit external_split(const std::string& role, const std::string& dir, const DatasetMeta& train) {
  const std::string key = "data." + role + "_path";
  EvalSplit s{role, dir, read_meta(dir), "test"};
  check_same_vocabulary(key, dir, s.meta, train);
  check_split_has_rows(key, dir, s.meta, "test", "encode the rows to evaluate with --test-ratio 1");
  return s;
}

}  // namespace

EvalSplits resolve_eval_splits(const TrainConfig& cfg, const DatasetMeta& train_meta) {
  EvalSplits out;
  if (!cfg.data.valid_path.empty())
    out.valid = external_split("valid", cfg.data.valid_path, train_meta);
  else if (train_meta.valid.rows > 0)
    out.valid = EvalSplit{"valid", cfg.data.path, train_meta, "valid"};
  if (!cfg.data.test_path.empty())
    out.test = external_split("test", cfg.data.test_path, train_meta);
  else if (train_meta.test.rows > 0)
    out.test = EvalSplit{"test", cfg.data.path, train_meta, "test"};
  return out;
}

}  // namespace ctr
