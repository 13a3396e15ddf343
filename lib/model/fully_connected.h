// FullyConnected: a fully connected layer y = x W (+ b) as an explicit forward/backward pair.
#pragma once

#include <string>

#include "backend/ops.h"
#include "model/param.h"

namespace ctr {

template <class T>
class FullyConnected {
 public:
  // W [in, out] (glorot normal), b [out] (zeros) when bias; l2 applies to W only.
  FullyConnected(ParamList<T>& params, MemorySpace& mem, const std::string& name, size_t in, size_t out, bool bias,
             double l2 = 0, size_t fan_in_override = 0);
  size_t in() const { return in_; }
  size_t out() const { return out_; }
  // x [B, x_stride] (first `in` columns used) -> y [B, out]
  void forward(Ops<T>& ops, const T* x, size_t x_stride, size_t batch, T* y) const;
  // dW = x^T dy, db = sum_b dy; dx [B, dx_stride] = dy W^T, or += when accumulate_dx; dx may be nullptr.
  void backward(Ops<T>& ops, const T* x, size_t x_stride, const T* dy, size_t batch, T* dx, size_t dx_stride,
                bool accumulate_dx);

 private:
  size_t in_, out_;
  NetworkParam<T>* w_;
  NetworkParam<T>* b_ = nullptr;
};

}  // namespace ctr
