// The training loop of `ctrtrain --config` (see trainer.h).
#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "core/dir_lock.h"
#include "core/error.h"
#include "core/byte_size.h"
#include "core/fs_util.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/stop_request.h"
#include "core/stopwatch.h"
#include "ctr/version.h"
#include "backend/profiling_ops.h"
#include "dataset/dataset_meta.h"
#include "train/backend_select.h"
#include "train/batch_source.h"
#include "train/data_setup.h"
#include "train/checkpoint_io.h"
#include "train/eval_splits.h"
#include "train/eval_detail.h"
#include "train/evaluate.h"
#include "train/metrics_csv.h"
#include "train/model_selection.h"
#include "train/model_setup.h"
#include "train/report.h"
#include "train/run_summary.h"
#include "train/train_progress.h"
#include "train/memory_plan.h"
#include "train/train_step.h"
#include "train/training_objects.h"

namespace ctr {
namespace fs = std::filesystem;

std::string run_checkpoint_path(const std::string& run_dir) { return run_dir + "/checkpoint.ckpt"; }
std::string run_config_path(const std::string& run_dir) { return run_dir + "/config.resolved.yaml"; }

namespace {

const char* const kRunFiles[] = {"checkpoint.ckpt", "best.ckpt", "metrics.csv", "report.json", "report.csv",
                                 "config.resolved.yaml", "train.log"};

// What prepare_run_dir found and holds.
struct RunDir {
  bool created = false;            // this run made the directory (a failure removes it again)
  bool resume = false;             // continue from its checkpoint
  std::unique_ptr<DirLock> lock;   // held for the whole run: a second run on the directory refuses
};

// A fresh run never mixes its files with an earlier run's; a resumed one continues from the
// checkpoint, or, when the run was stopped before it wrote one, starts again from the beginning.
RunDir prepare_run_dir(const std::string& dir, const TrainOptions& opts) {
  RunDir rd;
  rd.created = !fs::exists(dir);
  std::error_code ec;
  if (!rd.created && !fs::is_directory(dir))
    throw Error(fmt::format("output.dir {} is a file, not a directory: choose another output.dir", dir));
  fs::create_directories(dir, ec);
  if (ec)
    throw Error(fmt::format("output.dir {}: cannot create it: {} (check that its parent is a writable directory)",
                            dir, ec.message()));
  // Before anything is looked at or removed, so two runs never work on one directory at once.
  rd.lock = std::make_unique<DirLock>(dir, "output.dir");
  rd.resume = opts.resume && fs::exists(run_checkpoint_path(dir));
  if (opts.resume && !rd.resume) {
    if (!fs::exists(run_config_path(dir)))
      throw UsageError(fmt::format("--resume {}: this is not a run directory (no config.resolved.yaml, no "
                                   "checkpoint.ckpt); start the run with --config",
                                   dir));
    spdlog::warn("--resume {}: there is no checkpoint.ckpt to resume from (the run stopped before its first "
                 "checkpoint, or output.checkpoint is none): starting the run from the beginning",
                 dir);
  }
  if (rd.resume) return rd;
  for (const char* f : kRunFiles) {
    const std::string p = dir + "/" + f;
    // A restarted run appends to the stopped one's log, which tells what happened to it.
    if (!fs::exists(p) || (opts.resume && std::string(f) == "train.log")) continue;
    if (!opts.force && !opts.resume)
      throw UsageError(fmt::format("output.dir {} already holds a run ({} exists); pass --force to replace it, "
                                   "--resume {} to continue it, or choose another output.dir / name",
                                   dir, f, dir));
    fs::remove(p);
  }
  return rd;
}

// After a failure: a run directory this run created and that holds no checkpoint and no report
// (only its config and the metrics of an unfinished first epoch, at most) is removed, so a failed
// start leaves nothing behind that looks like a run.
void remove_unfinished_run_dir(const std::string& dir) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name != "config.resolved.yaml" && name != "metrics.csv" && name != "train.log" && name != DirLock::file_name())
      return;  // something worth keeping
  }
  if (!ec) fs::remove_all(dir, ec);
}

std::string describe_scaling(const TrainConfig& cfg, const ResolvedHyper& h) {
  auto ratio = [](double v, double base) { return base > 0 ? v / base : 1.0; };
  return fmt::format(
      "scaling {}: batch {} = {:g} x base {} -> lr {:.6g} (x{:.4g}), lr_embed {:.6g} (x{:.4g}), l2 {:.6g} (x{:.4g})",
      to_string(cfg.scaling.rule), cfg.train.batch_size, h.scale, cfg.scaling.base_batch_size, h.lr,
      ratio(h.lr, cfg.optimizer.lr), h.lr_embed, ratio(h.lr_embed, cfg.optimizer.lr_embed), h.l2,
      ratio(h.l2, cfg.optimizer.l2));
}

