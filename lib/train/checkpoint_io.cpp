// Training-state checkpoints (see checkpoint_io.h).
#include "train/checkpoint_io.h"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "checkpoint/checkpoint_file.h"
#include "core/error.h"
#include "core/json_writer.h"

namespace ctr {
namespace {

constexpr const char* kFormat = "ctrtrain-training-state";
constexpr int kVersion = 1;

const char* cross_name(CrossKind k) { return k == CrossKind::vector ? "vector" : k == CrossKind::matrix ? "matrix" : "none"; }

std::vector<uint64_t> shape_of(size_t n) { return {static_cast<uint64_t>(n)}; }

// Every array of a training state, by name, with its buffer: one list for saving and loading.
struct NamedBuffer {
  std::string name;
  Buffer<float>* buf;
};
std::vector<NamedBuffer> state_arrays(CtrModel<float>& model, Optimizer<float>* opt) {
  std::vector<NamedBuffer> out;
  EmbeddingTables<float>& t = model.tables();
  if (t.table.size()) out.push_back({"table.embedding", &t.table});
  out.push_back({"table.linear", &t.linear});
  for (size_t i = 0; i < model.params().size(); ++i) out.push_back({model.params()[i].name, &model.params()[i].w});
  if (!opt) return out;
  if (opt->table_m.size()) {
    out.push_back({"adam.m.table.embedding", &opt->table_m});
    out.push_back({"adam.v.table.embedding", &opt->table_v});
  }
  out.push_back({"adam.m.table.linear", &opt->linear_m});
  out.push_back({"adam.v.table.linear", &opt->linear_v});
  for (size_t i = 0; i < model.params().size(); ++i) {
    out.push_back({"adam.m." + model.params()[i].name, &opt->m(i)});
    out.push_back({"adam.v." + model.params()[i].name, &opt->v(i)});
  }
  return out;
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
  j.array("hidden", std::vector<uint64_t>(h.model.hidden.begin(), h.model.hidden.end()));
  j.value("cross", cross_name(h.model.cross)).value("cross_layers", static_cast<uint64_t>(h.model.cross_layers));
  j.value("cross_l2", h.model.cross_l2).value("dense_l2", h.model.dense_l2);
  j.end_object();
  j.value("epochs_done", h.record.epochs_done).value("steps_done", h.record.steps_done);
  j.begin_array("epochs");
  for (const EpochRecord& e : h.record.epochs) {
    j.begin_object();
    j.value("epoch", e.epoch).value("train_loss", e.train_loss).value("test_auc", e.test_auc);
    j.value("test_logloss", e.test_logloss).value("seconds", e.seconds).value("eval_seconds", e.eval_seconds);
    j.value("samples_per_sec", e.samples_per_sec).value("clipped_fraction", e.clipped_fraction);
    j.value("lr", e.lr).value("steps", e.steps).value("samples", e.samples);
    j.value("input_wait_seconds", e.input_wait_seconds);
    j.value("clipped_pairs", e.clipped_pairs).value("id_pairs", e.id_pairs);
    j.end_object();
  }
  j.end_array();
  j.value("config_yaml", h.config_yaml);
  j.end_object();
  return j.str();
}

template <class V>
V field(const YAML::Node& n, const char* key, const std::string& path) {
  const YAML::Node v = n[key];
  if (!v) throw Error(fmt::format("{}: checkpoint header lacks '{}' (the file is not a ctrtrain training state or is damaged)", path, key));
  try {
    return v.as<V>();
  } catch (const YAML::Exception&) {
    throw Error(fmt::format("{}: checkpoint header field '{}' has the wrong type", path, key));
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointHeader& header, Ops<float>& ops,
                     CtrModel<float>& model, Optimizer<float>* opt) {
  CheckpointWriter w(path, header_json(header));
  for (const NamedBuffer& a : state_arrays(model, opt)) {
    const float* base = a.buf->data();
    w.add_streamed(a.name, DType::f32, shape_of(a.buf->size()), [&](uint64_t offset, void* buf, size_t bytes) {
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
  const int version = field<int>(n, "version", path);
  if (version != kVersion)
    throw Error(fmt::format("{}: checkpoint version {} is not supported by this ctrtrain (reads version {})", path,
                            version, kVersion));
  CheckpointHeader h;
  h.ctrtrain_version = field<std::string>(n, "ctrtrain_version", path);
  h.name = field<std::string>(n, "name", path);
  h.data_path = field<std::string>(n, "data_path", path);
  h.seed = field<uint64_t>(n, "seed", path);
  h.config_yaml = field<std::string>(n, "config_yaml", path);
  const YAML::Node m = n["model"];
  if (!m || !m.IsMap()) throw Error(fmt::format("{}: checkpoint header lacks the model description", path));
  h.model.type = field<std::string>(m, "type", path);
  h.model.vocab_sizes = field<std::vector<uint64_t>>(m, "vocab_sizes", path);
  h.model.num_dense = field<uint64_t>(m, "num_dense", path);
  h.model.embedding_dim = field<uint64_t>(m, "embedding_dim", path);
  h.model.fm = field<bool>(m, "fm", path);
  for (uint64_t x : field<std::vector<uint64_t>>(m, "hidden", path)) h.model.hidden.push_back(x);
  const std::string cross = field<std::string>(m, "cross", path);
  h.model.cross = cross == "vector" ? CrossKind::vector : cross == "matrix" ? CrossKind::matrix : CrossKind::none;
  h.model.cross_layers = field<uint64_t>(m, "cross_layers", path);
  h.model.cross_l2 = field<double>(m, "cross_l2", path);
  h.model.dense_l2 = field<double>(m, "dense_l2", path);
  h.record.epochs_done = field<uint64_t>(n, "epochs_done", path);
  h.record.steps_done = field<uint64_t>(n, "steps_done", path);
  for (const YAML::Node& e : n["epochs"]) {
    EpochRecord r2;
    r2.epoch = field<uint64_t>(e, "epoch", path);
    r2.train_loss = field<double>(e, "train_loss", path);
    r2.test_auc = field<double>(e, "test_auc", path);
    r2.test_logloss = field<double>(e, "test_logloss", path);
    r2.seconds = field<double>(e, "seconds", path);
    r2.eval_seconds = field<double>(e, "eval_seconds", path);
    r2.samples_per_sec = field<double>(e, "samples_per_sec", path);
    r2.clipped_fraction = field<double>(e, "clipped_fraction", path);
    r2.lr = field<double>(e, "lr", path);
    r2.steps = field<uint64_t>(e, "steps", path);
    r2.samples = field<uint64_t>(e, "samples", path);
    r2.input_wait_seconds = field<double>(e, "input_wait_seconds", path);
    r2.clipped_pairs = field<uint64_t>(e, "clipped_pairs", path);
    r2.id_pairs = field<uint64_t>(e, "id_pairs", path);
    h.record.epochs.push_back(r2);
  }
  return h;
}

void load_checkpoint_state(const std::string& path, Ops<float>& ops, CtrModel<float>& model, Optimizer<float>* opt) {
  CheckpointReader r(path);
  for (const NamedBuffer& a : state_arrays(model, opt)) {
    if (!r.find(a.name))
      throw Error(fmt::format("{}: checkpoint has no array '{}'{}", path, a.name,
                              opt ? " (it holds weights only, not an optimizer state to resume from)" : ""));
    float* base = a.buf->data();
    r.read_streamed(a.name, DType::f32, shape_of(a.buf->size()), [&](uint64_t offset, const void* data, size_t bytes) {
      ops.memory().to_device(reinterpret_cast<char*>(base) + offset, data, bytes);
    });
  }
}

}  // namespace ctr
