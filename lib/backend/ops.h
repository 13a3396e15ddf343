// Ops<T>: the narrow op-level backend interface. Layers and optimizers are written against it;
// the CPU backend (backend/cpu_ops.*) is the reference and the CUDA backend implements the same
// ops with fused kernels. Each op is a public non-virtual function that checks the shapes it is
// given (backend/op_shapes.h) and then calls the backend's protected do_<op>: the checks live once,
// here, for every backend and every decorator. Every pointer belongs to the backend's MemorySpace unless its name
// says host. Shapes are row-major; "[B, K]" means B rows of K contiguous values.
//
// T is float for training; the CPU backend is also built for double so finite-difference tests
// can check gradients without float round-off.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "backend/buffer.h"
#include "backend/op_shapes.h"
#include "backend/optimizer_math.h"
#include "core/index_permutation.h"

namespace ctr {

class HostBatch;

// A batch resident in backend memory, produced by Ops::load_batch.
template <class T>
struct DeviceBatch {
  size_t rows = 0;  // B, <= capacity
  size_t capacity = 0;
  size_t num_dense = 0;       // Nd
  size_t num_fields = 0;      // F
  Buffer<T> labels;           // [capacity]
  Buffer<T> dense;            // [capacity, Nd]
  Buffer<uint32_t> rows_idx;  // [capacity, F] global embedding-table rows: field offset + id
  DeviceBatch(MemorySpace& mem, size_t capacity, size_t num_dense, size_t num_fields)
      : capacity(capacity),
        num_dense(num_dense),
        num_fields(num_fields),
        labels(mem, capacity),
        dense(mem, capacity * num_dense),
        rows_idx(mem, capacity * num_fields) {}
};

// A split held in backend memory (data.cache: device): filled once in file order, then every
// epoch draws its batches through an IndexPermutation evaluated on the backend, so nothing crosses
// the host boundary per step and no index table is stored or sorted.
template <class T>
class ResidentSplit {
 public:
  virtual ~ResidentSplit() = default;
  // Appends a host batch after the rows already held, converting ids to global table rows
  // (field_offsets_host[F+1], as load_batch). Throws ctr::Error on an id outside its vocabulary,
  // or when more rows arrive than the split was created for.
  virtual void append(const HostBatch& host, const uint64_t* field_offsets_host) = 0;
  virtual uint64_t rows() const = 0;  // rows appended so far
  // out = the rows at positions [first, first + count) of `order` (count <= out.capacity).
  virtual void gather(const IndexPermutation& order, uint64_t first, size_t count, DeviceBatch<T>& out) = 0;
};

// C[M, N] = alpha * op(A) * op(B) + beta * C, all row-major; op(A) is [M, K], op(B) is [K, N].
// lda/ldb/ldc are the row strides of A, B, C as stored. k == 0 gives C = beta * C, and beta == 0
// writes zeros without reading C (as BLAS does).
template <class T>
struct GemmParams {
  bool trans_a = false, trans_b = false;
  size_t m = 0, n = 0, k = 0;
  T alpha = 1;
  const T* a = nullptr;
  size_t lda = 0;
  const T* b = nullptr;
  size_t ldb = 0;
  T beta = 0;
  T* c = nullptr;
  size_t ldc = 0;
};

// The ids of a batch reduced to the distinct table rows they touch, in an order each backend fixes
// (CPU: first occurrence; CUDA: ascending row; deterministic either way), with the summed
// gradient of each. Produced by Ops::embedding_reduce.
template <class T>
struct UniqueRows {
  size_t count = 0;         // U, number of distinct rows
  Buffer<uint32_t> rows;    // [B*F capacity] row index of each unique entry
  Buffer<uint32_t> counts;  // [B*F capacity] occurrences of that row in the batch; each field has
                            // its own rows, so this is the number of samples containing it
  Buffer<T> grad_embed;     // [B*F capacity, D] summed gradient of the d-dim embedding row
  Buffer<T> grad_linear;    // [B*F capacity] summed gradient of the 1-dim linear-table row
  UniqueRows(MemorySpace& mem, size_t max_occurrences, size_t dim)
      : rows(mem, max_occurrences),
        counts(mem, max_occurrences),
        grad_embed(mem, max_occurrences * dim),
        grad_linear(mem, max_occurrences) {}
};

struct EmbeddingReduceParams {
  size_t batch = 0, fields = 0, dim = 0;  // B, F, D
  size_t table_rows = 0;                  // rows of the table (sum of vocab sizes)
  size_t grad_stride = 0;                 // row stride of d_emb (embeddings are its first F*D columns)
};

template <class T>
class Ops {
 public:
  virtual ~Ops() = default;
  virtual MemorySpace& memory() = 0;
  virtual std::string describe() const = 0;  // e.g. "cpu (16 threads)"
  virtual void synchronize() {}              // waits for queued work (no-op on the CPU)
  // Seconds the host has spent blocked inside ops, waiting for the device to produce a result
  // they return (a count). While blocked it queues nothing, so the GPU idles after the wait until
  // new work arrives; this measures the blocking, not that idle time. 0 on the CPU.
  virtual double host_wait_seconds() const { return 0; }

