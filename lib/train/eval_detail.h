// The figures of the reported model's evaluation beyond AUC and logloss: calibration, gAUC
// grouped by eval.group_by, and each field's out-of-vocabulary rate (docs/training.md, "Metrics").
#pragma once

#include <string>
#include <vector>

#include "metrics/calibration.h"
#include "metrics/gauc.h"
#include "train/eval_splits.h"
#include "train/evaluate.h"

namespace ctr {

struct EvalDetail {
  CalibrationResult calibration;  // 20 equal-width bins
  std::string group_by;           // "" = no gAUC asked for
  GaucResult gauc;
  std::vector<double> oov_rate;   // [cat fields]: share of the split's rows holding the field's OOV id
};

// `scored`: what evaluate() returned for `split`, in its file order. The split is read again on
// the host for the ids (group keys, OOV); its labels must equal scored.labels row for row, else
// ctr::Error (the two reads disagree on the order). `group_by` must be a categorical field of
// the split's dataset (UsageError otherwise; check_group_by checks it before training).
EvalDetail evaluation_detail(const EvalSplit& split, const ScoredRows& scored, const std::string& group_by,
                             int threads);

// eval.group_by names a categorical field of `meta`, or is "". UsageError with a suggestion otherwise.
void check_group_by(const std::string& group_by, const DatasetMeta& meta);

}  // namespace ctr
