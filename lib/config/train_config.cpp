// Enum spellings, config equality and the small derived values of the training config.
#include "config/train_config.h"

#include <algorithm>
#include <tuple>

namespace ctr {

// The tables follow the enum declaration order, so an enum value indexes its spelling.
template <> const std::vector<std::string>& enum_names<ModelType>() {
  static const std::vector<std::string> n{"lr", "fm", "wdl", "deepfm", "dcn", "dcnv2", "dlrm"};
  return n;
}
template <> const std::vector<std::string>& enum_names<DeviceChoice>() {
  static const std::vector<std::string> n{"auto", "cpu", "cuda"};
  return n;
}
template <> const std::vector<std::string>& enum_names<Precision>() {
  static const std::vector<std::string> n{"fp32", "tf32"};
  return n;
}
template <> const std::vector<std::string>& enum_names<EmbeddingUpdate>() {
  static const std::vector<std::string> n{"all_rows", "batch_rows"};
  return n;
}
template <> const std::vector<std::string>& enum_names<LossReduction>() {
  static const std::vector<std::string> n{"mean", "sum"};
  return n;
}
template <> const std::vector<std::string>& enum_names<BoundMode>() {
  static const std::vector<std::string> n{"code", "paper"};
  return n;
}
template <> const std::vector<std::string>& enum_names<ScalingRule>() {
  static const std::vector<std::string> n{"none", "sqrt", "linear", "cowclip"};
  return n;
}
template <> const std::vector<std::string>& enum_names<CheckpointPolicy>() {
  static const std::vector<std::string> n{"epoch", "final", "none"};
  return n;
}
template <> const std::vector<std::string>& enum_names<DataCache>() {
  static const std::vector<std::string> n{"auto", "device", "host", "none"};
  return n;
}
template <> const std::vector<std::string>& enum_names<StopMetric>() {
  static const std::vector<std::string> n{"auc", "logloss"};
  return n;
}

namespace {
template <class E> const char* spelling(E v) { return enum_names<E>().at(static_cast<size_t>(v)).c_str(); }
}  // namespace

const char* to_string(ModelType v) { return spelling(v); }
const char* to_string(DeviceChoice v) { return spelling(v); }
const char* to_string(Precision v) { return spelling(v); }
const char* to_string(EmbeddingUpdate v) { return spelling(v); }
const char* to_string(LossReduction v) { return spelling(v); }
const char* to_string(BoundMode v) { return spelling(v); }
const char* to_string(ScalingRule v) { return spelling(v); }
const char* to_string(CheckpointPolicy v) { return spelling(v); }
const char* to_string(DataCache v) { return spelling(v); }
const char* to_string(StopMetric v) { return spelling(v); }

bool operator==(const TrainConfig& a, const TrainConfig& b) {
  auto fields = [](const TrainConfig& c) {
    const auto& d = c.data;
    const auto& m = c.model;
    const auto& t = c.train;
    const auto& o = c.optimizer;
    const auto& k = c.cowclip;
    const auto& es = t.early_stopping;
    return std::tie(c.name, d.path, d.cache, d.valid_path, d.test_path, m.type, m.embedding_dim, m.hidden, m.cross_layers, m.bottom_hidden,
                    m.cross_l2, t.batch_size, t.epochs, t.seed, t.device, t.precision, t.threads, t.drop_last,
                    t.log_every, t.max_steps_per_epoch, t.profile, t.eval_batch_size, t.time_limit_seconds, t.memory_limit, t.eval_every_steps,
                    es.enabled, es.metric, es.patience, es.min_delta, t.init_from, o.lr,
                    o.lr_embed, o.l2, o.beta1, o.beta2, o.eps, o.warmup_epochs, o.init_stddev, o.embedding_update,
                    o.loss_reduction, o.clip_global_norm, k.enabled, k.r, k.zeta, k.bound_mode, c.scaling.rule,
                    c.scaling.base_batch_size, c.eval.group_by, c.output.dir, c.output.checkpoint);
  };
  return fields(a) == fields(b);
}

int64_t effective_eval_batch_size(const TrainConfig& cfg) {
  // Evaluation has no gradient state, so a large batch only costs activation memory.
  return cfg.train.eval_batch_size > 0 ? cfg.train.eval_batch_size : std::max<int64_t>(cfg.train.batch_size, 16384);
}

bool is_valid_run_name(const std::string& name) {
  // The name becomes a directory name (runs/<name>), so no separators and no "." / "..".
  if (name.empty() || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
           ch == '_' || ch == '-';
  });
}

}  // namespace ctr
