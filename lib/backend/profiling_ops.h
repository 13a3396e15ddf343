// ProfilingOps<T>: an Ops<T> decorator that charges the wall time of every op to the phase of the
// training step that ran it. The phase is a scope the caller opens (PhaseScope: the trainer, the
// model, TrainStep's loss, the optimizer), not a property of the op, so an op used in two places (axpy in FM and in
// an update, say) is billed where it ran. It waits for the backend before and after each op, so on
// a GPU the times are exact per phase but the step runs slower than unprofiled: profile in a
// separate run (`train.profile: true`) from the one whose samples/s is reported.
#pragma once

#include <array>
#include <chrono>
#include <memory>

#include "backend/forwarding_ops.h"
#include "core/stopwatch.h"

namespace ctr {

// The phases of a training step, in the order they run; `other` takes ops outside any scope.
enum class Phase {
  input,               // the batch from its source
  embedding_forward,   // rows gathered into x0, the linear logit, dense values copied in
  network_forward,     // FM, cross layers, DNN, heads
  loss,
  network_backward,
  embedding_backward,  // the batch's ids reduced to distinct rows with summed gradients
  network_update,      // Adam on the network's weights (and global-norm sums)
  embedding_update,    // L2 + CowClip + Adam on the tables
  other,
  kCount
};
constexpr size_t kNumPhases = static_cast<size_t>(Phase::kCount);
const char* phase_name(Phase p);  // as report.json spells it: "input", "embedding_forward", ...

// The phase ops are billed to while this lives (per thread; the previous one comes back after).
class PhaseScope {
 public:
  explicit PhaseScope(Phase p);
  ~PhaseScope();
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;
  static Phase current();

 private:
  Phase previous_;
};

template <class T>
class ProfilingOps final : public ForwardingOps<T> {
 public:
  explicit ProfilingOps(Ops<T>& inner) : ForwardingOps<T>(inner) {}
  // While disabled (e.g. during evaluation) ops are forwarded without timing.
  void set_enabled(bool on) { enabled_ = on; }
  const std::array<double, kNumPhases>& seconds() const { return seconds_; }

  // The resident split's batch draws are timed too, in the phase that asks for them (input).
  std::unique_ptr<ResidentSplit<T>> make_resident_split(uint64_t rows, size_t nd, size_t nf) override {
    return std::make_unique<Split>(*this, this->in_.make_resident_split(rows, nd, nf));
  }

 private:
  // Every op runs with the backend idle before and after it; its wall time goes to the current
  // phase. Ops never nest (no op calls another through this decorator), so one start suffices.
  void before_op() override {
    if (!enabled_) return;
    this->in_.synchronize();
    phase_ = PhaseScope::current();
    start_ = SteadyClock::now();
  }
  void after_op() override {
    if (!enabled_) return;
    this->in_.synchronize();
    seconds_[static_cast<size_t>(phase_)] += seconds_since(start_);
  }

  class Split final : public ResidentSplit<T> {
   public:
    Split(ProfilingOps& o, std::unique_ptr<ResidentSplit<T>> inner) : o_(o), inner_(std::move(inner)) {}
    void append(const HostBatch& h, const uint64_t* off) override { inner_->append(h, off); }
    uint64_t rows() const override { return inner_->rows(); }
    void gather(const IndexPermutation& order, uint64_t first, size_t count, DeviceBatch<T>& out) override {
      o_.around([&] { inner_->gather(order, first, count, out); });
    }

   private:
    ProfilingOps& o_;
    std::unique_ptr<ResidentSplit<T>> inner_;
  };

  bool enabled_ = true;
  Phase phase_ = Phase::other;
  SteadyClock::time_point start_;
  std::array<double, kNumPhases> seconds_{};
};

}  // namespace ctr
