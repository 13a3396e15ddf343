// CPU reference kernels for the CTR-specific layers: the linear ("wide") logit, the FM term,
// DLRM's dot interaction, DCN and DCNv2 cross layers, and the logistic loss. Shapes as in backend/ops.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ctr::cpu {

template <class T>
void linear_forward(const T* lin_table, const uint32_t* rows_idx, const T* dense, const T* w_dense, size_t batch,
                    size_t fields, size_t num_dense, T* out);
template <class T>
void fm_forward(const T* x, size_t stride, size_t batch, size_t fields, size_t dim, T* out);
template <class T>
void fm_backward(const T* x, size_t stride, const T* dout, size_t batch, size_t fields, size_t dim, T* dx);
template <class T>
void dot_interaction_forward(const T* x, size_t stride, size_t batch, size_t vectors, size_t dim, T* out,
                             size_t out_stride);
template <class T>
void dot_interaction_backward(const T* x, size_t stride, const T* dout, size_t dout_stride, size_t batch,
                              size_t vectors, size_t dim, T* dx);
template <class T>
void dcn_cross_forward(const T* x0, const T* xl, const T* w, const T* bias, size_t batch, size_t k, T* s, T* out);
template <class T>
void dcn_cross_backward(const T* x0, const T* xl, const T* w, const T* s, const T* dout, size_t batch, size_t k, T* dx0,
                    T* dxl, T* dw, T* dbias);
template <class T>
void dcnv2_combine(const T* x0, const T* u, const T* xl, T* out, size_t n);
template <class T>
void dcnv2_combine_backward(const T* x0, const T* u, const T* dout, T* dx0, T* du, size_t n);
template <class T>
double bce_with_logits(const T* logits, const T* labels, size_t batch, T scale, T* dlogits);
template <class T>
void sigmoid(const T* logits, T* probs, size_t n);

}  // namespace ctr::cpu
