// Cross networks of DCN (vector weights) and DCN-V2 (full-rank matrices), on the DNN input x0.
//   vector (DCN):   x_{l+1} = x0 * (x_l · w_l) + b_l + x_l
//   matrix (DCNv2): x_{l+1} = x0 ⊙ (x_l W_l + b_l) + x_l      (the DCN-V2 paper's full-rank form)
#pragma once

#include <memory>
#include <vector>

#include "model/fully_connected.h"

namespace ctr {

// DCN (Wang et al. 2017): vector cross weights, x_{l+1} = x0 (x_l . w) + b + x_l;
// DCNv2 (Wang et al. 2021): full-rank matrix weights, x_{l+1} = x0 * (x_l W + b) + x_l.
enum class CrossKind { none, dcn, dcnv2 };

template <class T>
class CrossNet {
 public:
  // k: the width of x0; l2 applies to the kernels (docs/cowclip.md section 3: a fixed 1e-5, not scaled).
  CrossNet(ParamList<T>& params, MemorySpace& mem, CrossKind kind, size_t k, size_t layers, double l2,
           size_t max_batch);
  size_t width() const { return k_; }
  // x0 [B, k] -> output() [B, k]
  void forward(Ops<T>& ops, const T* x0, size_t batch);
  const T* output() const { return xs_.back().data(); }
  // dout [B, k]: gradient of the output; dx0 [B, k] += gradient of x0.
  void backward(Ops<T>& ops, const T* x0, const T* dout, size_t batch, T* dx0);

 private:
  const T* x_at(const T* x0, size_t l) const { return l == 0 ? x0 : xs_[l - 1].data(); }
  CrossKind kind_;
  size_t k_, layers_;
  std::vector<NetworkParam<T>*> w_, b_;   // dcn
  std::vector<FullyConnected<T>> matrix_;  // dcnv2: x_l W_l + b_l
  std::vector<Buffer<T>> xs_;          // x_1 .. x_L, each [max_batch, k]
  std::vector<Buffer<T>> aux_;         // dcn: s_l [max_batch]; dcnv2: u_l [max_batch, k]
  Buffer<T> g_, g_next_, du_;          // backward scratch [max_batch, k]
};

}  // namespace ctr
