// report.json and the summary line (see report.h).
#include "train/report.h"

#include <fmt/format.h>

#include "backend/profiling_ops.h"
#include "core/json_writer.h"
#include "core/progress.h"
#include "ctr/version.h"

namespace ctr {
namespace {
struct Totals {
  double seconds = 0, eval_seconds = 0, wait = 0;
  double first_step_seconds = 0;
  uint64_t samples = 0, steps = 0, clipped = 0, pairs = 0, first_step_samples = 0;
  // Throughput without the one-time cost of the run's first step.
  double samples_per_sec() const {
    // A run of one step has nothing but its first step: then that is the rate there is.
    if (samples == first_step_samples) return seconds > 0 ? double(samples) / seconds : 0.0;
    const double s = seconds - first_step_seconds;
    return s > 0 ? double(samples - first_step_samples) / s : 0.0;
  }
};
Totals totals_of(const RunRecord& r) {
  Totals t;
  for (const EpochRecord& e : r.epochs) {
    t.seconds += e.seconds;
    t.eval_seconds += e.eval_seconds;
    t.wait += e.input_wait_seconds;
    t.samples += e.samples;
    t.steps += e.steps;
    t.clipped += e.clipped_pairs;
    t.pairs += e.id_pairs;
    t.first_step_seconds += e.first_step_seconds;
    t.first_step_samples += e.first_step_samples;
  }
  return t;
}
}  // namespace

std::string report_json(const ReportInputs& in) {
  const TrainConfig& cfg = *in.cfg;
  const RunRecord& rec = *in.record;
  const Totals tot = totals_of(rec);
  JsonWriter j;
  j.begin_object();
  j.value("name", cfg.name).value("model", to_string(cfg.model.type)).value("device", in.device);
  j.value("batch_size", cfg.train.batch_size).value("epochs", static_cast<int64_t>(cfg.train.epochs));
  j.value("seed", cfg.train.seed).value("parameters", in.parameters);
  j.begin_object("hyperparameters");
  j.value("lr", in.hyper.lr).value("lr_embed", in.hyper.lr_embed).value("l2", in.hyper.l2);
  j.value("scaling_rule", to_string(cfg.scaling.rule)).value("base_batch_size", cfg.scaling.base_batch_size);
  j.value("scale", in.hyper.scale);
  j.value("base_lr", cfg.optimizer.lr)
      .value("base_lr_embed", cfg.optimizer.lr_embed)
      .value("base_l2", cfg.optimizer.l2);
  j.value("warmup_epochs", cfg.optimizer.warmup_epochs).value("init_stddev", cfg.optimizer.init_stddev);
  j.value("beta1", cfg.optimizer.beta1).value("beta2", cfg.optimizer.beta2).value("eps", cfg.optimizer.eps);
  j.begin_object("cowclip");
  j.value("enabled", cfg.cowclip.enabled).value("r", cfg.cowclip.r).value("zeta", cfg.cowclip.zeta);
  j.value("bound_mode", to_string(cfg.cowclip.bound_mode));
  j.end_object();
  j.value("clip_global_norm", cfg.optimizer.clip_global_norm);
  j.value("embedding_update", to_string(cfg.optimizer.embedding_update));
  j.value("loss_reduction", to_string(cfg.optimizer.loss_reduction));
  j.value("embedding_dim", static_cast<int64_t>(cfg.model.embedding_dim));
  j.array("hidden", std::vector<uint64_t>(cfg.model.hidden.begin(), cfg.model.hidden.end()));
  j.value("cross_layers", static_cast<int64_t>(cfg.model.cross_layers)).value("cross_l2", cfg.model.cross_l2);
  j.array("bottom_hidden", std::vector<uint64_t>(cfg.model.bottom_hidden.begin(), cfg.model.bottom_hidden.end()));
  j.end_object();
  j.begin_object("data");
  j.value("path", cfg.data.path).value("dataset", in.meta->dataset);
  j.value("train_rows", in.meta->train.rows).value("test_rows", in.meta->test.rows);
  j.array("vocab_sizes", in.meta->vocab_sizes);
  j.end_object();
  j.begin_array("epochs_detail");
  for (const EpochRecord& e : rec.epochs) {
    j.begin_object();
    j.value("epoch", e.epoch).value("train_loss", e.train_loss).value("test_auc", e.test_auc);
    j.value("test_logloss", e.test_logloss).value("seconds", e.seconds).value("samples_per_sec", e.samples_per_sec);
    j.value("eval_seconds", e.eval_seconds).value("clipped_fraction", e.clipped_fraction).value("lr", e.lr);
    j.value("steps", e.steps).value("input_wait_seconds", e.input_wait_seconds);
    j.value("first_step_seconds", e.first_step_seconds);
    j.end_object();
  }
  j.end_array();
  const EpochRecord* last = rec.epochs.empty() ? nullptr : &rec.epochs.back();
  j.begin_object("test");
  j.value("auc", last ? last->test_auc : 0.0).value("logloss", last ? last->test_logloss : 0.0);
  j.end_object();
  j.begin_object("train");
  j.value("seconds", tot.seconds).value("samples", tot.samples).value("steps", tot.steps);
  j.value("samples_per_sec", tot.samples_per_sec()).value("first_step_seconds", tot.first_step_seconds);
  j.value("input_wait_seconds", tot.wait).value("eval_seconds", tot.eval_seconds);
  j.value("time_limit_reached", rec.time_limit_reached);
  j.end_object();
  if (!in.profile_seconds.empty()) {
    // Measured with the backend idle between ops (train.profile), so they add up to more than an
    // unprofiled run's train seconds; the shares are what they are for.
    j.begin_object("profile_seconds");
    for (size_t i = 0; i < in.profile_seconds.size(); ++i)
      j.value(phase_name(static_cast<Phase>(i)), in.profile_seconds[i]);
    j.end_object();
  }
  j.begin_object("cowclip");
  j.value("clipped_fraction", tot.pairs ? double(tot.clipped) / double(tot.pairs) : 0.0);
  j.value("clipped_pairs", tot.clipped).value("id_pairs", tot.pairs);
  j.end_object();
  j.value("ctrtrain_version", CTR_VERSION);
  j.end_object();
  return j.str();
}

std::string summary_line(const RunRecord& record, const std::string& run_dir) {
  const Totals tot = totals_of(record);
  const EpochRecord& last = record.epochs.back();
  return fmt::format("test AUC {:.5f}  logloss {:.5f}  | {} epoch{}, {} samples in {} ({} samples/s) | {}",
                     last.test_auc, last.test_logloss, record.epochs.size(), record.epochs.size() == 1 ? "" : "s",
                     format_count(tot.samples), format_duration(tot.seconds),
                     format_count(static_cast<uint64_t>(tot.samples_per_sec())), run_dir);
}

}  // namespace ctr
