// CowClip, L2 and Adam against hand computation (docs/cowclip.md sections 2-3): ops.table_update in
// both bound modes, all-rows and batch-rows updates, the clipped count; ops.adam_update; and the
// Optimizer: the linear table is never clipped, warm-up, global-norm clipping, the step count, and
// dlrm's state without a linear table.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "backend/cpu_math.h"
#include "backend/cpu_ops.h"
#include "core/rng.h"
#include "model/ctr_model.h"
#include "optim/optimizer.h"
#include "reader/host_batch.h"
#include "support/op_results.h"

using ctr::test::bce_loss_sum;
using ctr::test::table_update_clipped;

using namespace ctr;

namespace {

constexpr double kB1 = 0.9, kB2 = 0.999, kEps = 1e-7;

// Keras Adam by hand, in double: lr_t = lr*sqrt(1-b2^t)/(1-b1^t); m = b1 m + (1-b1) g;
// v = b2 v + (1-b2) g^2; w -= lr_t * m / (sqrt(v) + eps).
void adam_by_hand(double& w, double& m, double& v, double g, double lr, uint64_t t) {
  const double lr_t = lr * std::sqrt(1 - std::pow(kB2, double(t))) / (1 - std::pow(kB1, double(t)));
  m = kB1 * m + (1 - kB1) * g;
  v = kB2 * v + (1 - kB2) * g * g;
  w -= lr_t * m / (std::sqrt(v) + kEps);
}

double norm(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v * v;
  return std::sqrt(s);
}

// The gradient one row receives, by the spec. code mode: g = data + 2*lambda*w, clipped to
// r*cnt*max(|w|, r*sqrt(d)*zeta). paper mode: data clipped to cnt*max(r*|w|, zeta), then + 2*lambda*w.
// data empty = row absent from the batch (cnt 1). Then times grad_scale.
std::vector<double> spec_gradient(const std::vector<double>& w, const std::vector<double>& data, uint32_t cnt,
                                  double lambda, const ClipParams& c, double grad_scale, bool* clipped) {
  const size_t d = w.size();
  std::vector<double> g(d, 0.0);
  for (size_t i = 0; i < d && !data.empty(); ++i) g[i] = data[i];
  *clipped = false;
  if (!c.paper_bound)
    for (size_t i = 0; i < d; ++i) g[i] += 2 * lambda * w[i];
  if (c.enabled) {
    const double bound = c.paper_bound ? cnt * std::max(c.r * norm(w), c.zeta)
                                       : c.r * cnt * std::max(norm(w), c.r * std::sqrt(double(d)) * c.zeta);
    const double ng = norm(g);
    if (ng > bound) {
      for (double& x : g) x *= bound / ng;
      *clipped = true;
    }
  }
  if (c.paper_bound)
    for (size_t i = 0; i < d; ++i) g[i] += 2 * lambda * w[i];
  for (double& x : g) x *= grad_scale;
  return g;
}

// A table with moments, its batch rows and the expected result of one table_update.
template <class T>
struct TableCase {
  size_t rows, dim;
  std::vector<T> w, m, v;                 // [rows * dim]
  std::vector<uint32_t> urows, counts;    // [U]
  std::vector<T> grad;                    // [U * dim]
  TableCase(size_t rows, size_t dim) : rows(rows), dim(dim), w(rows * dim), m(rows * dim), v(rows * dim) {}
  std::vector<double> row(const std::vector<T>& x, size_t r) const {
    return std::vector<double>(x.begin() + r * dim, x.begin() + (r + 1) * dim);
  }
  void add(uint32_t r, uint32_t cnt, const std::vector<double>& g) {
    urows.push_back(r);
    counts.push_back(cnt);
    for (double x : g) grad.push_back(T(x));
  }
  size_t run(Ops<T>& ops, const TableUpdateParams& p) {
    return table_update_clipped(ops, p, w.data(), m.data(), v.data(), urows.data(), counts.data(), grad.data(),
                            urows.size());
  }
};

template <class T>
double tol() {
  return sizeof(T) == 4 ? 2e-6 : 1e-13;
}
// A float Adam step carries the rounding of its float coefficients (1 - 0.999f is off by 1.3e-5
// relative), so results are compared against the magnitude of the terms that made them.
template <class T>
double rtol() {
  return sizeof(T) == 4 ? 3e-5 : 1e-12;
}
template <class T>
bool near(double got, double want, double scale) {
  return std::fabs(got - want) <= rtol<T>() * scale + 1e-300;
}
// The Adam step's terms: |b1 m0| + |(1-b1) g|, b2 v0 + (1-b2) g^2, |w0| + |w - w0|.
double m_scale(double m0, double g) { return kB1 * std::fabs(m0) + (1 - kB1) * std::fabs(g); }
double v_scale(double v0, double g) { return kB2 * v0 + (1 - kB2) * g * g; }
double w_scale(double w0, double w) { return std::fabs(w0) + std::fabs(w - w0); }

// Checks every row of `after` against the spec applied to `before` with the params of one update.
template <class T>
void check_against_spec(const TableCase<T>& before, const TableCase<T>& after, const TableUpdateParams& p,
                        size_t returned_clipped) {
  size_t expect_clipped = 0;
  for (size_t r = 0; r < before.rows; ++r) {
    CAPTURE(r);
    int u = -1;
    for (size_t i = 0; i < before.urows.size(); ++i)
      if (before.urows[i] == r) u = int(i);
    if (u < 0 && !p.update_all_rows) {
      // Batch-rows update: an absent row and its moments stay bit-identical.
      REQUIRE(std::memcmp(&after.w[r * p.dim], &before.w[r * p.dim], p.dim * sizeof(T)) == 0);
      REQUIRE(std::memcmp(&after.m[r * p.dim], &before.m[r * p.dim], p.dim * sizeof(T)) == 0);
      REQUIRE(std::memcmp(&after.v[r * p.dim], &before.v[r * p.dim], p.dim * sizeof(T)) == 0);
      continue;
    }
    std::vector<double> data;
    if (u >= 0)
      for (size_t d = 0; d < p.dim; ++d) data.push_back(double(before.grad[u * p.dim + d]));
    bool clipped = false;
    const auto g = spec_gradient(before.row(before.w, r), data, u >= 0 ? before.counts[u] : 1u, p.l2, p.clip,
                                 p.grad_scale, &clipped);
    if (u >= 0 && clipped) ++expect_clipped;
    for (size_t d = 0; d < p.dim; ++d) {
      CAPTURE(d);
      const double w0 = double(before.w[r * p.dim + d]), m0 = double(before.m[r * p.dim + d]),
                   v0 = double(before.v[r * p.dim + d]);
      double w = w0, m = m0, v = v0;
      adam_by_hand(w, m, v, g[d], p.adam.lr, p.adam.step);
      const double got_w = double(after.w[r * p.dim + d]), got_m = double(after.m[r * p.dim + d]),
                   got_v = double(after.v[r * p.dim + d]);
      INFO("w " << got_w << " want " << w << ", m " << got_m << " want " << m << ", v " << got_v << " want " << v);
      REQUIRE(std::isfinite(got_w));
      REQUIRE(near<T>(got_m, m, m_scale(m0, g[d])));
      REQUIRE(near<T>(got_v, v, v_scale(v0, g[d])));
      REQUIRE(near<T>(got_w, w, w_scale(w0, w)));
    }
  }
  CHECK(returned_clipped == expect_clipped);
}

TableUpdateParams make_params(size_t rows, size_t dim, bool dense, double l2, ClipParams clip, uint64_t step,
                              double lr = 1e-2) {
  TableUpdateParams p;
  p.table_rows = rows;
  p.dim = dim;
  p.update_all_rows = dense;
  p.l2 = l2;
  p.clip = clip;
  p.adam.lr = lr;
  p.adam.step = step;
  return p;
}

ClipParams clip_params(bool paper, double r, double zeta) {
  ClipParams c;
  c.enabled = true;
  c.paper_bound = paper;
  c.r = r;
  c.zeta = zeta;
  return c;
}

}  // namespace