// The loss is read once per log interval, so the divergence is placed within that window.
[[noreturn]] void throw_non_finite(double loss, uint64_t first_step, uint64_t last_step, uint64_t epoch,
                                   const ResolvedHyper& h, const std::string& ckpt) {
  throw Error(fmt::format(
      "training diverged: the loss is {} in steps {}-{} (epoch {}). Likely cause: the learning rate is too high "
      "for this batch size (lr {:.4g}, lr_embed {:.4g}). Lower optimizer.lr / optimizer.lr_embed, use "
      "scaling.rule: cowclip with cowclip.enabled: true, or lengthen optimizer.warmup_epochs. {}",
      loss, first_step, last_step, epoch, h.lr, h.lr_embed,
      fs::exists(ckpt) ? fmt::format("The last checkpoint, {}, is intact.", ckpt)
                       : std::string("No checkpoint was written before this step.")));
}

// ---- prepare: everything checked before any data or state is loaded --------------------------

// What a run is, resolved and validated before the backend, the data or the model exist.
struct RunPlan {
  DatasetMeta meta;
  EvalSplits evals;
  ResolvedHyper hyper;
  ModelSpec spec;
  std::string dir, ckpt;
  RunDir run_dir;                   // created?, resumed?, and the directory's lock
  CheckpointHeader resumed;         // the checkpoint's header, with --resume
  size_t train_batch = 0, eval_batch = 0;
  uint64_t train_rows = 0;          // per epoch, after drop_last
  uint64_t steps_per_epoch = 0;     // of the whole split (the warm-up counts these)
  uint64_t epoch_steps = 0;         // run per epoch (max_steps_per_epoch may cut it)
  uint64_t log_every = 0;           // steps per train row of metrics.csv
  std::string selection_split() const { return evals.selection() ? evals.selection()->role : ""; }
};

void check_resume(const TrainConfig& cfg, const RunPlan& plan) {
  const std::string diff = plan.resumed.model.architecture_difference(plan.spec);
  if (!diff.empty())
    throw UsageError(fmt::format("--resume {}: the checkpoint's model does not match the config's and the "
                                 "dataset's ({}); resume with the run's own config.resolved.yaml",
                                 plan.dir, diff));
  const uint64_t done = plan.resumed.record.epochs_done;
  const bool trained = plan.resumed.record.stopped_early || done >= uint64_t(cfg.train.epochs);
  // The last checkpoint is written before the final evaluation and report.json: a run stopped
  // between the two has only its report left to make, and --resume makes it.
  if (trained && !fs::exists(plan.dir + "/report.json")) {
    spdlog::warn("--resume {}: the run ended its training after epoch {} but was stopped before it wrote "
                 "report.json: evaluating the final model and writing the report",
                 plan.dir, done);
    return;
  }
  if (plan.resumed.record.stopped_early)
    throw UsageError(fmt::format("--resume {}: train.early_stopping already ended the run after epoch {}; start a new "
                                 "run to train further",
                                 plan.dir, done));
  if (done >= uint64_t(cfg.train.epochs))
    throw UsageError(fmt::format("--resume {}: the run already finished its {} epochs; raise train.epochs "
                                 "(e.g. --set train.epochs={}) to train further",
                                 plan.dir, done, done + 1));
}

// Early stopping needs a split to watch.
void check_evaluation(const TrainConfig& cfg, const RunPlan& plan) {
  if (!plan.evals.selection() && cfg.train.early_stopping.enabled)
    throw UsageError(fmt::format("train.early_stopping needs a split to evaluate, but {} has no valid or test rows and "
                                 "neither data.valid_path nor data.test_path is set; make a valid split with "
                                 "`ctrtrain preprocess --valid-ratio R`, or set data.valid_path",
                                 cfg.data.path));
}

// A run without a split to evaluate, or selecting on test, is allowed, and said.
void warn_about_evaluation(const TrainConfig& cfg, const RunPlan& plan) {
  const EvalSplit* sel = plan.evals.selection();
  if (!sel)
    spdlog::warn("nothing is evaluated: {} has no valid or test rows and neither data.valid_path nor data.test_path "
                 "is set; the run reports its train loss only",
                 cfg.data.path);
  else if (sel->role == "test" && cfg.train.early_stopping.enabled)
    spdlog::warn("train.early_stopping selects the model on the test split, as there is no valid split; its test "
                 "figures are then optimistic (report.json says so). Make one with `ctrtrain preprocess "
                 "--valid-ratio R`, or set data.valid_path");
}

