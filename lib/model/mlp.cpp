// Mlp forward/backward (see mlp.h).
#include "model/mlp.h"

#include <string>

namespace ctr {

template <class T>
Mlp<T>::Mlp(ParamList<T>& params, MemorySpace& mem, const std::string& name, size_t input,
            const std::vector<size_t>& hidden, size_t max_batch) {
  size_t in = input;
  for (size_t i = 0; i < hidden.size(); ++i) {
    layers_.emplace_back(params, mem, name + "." + std::to_string(i), in, hidden[i], true);
    z_.emplace_back(mem, max_batch * hidden[i]);
    h_.emplace_back(mem, max_batch * hidden[i]);
    dz_.emplace_back(mem, max_batch * hidden[i]);
    dh_.emplace_back(mem, max_batch * hidden[i]);
    in = hidden[i];
  }
}

template <class T>
void Mlp<T>::forward(Ops<T>& ops, const T* x, size_t x_stride, size_t batch) {
  const T* in = x;
  size_t stride = x_stride;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i].forward(ops, in, stride, batch, z_[i].data());
    ops.relu_forward(z_[i].data(), h_[i].data(), batch * layers_[i].out());
    in = h_[i].data();
    stride = layers_[i].out();
  }
}

template <class T>
void Mlp<T>::backward(Ops<T>& ops, const T* x, size_t x_stride, const T* dout, size_t dout_stride, size_t batch,
                      T* dx, size_t dx_stride) {
  const size_t n = layers_.size();
  if (n == 0) return;
  const size_t width = layers_[n - 1].out();
  ops.copy_2d(dout, dout_stride, dh_[n - 1].data(), width, batch, width);
  for (size_t i = n; i-- > 0;) {
    const size_t width = layers_[i].out();
    ops.relu_backward(h_[i].data(), dh_[i].data(), dz_[i].data(), batch * width);
    if (i > 0) {
      layers_[i].backward(ops, h_[i - 1].data(), layers_[i - 1].out(), dz_[i].data(), batch, dh_[i - 1].data(),
                          layers_[i - 1].out(), false);
    } else {
      layers_[i].backward(ops, x, x_stride, dz_[i].data(), batch, dx, dx_stride, true);
    }
  }
}

template class Mlp<float>;
template class Mlp<double>;

}  // namespace ctr
