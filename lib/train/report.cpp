// report.json and the summary line (see report.h).
#include "train/report.h"

#include <cmath>

#include <fmt/format.h>

#include "backend/profiling_ops.h"
#include "core/json_writer.h"
#include "core/progress.h"
#include "core/system_info.h"
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

void write_detail(JsonWriter& j, const EvalDetail& d, const std::vector<std::string>& fields) {
  const CalibrationResult& c = d.calibration;
  j.begin_object("calibration");
  j.value("mean_prediction", c.mean_prediction).value("observed_ctr", c.observed_ctr).value("ratio", c.ratio);
  j.value("ece", c.ece);
  j.begin_array("bins");
  for (const CalibrationBin& b : c.bins) {
    j.begin_object().value("lower", b.lower).value("upper", b.upper).value("rows", b.rows);
    j.value("mean_prediction", b.mean_prediction).value("observed_ctr", b.observed_ctr).end_object();
  }
  j.end_array().end_object();
  if (!d.group_by.empty()) {
    j.begin_object("gauc").value("group_by", d.group_by);
    // null when no group holds both classes: the metric is undefined there, not 0.5.
    j.value("value", d.gauc.gauc ? *d.gauc.gauc : std::nan(""));
    j.value("groups_used", d.gauc.groups_used).value("groups_skipped", d.gauc.groups_skipped);
    j.value("rows_used", d.gauc.rows_used).end_object();
  }
  j.begin_object("oov_rate");
  for (size_t f = 0; f < fields.size() && f < d.oov_rate.size(); ++f) j.value(fields[f], d.oov_rate[f]);
  j.end_object();
}

void write_score(JsonWriter& j, const char* name, const std::optional<SplitScore>& s,
                 const std::optional<EvalDetail>& detail, const FinalModel& fm, const DatasetMeta& meta) {
  if (!s) return;
  j.begin_object(name);
  j.value("auc", s->auc).value("logloss", s->logloss).value("rows", s->rows).value("step", fm.step);
  if (detail) write_detail(j, *detail, meta.cat_fields);
  j.end_object();
}

// How the reported model was chosen, and on which split: the promise behind the test figures.
void write_selection(JsonWriter& j, const ReportInputs& in) {
  const RunRecord& rec = *in.record;
  const EarlyStoppingConfig& es = in.cfg->train.early_stopping;
  j.begin_object("selection");
  j.value("split", rec.eval_split.empty() ? "none" : rec.eval_split);
  j.value("test_used_for_selection", rec.eval_split == "test" && es.enabled);
  j.value("early_stopping", es.enabled).value("metric", to_string(es.metric));
  j.value("patience", static_cast<int64_t>(es.patience)).value("min_delta", es.min_delta);
  j.value("eval_every_steps", in.cfg->train.eval_every_steps);
  j.value("evaluations", static_cast<uint64_t>(rec.evals.size()));
  if (!rec.evals.empty()) {
    const EvalRecord& best = rec.evals[in.best_index];
    j.value("best_step", best.step).value("best_epoch", best.epoch);
  }
  j.value("selected_step", in.final_model->step).value("best_restored", in.final_model->best_restored);
  j.value("stopped_early", rec.stopped_early);
  j.end_object();
  j.begin_array("evals");
  for (const EvalRecord& e : rec.evals) {
    j.begin_object().value("epoch", e.epoch).value("step", e.step).value("auc", e.auc);
    j.value("logloss", e.logloss).value("seconds", e.seconds).end_object();
  }
  j.end_array();
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
  j.value("commit", build_commit()).value("host", host_name()).value("started_at", iso_utc(in.started_at));
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
  j.value("train_rows", in.meta->train.rows).value("valid_rows", in.meta->valid.rows);
  j.value("test_rows", in.meta->test.rows);
  j.value("valid_path", cfg.data.valid_path).value("test_path", cfg.data.test_path);
  j.array("vocab_sizes", in.meta->vocab_sizes);
  j.end_object();
  j.begin_array("epochs_detail");
  for (const EpochRecord& e : rec.epochs) {
    j.begin_object();
    j.value("epoch", e.epoch).value("train_loss", e.train_loss);
    if (!rec.eval_split.empty()) j.value("eval_auc", e.eval_auc).value("eval_logloss", e.eval_logloss);
    j.value("seconds", e.seconds).value("samples_per_sec", e.samples_per_sec);
    j.value("eval_seconds", e.eval_seconds).value("clipped_fraction", e.clipped_fraction).value("lr", e.lr);
    j.value("steps", e.steps).value("input_wait_seconds", e.input_wait_seconds);
    j.value("first_step_seconds", e.first_step_seconds);
    j.end_object();
  }
  j.end_array();
  const FinalModel& fm = *in.final_model;
  write_score(j, "valid", fm.valid, fm.valid_detail, fm, *in.meta);
  write_score(j, "test", fm.test, fm.test_detail, fm, *in.meta);
  write_selection(j, in);
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

std::string summary_line(const RunRecord& record, const FinalModel& fm, const std::string& run_dir) {
  const Totals tot = totals_of(record);
  std::string scores;
  if (fm.valid) scores += fmt::format("valid AUC {:.5f}  logloss {:.5f}  | ", fm.valid->auc, fm.valid->logloss);
  if (fm.test) scores += fmt::format("test AUC {:.5f}  logloss {:.5f}  | ", fm.test->auc, fm.test->logloss);
  if (scores.empty()) scores = "nothing evaluated (no valid or test split)  | ";
  if (fm.best_restored) scores += fmt::format("best of step {} | ", fm.step);
  return fmt::format("{}{} epoch{}, {} samples in {} ({} samples/s) | {}", scores, record.epochs.size(),
                     record.epochs.size() == 1 ? "" : "s",
                     format_count(tot.samples), format_duration(tot.seconds),
                     format_count(static_cast<uint64_t>(tot.samples_per_sec())), run_dir);
}

}  // namespace ctr
