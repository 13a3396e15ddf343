// CpuOps<T>: the CPU reference backend. Host memory, OpenMP loops, OpenBLAS GEMMs; each op
// forwards to a plain kernel in cpu_math / cpu_embedding / cpu_ctr_layers.
#pragma once

#include <memory>

#include "backend/cpu_embedding.h"
#include "backend/ops.h"

namespace ctr {

// 64-byte aligned, zero-filled host memory.
class CpuMemory : public MemorySpace {
 public:
  void* allocate(size_t bytes) override;
  void release(void* p, size_t bytes) override;
  void to_device(void* dst, const void* src, size_t bytes) override;
  void to_host(void* dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void zero(void* p, size_t bytes) override;
};

template <class T>
class CpuOps final : public Ops<T> {
 public:
  // threads: 0 = all hardware threads. Sets the OpenMP and OpenBLAS thread counts process-wide.
  explicit CpuOps(int threads = 0);
  MemorySpace& memory() override { return mem_; }
  std::string describe() const override;
  uint64_t memory_free_bytes() override;  // the host's MemAvailable
  int threads() const { return threads_; }

  std::unique_ptr<ResidentSplit<T>> make_resident_split(uint64_t rows, size_t num_dense, size_t num_fields) override;

 private:
  // The ops (backend/ops.h), reached through Ops' public shape-checked wrappers.
  void do_load_batch(const HostBatch& host, const uint64_t* field_offsets_host, DeviceBatch<T>& out) override;
  void do_gemm(const GemmParams<T>& p) override;
  void do_add_bias(T* y, const T* bias, size_t rows, size_t cols) override;
  void do_bias_grad(const T* dy, T* dbias, size_t rows, size_t cols, bool accumulate) override;
  void do_relu_forward(const T* x, T* y, size_t n) override;
  void do_relu_backward(const T* y, const T* dy, T* dx, size_t n) override;
  void do_copy_2d(const T* src, size_t src_stride, T* dst, size_t dst_stride, size_t rows, size_t cols) override;
  void do_axpy(T alpha, const T* x, T* y, size_t n) override;
  double do_sum_squares(const T* x, size_t n) override;
  void do_embedding_gather(const T* table, const uint32_t* rows_idx, size_t batch, size_t fields, size_t dim, T* out,
                           size_t out_stride) override;
  size_t do_embedding_reduce(const EmbeddingReduceParams& p, const uint32_t* rows_idx, const T* d_emb,
                             const T* d_linear, UniqueRows<T>& out) override;
  void do_table_update(const TableUpdateParams& p, T* table, T* m, T* v, const uint32_t* rows, const uint32_t* counts,
                       const T* grad, size_t unique, uint64_t* clipped_rows) override;
  double do_table_grad_sum_squares(const TableUpdateParams& p, const T* table, const uint32_t* rows, const T* grad,
                                   size_t unique) override;
  void do_linear_forward(const T* lin_table, const uint32_t* rows_idx, const T* dense, const T* w_dense, size_t batch,
                         size_t fields, size_t num_dense, T* out) override;
  void do_fm_forward(const T* x, size_t stride, size_t batch, size_t fields, size_t dim, T* out) override;
  void do_fm_backward(const T* x, size_t stride, const T* dout, size_t batch, size_t fields, size_t dim,
                      T* dx) override;
  void do_dot_interaction_forward(const T* x, size_t stride, size_t batch, size_t vectors, size_t dim, T* out,
                                  size_t out_stride) override;
  void do_dot_interaction_backward(const T* x, size_t stride, const T* dout, size_t dout_stride, size_t batch,
                                   size_t vectors, size_t dim, T* dx) override;
  void do_dcn_cross_forward(const T* x0, const T* xl, const T* w, const T* bias, size_t batch, size_t k, T* s,
                        T* out) override;
  void do_dcn_cross_backward(const T* x0, const T* xl, const T* w, const T* s, const T* dout, size_t batch, size_t k,
                         T* dx0, T* dxl, T* dw, T* dbias) override;
  void do_dcnv2_combine(const T* x0, const T* u, const T* xl, T* out, size_t n) override;
  void do_dcnv2_combine_backward(const T* x0, const T* u, const T* dout, T* dx0, T* du, size_t n) override;
  void do_bce_with_logits(const T* logits, const T* labels, size_t batch, T scale, T* dlogits,
                          double* loss_sum) override;
  void do_sigmoid(const T* logits, T* probs, size_t n) override;
  void do_auc_logloss(const T* probs, const T* labels, size_t n, double* auc, double* logloss) override;
  void do_adam_update(T* w, const T* g, T* m, T* v, size_t n, double l2, double grad_scale,
                      const AdamStep& step) override;

 private:
  CpuMemory mem_;
  int threads_;
  cpu::EmbeddingScratch scratch_;
};

}  // namespace ctr
