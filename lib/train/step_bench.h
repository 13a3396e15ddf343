// bench_point: times the training step of one (model, batch size) point on a train split already
// held in backend memory, for `ctrtrain bench` (docs/benchmarks.md): a steady samples/s over
// unsynchronised steps, and a per-phase breakdown over separately synchronised ones.
#pragma once

#include <cstdint>
#include <string>

#include "config/train_config.h"
#include "dataset/dataset_meta.h"
#include "train/batch_source.h"

namespace ctr {

struct BenchOptions {
  uint64_t warmup_steps = 5;     // run first, never timed: allocations, library plans, caches
  uint64_t timed_steps = 50;     // unsynchronised: what samples/s is computed from
  uint64_t breakdown_steps = 10; // each phase followed by a wait for the device, timed apart
};

struct BenchResult {
  ModelType model = ModelType::deepfm;
  uint64_t batch_size = 0;
  uint64_t parameters = 0;
  uint64_t timed_steps = 0;
  double first_step_seconds = 0;  // the first warm-up step alone: the one-time costs
  double timed_seconds = 0;
  double samples_per_sec = 0;     // batch_size * timed_steps / timed_seconds
  double host_wait_ms = 0;        // per timed step: host blocked on the device inside ops
  // Per breakdown step, in milliseconds; they add up to a synchronised step.
  double input_ms = 0, forward_ms = 0, backward_ms = 0, optimizer_ms = 0;
};

// `cfg` gives everything but the point (its model.type and train.batch_size are replaced); the
// scaling rule resolves the point's hyper-parameters as training would. `split` is the train
// split in `ops`'s memory, drawn in training's shuffled order and wrapped into further epochs.
BenchResult bench_point(const TrainConfig& cfg, const DatasetMeta& meta, Ops<float>& ops,
                        const LoadedSplit& split, ModelType model, uint64_t batch_size,
                        const BenchOptions& opts);

}  // namespace ctr