  // Copies a host batch in, converting per-field ids to global table rows with field_offsets_host[F+1]
  // (row of field f, id i = offsets[f] + i; offsets[F] = table rows). An id outside its field's
  // vocabulary is a ctr::Error: the data does not belong to this model.
  void load_batch(const HostBatch& host, const uint64_t* field_offsets_host, DeviceBatch<T>& out) {
    op_shapes::load_batch(host, out.capacity, out.num_dense, out.num_fields);
    do_load_batch(host, field_offsets_host, out);
  }
  // An empty resident split with room for `rows` rows of Nd dense values and F fields.
  virtual std::unique_ptr<ResidentSplit<T>> make_resident_split(uint64_t rows, size_t num_dense, size_t num_fields) = 0;
  // Bytes a resident split may use without starving training (data.cache: auto). 0: never choose
  // the resident path automatically (the CPU backend, whose memory reader does the same job).
  virtual uint64_t resident_budget_bytes() { return 0; }
  // Bytes of this backend's memory free now (host RAM available on the CPU, free GPU memory on
  // CUDA), against which training plans its allocations (train/memory_plan.h); 0 when unknown.
  virtual uint64_t memory_free_bytes() = 0;

  // ---- dense math
  void gemm(const GemmParams<T>& p) {
    op_shapes::gemm(p.trans_a, p.trans_b, p.m, p.n, p.k, p.lda, p.ldb, p.ldc);
    do_gemm(p);
  }
  // y[b, j] += bias[j] for y [rows, cols]
  void add_bias(T* y, const T* bias, size_t rows, size_t cols) { do_add_bias(y, bias, rows, cols); }
  // dbias[j] (+)= sum_b dy[b, j]; accumulate selects += over =
  void bias_grad(const T* dy, T* dbias, size_t rows, size_t cols, bool accumulate) {
    do_bias_grad(dy, dbias, rows, cols, accumulate);
  }
  // y = max(x, 0) over n values
  void relu_forward(const T* x, T* y, size_t n) { do_relu_forward(x, y, n); }
  // dx = dy * (y > 0); y is the forward output
  void relu_backward(const T* y, const T* dy, T* dx, size_t n) { do_relu_backward(y, dy, dx, n); }
  // dst[b, j] = src[b, j] for b < rows, j < cols, with row strides (copying into a concat)
  void copy_2d(const T* src, size_t src_stride, T* dst, size_t dst_stride, size_t rows, size_t cols) {
    op_shapes::copy_2d(src_stride, dst_stride, rows, cols);
    do_copy_2d(src, src_stride, dst, dst_stride, rows, cols);
  }
  // y[i] += alpha * x[i]
  void axpy(T alpha, const T* x, T* y, size_t n) { do_axpy(alpha, x, y, n); }
  // host result: sum_i x[i]^2, accumulated in double
  double sum_squares(const T* x, size_t n) { return do_sum_squares(x, n); }

