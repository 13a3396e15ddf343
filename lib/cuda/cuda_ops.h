// CudaOps: the CUDA backend. It implements Ops<float> (backend/ops.h) on one GPU with one compute
// stream; each op forwards to a kernel module (cuda_math, cuda_embedding, cuda_ctr_layers)
// whose CPU twin in backend/ is the reference it is tested against (tests/cuda).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <memory>
#include <vector>

#include "backend/ops.h"
#include "cuda/cuda_embedding.h"
#include "cuda/cuda_memory.h"
#include "cuda/cuda_metrics.h"
#include "cuda/cuda_reduce.h"

namespace ctr::cuda {

struct CudaOptions {
  int device = 0;     // CUDA device ordinal
  bool tf32 = false;  // train.precision: tf32 lets GEMMs use TF32 tensor cores; false = exact FP32
};

class CudaOps final : public Ops<float> {
 public:
  // Throws ctr::Error when the device cannot be used.
  explicit CudaOps(const CudaOptions& options = CudaOptions());
  ~CudaOps() override;
  CudaOps(const CudaOps&) = delete;
  CudaOps& operator=(const CudaOps&) = delete;

  MemorySpace& memory() override { return *mem_; }
  std::string describe() const override;  // "cuda (NVIDIA H100 80GB HBM3, sm_90, fp32)"
  void synchronize() override;
  double host_wait_seconds() const override;
  cudaStream_t stream() const { return stream_; }

  std::unique_ptr<ResidentSplit<float>> make_resident_split(uint64_t rows, size_t num_dense,
                                                            size_t num_fields) override;
  uint64_t resident_budget_bytes() override;  // most of the GPU memory still free
  uint64_t memory_free_bytes() override;      // cudaMemGetInfo's free bytes
 private:
  // The ops (backend/ops.h), reached through Ops' public shape-checked wrappers.
  void do_load_batch(const HostBatch& host, const uint64_t* field_offsets_host, DeviceBatch<float>& out) override;
  void do_gemm(const GemmParams<float>& p) override;
  void do_add_bias(float* y, const float* bias, size_t rows, size_t cols) override;
  void do_bias_grad(const float* dy, float* dbias, size_t rows, size_t cols, bool accumulate) override;
  void do_relu_forward(const float* x, float* y, size_t n) override;
  void do_relu_backward(const float* y, const float* dy, float* dx, size_t n) override;
  void do_copy_2d(const float* src, size_t src_stride, float* dst, size_t dst_stride, size_t rows,
                  size_t cols) override;
  void do_axpy(float alpha, const float* x, float* y, size_t n) override;
  double do_sum_squares(const float* x, size_t n) override;
  void do_embedding_gather(const float* table, const uint32_t* rows_idx, size_t batch, size_t fields, size_t dim,
                           float* out, size_t out_stride) override;
  size_t do_embedding_reduce(const EmbeddingReduceParams& p, const uint32_t* rows_idx, const float* d_emb,
                             const float* d_linear, UniqueRows<float>& out) override;
  void do_table_update(const TableUpdateParams& p, float* table, float* m, float* v, const uint32_t* rows,
                       const uint32_t* counts, const float* grad, size_t unique, uint64_t* clipped_rows) override;
  double do_table_grad_sum_squares(const TableUpdateParams& p, const float* table, const uint32_t* rows,
                                   const float* grad, size_t unique) override;
  void do_linear_forward(const float* lin_table, const uint32_t* rows_idx, const float* dense, const float* w_dense,
                         size_t batch, size_t fields, size_t num_dense, float* out) override;
  void do_fm_forward(const float* x, size_t stride, size_t batch, size_t fields, size_t dim, float* out) override;
  void do_fm_backward(const float* x, size_t stride, const float* dout, size_t batch, size_t fields, size_t dim,
                      float* dx) override;
  void do_dot_interaction_forward(const float* x, size_t stride, size_t batch, size_t vectors, size_t dim, float* out,
                                  size_t out_stride) override;
  void do_dot_interaction_backward(const float* x, size_t stride, const float* dout, size_t dout_stride, size_t batch,
                                   size_t vectors, size_t dim, float* dx) override;
  void do_dcn_cross_forward(const float* x0, const float* xl, const float* w, const float* bias, size_t batch, size_t k,
                        float* s, float* out) override;
  void do_dcn_cross_backward(const float* x0, const float* xl, const float* w, const float* s, const float* dout,
                         size_t batch, size_t k, float* dx0, float* dxl, float* dw, float* dbias) override;
  void do_dcnv2_combine(const float* x0, const float* u, const float* xl, float* out, size_t n) override;
  void do_dcnv2_combine_backward(const float* x0, const float* u, const float* dout, float* dx0, float* du,
                                  size_t n) override;
  void do_bce_with_logits(const float* logits, const float* labels, size_t batch, float scale, float* dlogits,
                          double* loss_sum) override;
  void do_sigmoid(const float* logits, float* probs, size_t n) override;
  void do_auc_logloss(const float* probs, const float* labels, size_t n, double* auc, double* logloss) override;
  void do_adam_update(float* w, const float* g, float* m, float* v, size_t n, double l2, double grad_scale,
                      const AdamStep& step) override;

 private:
  // One pinned host staging area per batch in flight: load_batch copies the reader's batch here
  // and queues the upload, so the reader may reuse its buffer at once and the copy overlaps
  // the kernels still queued.
  struct Staging {
    float* labels = nullptr;
    float* dense = nullptr;
    uint32_t* cat = nullptr;
    size_t capacity = 0, num_dense = 0, num_cat = 0;
    cudaEvent_t uploaded = nullptr;  // recorded after the upload that reads this area
  };
  void ensure_staging(Staging& st, size_t rows, size_t num_dense, size_t num_cat);
  void free_staging(Staging& st);

  CudaOptions options_;
  std::string device_name_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  std::unique_ptr<CudaMemory> mem_;
  std::unique_ptr<SumScratch> sums_;
  std::unique_ptr<EmbeddingScratch> embed_;
  std::unique_ptr<MetricsScratch> metrics_;
  Staging staging_[2];
  size_t next_staging_ = 0;
  DeviceArray<uint32_t> raw_ids_{"batch ids"};
  DeviceArray<uint64_t> offsets_dev_{"field offsets"};
  std::vector<uint64_t> offsets_host_;  // what offsets_dev_ holds
};

}  // namespace ctr::cuda