RunPlan prepare_run(const TrainConfig& cfg, const TrainOptions& opts) {
  RunPlan plan;
  plan.meta = read_meta(cfg.data.path);
  plan.evals = resolve_eval_splits(cfg, plan.meta);
  check_evaluation(cfg, plan);
  check_group_by(cfg.eval.group_by, plan.meta);
  plan.hyper = resolve_scaling(cfg);
  plan.spec = model_spec_for(cfg, plan.meta, plan.hyper.l2);
  plan.train_batch = static_cast<size_t>(cfg.train.batch_size);
  plan.eval_batch = static_cast<size_t>(effective_eval_batch_size(cfg));
  const uint64_t rows = plan.meta.train.rows, b = plan.train_batch;
  check_split_has_rows("data.path", cfg.data.path, plan.meta, "train",
                       "it holds rows to evaluate, not to train on; point data.path at a dataset made with a "
                       "--test-ratio below 1, and this one at data.test_path or data.valid_path");
  plan.train_rows = cfg.train.drop_last ? rows / b * b : rows;
  if (plan.train_rows == 0)
    throw UsageError(fmt::format("train.batch_size {} with train.drop_last: true leaves no batch of the {} train "
                                 "rows; lower the batch size or set drop_last: false",
                                 b, rows));
  plan.steps_per_epoch = (plan.train_rows + b - 1) / b;
  // max_steps_per_epoch cuts each epoch short (benchmarks); the warm-up still counts full epochs.
  plan.epoch_steps = cfg.train.max_steps_per_epoch > 0
                         ? std::min<uint64_t>(plan.steps_per_epoch, uint64_t(cfg.train.max_steps_per_epoch))
                         : plan.steps_per_epoch;
  plan.log_every = cfg.train.log_every > 0 ? uint64_t(cfg.train.log_every)
                                           : std::max<uint64_t>(1, plan.epoch_steps / 20);
  // Last, once all of the above holds: with --force this removes an earlier run's files.
  plan.dir = cfg.output.dir;
  plan.run_dir = prepare_run_dir(plan.dir, opts);
  plan.ckpt = run_checkpoint_path(plan.dir);
  if (plan.run_dir.resume) {
    plan.resumed = read_checkpoint_header(plan.ckpt);
    check_resume(cfg, plan);
  }
  return plan;
}

// ---- weights: fresh, or those of train.init_from -----------------------------------------------

// train.init_from starts from a trained model's weights only: the optimizer's moments, the step
// count and so the warm-up and schedule start afresh, as for a new run.
void start_weights(const TrainConfig& cfg, const RunPlan& plan, Ops<float>& ops, CtrModel<float>& model) {
  model.init(cfg.train.seed, cfg.optimizer.init_stddev);
  const std::string& from = cfg.train.init_from;
  if (from.empty()) return;
  const CheckpointHeader h = read_checkpoint_header(from);
  const std::string diff = h.model.architecture_difference(plan.spec);
  if (!diff.empty())
    throw UsageError(fmt::format("train.init_from {}: its model does not match this run's ({}). Encode the new data "
                                 "with the checkpoint's vocabulary (ctrtrain preprocess --vocab-from {}) and keep "
                                 "the model section as it was",
                                 from, diff, h.data_path));
  load_checkpoint_state(from, ops, model, nullptr);
  spdlog::info("train.init_from {}: the weights of run '{}' after {} steps; optimizer state and schedule start fresh",
               from, h.name, h.record.steps_done);
}

// ---- session: the live objects of a run --------------------------------------------------------

// The steps since metrics.csv's last train row, whose totals TrainStep holds on the backend, and
// the epoch's loss summed over the windows closed so far.
struct LogWindow {
  uint64_t first_step = 0, rows = 0, pairs = 0;
  double epoch_loss_sum = 0;
};

std::string best_checkpoint_path(const std::string& run_dir) { return run_dir + "/best.ckpt"; }

class Session {
 public:
  Session(const TrainConfig& cfg, const TrainOptions& opts, const RunPlan& plan);
  uint64_t epochs_done() const { return record_.epochs_done; }
  bool stopped_early() const { return record_.stopped_early; }
  // One epoch's training steps, with the evaluations train.eval_every_steps asks for inside it
  // (their time excluded); it ends early when early stopping calls for it.
  EpochRecord train_epoch(uint64_t epoch);
  // Evaluation, records, checkpoint; true when the run stops here (its last epoch, the time
  // limit, or early stopping).
  bool end_epoch(EpochRecord er, SteadyClock::time_point epoch_start);
  TrainOutcome finish();
  // The signal that cut the last train_epoch short, or 0.
  int interrupted() const { return interrupted_; }
  // After a signal mid-epoch: the checkpoint of this very step (the epoch's counters included, so
  // --resume continues with the next step), then Interrupted. `after_epoch`: the signal came
  // as an epoch ended, whose own checkpoint has been written.
  [[noreturn]] void stop_for_signal(const EpochRecord* partial, int signal);