  // ---- embeddings: one table of all fields' rows, [table_rows, D]
  // out[b, f*D + d] = table[rows_idx[b*F + f], d]; out has row stride out_stride (>= F*D)
  void embedding_gather(const T* table, const uint32_t* rows_idx, size_t batch, size_t fields, size_t dim, T* out,
                        size_t out_stride) {
    op_shapes::embedding_gather(batch, fields, dim, out_stride);
    do_embedding_gather(table, rows_idx, batch, fields, dim, out, out_stride);
  }
  // Distinct rows of rows_idx [B, F] and their summed gradients: d_emb [B, grad_stride] holds the
  // gradient of the gathered embeddings; d_linear [B] the gradient of each sample's linear logit,
  // which every field's linear-table row receives. Returns U (also stored in out.count).
  size_t embedding_reduce(const EmbeddingReduceParams& p, const uint32_t* rows_idx, const T* d_emb, const T* d_linear,
                          UniqueRows<T>& out) {
    op_shapes::embedding_reduce(p.batch, p.fields, p.dim, p.grad_stride, d_emb != nullptr, d_linear != nullptr,
                                out.rows.size(), out.counts.size(), out.grad_linear.size(), out.grad_embed.size());
    return do_embedding_reduce(p, rows_idx, d_emb, d_linear, out);
  }
  // Adam (+ L2, + CowClip when p.clip.enabled) on a table [table_rows, dim] with moments m, v;
  // grad [U, dim] holds the summed batch gradient of rows[U] (counts[U] samples each).
  // Adds how many of the U rows had their gradient clipped to *clipped_rows, one counter in backend
  // memory (nullptr: not counted), so the step does not wait for the count.
  void table_update(const TableUpdateParams& p, T* table, T* m, T* v, const uint32_t* rows, const uint32_t* counts,
                    const T* grad, size_t unique, uint64_t* clipped_rows) {
    op_shapes::table_update(p.table_rows, p.dim, unique);
    do_table_update(p, table, m, v, rows, counts, grad, unique, clipped_rows);
  }
  // The squared norm of the gradient table_update would apply before clipping (batch gradient plus
  // L2, over the rows it touches), for global-norm clipping.
  double table_grad_sum_squares(const TableUpdateParams& p, const T* table, const uint32_t* rows, const T* grad,
                                size_t unique) {
    op_shapes::table_update(p.table_rows, p.dim, unique);
    return do_table_grad_sum_squares(p, table, rows, grad, unique);
  }

