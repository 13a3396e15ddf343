// The training loop of `ctrtrain --config` (see trainer.h).
#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/progress.h"
#include "core/stopwatch.h"
#include "ctr/version.h"
#include "backend/profiling_ops.h"
#include "dataset/dataset_meta.h"
#include "train/backend_select.h"
#include "train/batch_source.h"
#include "train/data_setup.h"
#include "train/checkpoint_io.h"
#include "train/evaluate.h"
#include "train/metrics_csv.h"
#include "train/model_setup.h"
#include "train/report.h"
#include "train/train_progress.h"
#include "train/train_step.h"

namespace ctr {
namespace fs = std::filesystem;

std::string run_checkpoint_path(const std::string& run_dir) { return run_dir + "/checkpoint.ckpt"; }
std::string run_config_path(const std::string& run_dir) { return run_dir + "/config.resolved.yaml"; }

namespace {


const char* const kRunFiles[] = {"checkpoint.ckpt", "metrics.csv", "report.json", "config.resolved.yaml"};

// A fresh run never mixes its files with an earlier run's; a resumed one needs the checkpoint.
void prepare_run_dir(const std::string& dir, const TrainOptions& opts) {
  if (opts.resume) {
    if (!fs::exists(run_checkpoint_path(dir)))
      throw UsageError(fmt::format("--resume {}: there is no checkpoint.ckpt there to resume from (was the run "
                                   "started with output.checkpoint: none, or did it stop before its first epoch "
                                   "ended?)",
                                   dir));
    return;
  }
  for (const char* f : kRunFiles) {
    const std::string p = dir + "/" + f;
    if (!fs::exists(p)) continue;
    if (!opts.force)
      throw UsageError(fmt::format("output.dir {} already holds a run ({} exists); pass --force to replace it, "
                                   "--resume {} to continue it, or choose another output.dir / name",
                                   dir, f, dir));
    fs::remove(p);
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("output.dir {}: cannot create it: {}", dir, ec.message()));
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

}  // namespace

TrainOutcome run_training(const TrainConfig& cfg, const TrainOptions& opts) {
  const DatasetMeta meta = read_meta(cfg.data.path);
  const ResolvedHyper hyper = resolve_scaling(cfg);
  // Validated before prepare_run_dir, which with --force removes an earlier run's files.
  const ModelSpec spec = model_spec_for(cfg, meta, hyper.l2);
  const std::string dir = cfg.output.dir;
  prepare_run_dir(dir, opts);
  const std::string ckpt = run_checkpoint_path(dir);
  // A resume is checked against its checkpoint's header before any data or state is loaded.
  CheckpointHeader resumed;
  if (opts.resume) {
    resumed = read_checkpoint_header(ckpt);
    const ModelSpec& h = resumed.model;
    if (h.vocab_sizes != spec.vocab_sizes || h.type != spec.type || h.hidden != spec.hidden ||
        h.embedding_dim != spec.embedding_dim || h.cross_layers != spec.cross_layers)
      throw UsageError(fmt::format("--resume {}: the checkpoint's model ({}) does not match the config's ({}) or "
                                   "the dataset's vocabulary; resume with the run's own config.resolved.yaml",
                                   dir, h.type, spec.type));
    if (resumed.record.epochs_done >= uint64_t(cfg.train.epochs))
      throw UsageError(fmt::format("--resume {}: the run already finished its {} epochs; raise train.epochs "
                                   "(e.g. --set train.epochs={}) to train further",
                                   dir, resumed.record.epochs_done, resumed.record.epochs_done + 1));
  }

  std::unique_ptr<Ops<float>> backend = make_backend({cfg.train.device, cfg.train.threads, cfg.train.precision});
  // train.profile routes every op through a timing decorator (slower: it waits after each op).
  std::unique_ptr<ProfilingOps<float>> profiler =
      cfg.train.profile ? std::make_unique<ProfilingOps<float>>(*backend) : nullptr;
  Ops<float>* ops = profiler ? static_cast<Ops<float>*>(profiler.get()) : backend.get();
  const size_t train_batch = static_cast<size_t>(cfg.train.batch_size);
  const size_t eval_batch = static_cast<size_t>(effective_eval_batch_size(cfg));
  const uint64_t train_rows = cfg.train.drop_last ? meta.train.rows / train_batch * train_batch : meta.train.rows;
  if (train_rows == 0)
    throw UsageError(fmt::format("train.batch_size {} with train.drop_last: true leaves no batch of the {} train "
                                 "rows; lower the batch size or set drop_last: false",
                                 train_batch, meta.train.rows));
  const uint64_t steps_per_epoch = (train_rows + train_batch - 1) / train_batch;

  CtrModel<float> model(*ops, spec, std::max(train_batch, eval_batch));
  Optimizer<float> opt(*ops, model, optimizer_options_for(cfg, hyper, steps_per_epoch));
  DeviceBatch<float> batch(ops->memory(), std::max(train_batch, eval_batch), meta.dense_fields.size(),
                           meta.cat_fields.size());
  TrainStep step(*ops, model, opt, train_batch, cfg.optimizer.loss_reduction);
  // Opened after the model, so data.cache: auto sees the GPU memory the model left.
  const std::vector<uint64_t> offsets(model.tables().field_offsets(),
                                      model.tables().field_offsets() + meta.cat_fields.size() + 1);
  const DataCache cache = resolve_cache(cfg, meta, *ops);
  auto train_source = open_split(cfg, meta, cache, *ops, offsets, {"train", train_batch, true, cfg.train.drop_last});
  auto test_source = open_split(cfg, meta, cache, *ops, offsets, {"test", eval_batch, false, false});
  CTR_CHECK(train_source->rows_per_epoch() == train_rows, "train split yields {} rows per epoch, meta.json {}",
            train_source->rows_per_epoch(), train_rows);

  RunRecord record;
  if (opts.resume) {
    load_checkpoint_state(ckpt, *ops, model, &opt);
    record = resumed.record;
    opt.set_steps_done(record.steps_done);
  } else {
    model.init(cfg.train.seed, cfg.optimizer.init_stddev);
  }
  // The parts of every checkpoint's header that do not change during the run.
  CheckpointHeader ckpt_header;
  ckpt_header.ctrtrain_version = CTR_VERSION;
  ckpt_header.name = cfg.name;
  ckpt_header.config_yaml = config_to_yaml(cfg);
  ckpt_header.data_path = cfg.data.path;
  ckpt_header.seed = cfg.train.seed;
  ckpt_header.model = spec;
  write_text_file(run_config_path(dir), ckpt_header.config_yaml);
  MetricsCsv csv(dir + "/metrics.csv", opts.resume, record.epochs_done);

  fmt::print("ctrtrain {}: run '{}' -> {}\n", CTR_VERSION, cfg.name, dir);
  fmt::print("data {}: {} train rows, {} test rows, {} fields, {} table rows\n", cfg.data.path, meta.train.rows,
             meta.test.rows, meta.cat_fields.size(), model.tables().rows());
  fmt::print("model {}: {} parameters; device {}\n", spec.type, model.parameter_count(), ops->describe());
  fmt::print("data.cache {}: train batches from the {}, test batches from the {}\n", to_string(cache),
             train_source->describe(), test_source->describe());
  fmt::print("{}\n", describe_scaling(cfg, hyper));
  if (opts.resume) fmt::print("resuming after epoch {} (step {})\n", record.epochs_done, record.steps_done);
  std::fflush(stdout);

  // max_steps_per_epoch cuts each epoch short (benchmarks); the warm-up still counts full epochs.
  const uint64_t epoch_steps = cfg.train.max_steps_per_epoch > 0
                                   ? std::min<uint64_t>(steps_per_epoch, uint64_t(cfg.train.max_steps_per_epoch))
                                   : steps_per_epoch;
  const uint64_t log_every =
      cfg.train.log_every > 0 ? uint64_t(cfg.train.log_every) : std::max<uint64_t>(1, epoch_steps / 20);
  const auto run_start = SteadyClock::now();
  bool first_step = true;
  for (uint64_t epoch = record.epochs_done + 1; epoch <= uint64_t(cfg.train.epochs); ++epoch) {
    const auto epoch_start = SteadyClock::now();
    EpochRecord er;
    er.epoch = epoch;
    TrainProgress progress(opts.progress, epoch, cfg.train.epochs, epoch_steps);
    const double wait_before = train_source->input_wait_seconds();
    double loss_sum = 0, shown_loss = std::nan("");  // shown: the last window's mean, none yet
    uint64_t window_first = opt.steps_done() + 1, window_rows = 0, window_pairs = 0;
    StepStats st;
    const auto t0 = SteadyClock::now();
    // Reads the totals of the steps since the last call (one wait for the device): metrics.csv's
    // train row, the divergence check and the epoch's sums.
    auto close_window = [&](bool write_row) {
      const StepTotals t = step.take_totals();
      if (!std::isfinite(t.loss_sum))
        throw_non_finite(t.loss_sum / double(window_rows), window_first, opt.steps_done(), epoch, hyper, ckpt);
      loss_sum += t.loss_sum;
      er.clipped_pairs += t.clipped_rows;
      shown_loss = t.loss_sum / double(window_rows);
      if (write_row)
        csv.train_row(epoch, opt.steps_done(), er.samples, shown_loss,
                      window_pairs ? double(t.clipped_rows) / double(window_pairs) : 0.0, st.lr, seconds_since(t0));
      window_first = opt.steps_done() + 1;
      window_rows = window_pairs = 0;
    };
    train_source->start_epoch(epoch - 1);
    while (train_source->next(batch)) {
      const size_t b = batch.rows;
      step.forward_loss(batch);
      step.backward(batch);
      st = step.update();
      if (first_step) {
        // The run's first step pays one-time costs (allocator pools, library plans, and the
        // reader's start, since it includes the first batch); waiting for it once lets them be
        // set apart from the steady rate.
        ops->synchronize();
        er.first_step_seconds = seconds_since(t0);
        er.first_step_samples = b;
        first_step = false;
      }
      ++er.steps;
      er.samples += b;
      er.id_pairs += st.unique_rows;
      window_rows += b;
      window_pairs += st.unique_rows;
      // The epoch's last window has no train row: its epoch row follows.
      if (er.steps % log_every == 0 || er.steps == epoch_steps) close_window(er.steps != epoch_steps);
      progress.update(er.steps, shown_loss, er.samples, seconds_since(t0),
                      train_source->input_wait_seconds() - wait_before);
      if (er.steps == epoch_steps) break;
    }
    if (window_rows) close_window(false);
    er.seconds = seconds_since(t0);
    er.input_wait_seconds = train_source->input_wait_seconds() - wait_before;
    er.train_loss = er.samples ? loss_sum / double(er.samples) : 0;
    // An epoch of one step has nothing but its first step: then that is the rate there is.
    const bool only_first = er.samples == er.first_step_samples;
    const double steady_seconds = only_first ? er.seconds : er.seconds - er.first_step_seconds;
    const uint64_t steady_samples = only_first ? er.samples : er.samples - er.first_step_samples;
    er.samples_per_sec = steady_seconds > 0 ? double(steady_samples) / steady_seconds : 0;
    er.clipped_fraction = er.id_pairs ? double(er.clipped_pairs) / double(er.id_pairs) : 0;
    er.lr = st.lr;
    if (profiler) profiler->set_enabled(false);
    const EvalResult ev = evaluate(*ops, model, *test_source, batch);
    if (profiler) profiler->set_enabled(true);
    er.test_auc = ev.auc;
    er.test_logloss = ev.logloss;
    er.eval_seconds = ev.seconds;
    record.epochs.push_back(er);
    record.epochs_done = epoch;
    record.steps_done = opt.steps_done();
    csv.epoch_row(er, opt.steps_done(), er.samples);
    fmt::print("epoch {}/{}: train loss {:.5f}  test AUC {:.5f}  logloss {:.5f}  clipped {:.3g}%  {:.1f} s "
               "({} samples/s)\n",
               epoch, cfg.train.epochs, er.train_loss, er.test_auc, er.test_logloss, 100 * er.clipped_fraction,
               er.seconds, format_count(static_cast<uint64_t>(er.samples_per_sec)));
    std::fflush(stdout);
    // Another epoch as long as this one would end past train.time_limit_seconds: stop here.
    const double limit = cfg.train.time_limit_seconds;
    record.time_limit_reached = limit > 0 && epoch < uint64_t(cfg.train.epochs) &&
                                seconds_since(run_start) + seconds_since(epoch_start) > limit;
    const bool last = epoch == uint64_t(cfg.train.epochs) || record.time_limit_reached;
    if (cfg.output.checkpoint == CheckpointPolicy::epoch || (last && cfg.output.checkpoint == CheckpointPolicy::final)) {
      ckpt_header.record = record;
      save_checkpoint(ckpt, ckpt_header, *ops, model, &opt);
    }
    if (record.time_limit_reached) {
      fmt::print("train.time_limit_seconds {:g}: stopping after epoch {} of {} ({:.1f} s so far, {:.1f} s per epoch)\n",
                 limit, epoch, cfg.train.epochs, seconds_since(run_start), seconds_since(epoch_start));
      break;
    }
  }

  ReportInputs ri;
  ri.cfg = &cfg;
  ri.hyper = hyper;
  ri.meta = &meta;
  ri.device = ops->describe();
  if (profiler) {
    ri.profile_seconds.assign(profiler->seconds().begin(), profiler->seconds().end());
    std::string line = "profile of the training steps (backend idle between ops):";
    for (size_t i = 0; i < kNumPhases; ++i)
      line += fmt::format(" {} {:.2f} s{}", phase_name(static_cast<Phase>(i)), ri.profile_seconds[i],
                          i + 1 < kNumPhases ? "," : "");
    fmt::print("{}\n", line);
  }
  ri.parameters = model.parameter_count();
  ri.record = &record;
  write_text_file(dir + "/report.json", report_json(ri));
  TrainOutcome out;
  out.record = record;
  out.run_dir = dir;
  out.summary = summary_line(record, dir);
  fmt::print("{}\n", out.summary);
  std::fflush(stdout);
  return out;
}

}  // namespace ctr
