// The files beside an exported model that turn raw rows into its inputs (docs/serving.md):
// DIR/vocab/<field>.tsv (the training vocabulary, decompressed) and DIR/features.json (field
// names and order, vocabulary sizes and OOV ids, the dense transforms and their statistics, the raw
// file layout and parsing rules, the model file's input and output names).
#pragma once

#include <string>

#include "dataset/dataset_meta.h"

namespace ctr {

constexpr int kServingFormatVersion = 2;  // 2: the schema's quote, a header flag, per-field transforms

// What features.json says about the model file.
struct ServingModelInfo {
  std::string model_type;        // lr | fm | ... | dlrm
  std::string checkpoint;        // the checkpoint it was exported from
  std::string model_file;        // "model.onnx"
  std::string external_data;     // "model.onnx.data", or "" when every weight is inside model_file
  bool has_dense_input = false;  // false when the dataset has no dense fields (Avazu)
};

// Path of field `field`'s vocabulary file in a serving directory.
std::string serving_vocab_path(const std::string& dir, const std::string& field);

// Writes DIR/vocab/<field>.tsv for every categorical field: the lines of the dataset's
// vocab/<field>.tsv.zst ("value<TAB>count", line i = id i), checked against meta's sizes.
// Throws ctr::Error naming the file.
void write_serving_vocab(const std::string& dataset_dir, const DatasetMeta& meta, const std::string& dir);

// The contents of features.json.
std::string serving_features_json(const DatasetMeta& meta, const ServingModelInfo& model);

}  // namespace ctr
