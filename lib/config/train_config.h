// The training config: sections, defaults and ranges, YAML parsing and writing, scaling (docs/config.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ctr {

enum class ModelType { lr, fm, wdl, deepfm, dcn, dcnv2, dlrm };
enum class DeviceChoice { automatic, cpu, cuda };       // YAML: auto | cpu | cuda
enum class Precision { fp32, tf32 };                    // GEMM math on the GPU
enum class EmbeddingUpdate { all_rows, batch_rows };  // YAML: all_rows | batch_rows
enum class LossReduction { mean, sum };
enum class BoundMode { code, paper };
enum class ScalingRule { none, sqrt, linear, cowclip };
enum class CheckpointPolicy { epoch, final, none };
enum class DataCache { automatic, device, host, none };  // YAML: auto | device | host | none
enum class StopMetric { auc, logloss };

struct DataConfig {
  std::string path;                        // required: a `ctrtrain preprocess` output directory
  DataCache cache = DataCache::automatic;  // where the splits live while training (docs/config.md)
  // Optional other dataset directories, encoded with data.path's vocabulary (preprocess
  // --vocab-from), whose test split replaces data.path's valid / test split; "" = none.
  std::string valid_path, test_path;
};

struct ModelConfig {
  ModelType type = ModelType::deepfm;
  int embedding_dim = 10;                  // 1..1024
  std::vector<int> hidden{400, 400, 400};  // each 1..65536; may be empty ([])
  int cross_layers = 3;                    // 0..16, used by dcn/dcnv2
  std::vector<int> bottom_hidden{64};      // dlrm: bottom MLP widths before its embedding_dim-wide last layer
  double cross_l2 = 1e-5;                  // >= 0, L2 on DCN/DCNv2 cross kernels, never scaled
};

// train.early_stopping: a map turns it on; `none` (the default) leaves it off.
struct EarlyStoppingConfig {
  bool enabled = false;
  StopMetric metric = StopMetric::auc;
  int patience = 2;                        // 1..100000 evaluations without improvement, then stop
  double min_delta = 0;                    // >= 0: an improvement smaller than this does not count
};

struct TrainSection {
  int64_t batch_size = 1024;               // 1..kMaxBatchSize
  int epochs = 1;                          // 1..100000
  uint64_t seed = 1234;
  DeviceChoice device = DeviceChoice::automatic;
  Precision precision = Precision::fp32;   // fp32: exact GEMMs; tf32: tensor cores (CUDA only)
  int threads = 0;                         // 0 = all hardware threads; 0..4096
  bool drop_last = false;
  int64_t log_every = 0;                   // steps between train-loss rows in metrics.csv; 0 = about 20 per epoch
  bool profile = false;                    // time each phase of the step (slower; see backend/profiling_ops.h)
  int64_t max_steps_per_epoch = 0;         // 0 = the whole split; N = end each epoch after N steps (benchmarks)
  int64_t eval_batch_size = 0;             // 0 = max(batch_size, 16384); else 1..kMaxBatchSize
  double time_limit_seconds = 0;           // >= 0; 0 = none; else no epoch starts that would end past it
  uint64_t memory_limit = 0;               // bytes the run may plan on its backend; 0 = what it has free
  int64_t eval_every_steps = 0;            // 0 = evaluate at each epoch's end only; N = also every N steps
  EarlyStoppingConfig early_stopping;
  std::string init_from;                   // "" = fresh weights; else a checkpoint whose weights start the run
};

struct OptimizerConfig {
  double lr = 8e-4;                        // > 0, dense-weight lr at the base batch size
  double lr_embed = 1e-4;                  // > 0, embedding (d-dim and linear tables) lr at the base batch size
  double l2 = 1e-5;                        // >= 0, at the base batch size
  double beta1 = 0.9, beta2 = 0.999;       // [0, 1)
  double eps = 1e-7;                       // > 0
  double warmup_epochs = 1;                // >= 0 (fractional allowed), linear warm-up of lr from 1e-8
  double init_stddev = 1e-2;               // > 0
  EmbeddingUpdate embedding_update = EmbeddingUpdate::all_rows;
  LossReduction loss_reduction = LossReduction::mean;  // mean: the paper; sum: gradients b times larger
  double clip_global_norm = 0;             // >= 0; 0 = off
};

