// meta.json writing (JsonWriter) and reading (yaml-cpp parses JSON), with key-level errors.
#include "dataset/dataset_meta.h"

#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "core/json_reader.h"
#include "core/json_writer.h"

namespace ctr {

uint64_t DatasetMeta::bad_rows_total() const {
  uint64_t t = 0;
  for (const auto& kv : bad_rows) t += kv.second;
  return t;
}

const SplitInfo& DatasetMeta::split(const std::string& name) const {
  if (name == "train") return train;
  if (name == "valid") return valid;
  if (name == "test") return test;
  throw Error(fmt::format("unknown split '{}' (expected train, valid or test)", name));
}

namespace {

void write_split(JsonWriter& w, const std::string& name, const SplitInfo& s) {
  w.begin_object(name);
  w.value("rows", s.rows).value("positives", s.positives).value("positive_rate", s.positive_rate());
  w.begin_array("shards");
  for (size_t i = 0; i < s.shards.size(); ++i) {
    w.begin_object().value("file", s.shards[i]).value("rows", s.shard_rows[i]).end_object();
  }
  w.end_array().end_object();
}

}  // namespace

std::string meta_to_json(const DatasetMeta& m) {
  JsonWriter w;
  w.begin_object();
  w.value("format", "ctrtrain-dataset").value("format_version", m.format_version);
  w.value("dataset", m.dataset).value("created_by", m.created_by);
  w.array("dense_fields", m.dense_fields).array("cat_fields", m.cat_fields);
  w.array("vocab_sizes", m.vocab_sizes).array("distinct_values", m.distinct_values);
  w.value("total_vocab_size", [&] { uint64_t t = 0; for (auto v : m.vocab_sizes) t += v; return t; }());
  w.begin_object("dense").value("transform", dense_transform_name(m.dense_transform));
  w.array("min", m.dense_stats.min).array("max", m.dense_stats.max).end_object();
  w.begin_object("rows").value("train", m.train.rows).value("valid", m.valid.rows).value("test", m.test.rows)
      .value("total", m.total_rows()).end_object();
  const uint64_t pos = m.train.positives + m.valid.positives + m.test.positives, rows = m.total_rows();
  w.value("positive_rate", rows ? static_cast<double>(pos) / rows : 0.0);
  w.begin_object("splits");
  for (const char* name : kSplitNames) write_split(w, name, m.split(name));
  w.end_object();
  w.begin_object("bad_rows").value("total", m.bad_rows_total());
  for (const auto& kv : m.bad_rows) w.value(kv.first, kv.second);
  w.end_object();
  w.begin_object("options");
  w.value("split", m.options.split).value("test_ratio", m.options.test_ratio).value("valid_ratio", m.options.valid_ratio)
      .value("min_count", m.options.min_count).value("seed", m.options.seed)
      .value("shard_rows", m.options.shard_rows).value("on_bad_row", m.options.on_bad_row)
      .value("vocab_from", m.options.vocab_from);
  w.end_object();
  w.begin_array("inputs");
  for (const auto& in : m.inputs)
    w.begin_object().value("path", in.path).value("bytes", in.bytes)
        .value("compression", in.compression).value("lines", in.lines).end_object();
  w.end_array();
  w.end_object();
  return w.str();
}

namespace {

// JSON writes non-finite numbers as null; read them back as NaN.
std::vector<double> as_doubles(const JsonNode& n) {
  std::vector<double> v;
  for (size_t i = 0; i < n.size(); ++i)
    v.push_back(n.at(i).node().IsNull() ? std::nan("") : n.at(i).as<double>());
  return v;
}

SplitInfo read_split(const JsonNode& n) {
  SplitInfo s;
  s.rows = n["rows"].as<uint64_t>();
  s.positives = n["positives"].as<uint64_t>();
  JsonNode shards = n["shards"];
  for (size_t i = 0; i < shards.size(); ++i) {
    s.shards.push_back(shards.at(i)["file"].as<std::string>());
    s.shard_rows.push_back(shards.at(i)["rows"].as<uint64_t>());
  }
  return s;
}

}  // namespace

DatasetMeta read_meta(const std::string& dir) {
  std::string file = (std::filesystem::path(dir) / "meta.json").string();
  if (!std::filesystem::exists(file))
    throw Error(fmt::format("{}: not found ('{}' is not a ctrtrain preprocess output directory; "
                            "create one with `ctrtrain preprocess`)", file, dir));
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}:{}: not valid JSON: {} (re-run ctrtrain preprocess)", file,
                            e.mark.line + 1, e.msg));
  }
  JsonNode r(root, file, "the file is damaged or was not written by ctrtrain preprocess; re-run preprocess");
  DatasetMeta m;
  m.format_version = r["format_version"].as<int>();
  if (m.format_version < 1 || m.format_version > kDatasetFormatVersion)
    throw Error(fmt::format("{}: format_version {} is not supported (this ctrtrain reads versions 1 to "
                            "{}); re-run ctrtrain preprocess", file, m.format_version,
                            kDatasetFormatVersion));
  m.dataset = r["dataset"].as<std::string>();
  m.created_by = r["created_by"].as<std::string>();
  m.dense_fields = r["dense_fields"].as_vector<std::string>();
  m.cat_fields = r["cat_fields"].as_vector<std::string>();
  m.vocab_sizes = r["vocab_sizes"].as_vector<uint64_t>();
  m.distinct_values = r["distinct_values"].as_vector<uint64_t>();
  if (m.vocab_sizes.size() != m.cat_fields.size() || m.distinct_values.size() != m.cat_fields.size())
    throw Error(fmt::format("{}: vocab_sizes/distinct_values do not match cat_fields", file));
  m.dense_transform = parse_dense_transform(r["dense"]["transform"].as<std::string>());
  m.dense_stats.min = as_doubles(r["dense"]["min"]);
  m.dense_stats.max = as_doubles(r["dense"]["max"]);
  if (m.dense_stats.min.size() != m.dense_fields.size() || m.dense_stats.max.size() != m.dense_fields.size())
    throw Error(fmt::format("{}: dense.min/max do not match dense_fields", file));
  m.train = read_split(r["splits"]["train"]);
  if (m.format_version >= 2) m.valid = read_split(r["splits"]["valid"]);
  m.test = read_split(r["splits"]["test"]);
  const JsonNode bad_rows = r["bad_rows"];  // named: the loop below iterates into it
  for (const auto& kv : bad_rows.node()) {
    std::string k = kv.first.as<std::string>();
    if (k != "total") m.bad_rows.emplace_back(k, kv.second.as<uint64_t>());
  }
  JsonNode o = r["options"];
  m.options.split = o["split"].as<std::string>();
  m.options.test_ratio = o["test_ratio"].as<double>();
  if (m.format_version >= 2) m.options.valid_ratio = o["valid_ratio"].as<double>();
  m.options.min_count = o["min_count"].as<uint64_t>();
  m.options.seed = o["seed"].as<uint64_t>();
  m.options.shard_rows = o["shard_rows"].as<uint64_t>();
  m.options.on_bad_row = o["on_bad_row"].as<std::string>();
  m.options.vocab_from = o["vocab_from"].as<std::string>();
  JsonNode inputs = r["inputs"];
  for (size_t i = 0; i < inputs.size(); ++i) {
    JsonNode in = inputs.at(i);
    m.inputs.push_back({in["path"].as<std::string>(), in["bytes"].as<uint64_t>(),
                        in["compression"].as<std::string>(), in["lines"].as<uint64_t>()});
  }
  return m;
}

std::vector<std::string> split_shard_paths(const std::string& dir, const DatasetMeta& meta,
                                           const std::string& split) {
  const SplitInfo& s = meta.split(split);
  std::vector<std::string> out;
  for (const auto& rel : s.shards) out.push_back((std::filesystem::path(dir) / rel).string());
  return out;
}

}  // namespace ctr
