// bench_point (see step_bench.h).
#include "train/step_bench.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "core/error.h"
#include "core/stopwatch.h"
#include "train/model_setup.h"
#include "train/train_step.h"
#include "train/training_objects.h"

namespace ctr {

namespace {

// Batches of the split, wrapping into the next epoch when one runs out, so any step count works.
class EndlessBatches {
 public:
  // bench_point has checked that the split holds at least one full batch.
  EndlessBatches(const LoadedSplit& split, const SourceOptions& o) : source_(open_resident_source(split, o)) {
    source_->start_epoch(0);
  }
  void next(DeviceBatch<float>& batch) {
    if (source_->next(batch)) return;
    source_->start_epoch(++epoch_);
    CTR_CHECK(source_->next(batch), "a split of full batches yielded none after an epoch");
  }

 private:
  std::unique_ptr<BatchSource> source_;
  uint64_t epoch_ = 0;
};

struct PhaseTimes {
  double input = 0, forward = 0, backward = 0, optimizer = 0;
};

// The steps since the last check must not have diverged: their figures would time NaN arithmetic.
void check_finite(TrainStep& step, const std::string& point) {
  const double loss = step.take_totals().loss_sum;
  if (!std::isfinite(loss))
    throw Error(fmt::format("bench {}: the loss is {}; the point's learning rate diverges on this data", point, loss));
}

// One step with a wait for the device after each phase, so each phase's time is its own.
void synchronised_step(Ops<float>& ops, EndlessBatches& data, DeviceBatch<float>& batch, TrainStep& step,
                       PhaseTimes& t) {
  auto t0 = SteadyClock::now();
  data.next(batch);
  ops.synchronize();
  t.input += seconds_since(t0);
  t0 = SteadyClock::now();
  step.forward_loss(batch);
  ops.synchronize();
  t.forward += seconds_since(t0);
  t0 = SteadyClock::now();
  step.backward(batch);
  ops.synchronize();
  t.backward += seconds_since(t0);
  t0 = SteadyClock::now();
  step.update();
  ops.synchronize();
  t.optimizer += seconds_since(t0);
}

}  // namespace

BenchResult bench_point(const TrainConfig& base, const DatasetMeta& meta, Ops<float>& ops, const LoadedSplit& split,
                        ModelType model_type, uint64_t batch_size, const BenchOptions& opts) {
  TrainConfig cfg = base;
  cfg.model.type = model_type;
  cfg.train.batch_size = int64_t(batch_size);
  CTR_CHECK(opts.timed_steps > 0, "bench: no timed steps");
  if (split.split->rows() < batch_size)
    throw UsageError(fmt::format("bench {}@{}: the train split of {} has {} rows, fewer than one batch; use a "
                                 "smaller batch size or more data",
                                 to_string(model_type), batch_size, cfg.data.path, split.split->rows()));
  const ResolvedHyper hyper = resolve_scaling(cfg);
  const ModelSpec spec = model_spec_for(cfg, meta, hyper.l2);
  const uint64_t steps_per_epoch = std::max<uint64_t>(1, meta.train.rows / batch_size);
  TrainingShape shape;
  shape.spec = spec;
  shape.optimizer = optimizer_options_for(cfg, hyper, steps_per_epoch);
  shape.train_batch = shape.eval_batch = batch_size;
  shape.loss_reduction = cfg.optimizer.loss_reduction;
  TrainingObjects objects(ops, shape);
  CtrModel<float>& model = objects.model;
  TrainStep& step = objects.step;
  DeviceBatch<float>& batch = objects.batch;
  model.init(cfg.train.seed, cfg.optimizer.init_stddev);
  SourceOptions so;
  so.batch_size = batch_size;
  so.drop_last = true;  // every timed step has the point's batch size
  so.seed = cfg.train.seed;
  EndlessBatches data(split, so);

  const std::string point = fmt::format("{}@{}", to_string(model_type), batch_size);
  BenchResult r;
  r.model = model_type;
  r.batch_size = batch_size;
  r.parameters = model.parameter_count();
  auto run_step = [&] {
    data.next(batch);
    step.forward_loss(batch);
    step.backward(batch);
    step.update();
  };
  ops.synchronize();
  auto t0 = SteadyClock::now();
  run_step();
  ops.synchronize();
  r.first_step_seconds = seconds_since(t0);
  for (uint64_t i = 1; i < opts.warmup_steps; ++i) run_step();
  check_finite(step, point);

  const double wait0 = ops.host_wait_seconds();
  t0 = SteadyClock::now();
  for (uint64_t i = 0; i < opts.timed_steps; ++i) run_step();
  ops.synchronize();
  r.timed_seconds = seconds_since(t0);
  r.timed_steps = opts.timed_steps;
  r.host_wait_ms = 1e3 * (ops.host_wait_seconds() - wait0) / double(opts.timed_steps);
  r.samples_per_sec = double(batch_size * opts.timed_steps) / r.timed_seconds;
  check_finite(step, point);

  PhaseTimes t;
  for (uint64_t i = 0; i < opts.breakdown_steps; ++i) synchronised_step(ops, data, batch, step, t);
  check_finite(step, point);
  const double per = opts.breakdown_steps ? 1e3 / double(opts.breakdown_steps) : 0.0;
  r.input_ms = t.input * per;
  r.forward_ms = t.forward * per;
  r.backward_ms = t.backward * per;
  r.optimizer_ms = t.optimizer * per;
  return r;
}

}  // namespace ctr
