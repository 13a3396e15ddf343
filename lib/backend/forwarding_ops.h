// ForwardingOps<T>: an Ops<T> that forwards every op to another backend: the one list of ops that
// decorators build on. Those that alter a few ops (the parity tests' recorders) override them;
// those that observe every op (ProfilingOps) override before_op()/after_op(). A new op needs one
// forwarding line here and nothing in the decorators.
#pragma once

#include <memory>
#include <string>
#include <type_traits>

#include "backend/ops.h"

namespace ctr {

template <class T>
class ForwardingOps : public Ops<T> {
 public:
  explicit ForwardingOps(Ops<T>& inner) : in_(inner) {}
  MemorySpace& memory() override { return in_.memory(); }
  std::string describe() const override { return in_.describe(); }
  void synchronize() override { in_.synchronize(); }
  double host_wait_seconds() const override { return in_.host_wait_seconds(); }

  std::unique_ptr<ResidentSplit<T>> make_resident_split(uint64_t rows, size_t nd, size_t nf) override {
    return in_.make_resident_split(rows, nd, nf);
  }
  uint64_t resident_budget_bytes() override { return in_.resident_budget_bytes(); }
  uint64_t memory_free_bytes() override { return in_.memory_free_bytes(); }

 protected:
  // The ops (backend/ops.h), reached through Ops' public shape-checked wrappers.
  void do_load_batch(const HostBatch& host, const uint64_t* offsets, DeviceBatch<T>& out) override {
    return around([&] { return in_.load_batch(host, offsets, out); });
  }
  void do_gemm(const GemmParams<T>& p) override {
    return around([&] { return in_.gemm(p); });
  }
  void do_add_bias(T* y, const T* bias, size_t rows, size_t cols) override {
    return around([&] { return in_.add_bias(y, bias, rows, cols); });
  }
  void do_bias_grad(const T* dy, T* dbias, size_t rows, size_t cols, bool accumulate) override {
    return around([&] { return in_.bias_grad(dy, dbias, rows, cols, accumulate); });
  }
  void do_relu_forward(const T* x, T* y, size_t n) override {
    return around([&] { return in_.relu_forward(x, y, n); });
  }
  void do_relu_backward(const T* y, const T* dy, T* dx, size_t n) override {
    return around([&] { return in_.relu_backward(y, dy, dx, n); });
  }
  void do_copy_2d(const T* src, size_t src_stride, T* dst, size_t dst_stride, size_t rows, size_t cols) override {
    return around([&] { return in_.copy_2d(src, src_stride, dst, dst_stride, rows, cols); });
  }
  void do_axpy(T alpha, const T* x, T* y, size_t n) override {
    return around([&] { return in_.axpy(alpha, x, y, n); });
  }
  double do_sum_squares(const T* x, size_t n) override {
    return around([&] { return in_.sum_squares(x, n); });
  }
  void do_embedding_gather(const T* table, const uint32_t* rows_idx, size_t batch, size_t fields, size_t dim, T* out,
                           size_t out_stride) override {
    return around([&] { return in_.embedding_gather(table, rows_idx, batch, fields, dim, out, out_stride); });
  }
  size_t do_embedding_reduce(const EmbeddingReduceParams& p, const uint32_t* rows_idx, const T* d_emb,
                             const T* d_linear, UniqueRows<T>& out) override {
    return around([&] { return in_.embedding_reduce(p, rows_idx, d_emb, d_linear, out); });
  }
  void do_table_update(const TableUpdateParams& p, T* table, T* m, T* v, const uint32_t* rows, const uint32_t* counts,
                       const T* grad, size_t unique, uint64_t* clipped_rows) override {
    return around([&] { return in_.table_update(p, table, m, v, rows, counts, grad, unique, clipped_rows); });
  }
  double do_table_grad_sum_squares(const TableUpdateParams& p, const T* table, const uint32_t* rows, const T* grad,
                                   size_t unique) override {
    return around([&] { return in_.table_grad_sum_squares(p, table, rows, grad, unique); });
  }
  void do_linear_forward(const T* lin_table, const uint32_t* rows_idx, const T* dense, const T* w_dense, size_t batch,
                         size_t fields, size_t num_dense, T* out) override {
    return around(
        [&] { return in_.linear_forward(lin_table, rows_idx, dense, w_dense, batch, fields, num_dense, out); });
  }
  void do_fm_forward(const T* x, size_t stride, size_t batch, size_t fields, size_t dim, T* out) override {
    return around([&] { return in_.fm_forward(x, stride, batch, fields, dim, out); });
  }
  void do_fm_backward(const T* x, size_t stride, const T* dout, size_t batch, size_t fields, size_t dim,
                      T* dx) override {
    return around([&] { return in_.fm_backward(x, stride, dout, batch, fields, dim, dx); });
  }
  void do_dot_interaction_forward(const T* x, size_t stride, size_t batch, size_t vectors, size_t dim, T* out,
                                  size_t out_stride) override {
    return around([&] { return in_.dot_interaction_forward(x, stride, batch, vectors, dim, out, out_stride); });
  }
  void do_dot_interaction_backward(const T* x, size_t stride, const T* dout, size_t dout_stride, size_t batch,
                                   size_t vectors, size_t dim, T* dx) override {
    return around([&] { return in_.dot_interaction_backward(x, stride, dout, dout_stride, batch, vectors, dim, dx); });
  }
  void do_dcn_cross_forward(const T* x0, const T* xl, const T* w, const T* bias, size_t batch, size_t k, T* s,
                        T* out) override {
    return around([&] { return in_.dcn_cross_forward(x0, xl, w, bias, batch, k, s, out); });
  }
  void do_dcn_cross_backward(const T* x0, const T* xl, const T* w, const T* s, const T* dout, size_t batch, size_t k,
                         T* dx0, T* dxl, T* dw, T* dbias) override {
    return around([&] { return in_.dcn_cross_backward(x0, xl, w, s, dout, batch, k, dx0, dxl, dw, dbias); });
  }
  void do_dcnv2_combine(const T* x0, const T* u, const T* xl, T* out, size_t n) override {
    return around([&] { return in_.dcnv2_combine(x0, u, xl, out, n); });
  }
  void do_dcnv2_combine_backward(const T* x0, const T* u, const T* dout, T* dx0, T* du, size_t n) override {
    return around([&] { return in_.dcnv2_combine_backward(x0, u, dout, dx0, du, n); });
  }
  void do_bce_with_logits(const T* logits, const T* labels, size_t batch, T scale, T* dlogits,
                          double* loss_sum) override {
    return around([&] { return in_.bce_with_logits(logits, labels, batch, scale, dlogits, loss_sum); });
  }
  void do_sigmoid(const T* logits, T* probs, size_t n) override {
    return around([&] { return in_.sigmoid(logits, probs, n); });
  }
  void do_auc_logloss(const T* probs, const T* labels, size_t n, double* auc, double* logloss) override {
    return around([&] { return in_.auc_logloss(probs, labels, n, auc, logloss); });
  }
  void do_adam_update(T* w, const T* g, T* m, T* v, size_t n, double l2, double grad_scale,
                      const AdamStep& step) override {
    return around([&] { return in_.adam_update(w, g, m, v, n, l2, grad_scale, step); });
  }

 protected:
  // Called around every op forwarded through around() (not memory(), describe(), synchronize(),
  // host_wait_seconds(), make_resident_split(), resident_budget_bytes() or memory_free_bytes()). Decorators that observe
  // each op, like ProfilingOps, override them; by default they do nothing.
  virtual void before_op() {}
  virtual void after_op() {}

  template <class F>
  decltype(auto) around(F&& f) {
    before_op();
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      after_op();
    } else {
      auto r = f();
      after_op();
      return r;
    }
  }

  Ops<T>& in_;
};

}  // namespace ctr
