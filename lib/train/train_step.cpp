// TrainStep (see train_step.h).
#include "train/train_step.h"

#include "backend/profiling_ops.h"

namespace ctr {

TrainStep::TrainStep(Ops<float>& ops, CtrModel<float>& model, Optimizer<float>& opt, size_t max_batch,
                     LossReduction reduction)
    : ops_(ops),
      model_(model),
      opt_(opt),
      reduction_(reduction),
      dlogits_(ops.memory(), max_batch),
      loss_sum_(ops.memory(), 1),
      clipped_rows_(ops.memory(), 1) {}

void TrainStep::forward_loss(const DeviceBatch<float>& batch) {
  const size_t b = batch.rows;
  model_.forward(batch);
  // d(loss)/d(logit) per row: the batch mean (the paper) scales by 1/b; a sum-reduced loss does
  // not, so its gradients are b times larger while CowClip's thresholds stay where they are.
  const float scale = reduction_ == LossReduction::mean ? 1.0f / float(b) : 1.0f;
  PhaseScope loss(Phase::loss);
  ops_.bce_with_logits(model_.logits(), batch.labels.data(), b, scale, dlogits_.data(), loss_sum_.data());
}

void TrainStep::backward(const DeviceBatch<float>& batch) { model_.backward(batch, dlogits_.data()); }

StepTotals TrainStep::take_totals() {
  StepTotals t;
  loss_sum_.download(&t.loss_sum, 1);
  clipped_rows_.download(&t.clipped_rows, 1);
  loss_sum_.zero();
  clipped_rows_.zero();
  return t;
}

}  // namespace ctr
