// The optimizers' parameters and their per-value maths, written once: Adam, the L2 term, CowClip's
// per-row clip and the warm-up schedule. The CPU loops (backend/cpu_math.cpp, cpu_embedding.cpp)
// and the CUDA kernels (cuda/cuda_math.cu, cuda_embedding.cu) call these CTR_HOST_DEVICE
// functions, so the backends run one definition and round every operation alike (core/host_device.h).
// The algorithm and where each formula comes from: docs/cowclip.md.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/host_device.h"

namespace ctr {

// ------------------------------------------------------------------------------------ parameters

// One Adam step of one parameter group.
struct AdamStep {
  double lr = 0;           // learning rate of this group at this step (after warm-up)
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-7;
  uint64_t step = 1;       // 1-based global step, for the bias correction
};

// How a CowClip step treats one table (docs/cowclip.md sections 2-3; docs/training.md).
struct ClipParams {
  bool enabled = false;
  bool paper_bound = false;  // false: the authors' code: r*cnt*max(|w|, r*sqrt(d)*zeta), L2 before the clip
                             // true:  Algorithm 1: cnt*max(r*|w|, zeta), L2 added after the clip
  double r = 1.0;
  double zeta = 0.0;
};

// One table's update: Adam with L2 and, when clip.enabled, CowClip.
struct TableUpdateParams {
  size_t table_rows = 0, dim = 0;
  bool update_all_rows = true;   // true: every row gets L2 and an Adam step each step (the authors');
                              // false: only rows present in the batch (lazy Adam)
  double l2 = 0;              // lambda; the gradient of lambda*|w|^2 is 2*lambda*w
  double grad_scale = 1;      // multiplies the gradient (global-norm clipping), 1 = none
  ClipParams clip;
  AdamStep adam;
};

// ---------------------------------------------------------------------------------- schedules

// The network-group learning rate at 0-based step t: 1e-8 + (lr - 1e-8) * min(1, t / warmup_steps).
inline double warmup_lr(double lr, uint64_t step, uint64_t warmup_steps) {
  if (warmup_steps == 0 || step >= warmup_steps) return lr;
  constexpr double kStart = 1e-8;  // the authors' warm-up starts here, not at 0
  return kStart + (lr - kStart) * (double(step) / double(warmup_steps));
}

// Keras' Adam step size for step t: lr * sqrt(1 - beta2^t) / (1 - beta1^t). The update is then
// w -= lr_t * m / (sqrt(v) + eps), the "epsilon hat" form TensorFlow uses.
inline double adam_step_size(const AdamStep& s) {
  const double t = static_cast<double>(s.step);
  return s.lr * std::sqrt(1.0 - std::pow(s.beta2, t)) / (1.0 - std::pow(s.beta1, t));
}

// ------------------------------------------------------------------------------------- Adam

// One Adam step's constants in T, converted once on the host.
template <class T>
struct AdamCoeffs {
  T lr_t, b1, b2, eps, one_b1, one_b2;  // one_b = 1 - b, rounded in T
  static AdamCoeffs from(const AdamStep& s) {
    const T b1 = static_cast<T>(s.beta1), b2 = static_cast<T>(s.beta2);
    return AdamCoeffs{static_cast<T>(adam_step_size(s)), b1, b2, static_cast<T>(s.eps), T(1) - b1, T(1) - b2};
  }
  // One value's step with gradient g: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g g; w -= lr_t m / (sqrt(v) + eps).
  CTR_HOST_DEVICE void apply(T g, T& w, T& m, T& v) const {
    m = rn::add(rn::mul(b1, m), rn::mul(one_b1, g));
    v = rn::add(rn::mul(b2, v), rn::mul(rn::mul(one_b2, g), g));
    w = rn::sub(w, rn::div(rn::mul(lr_t, m), rn::add(rn::sqrt(v), eps)));
  }
};

// ---------------------------------------------------------------------------------------- L2

// The gradient of data + lambda*|w|^2 at one value: g + 2*lambda*w.
template <class T>
CTR_HOST_DEVICE inline T with_l2(T g, T w, T two_l2) {
  return rn::add(g, rn::mul(two_l2, w));
}

// A network weight's gradient: (g + 2*lambda*w) * scale, scale from global-norm clipping.
template <class T>
CTR_HOST_DEVICE inline T scaled_with_l2(T g, T w, T two_l2, T scale) {
  return rn::mul(with_l2(g, w, two_l2), scale);
}

// A table value of a row absent from the batch, whose gradient is the L2 term alone:
// 2*lambda*w * scale (scale applied even when it is 1).
template <class T>
CTR_HOST_DEVICE inline T l2_only(T w, T two_l2, T scale) {
  return rn::mul(rn::mul(two_l2, w), scale);
}

// ---------------------------------------------------------------------------------- CowClip

// What one table row's update needs, converted once on the host.
template <class T>
struct RowUpdateCoeffs {
  AdamCoeffs<T> adam;
  T two_l2, scale;
  uint32_t dim;
  bool clip, paper, scaled;
  double r, zeta;
  double code_lower;  // r * sqrt(dim) * zeta, the code bound's floor
  static RowUpdateCoeffs from(const TableUpdateParams& p) {
    RowUpdateCoeffs a{};
    a.adam = AdamCoeffs<T>::from(p.adam);
    a.two_l2 = static_cast<T>(2 * p.l2);
    a.scale = static_cast<T>(p.grad_scale);
    a.dim = static_cast<uint32_t>(p.dim);
    a.clip = p.clip.enabled;
    a.paper = p.clip.paper_bound;
    a.scaled = p.grad_scale != 1;
    a.r = p.clip.r;
    a.zeta = p.clip.zeta;
    a.code_lower = p.clip.r * std::sqrt(double(p.dim)) * p.clip.zeta;
    return a;
  }
};

// std::max's choice, ties included.
CTR_HOST_DEVICE inline double larger(double x, double y) { return x < y ? y : x; }

// The CowClip threshold of a row with weight norm wn seen cnt times in the batch:
// paper cnt * max(r |w|, zeta); code r * cnt * max(|w|, r sqrt(d) zeta).
template <class T>
CTR_HOST_DEVICE inline double cowclip_bound(const RowUpdateCoeffs<T>& a, double wn, uint32_t cnt) {
  return a.paper ? rn::mul(double(cnt), larger(rn::mul(a.r, wn), a.zeta))
                 : rn::mul(rn::mul(a.r, double(cnt)), larger(wn, a.code_lower));
}

// One row's update: the gradient (batch sum data, plus L2, clipped when CowClip cuts it, times
// scale) and its Adam step, in two passes so no dim-sized buffer is needed: the first takes the
// norms, the second recomputes the gradient and applies it. data is nullptr for a row absent from
// the batch (cnt then 1). Returns whether CowClip cut the gradient.
template <class T>
CTR_HOST_DEVICE bool update_row(const RowUpdateCoeffs<T>& a, T* w, T* m, T* v, const T* data, uint32_t cnt) {
  const uint32_t dim = a.dim;
  bool clipped = false;
  T factor = T(1);
  if (a.clip) {
    double gsq = 0.0, wsq = 0.0;
    for (uint32_t d = 0; d < dim; ++d) {
      const T wd = w[d], x = data ? data[d] : T(0);
      // Paper mode clips the batch gradient alone; code mode clips it with the L2 term added.
      const T g = a.paper ? x : with_l2(x, wd, a.two_l2);
      gsq = rn::add(gsq, rn::mul(double(g), double(g)));
      wsq = rn::add(wsq, rn::mul(double(wd), double(wd)));
    }
    const double ng = rn::sqrt(gsq), bound = cowclip_bound(a, rn::sqrt(wsq), cnt);
    if (!(ng <= bound)) {
      clipped = true;
      factor = rn::narrow<T>(rn::div(bound, ng));
    }
  }
  for (uint32_t d = 0; d < dim; ++d) {
    T wd = w[d], md = m[d], vd = v[d];
    const T x = data ? data[d] : T(0);
    T g;
    if (a.clip && a.paper) {
      g = with_l2(clipped ? rn::mul(x, factor) : x, wd, a.two_l2);
    } else {
      g = with_l2(x, wd, a.two_l2);
      if (clipped) g = rn::mul(g, factor);
    }
    if (a.scaled) g = rn::mul(g, a.scale);
    a.adam.apply(g, wd, md, vd);
    w[d] = wd;
    m[d] = md;
    v[d] = vd;
  }
  return clipped;
}

// The squared norm of the gradient a row would get before clipping, (data + 2*lambda*w)^2 summed
// in double (data nullptr: an absent row), for global-norm clipping.
template <class T>
CTR_HOST_DEVICE double row_grad_sq(const T* w, const T* data, uint32_t dim, T two_l2) {
  double acc = 0.0;
  for (uint32_t d = 0; d < dim; ++d) {
    const double g = rn::add(double(data ? data[d] : T(0)), double(rn::mul(two_l2, w[d])));
    acc = rn::add(acc, rn::mul(g, g));
  }
  return acc;
}

// Whether rows absent from the batch can skip CowClip: their gradient 2*lambda*w is never cut when
// paper mode clips only the batch gradient, or when code mode's bound r*max(|w|, ...) exceeds
// 2*lambda*|w| (2*lambda <= r). The backends then update them in one flat elementwise pass.
inline bool absent_rows_unclipped(const TableUpdateParams& p) {
  return !p.clip.enabled || p.clip.paper_bound || 2 * p.l2 <= p.clip.r;
}

}  // namespace ctr