 private:
  // On resume inside an epoch: its counters back, and its batches so far drawn again untrained,
  // which puts the source where the interrupted run left it (the order depends on the seed and
  // the epoch alone).
  void continue_partial_epoch(EpochRecord& er, LogWindow& w, double& wait_before);
  void print_header(DataCache cache) const;
  void open_sources(DataCache cache);
  // Reads the window's totals (one wait for the device) into the epoch: its loss and clipped
  // rows, the divergence check, and metrics.csv's train row when write_row.
  double close_window(EpochRecord& er, LogWindow& w, bool write_row, double lr, SteadyClock::time_point epoch_t0);
  void note_first_step(EpochRecord& er, size_t rows, SteadyClock::time_point t0);
  // One evaluation of the selection split, recorded, fed to model selection, and saved as
  // best.ckpt when early stopping is on and it is the best so far.
  const EvalRecord& evaluate_selection(uint64_t epoch);
  // The profiler paused: evaluation is not a step.
  EvalResult evaluate_quietly(BatchSource& source, ScoredRows* rows = nullptr);
  // The model to hand over (the best evaluation's, restored, under early stopping) and its scores.
  FinalModel select_final_model();
  BatchSource* selection_source() const { return valid_source_ ? valid_source_.get() : test_source_.get(); }

  const TrainConfig& cfg_;
  const TrainOptions& opts_;
  const RunPlan& plan_;
  std::unique_ptr<Ops<float>> backend_;
  // train.profile routes every op through a timing decorator (slower: it waits after each op).
  std::unique_ptr<ProfilingOps<float>> profiler_;
  Ops<float>* ops_;
  // Computed and checked before objects_ allocates anything: a run that cannot fit stops here.
  MemoryPlan memory_plan_;
  TrainingObjects objects_;
  CtrModel<float>& model_;
  Optimizer<float>& opt_;
  DeviceBatch<float>& batch_;
  TrainStep& step_;
  std::unique_ptr<BatchSource> train_source_, valid_source_, test_source_;  // valid, test: null when absent
  RunRecord record_;
  ModelSelection selection_;
  CheckpointHeader ckpt_header_;  // the parts of every checkpoint's header that stay fixed
  std::unique_ptr<MetricsCsv> csv_;
  SteadyClock::time_point run_start_;
  int interrupted_ = 0;
  double partial_loss_sum_ = 0;  // the interrupted epoch's loss sum, exact (not train_loss x samples)
  const std::chrono::system_clock::time_point started_at_ = std::chrono::system_clock::now();
  bool first_step_ = true;
};

Ops<float>* chosen_ops(Ops<float>& backend, ProfilingOps<float>* profiler) {
  return profiler ? static_cast<Ops<float>*>(profiler) : &backend;
}

TrainingShape training_shape(const TrainConfig& cfg, const RunPlan& plan) {
  TrainingShape s;
  s.spec = plan.spec;
  s.optimizer = optimizer_options_for(cfg, plan.hyper, plan.steps_per_epoch);
  s.train_batch = plan.train_batch;
  s.eval_batch = plan.eval_batch;
  s.loss_reduction = cfg.optimizer.loss_reduction;
  return s;
}

// The rows of every split the run reads: what a data cache holds.
uint64_t rows_read(const RunPlan& plan) {
  uint64_t rows = plan.meta.train.rows;
  for (const auto* s : {&plan.evals.valid, &plan.evals.test})
    if (*s) rows += (*s)->rows();
  return rows;
}

// A cache the config asks for in so many words, when it lives in the backend's memory: data.cache
// device always; host when the backend is the CPU. data.cache: auto decides after the model is
// allocated, from what is left, and falls back to streaming, so it needs no room planned.
uint64_t planned_cache_bytes(const TrainConfig& cfg, const RunPlan& plan) {
  const bool cpu = !chooses_cuda(cfg.train.device);
  const bool in_backend = cfg.data.cache == DataCache::device || (cfg.data.cache == DataCache::host && cpu);
  return in_backend ? rows_read(plan) * cached_row_bytes(plan.meta) : 0;
}

MemoryPlan checked_memory_plan(const TrainConfig& cfg, const RunPlan& plan, Ops<float>& ops) {
  MemoryPlan p = plan_training_memory(ops, training_shape(cfg, plan), planned_cache_bytes(cfg, plan));
  MemoryBudget budget;
  if (cfg.train.memory_limit > 0) {
    budget = {cfg.train.memory_limit, "train.memory_limit"};
  } else {
    budget = {ops.memory_free_bytes(), "the memory free on " + ops.describe()};
    if (budget.bytes == 0) spdlog::warn("{} does not say how much memory is free; the memory plan is not checked",
                                        ops.describe());
  }
  check_memory_plan(p, budget);
  if (budget.bytes && p.total() > budget.bytes / 10 * 9)
    spdlog::warn("the run plans {} of the {} {} allows: little is left for the backend's scratch", format_bytes(p.total()),
                 format_bytes(budget.bytes), budget.source);
  return p;
}

