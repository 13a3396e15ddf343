// TrainingObjects: the backend objects one training run allocates (model, optimizer state, the
// batch buffer and the step's buffers), built in one place so that training, `ctrtrain bench`
// and the memory planner (train/memory_plan.h), which sizes them on SizingOps, agree on what a
// run takes.
#pragma once

#include <cstddef>

#include "backend/ops.h"
#include "config/train_config.h"
#include "model/ctr_model.h"
#include "optim/optimizer.h"
#include "train/train_step.h"

namespace ctr {

// What the objects' sizes depend on.
struct TrainingShape {
  ModelSpec spec;
  OptimizerOptions optimizer;
  size_t train_batch = 0;
  size_t eval_batch = 0;  // the model's activations and the batch buffer hold the larger of the two
  LossReduction loss_reduction = LossReduction::mean;
  size_t max_batch() const { return train_batch > eval_batch ? train_batch : eval_batch; }
};

// Neither copied nor moved: the optimizer and the step hold references to the model.
struct TrainingObjects {
  TrainingObjects(Ops<float>& ops, const TrainingShape& shape)
      : model(ops, shape.spec, shape.max_batch()),
        opt(ops, model, shape.optimizer),
        batch(ops.memory(), shape.max_batch(), shape.spec.num_dense, shape.spec.vocab_sizes.size()),
        step(ops, model, opt, shape.train_batch, shape.loss_reduction) {}
  TrainingObjects(const TrainingObjects&) = delete;
  TrainingObjects& operator=(const TrainingObjects&) = delete;

  CtrModel<float> model;
  Optimizer<float> opt;
  DeviceBatch<float> batch;
  TrainStep step;
};

}  // namespace ctr