TEST_CASE("cowclip: Hand-checked anchors: Adam step size and the spec's clipped gradients", "[unit][cowclip]") {
  AdamStep s;
  s.lr = 0.1;
  s.step = 1;
  CHECK(adam_step_size(s) == Approx(0.03162277660168381).epsilon(1e-15));
  s.step = 3;
  CHECK(adam_step_size(s) == Approx(0.1 * std::sqrt(1 - 0.999 * 0.999 * 0.999) / (1 - 0.729)).epsilon(1e-15));

  // The reference helper itself against numbers worked out by hand (python), so the table tests
  // below do not just compare the kernel with a copy of itself.
  bool clipped = false;
  // w = (0.3, -0.4), |w| = 0.5; data (2, 1); lambda 0.05; r 0.5; zeta 0.01; cnt 2; bound 0.5 in both modes.
  auto gc = spec_gradient({0.3, -0.4}, {2.0, 1.0}, 2, 0.05, clip_params(false, 0.5, 0.01), 1, &clipped);
  CHECK(clipped);
  CHECK(gc[0] == Approx(0.45200484375763816).epsilon(1e-15));
  CHECK(gc[1] == Approx(0.21375598522528705).epsilon(1e-15));
  gc = spec_gradient({0.3, -0.4}, {2.0, 1.0}, 2, 0.05, clip_params(true, 0.5, 0.01), 1, &clipped);
  CHECK(gc[0] == Approx(0.4772135954999579).epsilon(1e-15));
  CHECK(gc[1] == Approx(0.18360679774997896).epsilon(1e-15));
}