Session::Session(const TrainConfig& cfg, const TrainOptions& opts, const RunPlan& plan)
    : cfg_(cfg),
      opts_(opts),
      plan_(plan),
      backend_(make_backend({cfg.train.device, cfg.train.threads, cfg.train.precision})),
      profiler_(cfg.train.profile ? std::make_unique<ProfilingOps<float>>(*backend_) : nullptr),
      ops_(chosen_ops(*backend_, profiler_.get())),
      memory_plan_(checked_memory_plan(cfg, plan, *ops_)),
      objects_(*ops_, training_shape(cfg, plan)),
      model_(objects_.model),
      opt_(objects_.opt),
      batch_(objects_.batch),
      step_(objects_.step),
      selection_(cfg.train.early_stopping) {
  // Opened after the model, so data.cache: auto sees the GPU memory the model left.
  CacheRoom room;
  room.backend_is_host = !chooses_cuda(cfg.train.device);
  if (cfg.train.memory_limit > 0)
    room.backend_bytes = cfg.train.memory_limit > memory_plan_.total() ? cfg.train.memory_limit - memory_plan_.total() : 0;
  const DataCache cache = resolve_cache(cfg, plan.meta, rows_read(plan), *ops_, room);
  open_sources(cache);
  if (plan.run_dir.resume) {
    load_checkpoint_state(plan.ckpt, *ops_, model_, &opt_);
    record_ = plan.resumed.record;
    opt_.set_steps_done(record_.steps_done);
    for (const EvalRecord& e : record_.evals) selection_.observe(e.auc, e.logloss);
  } else {
    start_weights(cfg, plan, *ops_, model_);
    record_.eval_split = plan.selection_split();
  }
  ckpt_header_.ctrtrain_version = CTR_VERSION;
  ckpt_header_.name = cfg.name;
  ckpt_header_.config_yaml = config_to_yaml(cfg);
  ckpt_header_.data_path = cfg.data.path;
  ckpt_header_.seed = cfg.train.seed;
  ckpt_header_.model = plan.spec;
  write_text_file(run_config_path(plan.dir), ckpt_header_.config_yaml);
  csv_ = std::make_unique<MetricsCsv>(plan.dir + "/metrics.csv", plan.run_dir.resume, record_.steps_done,
                                      record_.eval_split);
  print_header(cache);
  run_start_ = SteadyClock::now();
}

void Session::open_sources(DataCache cache) {
  const std::vector<uint64_t> offsets(model_.tables().field_offsets(),
                                      model_.tables().field_offsets() + plan_.meta.cat_fields.size() + 1);
  train_source_ = open_split(cfg_, plan_.meta, cache, *ops_, offsets,
                             {"train", plan_.train_batch, true, cfg_.train.drop_last, cfg_.data.path});
  CTR_CHECK(train_source_->rows_per_epoch() == plan_.train_rows, "train split yields {} rows per epoch, meta.json {}",
            train_source_->rows_per_epoch(), plan_.train_rows);
  auto open_eval = [&](const std::optional<EvalSplit>& s) -> std::unique_ptr<BatchSource> {
    if (!s) return nullptr;
    return open_split(cfg_, s->meta, cache, *ops_, offsets, {s->split, plan_.eval_batch, false, false, s->dir});
  };
  valid_source_ = open_eval(plan_.evals.valid);
  test_source_ = open_eval(plan_.evals.test);
}

void Session::print_header(DataCache cache) const {
  const DatasetMeta& meta = plan_.meta;
  spdlog::info("ctrtrain {}: run '{}' -> {}", CTR_VERSION, cfg_.name, plan_.dir);
  spdlog::info("data {}: {} train rows, {} fields, {} table rows", cfg_.data.path, meta.train.rows,
               meta.cat_fields.size(), model_.tables().rows());
  for (const auto* s : {&plan_.evals.valid, &plan_.evals.test})
    if (*s) spdlog::info("{}: the {}", (*s)->role, (*s)->describe());
  spdlog::info("model {}: {} parameters; device {}", plan_.spec.type, model_.parameter_count(), ops_->describe());
  spdlog::info("memory planned: {}", memory_plan_.describe());
  spdlog::info("data.cache {}: train batches from the {}{}", to_string(cache), train_source_->describe(),
               selection_source() ? ", evaluation batches from the " + selection_source()->describe() : "");
  spdlog::info("{}", describe_scaling(cfg_, plan_.hyper));
  if (plan_.run_dir.resume)
    spdlog::info("resuming after epoch {} (step {})", record_.epochs_done, record_.steps_done);
  warn_about_evaluation(cfg_, plan_);
}

// ---- epoch: the step loop ----------------------------------------------------------------------

double Session::close_window(EpochRecord& er, LogWindow& w, bool write_row, double lr,
                             SteadyClock::time_point epoch_t0) {
  const StepTotals t = step_.take_totals();
  // Read after the wait, so the row's time covers the window's queued work too.
  const double seconds = seconds_since(epoch_t0);
  const double mean = t.loss_sum / double(w.rows);
  if (!std::isfinite(t.loss_sum))
    throw_non_finite(mean, w.first_step, opt_.steps_done(), er.epoch, plan_.hyper, plan_.ckpt);
  w.epoch_loss_sum += t.loss_sum;
  er.clipped_pairs += t.clipped_rows;
  if (write_row)
    csv_->train_row(er.epoch, opt_.steps_done(), er.samples, mean,
                    w.pairs ? double(t.clipped_rows) / double(w.pairs) : 0.0, lr, seconds);
  w.first_step = opt_.steps_done() + 1;
  w.rows = w.pairs = 0;
  return mean;
}

