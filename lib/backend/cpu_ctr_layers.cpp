// CPU reference kernels for the CTR-specific layers (see cpu_ctr_layers.h).
#include "backend/cpu_ctr_layers.h"

#include "backend/cpu_reduce.h"
#include "backend/interaction_math.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ctr::cpu {
namespace {
constexpr size_t kParallelMin = 1 << 14;

}  // namespace

template <class T>
void linear_forward(const T* lin_table, const uint32_t* rows_idx, const T* dense, const T* w_dense, size_t batch,
                    size_t fields, size_t num_dense, T* out) {
#pragma omp parallel for schedule(static) if (batch * fields >= kParallelMin)
  for (size_t b = 0; b < batch; ++b) {
    T acc = 0;
    for (size_t f = 0; f < fields; ++f) acc += lin_table[rows_idx[b * fields + f]];
    for (size_t j = 0; j < num_dense; ++j) acc += dense[b * num_dense + j] * w_dense[j];
    out[b] = acc;
  }
}

template <class T>
void fm_forward(const T* x, size_t stride, size_t batch, size_t fields, size_t dim, T* out) {
#pragma omp parallel for schedule(static) if (batch * fields * dim >= kParallelMin)
  for (size_t b = 0; b < batch; ++b) {
    const T* e = x + b * stride;
    T acc = 0;
    for (size_t d = 0; d < dim; ++d) {
      T sum = 0, sum_sq = 0;
      for (size_t f = 0; f < fields; ++f) {
        const T v = e[f * dim + d];
        sum += v;
        sum_sq += v * v;
      }
      acc += sum * sum - sum_sq;
    }
    out[b] = T(0.5) * acc;
  }
}

template <class T>
void fm_backward(const T* x, size_t stride, const T* dout, size_t batch, size_t fields, size_t dim, T* dx) {
#pragma omp parallel for schedule(static) if (batch * fields * dim >= kParallelMin)
  for (size_t b = 0; b < batch; ++b) {
    const T* e = x + b * stride;
    T* de = dx + b * stride;
    for (size_t d = 0; d < dim; ++d) {
      T sum = 0;
      for (size_t f = 0; f < fields; ++f) sum += e[f * dim + d];
      for (size_t f = 0; f < fields; ++f) de[f * dim + d] += dout[b] * (sum - e[f * dim + d]);
    }
  }
}

template <class T>
void dot_interaction_forward(const T* x, size_t stride, size_t batch, size_t vectors, size_t dim, T* out,
                             size_t out_stride) {
  if (vectors == 0) return;  // no z_0 to copy (CUDA returns here too)
  const size_t pairs = interaction_pairs(vectors);
#pragma omp parallel for schedule(static) if (batch * pairs * dim >= kParallelMin)
  for (size_t b = 0; b < batch; ++b) {
    const T* z = x + b * stride;
    T* o = out + b * out_stride;
    for (size_t d = 0; d < dim; ++d) o[d] = z[d];
    for (size_t i = 1; i < vectors; ++i)
      for (size_t j = 0; j < i; ++j) o[dim + interaction_pair_index(i, j)] = interaction_dot(z, dim, i, j);
  }
}

template <class T>
void dot_interaction_backward(const T* x, size_t stride, const T* dout, size_t dout_stride, size_t batch,
                              size_t vectors, size_t dim, T* dx) {
#pragma omp parallel for schedule(static) if (batch * vectors * vectors * dim >= kParallelMin)
  for (size_t b = 0; b < batch; ++b) {
    const T* z = x + b * stride;
    for (size_t k = 0; k < vectors; ++k)
      for (size_t d = 0; d < dim; ++d)
        dx[b * stride + k * dim + d] = interaction_grad(z, dout + b * dout_stride, vectors, dim, k, d);
  }
}

template <class T>
void dcn_cross_forward(const T* x0, const T* xl, const T* w, const T* bias, size_t batch, size_t k, T* s, T* out) {
#pragma omp parallel for schedule(static) if (batch * k >= kParallelMin)
  for (size_t b = 0; b < batch; ++b) {
    const T* a = xl + b * k;
    T dot = 0;
    for (size_t j = 0; j < k; ++j) dot += a[j] * w[j];
    s[b] = dot;
    for (size_t j = 0; j < k; ++j) out[b * k + j] = x0[b * k + j] * dot + bias[j] + a[j];
  }
}