TEMPLATE_TEST_CASE("cowclip: table_update: CowClip with cnt > 1 in both bound modes", "[unit][cowclip]", float, double) {
  using T = TestType;
  const int threads = GENERATE(1, 2);
  CpuOps<T> ops(threads);
  const bool paper = GENERATE(false, true);
  CAPTURE(paper, threads);
  // One row, d = 2: w = (0.3, -0.4), data (2, 1), cnt 2, r 0.5, zeta 0.01, lambda 0.05, first step.
  TableCase<T> c(1, 2);
  c.w = {T(0.3), T(-0.4)};
  c.add(0, 2, {2.0, 1.0});
  const auto p = make_params(1, 2, true, 0.05, clip_params(paper, 0.5, 0.01), 1, 0.1);
  const TableCase<T> before = c;
  const size_t clipped = c.run(ops, p);
  CHECK(clipped == 1);
  // Step 1 from zero moments: m = (1 - b1) * g_clipped, the numbers worked out by hand.
  const double g0 = paper ? 0.4772135954999579 : 0.45200484375763816;
  const double g1 = paper ? 0.18360679774997896 : 0.21375598522528705;
  CHECK(double(c.m[0]) == Approx(0.1 * g0).epsilon(tol<T>()));
  CHECK(double(c.m[1]) == Approx(0.1 * g1).epsilon(tol<T>()));
  CHECK(double(c.v[0]) == Approx(0.001 * g0 * g0).epsilon(rtol<T>()));
  // and w moves by lr_t * m / (sqrt(v) + eps), just under lr = 0.1 at step 1
  const double w_new = 0.3 - 0.031622776601683794 * 0.1 * g0 / (std::sqrt(0.001) * g0 + 1e-7);
  CHECK(near<T>(double(c.w[0]), w_new, w_scale(0.3, w_new)));
  check_against_spec(before, c, p, clipped);
}

TEMPLATE_TEST_CASE("cowclip: table_update: the lower bound when |w| is tiny", "[unit][cowclip]", float, double) {
  using T = TestType;
  CpuOps<T> ops(1);
  const bool paper = GENERATE(false, true);
  CAPTURE(paper);
  // d = 4, w = (1e-6, 0, 0, 0), data (0.3, 0.4, 0, 0) |data| = 0.5, cnt 3, r 0.5, zeta 0.01, no L2:
  //   code:  0.5 * 3 * max(1e-6, 0.5 * sqrt(4) * 0.01) = 0.015 -> g = (0.009, 0.012, 0, 0)
  //   paper: 3 * max(0.5e-6, 0.01) = 0.03                      -> g = (0.018, 0.024, 0, 0)
  TableCase<T> c(1, 4);
  c.w = {T(1e-6), 0, 0, 0};
  c.add(0, 3, {0.3, 0.4, 0, 0});
  const auto p = make_params(1, 4, false, 0, clip_params(paper, 0.5, 0.01), 1);
  const TableCase<T> before = c;
  const size_t clipped = c.run(ops, p);
  CHECK(clipped == 1);
  CHECK(double(c.m[0]) == Approx(0.1 * (paper ? 0.018 : 0.009)).epsilon(tol<T>()));
  CHECK(double(c.m[1]) == Approx(0.1 * (paper ? 0.024 : 0.012)).epsilon(tol<T>()));
  CHECK(c.m[2] == T(0));
  check_against_spec(before, c, p, clipped);
}

TEMPLATE_TEST_CASE("cowclip: table_update: L2 enters before the clip (code) or after it (paper)", "[unit][cowclip]", float,
                   double) {
  using T = TestType;
  CpuOps<T> ops(1);
  // A gradient below the bound, a large lambda: in paper mode L2 is added unclipped, in code mode
  // the L2 term pushes the row over the bound and is clipped with it.
  // w = (0.6, 0.8) |w| = 1; data (0.5, 0) < bound 1 * 1 = 1; 2 lambda w = (1.2, 1.6).
  for (bool paper : {false, true}) {
    CAPTURE(paper);
    TableCase<T> c(1, 2);
    c.w = {T(0.6), T(0.8)};
    c.add(0, 1, {0.5, 0});
    const auto p = make_params(1, 2, false, 1.0, clip_params(paper, 1, 0), 1);
    const TableCase<T> before = c;
    const size_t clipped = c.run(ops, p);
    if (paper) {
      CHECK(clipped == 0);
      CHECK(double(c.m[0]) == Approx(0.1 * (0.5 + 1.2)).epsilon(tol<T>()));
      CHECK(double(c.m[1]) == Approx(0.1 * 1.6).epsilon(tol<T>()));
    } else {
      CHECK(clipped == 1);  // |(1.7, 1.6)| = 2.3345 > 1: scaled to norm 1
      const double n = std::sqrt(1.7 * 1.7 + 1.6 * 1.6);
      CHECK(double(c.m[0]) == Approx(0.1 * 1.7 / n).epsilon(tol<T>()));
      CHECK(double(c.m[1]) == Approx(0.1 * 1.6 / n).epsilon(tol<T>()));
    }
    check_against_spec(before, c, p, clipped);
  }
}