void Session::note_first_step(EpochRecord& er, size_t rows, SteadyClock::time_point t0) {
  // The run's first step pays one-time costs (allocator pools, library plans, and the reader's
  // start, since it includes the first batch); waiting for it once sets them apart from the
  // steady rate.
  ops_->synchronize();
  // Added, not set: an epoch continued after a resume pays the one-time costs a second time.
  er.first_step_seconds += seconds_since(t0) - er.seconds;
  er.first_step_samples += rows;
  first_step_ = false;
}

EvalResult Session::evaluate_quietly(BatchSource& source, ScoredRows* rows) {
  if (profiler_) profiler_->set_enabled(false);
  const EvalResult ev = evaluate(*ops_, model_, source, batch_, rows);
  if (profiler_) profiler_->set_enabled(true);
  return ev;
}

const EvalRecord& Session::evaluate_selection(uint64_t epoch) {
  const EvalResult ev = evaluate_quietly(*selection_source());
  record_.evals.push_back({epoch, opt_.steps_done(), ev.auc, ev.logloss, ev.seconds});
  const bool best = selection_.observe(ev.auc, ev.logloss);
  if (best && cfg_.train.early_stopping.enabled) {
    CheckpointHeader h = ckpt_header_;
    h.record = record_;
    h.record.steps_done = opt_.steps_done();
    save_checkpoint(best_checkpoint_path(plan_.dir), h, *ops_, model_, nullptr);
  }
  return record_.evals.back();
}

void Session::continue_partial_epoch(EpochRecord& er, LogWindow& w, double& wait_before) {
  er = *record_.partial;
  w.epoch_loss_sum = record_.partial_loss_sum;
  record_.partial.reset();
  for (uint64_t i = 0; i < er.steps; ++i)
    CTR_CHECK(train_source_->next(batch_), "epoch {} has fewer than the {} batches it had before the resume",
              er.epoch, er.steps);
  // The epoch's input wait continues from the interrupted run's.
  wait_before = train_source_->input_wait_seconds() - er.input_wait_seconds;
  spdlog::info("epoch {}: continuing after step {} of {} (the run was stopped there)", er.epoch, er.steps,
               plan_.epoch_steps);
}

EpochRecord Session::train_epoch(uint64_t epoch) {
  EpochRecord er;
  er.epoch = epoch;
  TrainProgress progress(opts_.progress, epoch, cfg_.train.epochs, plan_.epoch_steps);
  double wait_before = train_source_->input_wait_seconds();
  double shown_loss = std::nan("");  // the last window's mean; none yet
  LogWindow window{opt_.steps_done() + 1, 0, 0, 0.0};
  StepStats st;
  const uint64_t eval_every = selection_source() ? uint64_t(cfg_.train.eval_every_steps) : 0;
  train_source_->start_epoch(epoch - 1);
  if (record_.partial && record_.partial->epoch == epoch) continue_partial_epoch(er, window, wait_before);
  // Moved later by each mid-epoch evaluation, so the epoch's times are of training alone; a
  // continued epoch starts with the time it had.
  auto t0 = SteadyClock::now() - std::chrono::duration_cast<SteadyClock::duration>(
                                     std::chrono::duration<double>(er.seconds));
  auto next_batch = [this] {
    PhaseScope input(Phase::input);
    return train_source_->next(batch_);
  };
  while (next_batch()) {
    const size_t b = batch_.rows;
    step_.forward_loss(batch_);
    step_.backward(batch_);
    st = step_.update();
    if (first_step_) note_first_step(er, b, t0);
    ++er.steps;
    er.samples += b;
    er.id_pairs += st.unique_rows;
    window.rows += b;
    window.pairs += st.unique_rows;
    const bool last = er.steps == plan_.epoch_steps;
    // The epoch's last window has no train row: its epoch row follows.
    if (er.steps % plan_.log_every == 0 || last) shown_loss = close_window(er, window, !last, st.lr, t0);
    progress.update(er.steps, shown_loss, er.samples, seconds_since(t0),
                    train_source_->input_wait_seconds() - wait_before);
    if (last) break;
    // The epoch's end evaluates anyway; in between, every eval_every steps of the run.
    if (eval_every && opt_.steps_done() % eval_every == 0) {
      progress.clear();
      const EvalRecord& ev = evaluate_selection(epoch);
      csv_->eval_row(ev, er.samples);
      spdlog::info("step {}: {} AUC {:.5f}  logloss {:.5f}", ev.step, record_.eval_split, ev.auc, ev.logloss);
      er.eval_seconds += ev.seconds;
      t0 += std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(ev.seconds));
      if (selection_.should_stop()) break;
    }
    if ((interrupted_ = stop_signal()) != 0) break;
  }
  if (window.rows) close_window(er, window, false, st.lr, t0);
  partial_loss_sum_ = window.epoch_loss_sum;
  er.seconds = seconds_since(t0);
  er.input_wait_seconds = train_source_->input_wait_seconds() - wait_before;
  er.train_loss = er.samples ? window.epoch_loss_sum / double(er.samples) : 0;
  // An epoch of one step has nothing but its first step: then that is the rate there is.
  const bool only_first = er.samples == er.first_step_samples;
  const double steady_seconds = only_first ? er.seconds : er.seconds - er.first_step_seconds;
  const uint64_t steady_samples = only_first ? er.samples : er.samples - er.first_step_samples;
  er.samples_per_sec = steady_seconds > 0 ? double(steady_samples) / steady_seconds : 0;
  er.clipped_fraction = er.id_pairs ? double(er.clipped_pairs) / double(er.id_pairs) : 0;
  er.lr = st.lr;
  return er;
}

