// ProfilingOps<T>: an Ops<T> decorator that charges the wall time of every op to the phase of the
// training step that ran it. The phase is a scope the caller opens (PhaseScope: the trainer, the
// model, the optimizer), not a property of the op, so an op used in two places (axpy in FM and in
// an update, say) is billed where it ran. It waits for the backend before and after each op, so on
// a GPU the times are exact per phase but the step runs slower than unprofiled: profile in a
// separate run (`train.profile: true`) from the one whose samples/s is reported.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <type_traits>

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
  embedding_update,    // L2 + CowClip + Adam on the tables
  dense_update,        // Adam on the dense weights (and global-norm sums)
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

  // memory, describe, synchronize and resident_budget_bytes are forwarded untimed.
  void load_batch(const HostBatch& h, const uint64_t* off, DeviceBatch<T>& out) override {
    return timed([&] { return this->in_.load_batch(h, off, out); });
  }
  std::unique_ptr<ResidentSplit<T>> make_resident_split(uint64_t rows, size_t nd, size_t nf) override {
    return std::make_unique<Split>(*this, this->in_.make_resident_split(rows, nd, nf));
  }
  void gemm(const GemmParams<T>& p) override {
    return timed([&] { return this->in_.gemm(p); });
  }
  void add_bias(T* y, const T* b, size_t r, size_t c) override {
    return timed([&] { return this->in_.add_bias(y, b, r, c); });
  }
  void bias_grad(const T* dy, T* db, size_t r, size_t c, bool acc) override {
    return timed([&] { return this->in_.bias_grad(dy, db, r, c, acc); });
  }
  void relu_forward(const T* x, T* y, size_t n) override {
    return timed([&] { return this->in_.relu_forward(x, y, n); });
  }
  void relu_backward(const T* y, const T* dy, T* dx, size_t n) override {
    return timed([&] { return this->in_.relu_backward(y, dy, dx, n); });
  }
  void copy_2d(const T* s, size_t ss, T* d, size_t ds, size_t r, size_t c) override {
    return timed([&] { return this->in_.copy_2d(s, ss, d, ds, r, c); });
  }
  void axpy(T a, const T* x, T* y, size_t n) override {
    return timed([&] { return this->in_.axpy(a, x, y, n); });
  }
  double sum_squares(const T* x, size_t n) override {
    return timed([&] { return this->in_.sum_squares(x, n); });
  }
  void embedding_gather(const T* table, const uint32_t* rows, size_t b, size_t f, size_t d, T* out,
                        size_t stride) override {
    return timed([&] { return this->in_.embedding_gather(table, rows, b, f, d, out, stride); });
  }
  size_t embedding_reduce(const EmbeddingReduceParams& p, const uint32_t* rows, const T* d_emb, const T* d_lin,
                          UniqueRows<T>& out) override {
    return timed([&] { return this->in_.embedding_reduce(p, rows, d_emb, d_lin, out); });
  }
  void table_update(const TableUpdateParams& p, T* table, T* m, T* v, const uint32_t* rows, const uint32_t* counts,
                    const T* grad, size_t unique, uint64_t* clipped_rows) override {
    return timed([&] { return this->in_.table_update(p, table, m, v, rows, counts, grad, unique, clipped_rows); });
  }
  double table_grad_sum_squares(const TableUpdateParams& p, const T* table, const uint32_t* rows, const T* grad,
                                size_t unique) override {
    return timed([&] { return this->in_.table_grad_sum_squares(p, table, rows, grad, unique); });
  }
  void linear_forward(const T* lin, const uint32_t* rows, const T* dense, const T* w, size_t b, size_t f, size_t nd,
                      T* out) override {
    return timed([&] { return this->in_.linear_forward(lin, rows, dense, w, b, f, nd, out); });
  }
  void fm_forward(const T* x, size_t s, size_t b, size_t f, size_t d, T* out) override {
    return timed([&] { return this->in_.fm_forward(x, s, b, f, d, out); });
  }
  void fm_backward(const T* x, size_t s, const T* dout, size_t b, size_t f, size_t d, T* dx) override {
    return timed([&] { return this->in_.fm_backward(x, s, dout, b, f, d, dx); });
  }
  void cross_forward(const T* x0, const T* xl, const T* w, const T* bias, size_t b, size_t k, T* s, T* out) override {
    return timed([&] { return this->in_.cross_forward(x0, xl, w, bias, b, k, s, out); });
  }
  void cross_backward(const T* x0, const T* xl, const T* w, const T* s, const T* dout, size_t b, size_t k, T* dx0,
                      T* dxl, T* dw, T* dbias) override {
    return timed([&] { return this->in_.cross_backward(x0, xl, w, s, dout, b, k, dx0, dxl, dw, dbias); });
  }
  void cross2_combine(const T* x0, const T* u, const T* xl, T* out, size_t n) override {
    return timed([&] { return this->in_.cross2_combine(x0, u, xl, out, n); });
  }
  void cross2_combine_backward(const T* x0, const T* u, const T* dout, T* dx0, T* du, size_t n) override {
    return timed([&] { return this->in_.cross2_combine_backward(x0, u, dout, dx0, du, n); });
  }
  void bce_with_logits(const T* logits, const T* labels, size_t b, T scale, T* dlogits, double* loss_sum) override {
    return timed([&] { return this->in_.bce_with_logits(logits, labels, b, scale, dlogits, loss_sum); });
  }
  void sigmoid(const T* logits, T* probs, size_t n) override {
    return timed([&] { return this->in_.sigmoid(logits, probs, n); });
  }
  void auc_logloss(const T* probs, const T* labels, size_t n, double* auc, double* logloss) override {
    return timed([&] { return this->in_.auc_logloss(probs, labels, n, auc, logloss); });
  }
  void adam_update(T* w, const T* g, T* m, T* v, size_t n, double l2, double scale, const AdamStep& s) override {
    return timed([&] { return this->in_.adam_update(w, g, m, v, n, l2, scale, s); });
  }

 private:
  // Runs f with the backend idle before and after, charging the wall time to the current phase.
  template <class F>
  decltype(auto) timed(F&& f) {
    if (!enabled_) return f();
    const Phase p = PhaseScope::current();
    this->in_.synchronize();
    const auto t0 = SteadyClock::now();
    auto charge = [&] {
      this->in_.synchronize();
      seconds_[static_cast<size_t>(p)] += seconds_since(t0);
    };
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      charge();
    } else {
      auto r = f();
      charge();
      return r;
    }
  }

  // Times the resident split's batch draws in the phase that asked for them (input).
  class Split final : public ResidentSplit<T> {
   public:
    Split(ProfilingOps& o, std::unique_ptr<ResidentSplit<T>> inner) : o_(o), inner_(std::move(inner)) {}
    void append(const HostBatch& h, const uint64_t* off) override { inner_->append(h, off); }
    uint64_t rows() const override { return inner_->rows(); }
    void gather(const IndexPermutation& order, uint64_t first, size_t count, DeviceBatch<T>& out) override {
      o_.timed([&] { inner_->gather(order, first, count, out); });
    }

   private:
    ProfilingOps& o_;
    std::unique_ptr<ResidentSplit<T>> inner_;
  };

  bool enabled_ = true;
  std::array<double, kNumPhases> seconds_{};
};

}  // namespace ctr