TEMPLATE_TEST_CASE("cowclip: table_update: zero gradients give no NaN and no clip", "[unit][cowclip]", float, double) {
  using T = TestType;
  CpuOps<T> ops(1);
  const bool paper = GENERATE(false, true);
  const double zeta = GENERATE(0.0, 1e-3);
  CAPTURE(paper, zeta);
  // Row 0: w != 0, zero gradient. Row 1: w = 0 and zero gradient (bound 0 when zeta = 0: 0/0
  // must not happen). Row 2: w = 0, nonzero gradient (bound r*cnt*r*sqrt(d)*zeta, 0 when zeta = 0).
  TableCase<T> c(3, 3);
  c.w = {T(0.1), T(-0.2), T(0.3), 0, 0, 0, 0, 0, 0};
  c.add(0, 2, {0, 0, 0});
  c.add(1, 1, {0, 0, 0});
  c.add(2, 4, {0.5, -0.5, 0.25});
  const auto p = make_params(3, 3, false, 0, clip_params(paper, 1, zeta), 1);
  const TableCase<T> before = c;
  const size_t clipped = c.run(ops, p);
  for (size_t i = 0; i < c.w.size(); ++i) {
    REQUIRE(std::isfinite(double(c.w[i])));
    REQUIRE(std::isfinite(double(c.m[i])));
    REQUIRE(std::isfinite(double(c.v[i])));
  }
  // Zero gradient from zero moments: nothing moves.
  for (size_t i = 0; i < 6; ++i) {
    CHECK(c.w[i] == before.w[i]);
    CHECK(c.m[i] == T(0));
  }
  CHECK(clipped == 1);  // only row 2
  check_against_spec(before, c, p, clipped);
}

TEMPLATE_TEST_CASE("cowclip: table_update: all-rows vs batch-rows update of rows absent from the batch", "[unit][cowclip]", float,
                   double) {
  using T = TestType;
  const int threads = GENERATE(1, 2);
  const bool paper = GENERATE(false, true);
  const bool dense = GENERATE(true, false);
  // Small and large tables: the large one (> 2^12 values) takes the parallel path.
  const size_t rows = GENERATE(size_t(7), size_t(3001));
  CAPTURE(threads, paper, dense, rows);
  CpuOps<T> ops(threads);
  const size_t dim = 3;
  TableCase<T> c(rows, dim);
  Rng rng(11);
  for (size_t i = 0; i < rows * dim; ++i) {
    c.w[i] = T(0.5 * (2 * rng.unit() - 1));
    c.m[i] = T(0.01 * (2 * rng.unit() - 1));
    c.v[i] = T(1e-4 * rng.unit());
  }
  // Present rows in arbitrary order; some with cnt > 1, some large (clipped), some small.
  const std::vector<uint32_t> present = {5, 0, 3, uint32_t(rows - 1)};
  for (size_t i = 0; i < present.size(); ++i) {
    std::vector<double> g(dim);
    const double scale = i % 2 == 0 ? 5.0 : 0.01;
    for (auto& x : g) x = scale * (2 * rng.unit() - 1);
    c.add(present[i], uint32_t(1 + i), g);
  }
  auto p = make_params(rows, dim, dense, 0.02, clip_params(paper, 1, 1e-3), 4);
  const TableCase<T> before = c;
  const size_t clipped = c.run(ops, p);
  CHECK(clipped == 2);  // the two large gradients
  check_against_spec(before, c, p, clipped);
  if (dense) {
    // An absent row received exactly 2*lambda*w, at cnt 1, and an Adam step.
    const double w0 = double(before.w[dim]), m0 = double(before.m[dim]), v0 = double(before.v[dim]);
    double w = w0, m = m0, v = v0;
    adam_by_hand(w, m, v, 2 * 0.02 * w0, 1e-2, 4);
    CHECK(near<T>(double(c.w[dim]), w, w_scale(w0, w)));
    CHECK(c.w[dim] != before.w[dim]);
  }
}