// ---- end of epoch: evaluation, records, checkpoint, time limit ---------------------------------

void Session::stop_for_signal(const EpochRecord* partial, int signal) {
  const bool save = cfg_.output.checkpoint != CheckpointPolicy::none;
  if (partial) {
    record_.partial = *partial;
    record_.partial_loss_sum = partial_loss_sum_;
    record_.steps_done = opt_.steps_done();
  }
  // Under `epoch`, end_epoch has just saved an epoch that ended; every other stop saves here.
  if (save && (partial || cfg_.output.checkpoint == CheckpointPolicy::final)) {
    ckpt_header_.record = record_;
    save_checkpoint(plan_.ckpt, ckpt_header_, *ops_, model_, &opt_);
  }
  const std::string where = partial ? fmt::format("after step {} (step {} of epoch {})", opt_.steps_done(),
                                                  partial->steps, partial->epoch)
                                    : fmt::format("after epoch {}", record_.epochs_done);
  throw Interrupted(fmt::format("{}: training stopped {}; {}", signal_name(signal), where,
                                save ? fmt::format("{} holds that point: ctrtrain --resume {} continues the run",
                                                   plan_.ckpt, plan_.dir)
                                     : std::string("no checkpoint was written (output.checkpoint: none)")),
                    signal);
}

bool Session::end_epoch(EpochRecord er, SteadyClock::time_point epoch_start) {
  // An epoch cut short by early stopping ended on an evaluation already.
  if (selection_source()) {
    const bool evaluated = !record_.evals.empty() && record_.evals.back().step == opt_.steps_done();
    const EvalRecord& ev = evaluated ? record_.evals.back() : evaluate_selection(er.epoch);
    if (!evaluated) er.eval_seconds += ev.seconds;
    er.eval_auc = ev.auc;
    er.eval_logloss = ev.logloss;
  }
  record_.epochs.push_back(er);
  record_.epochs_done = er.epoch;
  record_.steps_done = opt_.steps_done();
  record_.stopped_early = selection_.should_stop();
  csv_->epoch_row(er, opt_.steps_done(), er.samples);
  spdlog::info("epoch {}/{}: train loss {:.5f}  {}  clipped {:.3g}%  {:.1f} s ({} samples/s)", er.epoch,
               cfg_.train.epochs, er.train_loss,
               selection_source() ? fmt::format("{} AUC {:.5f}  logloss {:.5f}", record_.eval_split, er.eval_auc,
                                                er.eval_logloss)
                                  : std::string("(nothing evaluated)"),
               100 * er.clipped_fraction, er.seconds, format_count(static_cast<uint64_t>(er.samples_per_sec)));
  // Another epoch as long as this one would end past train.time_limit_seconds: stop here.
  const double limit = cfg_.train.time_limit_seconds;
  const bool final_epoch = er.epoch == uint64_t(cfg_.train.epochs);
  record_.time_limit_reached = limit > 0 && !final_epoch && !record_.stopped_early &&
                               seconds_since(run_start_) + seconds_since(epoch_start) > limit;
  const bool last = final_epoch || record_.time_limit_reached || record_.stopped_early;
  const CheckpointPolicy policy = cfg_.output.checkpoint;
  if (policy == CheckpointPolicy::epoch || (last && policy == CheckpointPolicy::final)) {
    ckpt_header_.record = record_;
    save_checkpoint(plan_.ckpt, ckpt_header_, *ops_, model_, &opt_);
  }
  if (record_.time_limit_reached)
    spdlog::info("train.time_limit_seconds {:g}: stopping after epoch {} of {} ({:.1f} s so far, {:.1f} s per epoch)",
                 limit, er.epoch, cfg_.train.epochs, seconds_since(run_start_), seconds_since(epoch_start));
  if (record_.stopped_early) {
    const EvalRecord& best = record_.evals[selection_.best_index()];
    spdlog::info("train.early_stopping: no {} improvement on the {} split in {} evaluations since step {} (epoch {}); "
                 "stopping at step {}",
                 to_string(cfg_.train.early_stopping.metric), record_.eval_split,
                 cfg_.train.early_stopping.patience, best.step, best.epoch, opt_.steps_done());
  }
  return last;
}

