// NetworkParam / ParamList: the non-embedding weights of a model with their gradients. Adam moments
// belong to the optimizer (optim/), not here, so a model can be evaluated without them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/buffer.h"

namespace ctr {

enum class ParamInit { zeros, glorot_normal };

template <class T>
struct NetworkParam {
  std::string name;             // unique, e.g. "mlp.0.kernel"; the checkpoint array name
  std::vector<size_t> shape;    // [in, out] for kernels, [n] for vectors
  double l2 = 0;                // lambda of an L2 term lambda*|w|^2 added to the loss
  ParamInit init = ParamInit::zeros;
  size_t fan_in = 0, fan_out = 0;  // for glorot_normal
  Buffer<T> w;                  // [size]
  Buffer<T> g;                  // [size] gradient of the mean loss (without L2), set by backward
  size_t size() const { return w.size(); }
};

// One array of training state with the name checkpoints store it under.
template <class T>
struct NamedArray {
  std::string name;
  Buffer<T>* buffer;
};

template <class T>
class ParamList {
 public:
  // The returned pointer stays valid for the list's lifetime.
  NetworkParam<T>* add(MemorySpace& mem, std::string name, std::vector<size_t> shape, ParamInit init, double l2,
                     size_t fan_in = 0, size_t fan_out = 0) {
    auto p = std::make_unique<NetworkParam<T>>();
    size_t n = 1;
    for (size_t d : shape) n *= d;
    p->name = std::move(name);
    p->shape = std::move(shape);
    p->l2 = l2;
    p->init = init;
    p->fan_in = fan_in;
    p->fan_out = fan_out;
    p->w = Buffer<T>(mem, n);
    p->g = Buffer<T>(mem, n);
    params_.push_back(std::move(p));
    return params_.back().get();
  }
  size_t size() const { return params_.size(); }
  NetworkParam<T>& operator[](size_t i) { return *params_[i]; }
  const NetworkParam<T>& operator[](size_t i) const { return *params_[i]; }

 private:
  std::vector<std::unique_ptr<NetworkParam<T>>> params_;
};

}  // namespace ctr
