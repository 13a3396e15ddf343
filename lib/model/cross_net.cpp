// CrossNet forward/backward for both kinds (see cross_net.h).
#include "model/cross_net.h"

#include <string>
#include <utility>

#include "core/error.h"

namespace ctr {

template <class T>
CrossNet<T>::CrossNet(ParamList<T>& params, MemorySpace& mem, CrossKind kind, size_t k, size_t layers, double l2,
                      size_t max_batch)
    : kind_(kind), k_(k), layers_(layers) {
  CTR_CHECK(kind != CrossKind::none && layers > 0, "a cross network needs a kind and layers");
  for (size_t l = 0; l < layers; ++l) {
    const std::string name = "cross." + std::to_string(l);
    if (kind == CrossKind::dcn) {
      w_.push_back(params.add(mem, name + ".kernel", {k}, ParamInit::glorot_normal, l2, k, 1));
      b_.push_back(params.add(mem, name + ".bias", {k}, ParamInit::zeros, 0));
      aux_.emplace_back(mem, max_batch);
    } else {
      matrix_.emplace_back(params, mem, name, k, k, true, l2);
      aux_.emplace_back(mem, max_batch * k);
    }
    xs_.emplace_back(mem, max_batch * k);
  }
  g_ = Buffer<T>(mem, max_batch * k);
  g_next_ = Buffer<T>(mem, max_batch * k);
  if (kind == CrossKind::dcnv2) du_ = Buffer<T>(mem, max_batch * k);
}

template <class T>
void CrossNet<T>::forward(Ops<T>& ops, const T* x0, size_t batch) {
  for (size_t l = 0; l < layers_; ++l) {
    const T* xl = x_at(x0, l);
    if (kind_ == CrossKind::dcn) {
      ops.dcn_cross_forward(x0, xl, w_[l]->w.data(), b_[l]->w.data(), batch, k_, aux_[l].data(), xs_[l].data());
    } else {
      matrix_[l].forward(ops, xl, k_, batch, aux_[l].data());
      ops.dcnv2_combine(x0, aux_[l].data(), xl, xs_[l].data(), batch * k_);
    }
  }
}

template <class T>
void CrossNet<T>::backward(Ops<T>& ops, const T* x0, const T* dout, size_t batch, T* dx0) {
  const size_t n = batch * k_;
  ops.memory().copy(g_.data(), dout, n * sizeof(T));  // g_: gradient of x_{l+1}
  for (size_t l = layers_; l-- > 0;) {
    const T* xl = x_at(x0, l);
    if (kind_ == CrossKind::dcn) {
      ops.dcn_cross_backward(x0, xl, w_[l]->w.data(), aux_[l].data(), g_.data(), batch, k_, dx0, g_next_.data(),
                         w_[l]->g.data(), b_[l]->g.data());
    } else {
      ops.dcnv2_combine_backward(x0, aux_[l].data(), g_.data(), dx0, du_.data(), n);
      ops.memory().copy(g_next_.data(), g_.data(), n * sizeof(T));  // the identity path x_l -> x_{l+1}
      matrix_[l].backward(ops, xl, k_, du_.data(), batch, g_next_.data(), k_, true);
    }
    std::swap(g_, g_next_);
  }
  ops.axpy(T(1), g_.data(), dx0, n);  // x_0 is also the first layer's x_l
}

template class CrossNet<float>;
template class CrossNet<double>;

}  // namespace ctr
