// Calibration, gAUC and OOV rates of an evaluation (see eval_detail.h).
#include "train/eval_detail.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/key_suggest.h"
#include "core/error.h"
#include "reader/batch_reader.h"
#include "reader/dataset_split.h"

namespace ctr {

namespace {

constexpr size_t kCalibrationBins = 20;

// Column `field` of the split (its group keys) and per-field OOV counts, checking each label
// against the scored ones so that the keys line up with the probabilities.
struct SplitIds {
  std::vector<uint32_t> group;  // [rows], empty without a group field
  std::vector<uint64_t> oov;    // [fields]
};

SplitIds read_split_ids(const EvalSplit& split, const ScoredRows& scored, int group_field, int threads) {
  BatchReaderOptions o;
  o.batch_size = 65536;
  o.shuffle = false;
  o.threads = threads;
  auto reader = open_streaming_reader(split_shard_paths(split.dir, split.meta, split.split), o);
  const size_t nf = split.meta.cat_fields.size(), n = scored.labels.size();
  SplitIds ids;
  ids.oov.assign(nf, 0);
  if (group_field >= 0) ids.group.reserve(n);
  size_t at = 0;
  reader->start_epoch(0);
  while (BatchPtr b = reader->next()) {
    for (size_t i = 0; i < b->rows; ++i, ++at) {
      if (at >= n || b->labels[i] != scored.labels[at])
        throw Error(fmt::format("{}: row {} of the split does not match the evaluated row (label {} vs {}); the "
                                "evaluation read the rows in another order",
                                split.describe(), at, at < n ? scored.labels[at] : -1.0f, b->labels[i]));
      const uint32_t* row = b->cat + i * nf;
      for (size_t f = 0; f < nf; ++f) ids.oov[f] += row[f] == split.meta.oov_id(f);
      if (group_field >= 0) ids.group.push_back(row[group_field]);
    }
  }
  CTR_CHECK(at == n, "{}: {} rows read back, {} evaluated", split.describe(), at, n);
  return ids;
}

int field_index(const std::string& name, const DatasetMeta& meta) {
  const auto it = std::find(meta.cat_fields.begin(), meta.cat_fields.end(), name);
  return it == meta.cat_fields.end() ? -1 : static_cast<int>(it - meta.cat_fields.begin());
}

}  // namespace

void check_group_by(const std::string& group_by, const DatasetMeta& meta) {
  if (group_by.empty() || field_index(group_by, meta) >= 0) return;
  const std::string guess = closest_match(group_by, meta.cat_fields);
  std::string fields;
  for (const auto& f : meta.cat_fields) fields += (fields.empty() ? "" : ", ") + f;
  throw UsageError(fmt::format("eval.group_by: '{}' is not a categorical field of this {} dataset{}; its fields: {}",
                               group_by, meta.dataset, guess.empty() ? "" : " (did you mean '" + guess + "'?)",
                               fields));
}

EvalDetail evaluation_detail(const EvalSplit& split, const ScoredRows& scored, const std::string& group_by,
                             int threads) {
  check_group_by(group_by, split.meta);
  EvalDetail d;
  const size_t n = scored.probs.size();
  d.calibration = calibration(scored.probs.data(), scored.labels.data(), n, kCalibrationBins);
  d.group_by = group_by;
  const SplitIds ids = read_split_ids(split, scored, group_by.empty() ? -1 : field_index(group_by, split.meta),
                                      threads);
  if (!group_by.empty()) d.gauc = grouped_auc(scored.probs.data(), scored.labels.data(), ids.group.data(), n);
  for (uint64_t c : ids.oov) d.oov_rate.push_back(n ? double(c) / double(n) : 0.0);
  return d;
}

}  // namespace ctr