TEMPLATE_TEST_CASE("cowclip: table_update: absent rows clipped in all-rows mode are not counted", "[unit][cowclip]", float,
                   double) {
  using T = TestType;
  CpuOps<T> ops(1);
  // code mode, r = 0.1, lambda = 0.2: an absent row's gradient 2*lambda*w = 0.4 w exceeds its
  // bound 0.1 * 1 * |w|, so it is cut; the statistic counts only rows present in the batch.
  TableCase<T> c(4, 2);
  c.w = {T(0.3), T(0.4), T(-0.6), T(0.8), T(1), T(0), T(0.2), T(0.2)};
  c.add(2, 1, {1e-4, 0});  // present: 1e-4 + 0.4 * 1 = 0.4001 > 0.1: clipped
  auto p = make_params(4, 2, true, 0.2, clip_params(false, 0.1, 0), 2);
  const TableCase<T> before = c;
  const size_t clipped = c.run(ops, p);
  CHECK(clipped == 1);
  check_against_spec(before, c, p, clipped);
}

TEMPLATE_TEST_CASE("cowclip: table_update: no clip, grad_scale after the clip", "[unit][cowclip]", float, double) {
  using T = TestType;
  CpuOps<T> ops(1);
  const bool enabled = GENERATE(false, true);
  const bool paper = GENERATE(false, true);
  CAPTURE(enabled, paper);
  TableCase<T> c(3, 2);
  c.w = {T(0.3), T(0.4), T(0.1), T(0.1), T(-0.5), T(0.2)};
  c.m = {T(0.01), T(-0.02), T(0.0), T(0.03), T(0.01), T(0.01)};
  c.v = {T(1e-4), T(2e-4), T(0), T(1e-5), T(1e-4), T(3e-4)};
  c.add(0, 2, {3.0, -4.0});
  c.add(2, 1, {0.01, 0.02});
  ClipParams clip = clip_params(paper, 1, 1e-3);
  clip.enabled = enabled;
  auto p = make_params(3, 2, true, 1e-2, clip, 7);
  p.grad_scale = 0.25;
  const TableCase<T> before = c;
  const size_t clipped = c.run(ops, p);
  CHECK(clipped == (enabled ? 1u : 0u));
  check_against_spec(before, c, p, clipped);
  if (!enabled) {
    // The plain gradient: (data + 2 lambda w) * scale; row 0 at step 7.
    double w = 0.3, m = 0.01, v = 1e-4;
    adam_by_hand(w, m, v, (3.0 + 2 * 1e-2 * 0.3) * 0.25, 1e-2, 7);
    CHECK(near<T>(double(c.w[0]), w, w_scale(0.3, w)));
  }
}

TEMPLATE_TEST_CASE("cowclip: adam_update: L2 and grad_scale by hand", "[unit][cowclip]", float, double) {
  using T = TestType;
  const int threads = GENERATE(1, 2);
  const size_t n = GENERATE(size_t(1), size_t(37), size_t(20000));
  CAPTURE(threads, n);
  CpuOps<T> ops(threads);
  Rng rng(3);
  std::vector<T> w(n), g(n), m(n), v(n);
  for (size_t i = 0; i < n; ++i) {
    w[i] = T(2 * rng.unit() - 1);
    g[i] = T(2 * rng.unit() - 1);
    m[i] = T(0.1 * (2 * rng.unit() - 1));
    v[i] = T(0.01 * rng.unit());
  }
  const auto w0 = w, m0 = m, v0 = v;
  AdamStep s;
  s.lr = 3e-3;
  s.step = 5;
  ops.adam_update(w.data(), g.data(), m.data(), v.data(), n, 0.01, 0.5, s);
  size_t bad_m = 0, bad_w = 0;
  for (size_t i = 0; i < n; ++i) {
    double ww = double(w0[i]), mm = double(m0[i]), vv = double(v0[i]);
    adam_by_hand(ww, mm, vv, (double(g[i]) + 2 * 0.01 * double(w0[i])) * 0.5, 3e-3, 5);
    const double gr = (double(g[i]) + 2 * 0.01 * double(w0[i])) * 0.5;
    bad_m += !near<T>(double(m[i]), mm, m_scale(m0[i], gr));
    bad_w += !near<T>(double(w[i]), ww, w_scale(w0[i], ww));
  }
  CHECK(bad_m == 0);
  CHECK(bad_w == 0);
  // The anchor: step 1 from zero moments, g = 0.5, lr = 0.1 moves w by 0.09999936754846794.
  T w1 = 1, g1 = T(0.5), m1 = 0, v1 = 0;
  s.lr = 0.1;
  s.step = 1;
  ops.adam_update(&w1, &g1, &m1, &v1, 1, 0, 1, s);
  CHECK(near<T>(double(w1), 1 - 0.09999936754846794, 1.1));
}

