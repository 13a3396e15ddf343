// The serving directory's vocabulary files and features.json (see serving_files.h).
#include "export/serving_files.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/error.h"
#include "core/json_writer.h"
#include "core/schema.h"
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

std::vector<uint64_t> column_range(size_t first, size_t count) {
  std::vector<uint64_t> v;
  for (size_t i = 0; i < count; ++i) v.push_back(first + i);
  return v;
}

// How a raw line is split and validated: the rules of preprocess/raw_parser.cpp.
void raw_format_json(JsonWriter& j, const Schema& s) {
  const bool criteo = s.kind == DatasetKind::criteo;
  std::string header;
  for (size_t i = 0; !criteo && i < s.raw_columns.size(); ++i) header += (i ? "," : "") + s.raw_columns[i];
  const size_t first_dense = criteo ? 1 : 2, first_cat = first_dense + s.num_dense();
  j.begin_object("raw");
  j.value("separator", criteo ? "\t" : ",").value("header", header).array("columns", s.raw_columns);
  j.value("label_column", static_cast<uint64_t>(criteo ? 0 : 1));
  j.array("dense_columns", column_range(first_dense, s.num_dense()));
  j.array("cat_columns", column_range(first_cat, s.num_cat()));
  j.value("max_value_bytes", static_cast<uint64_t>(RowParser::kMaxFieldBytes));
  j.end_object();
}

void dense_json(JsonWriter& j, const DatasetMeta& meta) {
  j.begin_object("dense");
  j.array("fields", meta.dense_fields).value("transform", dense_transform_name(meta.dense_transform));
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
  raw_format_json(j, schema_for(parse_dataset_kind(meta.dataset)));
  dense_json(j, meta);
  categorical_json(j, meta);
  onnx_json(j, model);
  j.value("prediction_format", "%.9g");
  j.end_object();
  return j.str() + "\n";
}

}  // namespace ctr