  // ---- CTR layers
  // out[b] = sum_f lin_table[rows_idx[b*F+f]] + sum_j dense[b, j] * w_dense[j]
  void linear_forward(const T* lin_table, const uint32_t* rows_idx, const T* dense, const T* w_dense, size_t batch,
                      size_t fields, size_t num_dense, T* out) {
    do_linear_forward(lin_table, rows_idx, dense, w_dense, batch, fields, num_dense, out);
  }
  // FM second-order term over x [B, stride] whose first F*D columns are the field embeddings:
  // out[b] = 0.5 * sum_d ((sum_f e_fd)^2 - sum_f e_fd^2)
  void fm_forward(const T* x, size_t stride, size_t batch, size_t fields, size_t dim, T* out) {
    op_shapes::fields_in_row("fm_forward", batch, stride, fields, dim);
    do_fm_forward(x, stride, batch, fields, dim, out);
  }
  // dx[b, f*D+d] += dout[b] * (sum_f' e_f'd - e_fd)
  void fm_backward(const T* x, size_t stride, const T* dout, size_t batch, size_t fields, size_t dim, T* dx) {
    op_shapes::fields_in_row("fm_backward", batch, stride, fields, dim);
    do_fm_backward(x, stride, dout, batch, fields, dim, dx);
  }
  // DLRM dot interaction (backend/interaction_math.h) over x [B, stride] whose first n*D columns
  // are n vectors z_0..z_{n-1} (z_0 the bottom MLP's output, then the field embeddings):
  // out [B, out_stride] (first D + n(n-1)/2 columns) = z_0, then z_i . z_j for each pair i > j in
  // the order (1,0), (2,0), (2,1), ...
  void dot_interaction_forward(const T* x, size_t stride, size_t batch, size_t vectors, size_t dim, T* out,
                               size_t out_stride) {
    op_shapes::dot_interaction(batch, stride, vectors, dim, out_stride);
    do_dot_interaction_forward(x, stride, batch, vectors, dim, out, out_stride);
  }
  // Its backward: dx [B, stride], first n*D columns, = the gradient of z from dout [B, dout_stride]
  // (written, not added: nothing else reads the interaction's input)
  void dot_interaction_backward(const T* x, size_t stride, const T* dout, size_t dout_stride, size_t batch,
                                size_t vectors, size_t dim, T* dx) {
    op_shapes::dot_interaction(batch, stride, vectors, dim, dout_stride);
    do_dot_interaction_backward(x, stride, dout, dout_stride, batch, vectors, dim, dx);
  }
  // DCN vector cross layer over [B, K]: s[b] = x_l[b]·w; out = x0 * s + bias + x_l
  void dcn_cross_forward(const T* x0, const T* xl, const T* w, const T* bias, size_t batch, size_t k, T* s, T* out) {
    do_dcn_cross_forward(x0, xl, w, bias, batch, k, s, out);
  }
  // Given dout: dx0 += dout * s; dxl = dout + (dout·x0) w; dw = sum_b (dout·x0)[b] x_l[b]; dbias = sum_b dout
  void dcn_cross_backward(const T* x0, const T* xl, const T* w, const T* s, const T* dout, size_t batch, size_t k,
                          T* dx0, T* dxl, T* dw, T* dbias) {
    do_dcn_cross_backward(x0, xl, w, s, dout, batch, k, dx0, dxl, dw, dbias);
  }
  // DCNv2 combine over n values: out = x0 * u + xl (u = x_l W + b)
  void dcnv2_combine(const T* x0, const T* u, const T* xl, T* out, size_t n) { do_dcnv2_combine(x0, u, xl, out, n); }
  // Its backward: dx0 += dout * u; du = dout * x0
  void dcnv2_combine_backward(const T* x0, const T* u, const T* dout, T* dx0, T* du, size_t n) {
    do_dcnv2_combine_backward(x0, u, dout, dx0, du, n);
  }

  // ---- loss and output
  // dlogits[b] = scale * (sigmoid(logit[b]) - label[b]); adds sum_b BCE(logit[b], label[b]) (stable
  // form) to *loss_sum, one double in backend memory, so the step does not wait for its loss.
  void bce_with_logits(const T* logits, const T* labels, size_t batch, T scale, T* dlogits, double* loss_sum) {
    do_bce_with_logits(logits, labels, batch, scale, dlogits, loss_sum);
  }
  // probs[i] = sigmoid(logits[i])
  void sigmoid(const T* logits, T* probs, size_t n) { do_sigmoid(logits, probs, n); }
  // Exact ROC AUC (ties count 1/2) and mean log loss (p clipped to [1e-7, 1 - 1e-7]) of probs[n]
  // against labels[n], with the errors of metrics/auc.h and metrics/logloss.h. Host results.
  void auc_logloss(const T* probs, const T* labels, size_t n, double* auc, double* logloss) {
    do_auc_logloss(probs, labels, n, auc, logloss);
  }

  // ---- optimizer
  // Adam on n network weights with gradient g + 2*l2*w (times grad_scale); m, v are its moments.
  void adam_update(T* w, const T* g, T* m, T* v, size_t n, double l2, double grad_scale, const AdamStep& step) {
    do_adam_update(w, g, m, v, n, l2, grad_scale, step);
  }

