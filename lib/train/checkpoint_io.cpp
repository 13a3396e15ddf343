// Training-state checkpoints (see checkpoint_io.h).
#include "train/checkpoint_io.h"

#include <set>

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "checkpoint/checkpoint_file.h"
#include "core/error.h"
#include "core/json_reader.h"
#include "core/json_writer.h"

namespace ctr {
namespace {

constexpr const char* kFormat = "ctrtrain-training-state";
constexpr int kVersion = 1;

// "vector" and "matrix" are the file format's spellings of DCN and DCNv2 cross layers (older files).
const char* cross_name(CrossKind k) {
  return k == CrossKind::dcn ? "vector" : k == CrossKind::dcnv2 ? "matrix" : "none";
}

std::vector<uint64_t> shape_of(size_t n) { return {static_cast<uint64_t>(n)}; }

// Every array of a training state, by name: the model's weights, then the optimizer's state.
std::vector<NamedArray<float>> state_arrays(CtrModel<float>& model, Optimizer<float>* opt) {
  std::vector<NamedArray<float>> out = model.weights();
  if (!opt) return out;
  for (NamedArray<float>& a : opt->state()) out.push_back(a);
  return out;
}

JsonWriter& write_epoch(JsonWriter& j, const EpochRecord& e) {
  j.value("epoch", e.epoch).value("train_loss", e.train_loss).value("eval_auc", e.eval_auc);
  j.value("eval_logloss", e.eval_logloss).value("seconds", e.seconds).value("eval_seconds", e.eval_seconds);
  j.value("samples_per_sec", e.samples_per_sec).value("clipped_fraction", e.clipped_fraction);
  j.value("lr", e.lr).value("steps", e.steps).value("samples", e.samples);
  j.value("input_wait_seconds", e.input_wait_seconds);
  j.value("first_step_seconds", e.first_step_seconds).value("first_step_samples", e.first_step_samples);
  j.value("clipped_pairs", e.clipped_pairs).value("id_pairs", e.id_pairs);
  return j;
}

EpochRecord read_epoch(const JsonNode& e) {
  EpochRecord r;
  r.epoch = e["epoch"].as<uint64_t>();
  r.train_loss = e["train_loss"].as<double>();
  // Files written before the valid split name these test_*: the test split was then the one evaluated.
  const bool old = !e.has("eval_auc");
  r.eval_auc = e[old ? "test_auc" : "eval_auc"].as<double>();
  r.eval_logloss = e[old ? "test_logloss" : "eval_logloss"].as<double>();
  r.seconds = e["seconds"].as<double>();
  r.eval_seconds = e["eval_seconds"].as<double>();
  r.samples_per_sec = e["samples_per_sec"].as<double>();
  r.clipped_fraction = e["clipped_fraction"].as<double>();
  r.lr = e["lr"].as<double>();
  r.steps = e["steps"].as<uint64_t>();
  r.samples = e["samples"].as<uint64_t>();
  r.input_wait_seconds = e["input_wait_seconds"].as<double>();
  // Absent from checkpoints written before 0.1.0's first-step accounting: no first step was set apart.
  if (e.has("first_step_seconds")) r.first_step_seconds = e["first_step_seconds"].as<double>();
  if (e.has("first_step_samples")) r.first_step_samples = e["first_step_samples"].as<uint64_t>();
  r.clipped_pairs = e["clipped_pairs"].as<uint64_t>();
  r.id_pairs = e["id_pairs"].as<uint64_t>();
  return r;
}

std::string header_json(const CheckpointHeader& h) {
  JsonWriter j;
  j.begin_object();
  j.value("format", kFormat).value("version", kVersion).value("ctrtrain_version", h.ctrtrain_version);
  j.value("name", h.name).value("data_path", h.data_path).value("seed", h.seed);
  j.begin_object("model");
  j.value("type", h.model.type).array("vocab_sizes", h.model.vocab_sizes);
  j.value("num_dense", static_cast<uint64_t>(h.model.num_dense));
  j.value("embedding_dim", static_cast<uint64_t>(h.model.embedding_dim)).value("fm", h.model.fm);
  j.value("linear", h.model.linear).value("dot_interaction", h.model.dot_interaction);
  j.array("bottom", std::vector<uint64_t>(h.model.bottom.begin(), h.model.bottom.end()));
  j.array("hidden", std::vector<uint64_t>(h.model.hidden.begin(), h.model.hidden.end()));
  j.value("cross", cross_name(h.model.cross)).value("cross_layers", static_cast<uint64_t>(h.model.cross_layers));
  j.value("cross_l2", h.model.cross_l2).value("dense_l2", h.model.dense_l2);
  j.end_object();
  j.value("epochs_done", h.record.epochs_done).value("steps_done", h.record.steps_done);
  j.begin_array("epochs");
  for (const EpochRecord& e : h.record.epochs) write_epoch(j.begin_object(), e).end_object();
  j.end_array();
  if (h.record.partial) {
    write_epoch(j.begin_object("partial_epoch"), *h.record.partial);
    j.value("loss_sum", h.record.partial_loss_sum).end_object();
  }
  j.value("eval_split", h.record.eval_split).value("stopped_early", h.record.stopped_early);
  j.begin_array("evals");
  for (const EvalRecord& e : h.record.evals) {
    j.begin_object().value("epoch", e.epoch).value("step", e.step).value("auc", e.auc);
    j.value("logloss", e.logloss).value("seconds", e.seconds).end_object();
  }
  j.end_array();
  j.value("config_yaml", h.config_yaml);
  j.end_object();
  return j.str();
}

// Absent from files written before the valid split: those runs evaluated the test split at each
// epoch's end only, which their epoch records hold.
void read_evals(const JsonNode& j, RunRecord& rec) {
  if (!j.has("evals")) {
    rec.eval_split = "test";
    uint64_t step = 0;
    for (const EpochRecord& e : rec.epochs) {
      step += e.steps;
      rec.evals.push_back({e.epoch, step, e.eval_auc, e.eval_logloss, e.eval_seconds});
    }
    return;
  }
  rec.eval_split = j["eval_split"].as<std::string>();
  rec.stopped_early = j["stopped_early"].as<bool>();
  const JsonNode evals = j["evals"];
  for (size_t i = 0; i < evals.size(); ++i) {
    const JsonNode e = evals.at(i);
    rec.evals.push_back({e["epoch"].as<uint64_t>(), e["step"].as<uint64_t>(), e["auc"].as<double>(),
                         e["logloss"].as<double>(), e["seconds"].as<double>()});
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointHeader& header, Ops<float>& ops,
                     CtrModel<float>& model, Optimizer<float>* opt) {
  CheckpointWriter w(path, header_json(header));
  for (const NamedArray<float>& a : state_arrays(model, opt)) {
    const float* base = a.buffer->data();
    w.add_streamed(a.name, DType::f32, shape_of(a.buffer->size()), [&](uint64_t offset, void* buf, size_t bytes) {
      ops.memory().to_host(buf, reinterpret_cast<const char*>(base) + offset, bytes);
    });
  }
  w.commit();
}

CheckpointHeader read_checkpoint_header(const std::string& path) {
  CheckpointReader r(path);
  YAML::Node n;
  try {
    n = YAML::Load(r.header_json());
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}: checkpoint header is not valid JSON ({})", path, e.what()));
  }
  if (!n.IsMap() || !n["format"] || n["format"].as<std::string>() != kFormat)
    throw Error(fmt::format("{}: not a ctrtrain training checkpoint (header format is not '{}')", path, kFormat));
  const JsonNode j(n, path, "the file is not a ctrtrain training state or is damaged");
  const int version = j["version"].as<int>();
  if (version != kVersion)
    throw Error(fmt::format("{}: checkpoint version {} is not supported by this ctrtrain (reads version {})", path,
                            version, kVersion));
  CheckpointHeader h;
  h.ctrtrain_version = j["ctrtrain_version"].as<std::string>();
  h.name = j["name"].as<std::string>();
  h.data_path = j["data_path"].as<std::string>();
  h.seed = j["seed"].as<uint64_t>();
  h.config_yaml = j["config_yaml"].as<std::string>();
  const JsonNode m = j["model"];
  h.model.type = m["type"].as<std::string>();
  h.model.vocab_sizes = m["vocab_sizes"].as_vector<uint64_t>();
  h.model.num_dense = m["num_dense"].as<uint64_t>();
  h.model.embedding_dim = m["embedding_dim"].as<uint64_t>();
  h.model.fm = m["fm"].as<bool>();
  for (uint64_t x : m["hidden"].as_vector<uint64_t>()) h.model.hidden.push_back(x);
  // Files written before dlrm have none of these keys: every model then had a linear part, no dot
  // interaction and no bottom MLP.
  h.model.linear = !m.has("linear") || m["linear"].as<bool>();
  h.model.dot_interaction = m.has("dot_interaction") && m["dot_interaction"].as<bool>();
  if (m.has("bottom"))
    for (uint64_t x : m["bottom"].as_vector<uint64_t>()) h.model.bottom.push_back(x);
  const std::string cross = m["cross"].as<std::string>();
  h.model.cross = cross == "vector" ? CrossKind::dcn : cross == "matrix" ? CrossKind::dcnv2 : CrossKind::none;
  h.model.cross_layers = m["cross_layers"].as<uint64_t>();
  h.model.cross_l2 = m["cross_l2"].as<double>();
  h.model.dense_l2 = m["dense_l2"].as<double>();
  h.record.epochs_done = j["epochs_done"].as<uint64_t>();
  h.record.steps_done = j["steps_done"].as<uint64_t>();
  const JsonNode epochs = j["epochs"];
  for (size_t i = 0; i < epochs.size(); ++i) h.record.epochs.push_back(read_epoch(epochs.at(i)));
  if (j.has("partial_epoch")) {
    h.record.partial = read_epoch(j["partial_epoch"]);
    h.record.partial_loss_sum = j["partial_epoch"]["loss_sum"].as<double>();
  }
  read_evals(j, h.record);
  return h;
}

void load_checkpoint_state(const std::string& path, Ops<float>& ops, CtrModel<float>& model, Optimizer<float>* opt) {
  CheckpointReader r(path);
  std::set<std::string> loaded;
  for (const NamedArray<float>& a : state_arrays(model, opt)) {
    loaded.insert(a.name);
    if (!r.find(a.name))
      throw Error(fmt::format("{}: checkpoint has no array '{}'{}", path, a.name,
                              opt ? " (it holds weights only, not an optimizer state to resume from)" : ""));
    float* base = a.buffer->data();
    r.read_streamed(a.name, DType::f32, shape_of(a.buffer->size()),
                    [&](uint64_t offset, const void* data, size_t bytes) {
                      ops.memory().to_device(reinterpret_cast<char*>(base) + offset, data, bytes);
                    });
  }
  // The arrays not loaded (the Adam moments, for eval, predict, export and init_from) are read
  // once for their checksums too: a damaged file is reported whichever part is damaged, at the
  // cost of reading the whole file.
  for (const ArrayInfo& a : r.arrays())
    if (!loaded.count(a.name)) r.read_streamed(a.name, a.dtype, a.shape, [](uint64_t, const void*, size_t) {});
}

}  // namespace ctr
