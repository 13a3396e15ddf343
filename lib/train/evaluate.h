// Evaluation: run a model over a split and score it (exact AUC, logloss with clipped probabilities).
#pragma once

#include <cstdint>
#include <vector>

#include "model/ctr_model.h"
#include "train/batch_source.h"

namespace ctr {

struct EvalResult {
  double auc = 0, logloss = 0;
  uint64_t rows = 0;
  double seconds = 0;
};

// Forward passes only, over one epoch of `source` (which should not shuffle): one probability
// per row, in the source's order. `batch` must hold the source's batch size.
std::vector<float> predict_all(Ops<float>& ops, CtrModel<float>& model, BatchSource& source, DeviceBatch<float>& batch);
// The rows an evaluation scored, copied to the host, in the source's order.
struct ScoredRows {
  std::vector<float> probs, labels;
};

// Forward passes over one epoch of `source`, scored in backend memory (Ops::auc_logloss), timed.
// With `rows`, the probabilities and labels are also copied to the host (for the metrics that
// are computed there). Throws ctr::Error when the labels hold a single class (AUC is undefined).
EvalResult evaluate(Ops<float>& ops, CtrModel<float>& model, BatchSource& source, DeviceBatch<float>& batch,
                    ScoredRows* rows = nullptr);

}  // namespace ctr