TEST_CASE("cowclip: warmup_lr: linear from 1e-8 to lr over the warm-up steps", "[unit][cowclip]") {
  CHECK(warmup_lr(1e-3, 0, 10) == 1e-8);
  CHECK(warmup_lr(1e-3, 5, 10) == Approx(1e-8 + (1e-3 - 1e-8) * 0.5).epsilon(1e-15));
  CHECK(warmup_lr(1e-3, 9, 10) == Approx(1e-8 + (1e-3 - 1e-8) * 0.9).epsilon(1e-15));
  CHECK(warmup_lr(1e-3, 10, 10) == 1e-3);
  CHECK(warmup_lr(1e-3, 11, 10) == 1e-3);
  CHECK(warmup_lr(1e-3, 0, 0) == 1e-3);
  CHECK(warmup_lr(1e-3, 12345, 0) == 1e-3);
}

namespace {

// A small fm/deepfm/dlrm model with gradients from one backward on a batch with repeated ids.
struct Fixture {
  CpuOps<double> ops;
  ModelSpec spec;
  CtrModel<double> model;
  DeviceBatch<double> batch;
  explicit Fixture(const std::string& type, double dense_l2 = 1e-3, const std::vector<size_t>& bottom_hidden = {})
      : ops(1),
        spec(ModelSpec::for_type(type, {4, 3, 5}, 2, 3, {4}, 1, 1e-5, dense_l2, bottom_hidden)),
        model(ops, spec, 8),
        batch(ops.memory(), 8, 2, 3) {
    model.init(1, 0.1);
    Rng rng(2);
    for (size_t i = 0; i < model.tables().linear.size(); ++i) model.tables().linear.data()[i] = 0.1 * rng.unit();
    HostBatch host(8, 2, 3, default_host_allocator());
    host.rows = 6;
    const uint32_t ids[6][3] = {{0, 0, 1}, {1, 2, 1}, {0, 0, 4}, {2, 1, 1}, {0, 2, 0}, {1, 0, 1}};
    for (size_t b = 0; b < 6; ++b) {
      host.labels[b] = float(b % 2);
      for (size_t j = 0; j < 2; ++j) host.dense[b * 2 + j] = float(rng.unit());
      for (size_t f = 0; f < 3; ++f) host.cat[b * 3 + f] = ids[b][f];
    }
    ops.load_batch(host, model.tables().field_offsets(), batch);
    model.forward(batch);
    std::vector<double> dl(6);
    bce_loss_sum(ops, model.logits(), batch.labels.data(), 6, 1.0 / 6, dl.data());
    model.backward(batch, dl.data());
  }
  std::vector<double> table() const {
    return std::vector<double>(model.tables().table.data(), model.tables().table.data() + model.tables().table.size());
  }
  std::vector<double> linear() const {
    return std::vector<double>(model.tables().linear.data(),
                               model.tables().linear.data() + model.tables().linear.size());
  }
};

}  // namespace

TEST_CASE("cowclip: Optimizer: the linear table is never clipped, the embedding table is", "[unit][cowclip]") {
  const bool paper = GENERATE(false, true);
  const bool dense = GENERATE(true, false);
  CAPTURE(paper, dense);
  Fixture a("fm"), b("fm");
  OptimizerOptions o;
  o.lr_embed = 1e-2;
  o.l2_embed = 1e-3;
  o.update_all_rows = dense;
  OptimizerOptions clipped = o;
  clipped.cowclip = clip_params(paper, 1e-6, 1e-9);  // a bound far below every gradient
  Optimizer<double> oa(a.ops, a.model, o), ob(b.ops, b.model, clipped);
  const auto lin0 = a.linear();
  const StepStats sa = oa.step(), sb = ob.step();
  const size_t u = a.model.tables().unique.count;
  CHECK(sa.unique_rows == u);
  CHECK(sb.unique_rows == u);
  CHECK(sa.clipped_rows == 0);
  CHECK(sb.clipped_rows == u);
  // The linear tables and their moments are bit-identical with and without CowClip.
  CHECK(a.linear() == b.linear());
  CHECK(std::memcmp(oa.linear_m.data(), ob.linear_m.data(), oa.linear_m.bytes()) == 0);
  CHECK(std::memcmp(oa.linear_v.data(), ob.linear_v.data(), oa.linear_v.bytes()) == 0);
  CHECK(a.linear() != lin0);
  // The embedding tables differ: CowClip cut b's gradients.
  CHECK(a.table() != b.table());
  // The linear table uses lr_embed with no warm-up: at step 1 a present row moves by about lr_embed.
  const uint32_t r0 = a.model.tables().unique.rows.data()[0];
  double w = lin0[r0], m = 0, v = 0;
  adam_by_hand(w, m, v, a.model.tables().unique.grad_linear.data()[0] + 2 * 1e-3 * lin0[r0], 1e-2, 1);
  CHECK(a.linear()[r0] == Approx(w).epsilon(1e-13));
}

