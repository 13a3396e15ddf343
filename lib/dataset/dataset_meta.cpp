// meta.json writing (JsonWriter) and reading (yaml-cpp parses JSON), with key-level errors, the
// file's own checksum and, from format 3 on, its consistency checks.
#include "dataset/dataset_meta.h"

#include <array>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <set>

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "core/checksum.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "core/json_reader.h"
#include "core/json_writer.h"
#include "dataset/public_datasets.h"

namespace ctr {

uint64_t DatasetMeta::bad_rows_total() const {
  uint64_t t = 0;
  for (const auto& kv : bad_rows) t += kv.second;
  return t;
}

namespace {

constexpr std::string_view kChecksumKey = "\"checksum\": \"";
constexpr char kZeroChecksum[] = "00000000";

// zlib's crc32 (reflected 0xEDB88320, initial and final XOR 0xFFFFFFFF), kept here because
// ctr_dataset does not link zlib; meta.json is a few KB, so a byte-wise table is plenty.
uint32_t crc32_text(std::string_view s) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string hex32(uint32_t v) { return fmt::format("{:08x}", v); }

// Where the 8 hex digits of the last `"checksum": "` value start; npos when there is none.
size_t checksum_digits_at(std::string_view text) {
  const size_t k = text.rfind(kChecksumKey);
  if (k == std::string_view::npos || k + kChecksumKey.size() + 9 > text.size()) return std::string_view::npos;
  return k + kChecksumKey.size();
}

void write_split(JsonWriter& w, const std::string& name, const SplitInfo& s) {
  CTR_CHECK(s.shard_rows.size() == s.shards.size() && s.shard_bytes.size() == s.shards.size() &&
                s.shard_checksums.size() == s.shards.size(),
            "split {}: {} shards but {} row counts, {} sizes, {} checksums", name, s.shards.size(), s.shard_rows.size(),
            s.shard_bytes.size(), s.shard_checksums.size());
  w.begin_object(name);
  w.value("rows", s.rows).value("positives", s.positives).value("positive_rate", s.positive_rate());
  w.begin_array("shards");
  for (size_t i = 0; i < s.shards.size(); ++i) {
    w.begin_object().value("file", s.shards[i]).value("rows", s.shard_rows[i]).value("bytes", s.shard_bytes[i]);
    w.value("checksum", hex32(s.shard_checksums[i])).end_object();
  }
  w.end_array().end_object();
}

void write_vocab_files(JsonWriter& w, const DatasetMeta& m) {
  CTR_CHECK(m.vocab_files.size() == m.cat_fields.size(), "{} vocabulary files recorded for {} fields",
            m.vocab_files.size(), m.cat_fields.size());
  w.begin_array("vocab_files");
  for (size_t f = 0; f < m.vocab_files.size(); ++f) {
    const VocabFileInfo& v = m.vocab_files[f];
    w.begin_object().value("field", m.cat_fields[f]).value("file", v.file).value("bytes", v.bytes);
    w.value("values", v.values).value("checksum", hex32(v.checksum)).end_object();
  }
  w.end_array();
}

}  // namespace

std::string meta_to_json(const DatasetMeta& m) {
  JsonWriter w;
  w.begin_object();
  w.value("format", "ctrtrain-dataset").value("format_version", m.format_version);
  w.value("dataset", m.dataset).value("created_by", m.created_by);
  write_schema_json(w, "schema", m.schema);
  w.array("dense_fields", m.dense_fields).array("cat_fields", m.cat_fields);
  w.array("vocab_sizes", m.vocab_sizes).array("distinct_values", m.distinct_values);
  w.value("total_vocab_size", std::accumulate(m.vocab_sizes.begin(), m.vocab_sizes.end(), uint64_t{0}));
  w.begin_object("dense").array("min", m.dense_stats.min).array("max", m.dense_stats.max).end_object();
  w.begin_object("rows").value("train", m.train.rows).value("valid", m.valid.rows).value("test", m.test.rows)
      .value("total", m.total_rows()).end_object();
  const uint64_t pos = m.train.positives + m.valid.positives + m.test.positives, rows = m.total_rows();
  w.value("positive_rate", rows ? static_cast<double>(pos) / rows : 0.0);
  w.begin_object("splits");
  for (const char* name : kSplitNames) write_split(w, name, m.split(name));
  w.end_object();
  write_vocab_files(w, m);
  w.begin_object("bad_rows").value("total", m.bad_rows_total());
  for (const auto& kv : m.bad_rows) w.value(kv.first, kv.second);
  w.end_object();
  w.begin_object("options");
  w.value("split", m.options.split).value("test_ratio", m.options.test_ratio).value("valid_ratio", m.options.valid_ratio)
      .value("min_count", m.options.min_count).value("max_vocab", m.options.max_vocab).value("seed", m.options.seed)
      .value("shard_rows", m.options.shard_rows).value("on_bad_row", m.options.on_bad_row)
      .value("vocab_from", m.options.vocab_from);
  w.end_object();
  w.begin_array("inputs");
  for (const auto& in : m.inputs)
    w.begin_object().value("path", in.path).value("bytes", in.bytes)
        .value("compression", in.compression).value("lines", in.lines).end_object();
  w.end_array();
  w.value("checksum", kZeroChecksum);  // last, so that it is the file's last "checksum" key
  w.end_object();
  return reseal_meta_json(w.str());
}

uint32_t meta_json_checksum(std::string_view text) {
  const size_t at = checksum_digits_at(text);
  if (at == std::string_view::npos) throw Error("meta.json text without a \"checksum\" key");
  std::string zeroed(text);
  zeroed.replace(at, 8, kZeroChecksum);
  return crc32_text(zeroed);
}

std::string reseal_meta_json(std::string text) {
  const uint32_t crc = meta_json_checksum(text);
  text.replace(checksum_digits_at(text), 8, hex32(crc));
  return text;
}

namespace {

const char* const kRerun = "re-run ctrtrain preprocess";
// Ends every consistency error: the checksum matched, so the file was edited and resealed (or
// a ctrtrain bug wrote it).
const char* const kInconsistent =
    "meta.json contradicts itself, so it cannot describe its dataset (edited by hand and resealed?); re-run "
    "ctrtrain preprocess";

// JSON writes non-finite numbers as null; read them back as NaN.
std::vector<double> as_doubles(const JsonNode& n) {
  std::vector<double> v;
  for (size_t i = 0; i < n.size(); ++i)
    v.push_back(n.at(i).node().IsNull() ? std::nan("") : n.at(i).as<double>());
  return v;
}

uint32_t as_hex32(const JsonNode& n, const std::string& file, const std::string& key) {
  const std::string s = n.as<std::string>();
  if (s.size() == 8 && s.find_first_not_of("0123456789abcdef") == std::string::npos)
    return static_cast<uint32_t>(std::stoul(s, nullptr, 16));
  throw Error(
      fmt::format("{}: {} is '{}', expected 8 lowercase hex digits (the file is damaged); {}", file, key, s, kRerun));
}

SplitInfo read_split(const JsonNode& n, bool checked, const std::string& file) {
  SplitInfo s;
  s.rows = n["rows"].as<uint64_t>();
  s.positives = n["positives"].as<uint64_t>();
  JsonNode shards = n["shards"];
  for (size_t i = 0; i < shards.size(); ++i) {
    const JsonNode sh = shards.at(i);
    s.shards.push_back(sh["file"].as<std::string>());
    s.shard_rows.push_back(sh["rows"].as<uint64_t>());
    if (!checked) continue;
    s.shard_bytes.push_back(sh["bytes"].as<uint64_t>());
    s.shard_checksums.push_back(as_hex32(sh["checksum"], file, fmt::format("shard {}'s checksum", s.shards.back())));
  }
  return s;
}

std::vector<VocabFileInfo> read_vocab_files(const JsonNode& n, const std::string& file) {
  std::vector<VocabFileInfo> out;
  for (size_t i = 0; i < n.size(); ++i) {
    const JsonNode v = n.at(i);
    VocabFileInfo info{v["file"].as<std::string>(), v["bytes"].as<uint64_t>(), v["values"].as<uint64_t>(), 0};
    info.checksum = as_hex32(v["checksum"], file, fmt::format("{}'s checksum", info.file));
    out.push_back(std::move(info));
  }
  return out;
}

// The file's identity before anything else is believed: what it is, and which version.
int read_format(const JsonNode& r, const std::string& file) {
  const std::string format = r["format"].as<std::string>();
  if (format != "ctrtrain-dataset")
    throw Error(
        fmt::format("{}: format is '{}', expected 'ctrtrain-dataset' (this is not the meta.json of a "
                    "ctrtrain dataset); {}",
                    file, format, kRerun));
  const int version = r["format_version"].as<int>();
  if (version < 1 || version > kDatasetFormatVersion)
    throw Error(
        fmt::format("{}: format_version {} is not supported (this ctrtrain reads versions 1 to "
                    "{}); re-run ctrtrain preprocess",
                    file, version, kDatasetFormatVersion));
  return version;
}

void check_checksum(const std::string& text, const JsonNode& r, const std::string& file) {
  const uint32_t stored = as_hex32(r["checksum"], file, "checksum");
  const size_t at = checksum_digits_at(text);
  // The key the rule covers must be the one the parser read: the last one in the text.
  if (at == std::string::npos || text.compare(at, 8, hex32(stored)) != 0)
    throw Error(
        fmt::format("{}: the top-level \"checksum\" is not the file's last \"checksum\" key (the file was "
                    "rewritten after ctrtrain preprocess wrote it); {}",
                    file, kRerun));
  const uint32_t computed = meta_json_checksum(text);
  if (checksums_differ(stored, computed))
    throw Error(
        fmt::format("{}: {}: the file changed after ctrtrain preprocess wrote it; {} (if you edited it on "
                    "purpose, docs/dataset-format.md shows how to recompute the checksum)",
                    file, checksum_mismatch(stored, computed), kRerun));
}

// Format 4 on, the schema meta.json embeds, read by the schema.yaml reader; before, the built-in
// schema that `dataset` names, with dense.transform for every dense column.
void read_schema(const JsonNode& r, DatasetMeta& m, const std::string& file) {
  if (m.format_version >= 4 || r.has("schema")) {
    try {
      m.schema = schema_from_yaml(r["schema"].node(), file);
    } catch (const Error& e) {
      throw Error(fmt::format("{} (in its schema); {}", e.what(), kRerun));
    }
    for (size_t col : m.schema.dense_columns)
      if (!m.schema.columns[col].transform)
        throw Error(fmt::format("{}: schema column {} is dense but has no transform; {}", file,
                                m.schema.columns[col].name, kInconsistent));
    return;
  }
  if (m.dataset != "criteo" && m.dataset != "avazu")
    throw Error(fmt::format("{}: dataset is '{}', expected criteo or avazu (format {} has no schema of its own); {}",
                            file, m.dataset, m.format_version, kRerun));
  m.schema = with_dense_transforms(public_dataset(parse_dataset_kind(m.dataset)).schema,
                                   parse_dense_transform(r["dense"]["transform"].as<std::string>()));
}

void read_fields(const JsonNode& r, DatasetMeta& m, const std::string& file) {
  m.dataset = r["dataset"].as<std::string>();
  m.created_by = r["created_by"].as<std::string>();
  m.dense_fields = r["dense_fields"].as_vector<std::string>();
  m.cat_fields = r["cat_fields"].as_vector<std::string>();
  m.vocab_sizes = r["vocab_sizes"].as_vector<uint64_t>();
  m.distinct_values = r["distinct_values"].as_vector<uint64_t>();
  if (m.vocab_sizes.size() != m.cat_fields.size() || m.distinct_values.size() != m.cat_fields.size())
    throw Error(fmt::format("{}: vocab_sizes/distinct_values do not match cat_fields", file));
  read_schema(r, m, file);
  m.dense_stats.min = as_doubles(r["dense"]["min"]);
  m.dense_stats.max = as_doubles(r["dense"]["max"]);
  if (m.dense_stats.min.size() != m.dense_fields.size() || m.dense_stats.max.size() != m.dense_fields.size())
    throw Error(fmt::format("{}: dense.min/max do not match dense_fields", file));
  m.train = read_split(r["splits"]["train"], m.checked(), file);
  if (m.format_version >= 2) m.valid = read_split(r["splits"]["valid"], m.checked(), file);
  m.test = read_split(r["splits"]["test"], m.checked(), file);
  if (m.checked()) m.vocab_files = read_vocab_files(r["vocab_files"], file);
  const JsonNode bad_rows = r["bad_rows"];
  for (const std::string& k : bad_rows.keys())
    if (k != "total") m.bad_rows.emplace_back(k, bad_rows[k].as<uint64_t>());
}

void read_options(const JsonNode& r, DatasetMeta& m) {
  JsonNode o = r["options"];
  m.options.split = o["split"].as<std::string>();
  m.options.test_ratio = o["test_ratio"].as<double>();
  if (m.format_version >= 2) m.options.valid_ratio = o["valid_ratio"].as<double>();
  m.options.min_count = o["min_count"].as<uint64_t>();
  if (o.has("max_vocab")) m.options.max_vocab = o["max_vocab"].as<uint64_t>();
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
}

// The field lists and `dataset` are the schema's.
void check_schema(const DatasetMeta& m, const std::string& file) {
  const Schema& s = m.schema;
  if (m.dataset != s.name || m.dense_fields != s.dense_names || m.cat_fields != s.cat_names)
    throw Error(
        fmt::format("{}: dataset {} with {} dense and {} categorical fields ({}..., {}...) is not what its schema "
                    "{} describes ({} dense and {} categorical fields); {}",
                    file, m.dataset, m.dense_fields.size(), m.cat_fields.size(),
                    m.dense_fields.empty() ? "" : m.dense_fields.front(),
                    m.cat_fields.empty() ? "" : m.cat_fields.front(), s.name, s.num_dense(), s.num_cat(),
                    kInconsistent));
}

void check_vocab_sizes(const JsonNode& r, const DatasetMeta& m, const std::string& file) {
  uint64_t total = 0;
  for (size_t f = 0; f < m.vocab_sizes.size(); ++f) {
    if (m.vocab_sizes[f] < 1 || m.vocab_sizes[f] > (uint64_t{1} << 32))
      throw Error(fmt::format("{}: vocab_sizes[{}] ({}) is {}, expected 1..2^32 (ids are 32-bit); {}", file, f,
                              m.cat_fields[f], m.vocab_sizes[f], kInconsistent));
    total += m.vocab_sizes[f];
  }
  const uint64_t stated = r["total_vocab_size"].as<uint64_t>();
  if (stated != total)
    throw Error(fmt::format("{}: total_vocab_size is {}, but vocab_sizes add up to {}; {}", file, stated, total,
                            kInconsistent));
  if (m.vocab_files.size() != m.cat_fields.size())
    throw Error(fmt::format("{}: vocab_files lists {} files for {} categorical fields; {}", file, m.vocab_files.size(),
                            m.cat_fields.size(), kInconsistent));
  for (size_t f = 0; f < m.cat_fields.size(); ++f) {
    const VocabFileInfo& v = m.vocab_files[f];
    const std::string want = "vocab/" + m.cat_fields[f] + ".tsv.zst";
    if (v.file != want || v.values != m.vocab_sizes[f] - 1)
      throw Error(fmt::format("{}: vocab_files[{}] is {} with {} values, expected {} with vocab_sizes[{}] - 1 = {}; {}",
                              file, f, v.file, v.values, want, f, m.vocab_sizes[f] - 1, kInconsistent));
  }
}

// rows.<split> == splits.<split>.rows == the sum of the split's shard rows, and rows.total.
void check_rows(const JsonNode& r, const DatasetMeta& m, const std::string& file) {
  const JsonNode rows = r["rows"];
  for (const char* name : kSplitNames) {
    const SplitInfo& s = m.split(name);
    const uint64_t in_shards = std::accumulate(s.shard_rows.begin(), s.shard_rows.end(), uint64_t{0});
    const uint64_t stated = rows[name].as<uint64_t>();
    if (stated != s.rows || in_shards != s.rows)
      throw Error(
          fmt::format("{}: the {} split's row counts disagree: rows.{} {}, splits.{}.rows {}, its shards' "
                      "rows add up to {}; {}",
                      file, name, name, stated, name, s.rows, in_shards, kInconsistent));
    if (s.positives > s.rows)
      throw Error(
          fmt::format("{}: splits.{} has {} positives in {} rows; {}", file, name, s.positives, s.rows, kInconsistent));
  }
  const uint64_t total = rows["total"].as<uint64_t>();
  if (total != m.total_rows())
    throw Error(fmt::format("{}: rows.total is {}, but the splits hold {} rows; {}", file, total, m.total_rows(),
                            kInconsistent));
}

// Every shard is listed once, inside the dataset directory.
void check_shard_list(const DatasetMeta& m, const std::string& file) {
  std::set<std::string> seen;
  for (const char* name : kSplitNames)
    for (const std::string& rel : m.split(name).shards) {
      const std::filesystem::path p = std::filesystem::path(rel).lexically_normal();
      const bool inside = !p.is_absolute() && !p.empty() && *p.begin() != "..";
      if (!inside)
        throw Error(fmt::format("{}: shard '{}' of the {} split lies outside the dataset directory; {}", file, rel,
                                name, kInconsistent));
      if (!seen.insert(p.string()).second)
        throw Error(fmt::format("{}: shard '{}' is listed twice (the second time in the {} split); {}", file, rel, name,
                                kInconsistent));
    }
}

void check_bad_rows(const JsonNode& r, const DatasetMeta& m, const std::string& file) {
  const uint64_t stated = r["bad_rows"]["total"].as<uint64_t>();
  if (stated != m.bad_rows_total())
    throw Error(fmt::format("{}: bad_rows.total is {}, but its kinds add up to {}; {}", file, stated,
                            m.bad_rows_total(), kInconsistent));
}

// Once per file and process: a run reads the same meta.json several times.
void warn_unchecked(const std::string& file, const DatasetMeta& m) {
  static std::mutex mu;
  static std::set<std::string> warned;
  std::lock_guard<std::mutex> lock(mu);
  if (!warned.insert(file).second) return;
  spdlog::warn(
      "{}: format {} (written by {}) is unchecked: it has no checksums, so damage to it, its shards or its "
      "vocabulary files can go unnoticed; re-run ctrtrain preprocess to get the checks",
      file, m.format_version, m.created_by);
}

}  // namespace

void check_split_has_rows(const std::string& who, const std::string& dataset_dir, const DatasetMeta& meta,
                          const std::string& split, const std::string& fix) {
  if (meta.split(split).rows != 0) return;
  throw UsageError(fmt::format("{}: {}: its {} split has no rows (train {}, valid {}, test {}); {}", who, dataset_dir,
                               split, meta.train.rows, meta.valid.rows, meta.test.rows, fix));
}

DatasetMeta read_meta(const std::string& dir) {
  std::string file = (std::filesystem::path(dir) / "meta.json").string();
  if (!std::filesystem::exists(file))
    throw Error(
        fmt::format("{}: not found ('{}' is not a ctrtrain preprocess output directory; "
                    "create one with `ctrtrain preprocess`)",
                    file, dir));
  const std::string text = read_text_file(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}:{}: not valid JSON: {} (re-run ctrtrain preprocess)", file, e.mark.line + 1, e.msg));
  }
  JsonNode r(root, file, "the file is damaged or was not written by ctrtrain preprocess; re-run preprocess");
  DatasetMeta m;
  m.format_version = read_format(r, file);
  if (m.checked()) check_checksum(text, r, file);
  read_fields(r, m, file);
  read_options(r, m);
  if (!m.checked()) {
    warn_unchecked(file, m);
    return m;
  }
  check_schema(m, file);
  check_vocab_sizes(r, m, file);
  check_rows(r, m, file);
  check_shard_list(m, file);
  check_bad_rows(r, m, file);
  return m;
}

}  // namespace ctr
