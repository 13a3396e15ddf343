// CudaOps: device set-up, batch upload and the forwarding of each op to its kernel module (host code).
#include "cuda/cuda_ops.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "backend/batch_ids.h"
#include "cuda/cublas_check.h"
#include "cuda/cuda_batch.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_ctr_layers.h"
#include "cuda/cuda_math.h"
#include "cuda/cuda_resident_split.h"
#include "reader/host_batch.h"

namespace ctr::cuda {

CudaOps::CudaOps(const CudaOptions& options) : options_(options) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    throw Error("no CUDA device is visible; use train.device: cpu (or auto)");
  }
  if (options_.device < 0 || options_.device >= count)
    throw Error(fmt::format("CUDA device {} does not exist ({} visible)", options_.device, count));
  CTR_CUDA_CHECK(cudaSetDevice(options_.device));
  cudaDeviceProp prop{};
  CTR_CUDA_CHECK(cudaGetDeviceProperties(&prop, options_.device));
  device_name_ = fmt::format("{}, sm_{}{}", prop.name, prop.major, prop.minor);
  CTR_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  CTR_CUBLAS_CHECK(cublasCreate(&cublas_));
  CTR_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
  mem_ = std::make_unique<CudaMemory>(stream_);
  sums_ = std::make_unique<SumScratch>();
  embed_ = std::make_unique<EmbeddingScratch>();
  metrics_ = std::make_unique<MetricsScratch>();
  for (Staging& st : staging_) CTR_CUDA_CHECK(cudaEventCreateWithFlags(&st.uploaded, cudaEventDisableTiming));
}

CudaOps::~CudaOps() {
  // Nothing here may throw: wait for queued work, then release in reverse order of creation.
  if (stream_) cudaStreamSynchronize(stream_);
  for (Staging& st : staging_) {
    free_staging(st);
    if (st.uploaded) cudaEventDestroy(st.uploaded);
  }
  metrics_.reset();
  embed_.reset();
  sums_.reset();
  if (cublas_) cublasDestroy(cublas_);
  if (stream_) cudaStreamDestroy(stream_);
}

std::string CudaOps::describe() const {
  return fmt::format("cuda ({}, {})", device_name_, options_.tf32 ? "tf32" : "fp32");
}

