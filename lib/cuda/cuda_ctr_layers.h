// CUDA kernels for the CTR layers: the GPU twins of backend/cpu_ctr_layers.h (linear logit, FM,
// DLRM's dot interaction, DCN and DCNv2 cross layers, the logistic loss), same semantics and shapes (backend/ops.h).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace ctr::cuda {

class SumScratch;

void linear_forward(cudaStream_t s, const float* lin_table, const uint32_t* rows_idx, const float* dense,
                    const float* w_dense, size_t batch, size_t fields, size_t num_dense, float* out);
void fm_forward(cudaStream_t s, const float* x, size_t stride, size_t batch, size_t fields, size_t dim, float* out);
void fm_backward(cudaStream_t s, const float* x, size_t stride, const float* dout, size_t batch, size_t fields,
                 size_t dim, float* dx);
void dot_interaction_forward(cudaStream_t s, const float* x, size_t stride, size_t batch, size_t vectors, size_t dim,
                             float* out, size_t out_stride);
void dot_interaction_backward(cudaStream_t s, const float* x, size_t stride, const float* dout, size_t dout_stride,
                              size_t batch, size_t vectors, size_t dim, float* dx);
void dcn_cross_forward(cudaStream_t s, const float* x0, const float* xl, const float* w, const float* bias,
                       size_t batch, size_t k, float* sbuf, float* out);
// Column sums (dw, dbias) are deterministic; `scratch` holds their partials.
void dcn_cross_backward(cudaStream_t s, const float* x0, const float* xl, const float* w, const float* sbuf,
                    const float* dout, size_t batch, size_t k, float* dx0, float* dxl, float* dw, float* dbias,
                    SumScratch& scratch);
void dcnv2_combine(cudaStream_t s, const float* x0, const float* u, const float* xl, float* out, size_t n);
void dcnv2_combine_backward(cudaStream_t s, const float* x0, const float* u, const float* dout, float* dx0, float* du,
                             size_t n);
// Adds the batch's summed BCE to *loss_sum (device memory) without waiting for it.
void bce_with_logits(cudaStream_t s, const float* logits, const float* labels, size_t batch, float scale,
                     float* dlogits, double* loss_sum, SumScratch& scratch);
void sigmoid(cudaStream_t s, const float* logits, float* probs, size_t n);

}  // namespace ctr::cuda