TEST_CASE("cowclip: Optimizer: network-group warm-up and the Adam step count", "[unit][cowclip]") {
  Fixture f("deepfm");
  OptimizerOptions o;
  o.lr = 1e-3;
  o.warmup_steps = 4;
  Optimizer<double> opt(f.ops, f.model, o);
  CHECK(opt.steps_done() == 0);
  // output.bias has no L2: its gradient stays the same across steps without a new backward.
  auto& bias = f.model.params()[0];
  REQUIRE(bias.name == "output.bias");
  const double g = bias.g.data()[0];
  REQUIRE(std::fabs(g) > 1e-3);
  double w = bias.w.data()[0], m = 0, v = 0;
  for (uint64_t t = 0; t < 6; ++t) {
    CAPTURE(t);
    const StepStats st = opt.step();
    CHECK(st.lr == warmup_lr(1e-3, t, 4));
    adam_by_hand(w, m, v, g, warmup_lr(1e-3, t, 4), t + 1);
    CHECK(bias.w.data()[0] == Approx(w).epsilon(1e-13));
    CHECK(opt.m(0).data()[0] == Approx(m).epsilon(1e-13));
    CHECK(opt.steps_done() == t + 1);
  }
  // Resuming at step 100: bias correction with t = 101 and the full lr.
  opt.set_steps_done(100);
  const StepStats st = opt.step();
  CHECK(st.lr == 1e-3);
  adam_by_hand(w, m, v, g, 1e-3, 101);
  CHECK(bias.w.data()[0] == Approx(w).epsilon(1e-13));
  CHECK(opt.steps_done() == 101);
}

TEST_CASE("cowclip: Optimizer: global-norm clipping scales every gradient to the limit", "[unit][cowclip]") {
  const bool dense = GENERATE(true, false);
  const double limit = GENERATE(1e-3, 1e3);  // below and above the gradient norm
  CAPTURE(dense, limit);
  Fixture f("deepfm", 1e-2);
  auto& model = f.model;
  OptimizerOptions o;
  o.l2_embed = 1e-2;
  o.update_all_rows = dense;
  o.clip_global_norm = limit;
  // The raw gradient the optimizer applies, by hand: data term + 2 lambda w everywhere it updates.
  std::vector<std::vector<double>> raw;
  double sq = 0;
  auto& params = model.params();
  for (size_t i = 0; i < params.size(); ++i) {
    raw.emplace_back();
    for (size_t j = 0; j < params[i].size(); ++j) {
      const double gj = params[i].g.data()[j] + 2 * params[i].l2 * params[i].w.data()[j];
      raw.back().push_back(gj);
      sq += gj * gj;
    }
  }
  const auto& tables = model.tables();
  const auto& u = tables.unique;
  const size_t dim = tables.dim(), rows = tables.rows();
  std::vector<double> raw_table(rows * dim, 0.0), raw_linear(rows, 0.0);
  std::vector<bool> updated(rows, dense);
  for (size_t i = 0; i < u.count; ++i) {
    updated[u.rows.data()[i]] = true;
    for (size_t d = 0; d < dim; ++d) raw_table[u.rows.data()[i] * dim + d] = u.grad_embed.data()[i * dim + d];
    raw_linear[u.rows.data()[i]] = u.grad_linear.data()[i];
  }
  for (size_t r = 0; r < rows; ++r) {
    if (!updated[r]) continue;
    for (size_t d = 0; d < dim; ++d) {
      raw_table[r * dim + d] += 2 * 1e-2 * tables.table.data()[r * dim + d];
      sq += raw_table[r * dim + d] * raw_table[r * dim + d];
    }
    raw_linear[r] += 2 * 1e-2 * tables.linear.data()[r];
    sq += raw_linear[r] * raw_linear[r];
  }
  const double norm_by_hand = std::sqrt(sq);
  REQUIRE(norm_by_hand > 1e-2);
  REQUIRE(norm_by_hand < 1e2);

  Optimizer<double> opt(f.ops, model, o);
  const StepStats st = opt.step();
  CHECK(st.grad_norm == Approx(norm_by_hand).epsilon(1e-12));
  const double scale = limit < norm_by_hand ? limit / norm_by_hand : 1.0;
  // From zero moments, m = (1 - b1) * applied gradient: recover what was applied.
  double applied_sq = 0;
  for (size_t i = 0; i < params.size(); ++i)
    for (size_t j = 0; j < params[i].size(); ++j) {
      const double a = opt.m(i).data()[j] / (1 - kB1);
      CAPTURE(params[i].name, j);
      REQUIRE(a == Approx(scale * raw[i][j]).epsilon(1e-10).margin(1e-15));
      applied_sq += a * a;
    }
  for (size_t r = 0; r < rows; ++r) {
    for (size_t d = 0; d < dim; ++d) {
      const double a = opt.table_m.data()[r * dim + d] / (1 - kB1);
      REQUIRE(a == Approx(scale * raw_table[r * dim + d]).epsilon(1e-10).margin(1e-15));
      applied_sq += a * a;
    }
    const double a = opt.linear_m.data()[r] / (1 - kB1);
    REQUIRE(a == Approx(scale * raw_linear[r]).epsilon(1e-10).margin(1e-15));
    applied_sq += a * a;
  }
  CHECK(std::sqrt(applied_sq) == Approx(std::min(limit, norm_by_hand)).epsilon(1e-10));
}

