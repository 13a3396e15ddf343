// Builds the model and optimizer options a config asks for, on a dataset's schema; shared by
// training, `eval` and `predict`.
#pragma once

#include "config/train_config.h"
#include "dataset/dataset_meta.h"
#include "model/ctr_model.h"
#include "optim/optimizer.h"

namespace ctr {

// The model parts for cfg.model on the dataset's fields; dense_l2 is the resolved l2.
ModelSpec model_spec_for(const TrainConfig& cfg, const DatasetMeta& meta, double dense_l2);
// Optimizer options at the actual batch size; warmup_steps from warmup_epochs * steps_per_epoch.
OptimizerOptions optimizer_options_for(const TrainConfig& cfg, const ResolvedHyper& hyper, uint64_t steps_per_epoch);

}  // namespace ctr