struct CowClipConfig {
  bool enabled = true;
  double r = 1.0;                          // > 0
  double zeta = 1e-5;                      // >= 0
  BoundMode bound_mode = BoundMode::code;
};

struct ScalingConfig {
  ScalingRule rule = ScalingRule::cowclip;
  int64_t base_batch_size = 1024;          // 1..kMaxBatchSize
};

struct EvalConfig {
  // A categorical field (e.g. C1, or device_ip on Avazu) whose values group rows for gAUC in the
  // reported model's evaluation; "" = no gAUC.
  std::string group_by;
};

struct OutputConfig {
  std::string dir;                         // "" = "runs/<name>" under the current directory; the parser fills it in
  CheckpointPolicy checkpoint = CheckpointPolicy::epoch;
};

struct TrainConfig {
  std::string name;                        // default: the config file's stem; [A-Za-z0-9._-]+
  DataConfig data;
  ModelConfig model;
  TrainSection train;
  OptimizerConfig optimizer;
  CowClipConfig cowclip;
  ScalingConfig scaling;
  EvalConfig eval;
  OutputConfig output;
  std::string source;                      // the config file path, or "<string>" for text input
};

// Equality of the settings; `source` (where they were read from) is not compared.
bool operator==(const TrainConfig& a, const TrainConfig& b);
inline bool operator!=(const TrainConfig& a, const TrainConfig& b) { return !(a == b); }

struct ResolvedHyper {
  double scale = 1;                        // batch_size / base_batch_size
  double lr = 0, lr_embed = 0, l2 = 0;     // the values used at the actual batch size
};
// The optimizer values at the actual batch size under scaling.rule (scaling.h has the rule table).
ResolvedHyper resolve_scaling(const TrainConfig& cfg);

// Parses YAML text. `origin` names the text in messages (a file path; "<string>" for text input),
// `base_dir` resolves relative paths (data.path, output.dir). `overrides` are "section.key=value"
// strings from --set, applied after the file; paths given through --set are relative to the
// current working directory. Every problem is a ctr::UsageError naming FILE:LINE:COL and the key.
TrainConfig parse_config_text(const std::string& yaml_text, const std::string& origin, const std::string& base_dir,
                              const std::vector<std::string>& overrides = {});
// Reads PATH and parses it with base_dir = the file's directory.
TrainConfig load_config_file(const std::string& path, const std::vector<std::string>& overrides = {});
// Fully resolved YAML: every key with its effective value, then a `resolved:` section
// {scale, lr, lr_embed, l2}. parse_config_text gives back an equal config from it.
std::string config_to_yaml(const TrainConfig& cfg);

// Values whose default depends on other settings.
int64_t effective_eval_batch_size(const TrainConfig& cfg);  // eval_batch_size, or max(batch_size, 16384)
bool is_valid_run_name(const std::string& name);           // [A-Za-z0-9._-]+, not "." or ".."

// YAML spellings of the enums, in declaration order.
template <class E> const std::vector<std::string>& enum_names();
template <> const std::vector<std::string>& enum_names<ModelType>();
template <> const std::vector<std::string>& enum_names<DeviceChoice>();
template <> const std::vector<std::string>& enum_names<Precision>();
template <> const std::vector<std::string>& enum_names<EmbeddingUpdate>();
template <> const std::vector<std::string>& enum_names<LossReduction>();
template <> const std::vector<std::string>& enum_names<BoundMode>();
template <> const std::vector<std::string>& enum_names<ScalingRule>();
template <> const std::vector<std::string>& enum_names<CheckpointPolicy>();
template <> const std::vector<std::string>& enum_names<DataCache>();
template <> const std::vector<std::string>& enum_names<StopMetric>();

// The value spelled `text` (exactly as in YAML); false when there is none.
template <class E> bool parse_enum(const std::string& text, E& out) {
  const auto& names = enum_names<E>();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) {
      out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

const char* to_string(ModelType v);
const char* to_string(DeviceChoice v);
const char* to_string(Precision v);
const char* to_string(EmbeddingUpdate v);
const char* to_string(LossReduction v);
const char* to_string(BoundMode v);
const char* to_string(ScalingRule v);
const char* to_string(CheckpointPolicy v);
const char* to_string(DataCache v);
const char* to_string(StopMetric v);

}  // namespace ctr