// ---- finish: the model handed over, its scores, the report -------------------------------------

FinalModel Session::select_final_model() {
  FinalModel fm;
  fm.epoch = record_.epochs_done;
  fm.step = opt_.steps_done();
  if (!selection_source()) return fm;
  size_t chosen = record_.evals.size() - 1;
  if (cfg_.train.early_stopping.enabled && selection_.best_index() != chosen) {
    // best.ckpt holds the weights of the best evaluation (a resumed run's too, its header says when).
    const std::string best = best_checkpoint_path(plan_.dir);
    const CheckpointHeader h = read_checkpoint_header(best);
    load_checkpoint_state(best, *ops_, model_, nullptr);
    chosen = selection_.best_index();
    if (h.record.steps_done != record_.evals[chosen].step)
      spdlog::warn("{} is from step {}, not from the best evaluation's step {} (the run was resumed after it); its "
                   "weights are the ones reported",
                   best, h.record.steps_done, record_.evals[chosen].step);
    fm.best_restored = true;
    fm.step = h.record.steps_done;
    spdlog::info("train.early_stopping: restored the weights of step {} (epoch {}) from {}", fm.step,
                 record_.evals[chosen].epoch, best);
  }
  fm.epoch = record_.evals[chosen].epoch;
  // Each split scored once more, on the host too: the recorded valid figures come back exactly
  // (the forward pass is deterministic), and calibration, gAUC and OOV rates need the rows.
  auto score = [&](BatchSource* source, const std::optional<EvalSplit>& split, std::optional<SplitScore>& out,
                   std::optional<EvalDetail>& detail) {
    if (!source) return;
    ScoredRows rows;
    const EvalResult ev = evaluate_quietly(*source, &rows);
    out = SplitScore{ev.auc, ev.logloss, ev.rows};
    detail = evaluation_detail(*split, rows, cfg_.eval.group_by, cfg_.train.threads);
  };
  score(valid_source_.get(), plan_.evals.valid, fm.valid, fm.valid_detail);
  score(test_source_.get(), plan_.evals.test, fm.test, fm.test_detail);
  return fm;
}

TrainOutcome Session::finish() {
  const FinalModel fm = select_final_model();
  csv_->final_row(fm.epoch, fm.step, fm.valid, fm.test);
  ReportInputs ri;
  ri.cfg = &cfg_;
  ri.hyper = plan_.hyper;
  ri.meta = &plan_.meta;
  ri.device = ops_->describe();
  if (profiler_) {
    ri.profile_seconds.assign(profiler_->seconds().begin(), profiler_->seconds().end());
    std::string line = "profile of the training steps (backend idle between ops):";
    for (size_t i = 0; i < kNumPhases; ++i)
      line += fmt::format(" {} {:.2f} s{}", phase_name(static_cast<Phase>(i)), ri.profile_seconds[i],
                          i + 1 < kNumPhases ? "," : "");
    spdlog::info("{}", line);
  }
  ri.parameters = model_.parameter_count();
  ri.record = &record_;
  ri.final_model = &fm;
  ri.started_at = started_at_;
  ri.best_index = selection_.has_best() ? selection_.best_index() : 0;
  write_text_file(plan_.dir + "/report.json", report_json(ri));
  // The same figures flat, as `ctrtrain report --csv` writes them for many runs (pandas reads either).
  write_text_file(plan_.dir + "/report.csv", summary_csv({read_run_summary(plan_.dir)}));
  TrainOutcome out;
  out.record = record_;
  out.run_dir = plan_.dir;
  out.summary = summary_line(record_, fm, plan_.dir);
  fmt::print("{}\n", out.summary);
  std::fflush(stdout);
  return out;
}

}  // namespace

TrainOutcome run_training(const TrainConfig& cfg, const TrainOptions& opts) {
  const RunPlan plan = prepare_run(cfg, opts);
  try {
    const LogFile log(plan.dir + "/train.log");
    Session session(cfg, opts, plan);
    for (uint64_t epoch = session.epochs_done() + 1; epoch <= uint64_t(cfg.train.epochs) && !session.stopped_early();
         ++epoch) {
      const auto epoch_start = SteadyClock::now();
      const EpochRecord er = session.train_epoch(epoch);
      if (session.interrupted()) session.stop_for_signal(&er, session.interrupted());
      if (session.end_epoch(er, epoch_start)) break;
      if (stop_signal()) session.stop_for_signal(nullptr, stop_signal());
    }
    return session.finish();
  } catch (...) {
    if (plan.run_dir.created) remove_unfinished_run_dir(plan.dir);
    throw;
  }
}

}  // namespace ctr
