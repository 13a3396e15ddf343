// Evaluation: run a model over a split and score it (exact AUC, logloss with clipped probabilities).
#pragma once

#include <cstdint>
#include <vector>

#include "model/ctr_model.h"
#include "reader/batch_reader.h"

namespace ctr {

struct Predictions {
  std::vector<float> probs;   // one per row, in the reader's order
  std::vector<float> labels;
};

struct EvalResult {
  double auc = 0, logloss = 0;
  uint64_t rows = 0;
  double seconds = 0;
};

// Forward passes only, over one epoch of `reader` (which should not shuffle). `batch` must hold
// the reader's batch size.
Predictions predict_all(Ops<float>& ops, CtrModel<float>& model, BatchReader& reader, DeviceBatch<float>& batch);
// AUC and logloss of predictions (seconds left 0). Throws ctr::Error when they hold a single class
// (AUC is undefined).
EvalResult score(const Predictions& p);
// predict_all + score, timed.
EvalResult evaluate(Ops<float>& ops, CtrModel<float>& model, BatchReader& reader, DeviceBatch<float>& batch);

}  // namespace ctr
