// Evaluation (see evaluate.h).
#include "train/evaluate.h"

#include <chrono>

#include "core/error.h"
#include "core/stopwatch.h"

namespace ctr {

std::vector<float> predict_all(Ops<float>& ops, CtrModel<float>& model, BatchSource& source,
                               DeviceBatch<float>& batch) {
  std::vector<float> out;
  out.reserve(source.rows_per_epoch());
  Buffer<float> probs(ops.memory(), batch.capacity);
  source.start_epoch(0);
  while (source.next(batch)) {
    model.forward(batch);
    ops.sigmoid(model.logits(), probs.data(), batch.rows);
    const size_t at = out.size();
    out.resize(at + batch.rows);
    probs.download(out.data() + at, batch.rows);
  }
  return out;
}

EvalResult evaluate(Ops<float>& ops, CtrModel<float>& model, BatchSource& source, DeviceBatch<float>& batch,
                    ScoredRows* rows) {
  const auto start = std::chrono::steady_clock::now();
  // Predictions and labels stay in backend memory and are scored there: on a GPU nothing but the
  // two results crosses to the host.
  const uint64_t n = source.rows_per_epoch();
  Buffer<float> probs(ops.memory(), n), labels(ops.memory(), n);
  uint64_t at = 0;
  source.start_epoch(0);
  while (source.next(batch)) {
    CTR_CHECK(at + batch.rows <= n, "evaluation source yields more than its {} rows", n);
    model.forward(batch);
    ops.sigmoid(model.logits(), probs.data() + at, batch.rows);
    ops.memory().copy(labels.data() + at, batch.labels.data(), batch.rows * sizeof(float));
    at += batch.rows;
  }
  CTR_CHECK(at == n, "evaluation source yielded {} of its {} rows", at, n);
  EvalResult r;
  r.rows = n;
  ops.auc_logloss(probs.data(), labels.data(), n, &r.auc, &r.logloss);
  if (rows) {
    rows->probs.resize(n);
    rows->labels.resize(n);
    probs.download(rows->probs.data(), n);
    labels.download(rows->labels.data(), n);
  }
  r.seconds = seconds_since(start);
  return r;
}

}  // namespace ctr