 protected:
  // What each backend implements; callers use the public ops above, which check shapes first.
  virtual void do_load_batch(const HostBatch& host, const uint64_t* field_offsets_host, DeviceBatch<T>& out) = 0;
  virtual void do_gemm(const GemmParams<T>& p) = 0;
  virtual void do_add_bias(T* y, const T* bias, size_t rows, size_t cols) = 0;
  virtual void do_bias_grad(const T* dy, T* dbias, size_t rows, size_t cols, bool accumulate) = 0;
  virtual void do_relu_forward(const T* x, T* y, size_t n) = 0;
  virtual void do_relu_backward(const T* y, const T* dy, T* dx, size_t n) = 0;
  virtual void do_copy_2d(const T* src, size_t src_stride, T* dst, size_t dst_stride, size_t rows, size_t cols) = 0;
  virtual void do_axpy(T alpha, const T* x, T* y, size_t n) = 0;
  virtual double do_sum_squares(const T* x, size_t n) = 0;
  virtual void do_embedding_gather(const T* table, const uint32_t* rows_idx, size_t batch, size_t fields, size_t dim,
                                   T* out, size_t out_stride) = 0;
  virtual size_t do_embedding_reduce(const EmbeddingReduceParams& p, const uint32_t* rows_idx, const T* d_emb,
                                     const T* d_linear, UniqueRows<T>& out) = 0;
  virtual void do_table_update(const TableUpdateParams& p, T* table, T* m, T* v, const uint32_t* rows,
                               const uint32_t* counts, const T* grad, size_t unique, uint64_t* clipped_rows) = 0;
  virtual double do_table_grad_sum_squares(const TableUpdateParams& p, const T* table, const uint32_t* rows,
                                           const T* grad, size_t unique) = 0;
  virtual void do_linear_forward(const T* lin_table, const uint32_t* rows_idx, const T* dense, const T* w_dense,
                                 size_t batch, size_t fields, size_t num_dense, T* out) = 0;
  virtual void do_fm_forward(const T* x, size_t stride, size_t batch, size_t fields, size_t dim, T* out) = 0;
  virtual void do_fm_backward(const T* x, size_t stride, const T* dout, size_t batch, size_t fields, size_t dim,
                              T* dx) = 0;
  virtual void do_dot_interaction_forward(const T* x, size_t stride, size_t batch, size_t vectors, size_t dim, T* out,
                                          size_t out_stride) = 0;
  virtual void do_dot_interaction_backward(const T* x, size_t stride, const T* dout, size_t dout_stride, size_t batch,
                                           size_t vectors, size_t dim, T* dx) = 0;
  virtual void do_dcn_cross_forward(const T* x0, const T* xl, const T* w, const T* bias, size_t batch, size_t k, T* s,
                                T* out) = 0;
  virtual void do_dcn_cross_backward(const T* x0, const T* xl, const T* w, const T* s, const T* dout, size_t batch,
                                 size_t k, T* dx0, T* dxl, T* dw, T* dbias) = 0;
  virtual void do_dcnv2_combine(const T* x0, const T* u, const T* xl, T* out, size_t n) = 0;
  virtual void do_dcnv2_combine_backward(const T* x0, const T* u, const T* dout, T* dx0, T* du, size_t n) = 0;
  virtual void do_bce_with_logits(const T* logits, const T* labels, size_t batch, T scale, T* dlogits,
                                  double* loss_sum) = 0;
  virtual void do_sigmoid(const T* logits, T* probs, size_t n) = 0;
  virtual void do_auc_logloss(const T* probs, const T* labels, size_t n, double* auc, double* logloss) = 0;
  virtual void do_adam_update(T* w, const T* g, T* m, T* v, size_t n, double l2, double grad_scale,
                              const AdamStep& step) = 0;
};

}  // namespace ctr