void CudaOps::synchronize() { CTR_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

double CudaOps::host_wait_seconds() const { return cuda::host_wait_seconds(); }

void CudaOps::free_staging(Staging& st) {
  cudaFreeHost(st.labels);
  cudaFreeHost(st.dense);
  cudaFreeHost(st.cat);
  st.labels = st.dense = nullptr;
  st.cat = nullptr;
  st.capacity = 0;
}

void CudaOps::ensure_staging(Staging& st, size_t rows, size_t num_dense, size_t num_cat) {
  if (st.capacity >= rows && st.num_dense == num_dense && st.num_cat == num_cat) return;
  CTR_CUDA_CHECK(cudaEventSynchronize(st.uploaded));
  free_staging(st);
  const size_t cap = std::max<size_t>(rows, 1);
  CTR_CUDA_CHECK(cudaMallocHost(&st.labels, cap * sizeof(float)));
  CTR_CUDA_CHECK(cudaMallocHost(&st.dense, std::max<size_t>(cap * num_dense, 1) * sizeof(float)));
  CTR_CUDA_CHECK(cudaMallocHost(&st.cat, std::max<size_t>(cap * num_cat, 1) * sizeof(uint32_t)));
  st.capacity = cap;
  st.num_dense = num_dense;
  st.num_cat = num_cat;
}

void CudaOps::do_load_batch(const HostBatch& host, const uint64_t* field_offsets_host, DeviceBatch<float>& out) {
  const size_t rows = host.rows, nd = out.num_dense, nf = out.num_fields;
  check_batch_ids(host, field_offsets_host, nf);
  out.rows = rows;
  if (rows == 0) return;

  if (offsets_host_.size() != nf + 1 ||
      std::memcmp(offsets_host_.data(), field_offsets_host, (nf + 1) * sizeof(uint64_t)) != 0) {
    offsets_host_.assign(field_offsets_host, field_offsets_host + nf + 1);
    mem_->to_device(offsets_dev_.ensure(nf + 1), offsets_host_.data(), (nf + 1) * sizeof(uint64_t));
  }

  // Alternate staging areas: the one used two batches ago is free once its upload finished.
  Staging& st = staging_[next_staging_];
  next_staging_ = (next_staging_ + 1) % 2;
  CTR_CUDA_CHECK(cudaEventSynchronize(st.uploaded));
  ensure_staging(st, rows, nd, nf);
  std::memcpy(st.labels, host.labels, rows * sizeof(float));
  std::memcpy(st.dense, host.dense, rows * nd * sizeof(float));
  std::memcpy(st.cat, host.cat, rows * nf * sizeof(uint32_t));
  BatchUpload u;
  u.labels = st.labels;
  u.dense = st.dense;
  u.ids = st.cat;
  u.rows = rows;
  u.num_dense = nd;
  u.num_fields = nf;
  u.offsets = offsets_dev_.data();
  u.raw_ids = raw_ids_.ensure(out.capacity * nf);
  u.labels_out = out.labels.data();
  u.dense_out = out.dense.data();
  u.rows_out = out.rows_idx.data();
  upload_batch(stream_, u);
  CTR_CUDA_CHECK(cudaEventRecord(st.uploaded, stream_));
}

std::unique_ptr<ResidentSplit<float>> CudaOps::make_resident_split(uint64_t rows, size_t num_dense, size_t num_fields) {
  return std::make_unique<CudaResidentSplit>(stream_, rows, num_dense, num_fields);
}

uint64_t CudaOps::memory_free_bytes() {
  size_t free_b = 0, total_b = 0;
  CTR_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return free_b;
}

uint64_t CudaOps::resident_budget_bytes() {
  // Leave a fifth for activations, sort scratch and cuBLAS workspaces allocated in the first steps.
  return memory_free_bytes() / 5 * 4;
}

void CudaOps::do_gemm(const GemmParams<float>& p) { cuda::gemm(cublas_, options_.tf32, p); }
void CudaOps::do_add_bias(float* y, const float* bias, size_t rows, size_t cols) {
  cuda::add_bias(stream_, y, bias, rows, cols);
}
void CudaOps::do_bias_grad(const float* dy, float* dbias, size_t rows, size_t cols, bool accumulate) {
  cuda::bias_grad(stream_, dy, dbias, rows, cols, accumulate);
}
void CudaOps::do_relu_forward(const float* x, float* y, size_t n) { cuda::relu_forward(stream_, x, y, n); }
void CudaOps::do_relu_backward(const float* y, const float* dy, float* dx, size_t n) {
  cuda::relu_backward(stream_, y, dy, dx, n);
}
void CudaOps::do_copy_2d(const float* src, size_t src_stride, float* dst, size_t dst_stride, size_t rows, size_t cols) {
  cuda::copy_2d(stream_, src, src_stride, dst, dst_stride, rows, cols);
}
void CudaOps::do_axpy(float alpha, const float* x, float* y, size_t n) { cuda::axpy(stream_, alpha, x, y, n); }
double CudaOps::do_sum_squares(const float* x, size_t n) { return cuda::sum_squares(stream_, x, n, *sums_); }
void CudaOps::do_embedding_gather(const float* table, const uint32_t* rows_idx, size_t batch, size_t fields, size_t dim,
                                  float* out, size_t out_stride) {
  cuda::embedding_gather(stream_, table, rows_idx, batch, fields, dim, out, out_stride);
}
size_t CudaOps::do_embedding_reduce(const EmbeddingReduceParams& p, const uint32_t* rows_idx, const float* d_emb,
                                    const float* d_linear, UniqueRows<float>& out) {
  return cuda::embedding_reduce(stream_, p, rows_idx, d_emb, d_linear, out, *embed_);
}
void CudaOps::do_table_update(const TableUpdateParams& p, float* table, float* m, float* v, const uint32_t* rows,
                              const uint32_t* counts, const float* grad, size_t unique, uint64_t* clipped_rows) {
  cuda::table_update(stream_, p, table, m, v, rows, counts, grad, unique, clipped_rows, *embed_);
}
double CudaOps::do_table_grad_sum_squares(const TableUpdateParams& p, const float* table, const uint32_t* rows,
                                          const float* grad, size_t unique) {
  return cuda::table_grad_sum_squares(stream_, p, table, rows, grad, unique, *embed_, *sums_);
}
void CudaOps::do_linear_forward(const float* lin_table, const uint32_t* rows_idx, const float* dense,
                                const float* w_dense, size_t batch, size_t fields, size_t num_dense, float* out) {
  cuda::linear_forward(stream_, lin_table, rows_idx, dense, w_dense, batch, fields, num_dense, out);
}
void CudaOps::do_fm_forward(const float* x, size_t stride, size_t batch, size_t fields, size_t dim, float* out) {
  cuda::fm_forward(stream_, x, stride, batch, fields, dim, out);
}
void CudaOps::do_fm_backward(const float* x, size_t stride, const float* dout, size_t batch, size_t fields, size_t dim,
                             float* dx) {
  cuda::fm_backward(stream_, x, stride, dout, batch, fields, dim, dx);
}
void CudaOps::do_dot_interaction_forward(const float* x, size_t stride, size_t batch, size_t vectors, size_t dim,
                                         float* out, size_t out_stride) {
  cuda::dot_interaction_forward(stream_, x, stride, batch, vectors, dim, out, out_stride);
}
void CudaOps::do_dot_interaction_backward(const float* x, size_t stride, const float* dout, size_t dout_stride,
                                          size_t batch, size_t vectors, size_t dim, float* dx) {
  cuda::dot_interaction_backward(stream_, x, stride, dout, dout_stride, batch, vectors, dim, dx);
}
void CudaOps::do_dcn_cross_forward(const float* x0, const float* xl, const float* w, const float* bias, size_t batch,
                               size_t k, float* s, float* out) {
  cuda::dcn_cross_forward(stream_, x0, xl, w, bias, batch, k, s, out);
}
void CudaOps::do_dcn_cross_backward(const float* x0, const float* xl, const float* w, const float* s, const float* dout,
                                size_t batch, size_t k, float* dx0, float* dxl, float* dw, float* dbias) {
  cuda::dcn_cross_backward(stream_, x0, xl, w, s, dout, batch, k, dx0, dxl, dw, dbias, *sums_);
}
void CudaOps::do_dcnv2_combine(const float* x0, const float* u, const float* xl, float* out, size_t n) {
  cuda::dcnv2_combine(stream_, x0, u, xl, out, n);
}
void CudaOps::do_dcnv2_combine_backward(const float* x0, const float* u, const float* dout, float* dx0, float* du,
                                         size_t n) {
  cuda::dcnv2_combine_backward(stream_, x0, u, dout, dx0, du, n);
}
void CudaOps::do_bce_with_logits(const float* logits, const float* labels, size_t batch, float scale, float* dlogits,
                                 double* loss_sum) {
  cuda::bce_with_logits(stream_, logits, labels, batch, scale, dlogits, loss_sum, *sums_);
}
void CudaOps::do_sigmoid(const float* logits, float* probs, size_t n) { cuda::sigmoid(stream_, logits, probs, n); }
void CudaOps::do_auc_logloss(const float* probs, const float* labels, size_t n, double* auc, double* logloss) {
  cuda::auc_logloss(stream_, probs, labels, n, *metrics_, auc, logloss);
}
void CudaOps::do_adam_update(float* w, const float* g, float* m, float* v, size_t n, double l2, double grad_scale,
                             const AdamStep& step) {
  cuda::adam_update(stream_, w, g, m, v, n, l2, grad_scale, step);
}

}  // namespace ctr::cuda
