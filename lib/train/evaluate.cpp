// Evaluation (see evaluate.h).
#include "train/evaluate.h"

#include <chrono>

#include "metrics/auc.h"
#include "metrics/logloss.h"

namespace ctr {

Predictions predict_all(Ops<float>& ops, CtrModel<float>& model, BatchReader& reader, DeviceBatch<float>& batch) {
  Predictions out;
  out.probs.reserve(reader.rows_per_epoch());
  out.labels.reserve(reader.rows_per_epoch());
  Buffer<float> probs(ops.memory(), batch.capacity);
  reader.start_epoch(0);
  while (BatchPtr host = reader.next()) {
    ops.load_batch(*host, model.tables().field_offsets(), batch);
    model.forward(batch);
    ops.sigmoid(model.logits(), probs.data(), host->rows);
    const size_t at = out.probs.size();
    out.probs.resize(at + host->rows);
    probs.download(out.probs.data() + at, host->rows);
    out.labels.insert(out.labels.end(), host->labels, host->labels + host->rows);
  }
  return out;
}

EvalResult score(const Predictions& p) {
  EvalResult r;
  r.rows = p.probs.size();
  r.auc = roc_auc(p.probs.data(), p.labels.data(), p.probs.size());
  r.logloss = log_loss(p.probs.data(), p.labels.data(), p.probs.size());
  return r;
}

EvalResult evaluate(Ops<float>& ops, CtrModel<float>& model, BatchReader& reader, DeviceBatch<float>& batch) {
  const auto start = std::chrono::steady_clock::now();
  EvalResult r = score(predict_all(ops, model, reader, batch));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace ctr