template <class T>
void dcn_cross_backward(const T* x0, const T* xl, const T* w, const T* s, const T* dout, size_t batch, size_t k, T* dx0,
                    T* dxl, T* dw, T* dbias) {
  // ds[b] = dout[b]·x0[b] is needed by two loops over different axes, so it is kept.
  static thread_local std::vector<T> ds_buf;  // the calling thread's; OpenMP workers use the pointer
  if (ds_buf.size() < batch) ds_buf.resize(batch);
  T* ds = ds_buf.data();
#pragma omp parallel for schedule(static) if (batch * k >= kParallelMin)
  for (size_t b = 0; b < batch; ++b) {
    const T* g = dout + b * k;
    T dot = 0;
    for (size_t j = 0; j < k; ++j) dot += g[j] * x0[b * k + j];
    ds[b] = dot;
    for (size_t j = 0; j < k; ++j) {
      dx0[b * k + j] += g[j] * s[b];
      dxl[b * k + j] = g[j] + dot * w[j];
    }
  }
#pragma omp parallel for schedule(static) if (batch * k >= kParallelMin)
  for (size_t j = 0; j < k; ++j) {
    T acc_w = 0, acc_b = 0;
    for (size_t b = 0; b < batch; ++b) {
      acc_w += ds[b] * xl[b * k + j];
      acc_b += dout[b * k + j];
    }
    dw[j] = acc_w;
    dbias[j] = acc_b;
  }
}

template <class T>
void dcnv2_combine(const T* x0, const T* u, const T* xl, T* out, size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) out[i] = x0[i] * u[i] + xl[i];
}

template <class T>
void dcnv2_combine_backward(const T* x0, const T* u, const T* dout, T* dx0, T* du, size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) {
    dx0[i] += dout[i] * u[i];
    du[i] = dout[i] * x0[i];
  }
}

template <class T>
double bce_with_logits(const T* logits, const T* labels, size_t batch, T scale, T* dlogits) {
  return block_sum(batch, 2048, [&](size_t b) {
    const double z = logits[b], y = labels[b];
    const double p = 1.0 / (1.0 + std::exp(-z));
    dlogits[b] = static_cast<T>(scale * T(p - y));
    // max(z,0) - z*y + log(1 + e^-|z|): never overflows, exact for large |z|.
    return std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::fabs(z)));
  });
}

template <class T>
void sigmoid(const T* logits, T* probs, size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (size_t i = 0; i < n; ++i) probs[i] = static_cast<T>(1.0 / (1.0 + std::exp(-double(logits[i]))));
}

#define CTR_INSTANTIATE(T)                                                                                          \
  template void linear_forward<T>(const T*, const uint32_t*, const T*, const T*, size_t, size_t, size_t, T*);       \
  template void fm_forward<T>(const T*, size_t, size_t, size_t, size_t, T*);                                        \
  template void fm_backward<T>(const T*, size_t, const T*, size_t, size_t, size_t, T*);                             \
  template void dot_interaction_forward<T>(const T*, size_t, size_t, size_t, size_t, T*, size_t);                   \
  template void dot_interaction_backward<T>(const T*, size_t, const T*, size_t, size_t, size_t, size_t, T*);        \
  template void dcn_cross_forward<T>(const T*, const T*, const T*, const T*, size_t, size_t, T*, T*);               \
  template void dcn_cross_backward<T>(const T*, const T*, const T*, const T*, const T*, size_t, size_t, T*, T*, T*, \
                                      T*);                                                                          \
  template void dcnv2_combine<T>(const T*, const T*, const T*, T*, size_t);                                         \
  template void dcnv2_combine_backward<T>(const T*, const T*, const T*, T*, T*, size_t);                            \
  template double bce_with_logits<T>(const T*, const T*, size_t, T, T*);                                            \
  template void sigmoid<T>(const T*, T*, size_t);
CTR_INSTANTIATE(float)
CTR_INSTANTIATE(double)
#undef CTR_INSTANTIATE

}  // namespace ctr::cpu
