// Mlp: the DNN tower, Dense+ReLU layers (no dropout, no batch norm, as in the paper's runs).
#pragma once

#include <string>
#include <vector>

#include "model/fully_connected.h"

namespace ctr {

template <class T>
class Mlp {
 public:
  // hidden: the width of each layer; input: the width of the tower's input; layer i's parameters
  // are named "<name>.<i>.kernel" and ".bias". Activations are allocated for max_batch rows.
  Mlp(ParamList<T>& params, MemorySpace& mem, const std::string& name, size_t input, const std::vector<size_t>& hidden,
      size_t max_batch);
  size_t out_dim() const { return layers_.empty() ? 0 : layers_.back().out(); }
  // x [B, x_stride] -> output() [B, out_dim]
  void forward(Ops<T>& ops, const T* x, size_t x_stride, size_t batch);
  const T* output() const { return h_.back().data(); }
  // dout [B, dout_stride] (first out_dim columns): gradient of the output; dx [B, dx_stride] +=
  // gradient of the input (dx nullptr: not wanted).
  void backward(Ops<T>& ops, const T* x, size_t x_stride, const T* dout, size_t dout_stride, size_t batch, T* dx,
                size_t dx_stride);

 private:
  std::vector<FullyConnected<T>> layers_;
  std::vector<Buffer<T>> z_, h_;    // per layer [max_batch, width]: pre-activation, post-ReLU
  std::vector<Buffer<T>> dz_, dh_;  // their gradients
};

}  // namespace ctr
