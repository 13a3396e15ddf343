// The serving directory's vocabulary files and features.json (see serving_files.h).
#include "export/serving_files.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/error.h"
#include "core/json_writer.h"
#include "dataset/schema.h"
#include "ctr/version.h"
#include "io/byte_sink.h"
#include "io/line_chunker.h"
#include "preprocess/raw_parser.h"
#include "preprocess/vocab_io.h"

namespace ctr {

std::string serving_vocab_path(const std::string& dir, const std::string& field) {
  return (std::filesystem::path(dir) / "vocab" / (field + ".tsv")).string();
}

namespace {

// Decompresses one vocabulary file into `to`; returns its line count.
uint64_t copy_lines(const std::string& from, const std::string& to) {
  if (!std::filesystem::exists(from))
    throw Error(
        fmt::format("{}: vocabulary file missing (the dataset directory is incomplete; re-run ctrtrain "
                    "preprocess)",
                    from));
  LineChunker chunker(ByteSource::open(from));
  std::unique_ptr<ByteSink> sink = ByteSink::create(to, Compression::none);
  LineChunk chunk;
  uint64_t lines = 0;
  while (chunker.next(chunk)) {
    sink->write(chunk.bytes.data(), chunk.bytes.size());
    lines += chunk.num_lines;
  }
  sink->close();
  return lines;
}

std::vector<uint64_t> positions(const std::vector<size_t>& columns) { return {columns.begin(), columns.end()}; }

// How a raw line is split and validated: the dataset's schema, as preprocess/raw_parser.cpp
// applies it.
void raw_format_json(JsonWriter& j, const Schema& s) {
  std::vector<std::string> names;
  for (const SchemaColumn& c : s.columns) names.push_back(c.name);
  j.begin_object("raw");
  j.value("separator", std::string(1, s.separator)).value("header", s.header);
  j.value("quote", s.quote ? std::string(1, s.quote) : std::string()).array("columns", names);
  j.value("label_column", static_cast<uint64_t>(s.label_column));
  j.array("dense_columns", positions(s.dense_columns)).array("cat_columns", positions(s.cat_columns));
  j.value("max_value_bytes", static_cast<uint64_t>(RowParser::kMaxFieldBytes));
  j.end_object();
}

void dense_json(JsonWriter& j, const DatasetMeta& meta) {
  std::vector<std::string> transforms;
  for (DenseTransform t : meta.dense_transforms()) transforms.push_back(dense_transform_name(t));
  j.begin_object("dense");
  j.array("fields", meta.dense_fields).array("transforms", transforms);
  j.array("min", meta.dense_stats.min).array("max", meta.dense_stats.max);
  j.end_object();
}

void categorical_json(JsonWriter& j, const DatasetMeta& meta) {
  std::vector<uint64_t> oov;
  std::vector<std::string> files;
  for (size_t f = 0; f < meta.cat_fields.size(); ++f) {
    oov.push_back(meta.oov_id(f));
    files.push_back("vocab/" + meta.cat_fields[f] + ".tsv");
  }
  j.begin_object("categorical");
  j.array("fields", meta.cat_fields).array("vocab_sizes", meta.vocab_sizes).array("oov_ids", oov);
  j.array("vocab_files", files);
  j.end_object();
}

void onnx_json(JsonWriter& j, const ServingModelInfo& m) {
  j.begin_object("onnx");
  j.value("file", m.model_file).value("external_data", m.external_data);
  j.value("ids_input", "ids").value("dense_input", m.has_dense_input ? "dense" : "");
  j.value("probability_output", "probability").value("logit_output", "logit");
  j.end_object();
}

}  // namespace

void write_serving_vocab(const std::string& dataset_dir, const DatasetMeta& meta, const std::string& dir) {
  std::filesystem::create_directories(std::filesystem::path(dir) / "vocab");
  for (size_t f = 0; f < meta.cat_fields.size(); ++f) {
    const std::string from = vocab_file_path(dataset_dir, meta.cat_fields[f]);
    const uint64_t lines = copy_lines(from, serving_vocab_path(dir, meta.cat_fields[f]));
    if (lines != meta.vocab_sizes[f] - 1)
      throw Error(
          fmt::format("{}: has {} values but meta.json says {} (the file is truncated or does not belong "
                      "to this dataset)",
                      from, lines, meta.vocab_sizes[f] - 1));
  }
}

std::string serving_features_json(const DatasetMeta& meta, const ServingModelInfo& model) {
  JsonWriter j;
  j.begin_object();
  j.value("format", "ctrtrain-serving").value("format_version", kServingFormatVersion);
  j.value("created_by", std::string("ctrtrain ") + CTR_VERSION);
  j.value("model_type", model.model_type).value("checkpoint", model.checkpoint).value("dataset", meta.dataset);
  raw_format_json(j, meta.schema);
  dense_json(j, meta);
  categorical_json(j, meta);
  onnx_json(j, model);
  j.value("prediction_format", "%.9g");
  j.end_object();
  return j.str() + "\n";
}

}  // namespace ctr