TEST_CASE("cowclip: Optimizer: dlrm has no linear-table state and its step updates the embedding table", "[unit][cowclip]") {
  const bool dense = GENERATE(true, false);
  CAPTURE(dense);
  Fixture f("dlrm", 1e-3, {2});
  auto& model = f.model;
  REQUIRE(model.tables().linear.size() == 0);
  OptimizerOptions o;
  o.lr = 1e-2;
  o.lr_embed = 1e-2;
  o.l2_embed = 1e-3;
  o.update_all_rows = dense;
  Optimizer<double> opt(f.ops, model, o);
  CHECK(opt.linear_m.size() == 0);
  CHECK(opt.linear_v.size() == 0);

  // The state: adam.m.W and adam.v.W for each weight array W of the model, sized as W, and nothing
  // for a linear table.
  std::vector<NamedArray<double>> weights = model.weights();
  std::vector<NamedArray<double>> state = opt.state();
  REQUIRE(state.size() == 2 * weights.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    CAPTURE(weights[i].name);
    CHECK(weights[i].name != "table.linear");
    CHECK(state[2 * i].name == "adam.m." + weights[i].name);
    CHECK(state[2 * i + 1].name == "adam.v." + weights[i].name);
    CHECK(state[2 * i].buffer->size() == weights[i].buffer->size());
    CHECK(state[2 * i + 1].buffer->size() == weights[i].buffer->size());
  }
  std::vector<std::string> names;
  for (const auto& a : state) names.push_back(a.name);
  CHECK(names.front() == "adam.m.table.embedding");
  CHECK(std::find(names.begin(), names.end(), "adam.m.table.linear") == names.end());
  CHECK(std::find(names.begin(), names.end(), "adam.v.table.linear") == names.end());
  CHECK(std::find(names.begin(), names.end(), "adam.m.linear.dense_kernel") == names.end());
  CHECK(std::find(names.begin(), names.end(), "adam.m.bottom_mlp.0.kernel") != names.end());
  CHECK(std::find(names.begin(), names.end(), "adam.v.bottom_mlp.1.bias") != names.end());

  // One step: every present row of the embedding table moves by Adam with L2 at lr_embed, and every
  // dense parameter, the bottom MLP's included, moves too.
  const auto table0 = f.table();
  const auto& u = model.tables().unique;
  REQUIRE(u.count > 0);
  std::vector<std::vector<double>> w0;
  for (size_t i = 0; i < model.params().size(); ++i)
    w0.emplace_back(model.params()[i].w.data(), model.params()[i].w.data() + model.params()[i].size());
  const StepStats st = opt.step();
  CHECK(st.unique_rows == u.count);
  CHECK(opt.steps_done() == 1);
  const auto table1 = f.table();
  const size_t dim = model.tables().dim(), rows = model.tables().rows();
  REQUIRE(dim == 3);
  std::vector<bool> present(rows, false);
  size_t bad = 0;
  for (size_t i = 0; i < u.count; ++i) {
    const uint32_t r = u.rows.data()[i];
    present[r] = true;
    for (size_t d = 0; d < dim; ++d) {
      double w = table0[r * dim + d], m = 0, v = 0;
      adam_by_hand(w, m, v, u.grad_embed.data()[i * dim + d] + 2 * 1e-3 * w, 1e-2, 1);
      bad += !(table1[r * dim + d] == Approx(w).epsilon(1e-13));
      bad += table1[r * dim + d] == table0[r * dim + d];
    }
  }
  CHECK(bad == 0);
  // Absent rows: moved by their L2 gradient in the all-rows update, untouched in the batch-rows one.
  size_t absent = 0, absent_moved = 0;
  for (size_t r = 0; r < rows; ++r) {
    if (present[r]) continue;
    ++absent;
    for (size_t d = 0; d < dim; ++d) absent_moved += table1[r * dim + d] != table0[r * dim + d];
  }
  REQUIRE(absent > 0);
  CHECK(absent_moved == (dense ? absent * dim : 0));
  for (size_t i = 0; i < model.params().size(); ++i) {
    CAPTURE(model.params()[i].name);
    const auto& p = model.params()[i];
    CHECK(std::vector<double>(p.w.data(), p.w.data() + p.size()) != w0[i]);
  }
}
