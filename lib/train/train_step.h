// TrainStep: one training step as its three phases (forward + loss, backward, update), the single
// definition that both the trainer and `ctrtrain bench` run; the bench times the phases apart.
#pragma once

#include <cstddef>

#include "backend/ops.h"
#include "config/train_config.h"
#include "model/ctr_model.h"
#include "optim/optimizer.h"

namespace ctr {

class TrainStep {
 public:
  // max_batch bounds every batch this step is given.
  TrainStep(Ops<float>& ops, CtrModel<float>& model, Optimizer<float>& opt, size_t max_batch,
            LossReduction reduction);
  // Forward pass and loss; returns the batch's summed BCE (non-finite when training diverged).
  double forward_loss(const DeviceBatch<float>& batch);
  // Gradients of the loss forward_loss just computed.
  void backward(const DeviceBatch<float>& batch);
  // The optimizer step over those gradients.
  StepStats update() { return opt_.step(); }

 private:
  Ops<float>& ops_;
  CtrModel<float>& model_;
  Optimizer<float>& opt_;
  LossReduction reduction_;
  Buffer<float> dlogits_;  // [max_batch] d(loss)/d(logit)
};

}  // namespace ctr
