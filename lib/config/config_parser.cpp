// YAML text and --set overrides -> a validated TrainConfig; every message names the place and the full key.
#include <cstdint>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/config_value.h"
#include "config/key_suggest.h"
#include "config/train_config.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "core/log.h"
#include "core/limits.h"

namespace ctr {

namespace {

namespace fs = std::filesystem;
using config_detail::Place;
using config_detail::Value;
using config_detail::where_in;

using Setter = void (*)(TrainConfig&, const Value&);
struct KeyDef {
  const char* name;
  Setter set;
  bool verbatim = false;  // --set takes the text as is (a path may hold YAML indicators like '#')
};
struct SectionDef {
  const char* name;
  std::vector<KeyDef> keys;
};

constexpr int64_t kMaxBatch = static_cast<int64_t>(kMaxBatchSize);
constexpr int64_t kInt64Max = INT64_MAX;

// Until 2026-12-03 this key's values were 'dense' and 'sparse'; "dense" now names only dense
// features. The old spellings still read (every earlier run's config.resolved.yaml has one, and
// --resume reads it), with a warning that names the new one.
EmbeddingUpdate embedding_update_choice(const Value& v) {
  const std::string s = v.text();
  if (s == "dense" || s == "sparse") {
    const char* now = s == "dense" ? "all_rows" : "batch_rows";
    spdlog::warn("{}: optimizer.embedding_update: '{}' is the old spelling of '{}'; write {}", v.where(), s, now, now);
    return s == "dense" ? EmbeddingUpdate::all_rows : EmbeddingUpdate::batch_rows;
  }
  return v.choice<EmbeddingUpdate>();
}

// train.early_stopping: `none` (or false) turns it off; a map {metric, patience, min_delta} turns
// it on, each member defaulted.
EarlyStoppingConfig early_stopping_of(const Value& v) {
  EarlyStoppingConfig es;
  if (!v.is_map()) {
    const std::string s = v.text();
    if (s == "none" || s == "false") return es;
    v.fail(fmt::format("expected `none` or a map like {{metric: auc, patience: 2, min_delta: 0}}, got '{}'", s));
  }
  es.enabled = true;
  for (const auto& [name, m] : v.members({"metric", "patience", "min_delta"})) {
    if (name == "metric") es.metric = m.choice<StopMetric>();
    if (name == "patience") es.patience = static_cast<int>(m.integer(1, 100000));
    if (name == "min_delta") es.min_delta = m.non_negative(1);
  }
  return es;
}

// The one list of keys: parsing, suggestions and the "valid keys" lists all come from it.
const std::vector<SectionDef>& schema() {
  using C = TrainConfig;
  using V = Value;
  // Far above any rate that trains (the divergence check meets such runs), yet finite as a float,
  // which the backends compute in: 1e300 would turn into inf before the first step.
  constexpr double kMaxLearningRate = 1e30;
  static const std::vector<SectionDef> s = {
      {"data",
       {{"path", [](C& c, const V& v) { c.data.path = v.path(); }, true},
        {"cache", [](C& c, const V& v) { c.data.cache = v.choice<DataCache>(); }},
        {"valid_path", [](C& c, const V& v) { c.data.valid_path = v.path(/*allow_empty=*/true); }, true},
        {"test_path", [](C& c, const V& v) { c.data.test_path = v.path(/*allow_empty=*/true); }, true}}},
      {"model",
       {{"type", [](C& c, const V& v) { c.model.type = v.choice<ModelType>(); }},
        {"embedding_dim", [](C& c, const V& v) { c.model.embedding_dim = static_cast<int>(v.integer(1, 1024)); }},
        {"hidden", [](C& c, const V& v) { c.model.hidden = v.int_list(1, 65536); }},
        {"cross_layers", [](C& c, const V& v) { c.model.cross_layers = static_cast<int>(v.integer(0, 16)); }},
        {"bottom_hidden", [](C& c, const V& v) { c.model.bottom_hidden = v.int_list(1, 65536); }},
        {"cross_l2", [](C& c, const V& v) { c.model.cross_l2 = v.non_negative(1e3); }}}},
      {"train",
       {{"batch_size", [](C& c, const V& v) { c.train.batch_size = v.integer(1, kMaxBatch); }},
        {"epochs", [](C& c, const V& v) { c.train.epochs = static_cast<int>(v.integer(1, 100000)); }},
        {"seed", [](C& c, const V& v) { c.train.seed = v.unsigned_integer(); }},
        {"device", [](C& c, const V& v) { c.train.device = v.choice<DeviceChoice>(); }},
        {"precision", [](C& c, const V& v) { c.train.precision = v.choice<Precision>(); }},
        {"threads", [](C& c, const V& v) { c.train.threads = static_cast<int>(v.integer(0, 4096)); }},
        {"drop_last", [](C& c, const V& v) { c.train.drop_last = v.boolean(); }},
        {"log_every", [](C& c, const V& v) { c.train.log_every = v.integer(0, kInt64Max); }},
        {"profile", [](C& c, const V& v) { c.train.profile = v.boolean(); }},
        {"max_steps_per_epoch", [](C& c, const V& v) { c.train.max_steps_per_epoch = v.integer(0, kInt64Max); }},
        {"eval_batch_size", [](C& c, const V& v) { c.train.eval_batch_size = v.integer(0, kMaxBatch); }},
        {"time_limit_seconds", [](C& c, const V& v) { c.train.time_limit_seconds = v.non_negative(1e9); }},
        {"memory_limit", [](C& c, const V& v) { c.train.memory_limit = v.byte_size(); }},
        {"eval_every_steps", [](C& c, const V& v) { c.train.eval_every_steps = v.integer(0, kInt64Max); }},
        {"early_stopping", [](C& c, const V& v) { c.train.early_stopping = early_stopping_of(v); }},
        {"init_from", [](C& c, const V& v) { c.train.init_from = v.path(/*allow_empty=*/true); }, true}}},
      {"optimizer",
       {{"lr", [](C& c, const V& v) { c.optimizer.lr = v.positive(kMaxLearningRate); }},
        {"lr_embed", [](C& c, const V& v) { c.optimizer.lr_embed = v.positive(kMaxLearningRate); }},
        {"l2", [](C& c, const V& v) { c.optimizer.l2 = v.non_negative(1e3); }},
        {"beta1", [](C& c, const V& v) { c.optimizer.beta1 = v.unit_interval(); }},
        {"beta2", [](C& c, const V& v) { c.optimizer.beta2 = v.unit_interval(); }},
        {"eps", [](C& c, const V& v) { c.optimizer.eps = v.positive(1); }},
        {"warmup_epochs", [](C& c, const V& v) { c.optimizer.warmup_epochs = v.non_negative(1e5); }},
        {"init_stddev", [](C& c, const V& v) { c.optimizer.init_stddev = v.positive(10); }},
        {"embedding_update", [](C& c, const V& v) { c.optimizer.embedding_update = embedding_update_choice(v); }},
        {"loss_reduction", [](C& c, const V& v) { c.optimizer.loss_reduction = v.choice<LossReduction>(); }},
        {"clip_global_norm", [](C& c, const V& v) { c.optimizer.clip_global_norm = v.non_negative(1e12); }}}},
      {"cowclip",
       {{"enabled", [](C& c, const V& v) { c.cowclip.enabled = v.boolean(); }},
        {"r", [](C& c, const V& v) { c.cowclip.r = v.positive(1e6); }},
        {"zeta", [](C& c, const V& v) { c.cowclip.zeta = v.non_negative(1e6); }},
        {"bound_mode", [](C& c, const V& v) { c.cowclip.bound_mode = v.choice<BoundMode>(); }}}},
      {"scaling",
       {{"rule", [](C& c, const V& v) { c.scaling.rule = v.choice<ScalingRule>(); }},
        {"base_batch_size", [](C& c, const V& v) { c.scaling.base_batch_size = v.integer(1, kMaxBatch); }}}},
      {"eval", {{"group_by", [](C& c, const V& v) { c.eval.group_by = v.text(); }}}},
      {"output",
       {{"dir", [](C& c, const V& v) { c.output.dir = v.path(/*allow_empty=*/true); }, true},
        {"checkpoint", [](C& c, const V& v) { c.output.checkpoint = v.choice<CheckpointPolicy>(); }}}},
  };
  return s;
}

const SectionDef* find_section(const std::string& name) {
  for (const auto& s : schema())
    if (name == s.name) return &s;
  return nullptr;
}

const KeyDef* find_key(const SectionDef& sec, const std::string& name) {
  for (const auto& k : sec.keys)
    if (name == k.name) return &k;
  return nullptr;
}

std::string key_list(const SectionDef& sec) {
  std::string out;
  for (const auto& k : sec.keys) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

const char* kTopLevel =
    "name, data, model, train, optimizer, cowclip, scaling, eval, output (and resolved, ignored on input)";

// Keys of every section, those of `section` first so that they win ties.
std::vector<SuggestCandidate> key_candidates(const std::string& section) {
  std::vector<SuggestCandidate> same, other;
  for (const auto& s : schema()) {
    bool here = section == s.name;
    for (const auto& k : s.keys)
      (here ? same : other).push_back({k.name, std::string(s.name) + "." + k.name, here ? 0u : 1u});
  }
  same.insert(same.end(), other.begin(), other.end());
  return same;
}

// A top-level word may be a misspelt section, "name", or a key that belongs inside a section.
std::string suggest_top_level(const std::string& word) {
  std::vector<SuggestCandidate> c{{"name", "name", 0}};
  for (const auto& s : schema()) c.push_back({s.name, s.name, 0});
  for (auto& k : key_candidates("")) c.push_back(k);
  return best_candidate(word, c);
}

// Ends the first sentence of an unknown-key message.
std::string did_you_mean(const std::string& guess) {
  return guess.empty() ? std::string(".") : "; did you mean '" + guess + "'?";
}

std::string unknown_key(const SectionDef& sec, const std::string& key) {
  return fmt::format("unknown key '{}.{}'{} Valid keys in {}: {}. See docs/config.md.", sec.name, key,
                     did_you_mean(best_candidate(key, key_candidates(sec.name))), sec.name, key_list(sec));
}

std::string unknown_top_level(const std::string& word, const std::string& key) {
  std::string guess;
  if (key.empty()) {
    guess = suggest_top_level(word);
  } else {  // --set SECTION.KEY with an unknown SECTION: fix the section, then the key within it
    std::vector<std::string> names;
    for (const auto& s : schema()) names.push_back(s.name);
    std::string sec = closest_match(word, names);
    if (!sec.empty()) {
      guess = find_key(*find_section(sec), key) ? sec + "." + key : best_candidate(key, key_candidates(sec));
      if (guess.empty()) guess = sec;
    } else {
      guess = best_candidate(key, key_candidates(""));
    }
  }
  std::string what = key.empty() ? fmt::format("unknown top-level key '{}'", word)
                                 : fmt::format("unknown section '{}' in '{}.{}'", word, word, key);
  return fmt::format("{}{} Top-level keys: {}. See docs/config.md.", what, did_you_mean(guess), kTopLevel);
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

class Parser {
 public:
  Parser(std::string origin, std::string base_dir) : origin_(std::move(origin)), base_dir_(std::move(base_dir)) {
    cfg_.source = origin_;
  }
  void parse_document(const std::string& text);
  void apply_override(const std::string& arg);
  TrainConfig finish();

 private:
  void parse_section(const SectionDef& sec, const YAML::Node& map);
  std::string key_text(const YAML::Node& key) const;
  // Records the first mark of each key in one map and rejects repeats, which yaml-cpp keeps silently.
  void check_duplicate(std::map<std::string, YAML::Mark>& seen, const std::string& key, const std::string& shown,
                       const YAML::Mark& mark) const;
  [[noreturn]] void fail_at(const YAML::Mark& mark, const std::string& msg) const {
    throw UsageError(fmt::format("{}: {}", where_in(origin_, mark), msg));
  }

  TrainConfig cfg_;
  std::string origin_, base_dir_;
  std::map<std::string, std::string> set_at_;  // full key -> where it was last set, for cross-key messages
};

std::string Parser::key_text(const YAML::Node& key) const {
  if (!key.IsScalar())
    fail_at(key.Mark(), fmt::format("keys must be plain names, got {}", config_detail::describe(key)));
  return key.Scalar();
}

void Parser::check_duplicate(std::map<std::string, YAML::Mark>& seen, const std::string& key,
                             const std::string& shown, const YAML::Mark& mark) const {
  auto [it, fresh] = seen.emplace(key, mark);
  if (!fresh)
    fail_at(mark,
            fmt::format("duplicate key '{}' (first given at line {}); keep only one", shown, it->second.line + 1));
}

void Parser::parse_document(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    fail_at(e.mark,
            fmt::format("YAML syntax error: {}; fix the syntax (docs/config.md has a complete example)", e.msg));
  }
  if (!root.IsDefined() || root.IsNull())
    throw UsageError(fmt::format("{}: the config is empty; it needs at least `data: {{path: DIR}}` with DIR a "
                                 "`ctrtrain preprocess` output directory (see docs/config.md)", origin_));
  if (!root.IsMap())
    fail_at(root.Mark(), fmt::format("the config must be a map of sections ({}), got {}", kTopLevel,
                                     config_detail::describe(root)));
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : root) {
    std::string key = key_text(kv.first);
    check_duplicate(seen, key, key, kv.first.Mark());
    const YAML::Node& value = kv.second;
    if (key == "resolved") continue;  // written by config_to_yaml, always recomputed
    if (key == "name") {
      Value v(value, "name", Place{origin_, false, kv.first.Mark()}, base_dir_);
      cfg_.name = v.run_name();
      set_at_["name"] = where_in(origin_, kv.first.Mark());
      continue;
    }
    const SectionDef* sec = find_section(key);
    if (!sec) fail_at(kv.first.Mark(), unknown_top_level(key, ""));
    if (value.IsNull()) continue;  // "cowclip:" with every key commented out
    if (!value.IsMap())
      fail_at(value.Mark(), fmt::format("section '{0}' must be a map of keys, like `{0}: {{{1}: ...}}` or one "
                                        "indented `key: value` per line; got {2}",
                                        key, sec->keys[0].name, config_detail::describe(value)));
    parse_section(*sec, value);
  }
}

void Parser::parse_section(const SectionDef& sec, const YAML::Node& map) {
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : map) {
    std::string key = key_text(kv.first);
    std::string full = std::string(sec.name) + "." + key;
    check_duplicate(seen, key, full, kv.first.Mark());
    const KeyDef* def = find_key(sec, key);
    if (!def) fail_at(kv.first.Mark(), unknown_key(sec, key));
    def->set(cfg_, Value(kv.second, full, Place{origin_, false, kv.first.Mark()}, base_dir_));
    set_at_[full] = where_in(origin_, kv.first.Mark());
  }
}

void Parser::apply_override(const std::string& arg) {
  const std::string where = "--set " + arg;
  const char* usage = "expected --set section.key=value, e.g. --set optimizer.lr=1e-3, --set model.hidden=[256,256] "
                      "or --set name=my_run";
  size_t eq = arg.find('=');
  if (eq == std::string::npos) throw UsageError(fmt::format("{}: no '=' in the argument; {}", where, usage));
  const std::string full = trim(arg.substr(0, eq)), text = arg.substr(eq + 1);
  const Place place{where, true, {}};
  const std::string cwd = fs::current_path().string();
  if (full == "name") {
    cfg_.name = Value(YAML::Node(text), "name", place, cwd).run_name();
    set_at_[full] = where;
    return;
  }
  size_t dot = full.find('.');
  if (dot == std::string::npos) {
    if (const SectionDef* sec = find_section(full))
      throw UsageError(fmt::format("{}: '{}' is a section; set one key at a time, e.g. --set {}.{}=VALUE. Valid keys "
                                   "in {}: {}", where, full, full, sec->keys[0].name, full, key_list(*sec)));
    if (full == "resolved")
      throw UsageError(fmt::format("{}: the resolved section is computed and cannot be set", where));
    throw UsageError(fmt::format("{}: {}", where, unknown_top_level(full, "")));
  }
  const std::string section = full.substr(0, dot), key = full.substr(dot + 1);
  if (section.empty() || key.empty() || key.find('.') != std::string::npos)
    throw UsageError(fmt::format("{}: '{}' is not a config key; {}", where, full, usage));
  if (section == "resolved")
    throw UsageError(fmt::format("{}: resolved.{} is computed from the scaling rule and cannot be set; set "
                                 "optimizer.* or scaling.* instead", where, key));
  const SectionDef* sec = find_section(section);
  if (!sec) throw UsageError(fmt::format("{}: {}", where, unknown_top_level(section, key)));
  const KeyDef* def = find_key(*sec, key);
  if (!def) throw UsageError(fmt::format("{}: {}", where, unknown_key(*sec, key)));
  YAML::Node node;
  if (def->verbatim) {
    node = YAML::Node(text);
  } else {
    try {
      node = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      throw UsageError(fmt::format("{}: '{}' is not a valid YAML value ({}); write a scalar like 1e-3 or a list "
                                   "like [256,256]", where, text, e.msg));
    }
  }
  def->set(cfg_, Value(node, full, place, cwd));
  set_at_[full] = where;
}

TrainConfig Parser::finish() {
  if (cfg_.name.empty()) {
    // Text without a file has no stem to name the run after.
    std::string stem = origin_.empty() || origin_ == "<string>" ? "run" : fs::path(origin_).stem().string();
    if (!is_valid_run_name(stem))
      throw UsageError(fmt::format("{}: the config has no `name:` and the file stem '{}' is not a valid run name "
                                   "(letters, digits, '.', '_', '-'); add `name: ...` to the config", origin_, stem));
    cfg_.name = stem;
  }
  if (cfg_.data.path.empty())
    throw UsageError(fmt::format("{}: missing required key 'data.path': the dataset directory written by `ctrtrain "
                                 "preprocess`; add `data: {{path: DIR}}` or pass --set data.path=DIR", origin_));
  // Filled in here, after --set name=..., so the written config records the directory actually used.
  if (cfg_.output.dir.empty())
    cfg_.output.dir = config_detail::resolve_path("runs/" + cfg_.name, fs::current_path().string());
  if (cfg_.cowclip.enabled && cfg_.optimizer.clip_global_norm > 0) {
    auto at = set_at_.count("optimizer.clip_global_norm") ? set_at_["optimizer.clip_global_norm"] : origin_;
    throw UsageError(fmt::format(
        "{}: optimizer.clip_global_norm = {} together with cowclip.enabled = true: choose one. CowClip already "
        "clips the embedding gradients; set cowclip.enabled: false to use global-norm clipping instead, or "
        "optimizer.clip_global_norm: 0 to keep CowClip", at, cfg_.optimizer.clip_global_norm));
  }
  return cfg_;
}

}  // namespace

TrainConfig parse_config_text(const std::string& yaml_text, const std::string& origin, const std::string& base_dir,
                              const std::vector<std::string>& overrides) {
  Parser p(origin, base_dir);
  p.parse_document(yaml_text);
  for (const auto& o : overrides) p.apply_override(o);
  return p.finish();
}

TrainConfig load_config_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw UsageError(
        fmt::format("config file '{}' not found; pass the path of a YAML config (see docs/config.md)", path));
  if (fs::is_directory(path, ec))
    throw UsageError(fmt::format("config file '{}' is a directory; pass the path of a YAML config", path));
  std::string text = read_text_file(path);
  return parse_config_text(text, path, fs::absolute(path).parent_path().string(), overrides);
}

}  // namespace ctr
