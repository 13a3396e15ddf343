// `ctrtrain export`: a training checkpoint as a serving directory: DIR/model.onnx (per-field ids
// and transformed dense values -> click probability, every model type), DIR/vocab/<field>.tsv and
// DIR/features.json, which say how raw rows become those inputs (docs/serving.md).
#pragma once

#include <cstdint>
#include <string>

namespace ctr {

struct ExportOptions {
  std::string checkpoint;       // a checkpoint.ckpt written by training
  std::string format = "onnx";  // the only format so far
  std::string output;           // the serving directory to create
  bool force = false;           // replace an existing output directory
  bool external_data = false;   // weights in DIR/model.onnx.data even when model.onnx could hold them
};

struct ExportResult {
  std::string directory;
  uint64_t weight_bytes = 0;
  bool external_data = false;  // the weights went to model.onnx.data
};

// Writes the directory under a temporary name and renames it into place, so a failure leaves
// nothing behind. Throws UsageError for bad options, ctr::Error for unreadable or damaged inputs
// and write failures, each naming the file.
ExportResult export_checkpoint(const ExportOptions& options);

}  // namespace ctr
