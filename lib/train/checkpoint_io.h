// Saving and loading a training state (model weights, Adam moments, step, epoch, run record) in
// the checkpoint container (docs/checkpoint-format.md; contents: docs/training.md).
#pragma once

#include <string>

#include "model/ctr_model.h"
#include "optim/optimizer.h"
#include "train/run_record.h"

namespace ctr {

struct CheckpointHeader {
  std::string ctrtrain_version;
  std::string name;
  std::string config_yaml;   // the run's fully resolved config
  std::string data_path;     // the dataset the model was trained on (its vocabulary)
  uint64_t seed = 0;
  ModelSpec model;
  RunRecord record;
};

// Atomically writes PATH (PATH.tmp, then rename). opt may be nullptr (weights only).
void save_checkpoint(const std::string& path, const CheckpointHeader& header, Ops<float>& ops,
                     CtrModel<float>& model, Optimizer<float>* opt);
// Reads and validates the header. Throws ctr::Error naming the file.
CheckpointHeader read_checkpoint_header(const std::string& path);
// Loads weights (and moments when opt != nullptr) into a model built from the header's spec.
void load_checkpoint_state(const std::string& path, Ops<float>& ops, CtrModel<float>& model,
                           Optimizer<float>* opt);

}  // namespace ctr
