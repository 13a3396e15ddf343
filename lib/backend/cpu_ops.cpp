// CpuOps<T>: forwards each backend op to its CPU reference kernel (see cpu_ops.h).
#include "backend/cpu_ops.h"

#include <cblas.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "backend/batch_ids.h"
#include "backend/cpu_ctr_layers.h"
#include "backend/cpu_math.h"
#include "backend/cpu_resident_split.h"
#include "core/error.h"
#include "core/system_info.h"
#include "core/thread_pool.h"
#include "metrics/auc.h"
#include "metrics/logloss.h"
#include "reader/host_batch.h"

namespace ctr {

void* CpuMemory::allocate(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw Error(fmt::format("out of host memory allocating {:.1f} MiB", bytes / 1048576.0));
  std::memset(p, 0, rounded);
  return p;
}
void CpuMemory::release(void* p, size_t) { std::free(p); }
// Empty buffers may be null, which memcpy and friends may not be given even for 0 bytes.
void CpuMemory::to_device(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void CpuMemory::to_host(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void CpuMemory::copy(void* dst, const void* src, size_t bytes) {
  if (bytes) std::memmove(dst, src, bytes);
}
void CpuMemory::zero(void* p, size_t bytes) {
  if (bytes) std::memset(p, 0, bytes);
}

template <class T>
CpuOps<T>::CpuOps(int threads) : threads_(resolve_thread_count(threads)) {
  omp_set_num_threads(threads_);
  openblas_set_num_threads(threads_);
}

template <class T>
std::string CpuOps<T>::describe() const {
  return fmt::format("cpu ({} thread{})", threads_, threads_ == 1 ? "" : "s");
}

template <class T>
uint64_t CpuOps<T>::memory_free_bytes() {
  return host_memory_available_bytes();
}

template <class T>
void CpuOps<T>::do_load_batch(const HostBatch& host, const uint64_t* field_offsets, DeviceBatch<T>& out) {
  out.rows = host.rows;
  convert_host_batch(host, field_offsets, out.labels.data(), out.dense.data(), out.rows_idx.data());
}

template <class T>
std::unique_ptr<ResidentSplit<T>> CpuOps<T>::make_resident_split(uint64_t rows, size_t num_dense, size_t num_fields) {
  return std::make_unique<CpuResidentSplit<T>>(mem_, rows, num_dense, num_fields);
}

template <class T>
void CpuOps<T>::do_gemm(const GemmParams<T>& p) {
  cpu::gemm(p);
}
template <class T>
void CpuOps<T>::do_add_bias(T* y, const T* bias, size_t rows, size_t cols) {
  cpu::add_bias(y, bias, rows, cols);
}
template <class T>
void CpuOps<T>::do_bias_grad(const T* dy, T* dbias, size_t rows, size_t cols, bool accumulate) {
  cpu::bias_grad(dy, dbias, rows, cols, accumulate);
}
template <class T>
void CpuOps<T>::do_relu_forward(const T* x, T* y, size_t n) {
  cpu::relu_forward(x, y, n);
}
template <class T>
void CpuOps<T>::do_relu_backward(const T* y, const T* dy, T* dx, size_t n) {
  cpu::relu_backward(y, dy, dx, n);
}
template <class T>
void CpuOps<T>::do_copy_2d(const T* src, size_t src_stride, T* dst, size_t dst_stride, size_t rows, size_t cols) {
  cpu::copy_2d(src, src_stride, dst, dst_stride, rows, cols);
}
template <class T>
void CpuOps<T>::do_axpy(T alpha, const T* x, T* y, size_t n) {
  cpu::axpy(alpha, x, y, n);
}
template <class T>
double CpuOps<T>::do_sum_squares(const T* x, size_t n) {
  return cpu::sum_squares(x, n);
}
template <class T>
void CpuOps<T>::do_embedding_gather(const T* table, const uint32_t* rows_idx, size_t batch, size_t fields, size_t dim,
                                    T* out, size_t out_stride) {
  cpu::embedding_gather(table, rows_idx, batch, fields, dim, out, out_stride);
}
template <class T>
size_t CpuOps<T>::do_embedding_reduce(const EmbeddingReduceParams& p, const uint32_t* rows_idx, const T* d_emb,
                                      const T* d_linear, UniqueRows<T>& out) {
  return cpu::embedding_reduce(p, rows_idx, d_emb, d_linear, out, scratch_);
}
template <class T>
void CpuOps<T>::do_table_update(const TableUpdateParams& p, T* table, T* m, T* v, const uint32_t* rows,
                                const uint32_t* counts, const T* grad, size_t unique, uint64_t* clipped_rows) {
  const size_t clipped = cpu::table_update(p, table, m, v, rows, counts, grad, unique, scratch_);
  if (clipped_rows) *clipped_rows += clipped;
}
template <class T>
double CpuOps<T>::do_table_grad_sum_squares(const TableUpdateParams& p, const T* table, const uint32_t* rows,
                                            const T* grad, size_t unique) {
  return cpu::table_grad_sum_squares(p, table, rows, grad, unique, scratch_);
}
template <class T>
void CpuOps<T>::do_linear_forward(const T* lin_table, const uint32_t* rows_idx, const T* dense, const T* w_dense,
                                  size_t batch, size_t fields, size_t num_dense, T* out) {
  cpu::linear_forward(lin_table, rows_idx, dense, w_dense, batch, fields, num_dense, out);
}
template <class T>
void CpuOps<T>::do_fm_forward(const T* x, size_t stride, size_t batch, size_t fields, size_t dim, T* out) {
  cpu::fm_forward(x, stride, batch, fields, dim, out);
}
template <class T>
void CpuOps<T>::do_fm_backward(const T* x, size_t stride, const T* dout, size_t batch, size_t fields, size_t dim,
                               T* dx) {
  cpu::fm_backward(x, stride, dout, batch, fields, dim, dx);
}
template <class T>
void CpuOps<T>::do_dot_interaction_forward(const T* x, size_t stride, size_t batch, size_t vectors, size_t dim, T* out,
                                           size_t out_stride) {
  cpu::dot_interaction_forward(x, stride, batch, vectors, dim, out, out_stride);
}
template <class T>
void CpuOps<T>::do_dot_interaction_backward(const T* x, size_t stride, const T* dout, size_t dout_stride, size_t batch,
                                            size_t vectors, size_t dim, T* dx) {
  cpu::dot_interaction_backward(x, stride, dout, dout_stride, batch, vectors, dim, dx);
}
template <class T>
void CpuOps<T>::do_dcn_cross_forward(const T* x0, const T* xl, const T* w, const T* bias, size_t batch, size_t k, T* s,
                                 T* out) {
  cpu::dcn_cross_forward(x0, xl, w, bias, batch, k, s, out);
}
template <class T>
void CpuOps<T>::do_dcn_cross_backward(const T* x0, const T* xl, const T* w, const T* s, const T* dout, size_t batch,
                                  size_t k, T* dx0, T* dxl, T* dw, T* dbias) {
  cpu::dcn_cross_backward(x0, xl, w, s, dout, batch, k, dx0, dxl, dw, dbias);
}
template <class T>
void CpuOps<T>::do_dcnv2_combine(const T* x0, const T* u, const T* xl, T* out, size_t n) {
  cpu::dcnv2_combine(x0, u, xl, out, n);
}
template <class T>
void CpuOps<T>::do_dcnv2_combine_backward(const T* x0, const T* u, const T* dout, T* dx0, T* du, size_t n) {
  cpu::dcnv2_combine_backward(x0, u, dout, dx0, du, n);
}
template <class T>
void CpuOps<T>::do_bce_with_logits(const T* logits, const T* labels, size_t batch, T scale, T* dlogits,
                                   double* loss_sum) {
  *loss_sum += cpu::bce_with_logits(logits, labels, batch, scale, dlogits);
}
template <class T>
void CpuOps<T>::do_sigmoid(const T* logits, T* probs, size_t n) {
  cpu::sigmoid(logits, probs, n);
}
template <class T>
void CpuOps<T>::do_auc_logloss(const T* probs, const T* labels, size_t n, double* auc, double* logloss) {
  if constexpr (std::is_same_v<T, float>) {
    *auc = roc_auc(probs, labels, n);
    *logloss = log_loss(probs, labels, n);
  } else {  // the double build exists for gradient checks; metrics are defined on float scores
    std::vector<float> p(probs, probs + n), y(labels, labels + n);
    *auc = roc_auc(p.data(), y.data(), n);
    *logloss = log_loss(p.data(), y.data(), n);
  }
}

template <class T>
void CpuOps<T>::do_adam_update(T* w, const T* g, T* m, T* v, size_t n, double l2, double grad_scale,
                               const AdamStep& step) {
  cpu::adam_update(w, g, m, v, n, l2, grad_scale, step);
}

template class CpuOps<float>;
template class CpuOps<double>;

}  // namespace ctr
