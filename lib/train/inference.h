// Using a trained checkpoint: evaluate it on a dataset split, or write one probability per row
// for a dataset split or a raw Criteo/Avazu file (encoded with the checkpoint's vocabulary).
#pragma once

#include <string>

#include "train/evaluate.h"

namespace ctr {

struct InferenceOptions {
  std::string checkpoint;   // a checkpoint.ckpt written by training
  std::string data;         // a preprocessed dataset directory, or (predict only) a raw input file
  std::string split = "test";
  int threads = 0;
  size_t batch_size = 16384;
};

// Scores the checkpoint on `split` of the dataset at opts.data. The dataset must share the
// checkpoint's vocabulary (the same preprocess output, or one made with --vocab-from).
EvalResult evaluate_checkpoint(const InferenceOptions& opts);

// Writes one probability per row, in file order, to `output` (one per line, 9 significant digits).
// Returns the number of rows written.
uint64_t predict_to_file(const InferenceOptions& opts, const std::string& output);

}  // namespace ctr
