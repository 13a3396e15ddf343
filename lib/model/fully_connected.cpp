// FullyConnected forward/backward through the backend's GEMM (see fully_connected.h).
#include "model/fully_connected.h"

namespace ctr {

template <class T>
FullyConnected<T>::FullyConnected(ParamList<T>& params, MemorySpace& mem, const std::string& name, size_t in,
                                  size_t out, bool bias, double l2, size_t fan_in_override)
    : in_(in), out_(out) {
  w_ = params.add(mem, name + ".kernel", {in, out}, ParamInit::glorot_normal, l2,
                  fan_in_override ? fan_in_override : in, out);
  if (bias) b_ = params.add(mem, name + ".bias", {out}, ParamInit::zeros, 0);
}

template <class T>
void FullyConnected<T>::forward(Ops<T>& ops, const T* x, size_t x_stride, size_t batch, T* y) const {
  GemmParams<T> p;
  p.m = batch, p.n = out_, p.k = in_;
  p.a = x, p.lda = x_stride;
  p.b = w_->w.data(), p.ldb = out_;
  p.beta = 0, p.c = y, p.ldc = out_;
  ops.gemm(p);
  if (b_) ops.add_bias(y, b_->w.data(), batch, out_);
}

template <class T>
void FullyConnected<T>::backward(Ops<T>& ops, const T* x, size_t x_stride, const T* dy, size_t batch, T* dx,
                             size_t dx_stride, bool accumulate_dx) {
  GemmParams<T> dw;  // [in, out] = x^T [in, B] * dy [B, out]
  dw.trans_a = true;
  dw.m = in_, dw.n = out_, dw.k = batch;
  dw.a = x, dw.lda = x_stride;
  dw.b = dy, dw.ldb = out_;
  dw.beta = 0, dw.c = w_->g.data(), dw.ldc = out_;
  ops.gemm(dw);
  if (b_) ops.bias_grad(dy, b_->g.data(), batch, out_, false);
  if (dx) {
    GemmParams<T> dxp;  // [B, in] = dy [B, out] * W^T [out, in]
    dxp.trans_b = true;
    dxp.m = batch, dxp.n = in_, dxp.k = out_;
    dxp.a = dy, dxp.lda = out_;
    dxp.b = w_->w.data(), dxp.ldb = out_;
    dxp.beta = accumulate_dx ? T(1) : T(0), dxp.c = dx, dxp.ldc = dx_stride;
    ops.gemm(dxp);
  }
}

template class FullyConnected<float>;
template class FullyConnected<double>;

}  // namespace ctr
