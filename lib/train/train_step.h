// TrainStep: one training step as its three phases (forward + loss, backward, update), the single
// definition that both the trainer and `ctrtrain bench` run; the bench times the phases apart.
// The step does not wait for its loss or clipped-row count: they add up in backend memory and are
// read once per log interval (take_totals). (embedding_reduce still reads U back: docs/backend.md.)
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/ops.h"
#include "config/train_config.h"
#include "model/ctr_model.h"
#include "optim/optimizer.h"

namespace ctr {

// What the steps since the last take_totals() added up.
struct StepTotals {
  double loss_sum = 0;        // summed BCE over their samples (non-finite once training diverged)
  uint64_t clipped_rows = 0;  // (unique row, step) pairs whose gradient CowClip cut
};

class TrainStep {
 public:
  // max_batch bounds every batch this step is given.
  TrainStep(Ops<float>& ops, CtrModel<float>& model, Optimizer<float>& opt, size_t max_batch,
            LossReduction reduction);
  // Forward pass and loss; the batch's summed BCE goes to the totals.
  void forward_loss(const DeviceBatch<float>& batch);
  // Gradients of the loss forward_loss just computed.
  void backward(const DeviceBatch<float>& batch);
  // The optimizer step over those gradients; its clipped rows go to the totals.
  StepStats update() { return opt_.step(clipped_rows_.data()); }
  // The totals since the previous call, which are then zeroed. Waits for the device.
  StepTotals take_totals();

 private:
  Ops<float>& ops_;
  CtrModel<float>& model_;
  Optimizer<float>& opt_;
  LossReduction reduction_;
  Buffer<float> dlogits_;           // [max_batch] d(loss)/d(logit)
  Buffer<double> loss_sum_;         // [1]
  Buffer<uint64_t> clipped_rows_;   // [1]
};

}  // namespace ctr
