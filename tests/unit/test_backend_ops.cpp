// Every op of Ops<float> (backend/ops.h) against a naive double loop, from one table of cases per op,
// run on every backend present (support/test_backends.h: the CPU backend always, the CUDA backend
// too where a GPU is visible; without one a warning says its cases did not run). The idea is ggml's
// test-backend-ops: one set of cases, every backend held to the same reference.
//
// All data goes through the backend's memory: inputs are uploaded into Buffers on ops.memory(),
// outputs downloaded, nothing else is touched. Every buffer sits between kGuard sentinels (a NaN
// with a payload, 0xA5A5A5A5 for indices), so a write past either end changes a sentinel (checked on
// every download) and a read past either end pulls a NaN or a wild row into the result. Input
// columns an op must not read (padding of strided inputs) hold a NaN poison too.
//
// Write or add (docs/backend.md): an output the op writes starts as a NaN poison, so a value left
// unwritten, or the old value read, fails; an output it adds into (gemm with beta != 0, bias_grad
// accumulating, axpy, fm_backward's dx, the dx0 of dcn_cross_backward and dcnv2_combine_backward,
// the loss sum, the clipped-row counter) starts at non-zero values that the reference adds to.
// Columns past the used width of a strided output keep their bits.
//
// Tolerances are float rounding against double: |got - want| <= 1e-5 * (|want| + mag) + 1e-30, mag
// the sum of the magnitudes of the terms that were summed (so a wrong, missing or doubled term is off
// by a whole term, while fp32 sums in any order stay ~100x inside). Exact (==) where the op does no
// arithmetic (gather, copy_2d, relu, load_batch, unique rows and counts, clipped counts, AUC). Adam's
// v gets 3e-5: (1 - 0.999f) is 1.3e-5 away from 1 - 0.999, and the backends form it in float.
//
// CPU-only cases (named "... cpu only ...") at the end: 1- vs 2-thread bit-identity of the
// reductions, and the CPU's own first-occurrence order in embedding_reduce.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "backend/cpu_ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "reader/host_batch.h"
#include "support/backend_compare.h"
#include "support/embedding_rows.h"
#include "support/op_test_data.h"
#include "support/op_results.h"
#include "support/test_backends.h"

using ctr::test::bce_loss_sum;
using ctr::test::TestBackend;
using ctr::test::adam_lr_t;
using ctr::test::adam_moments;
using ctr::test::filled;
using ctr::test::guard_value;
using ctr::test::poison;
using ctr::test::rand_f;
using ctr::test::same_bits;

using namespace ctr;
using Catch::Matchers::Contains;

namespace {

constexpr size_t kGuard = ctr::test::kGuardValues;  // guard values on each side of every buffer
constexpr double kRtol = 1e-5;    // float rounding against the double reference
constexpr double kRtolV = 3e-5;   // Adam's v: 1 - beta2 formed in float
constexpr double kB1 = 0.9, kB2 = 0.999, kEps = 1e-7;

// The awkward batch sizes every row-wise op is run at.
const std::vector<size_t> kRows = {0, 1, 7, 33, 1000};
// Flat sizes for elementwise ops: 33000 passes the CPU's parallel threshold (2^14).
const std::vector<size_t> kFlat = {0, 1, 7, 33, 1000, 33000};


template <class T>
using Dev = ctr::test::GuardedBuffer<T>;
using DevF = Dev<float>;
using DevU = Dev<uint32_t>;

template <class... D>
void inputs_unchanged(const D&... d) {
  (d.unchanged(), ...);
}

// Sets the columns >= used of a [rows, stride] array to the poison (columns an op must not read).
void poison_padding(std::vector<float>& v, size_t rows, size_t stride, size_t used) {
  for (size_t b = 0; b < rows; ++b)
    for (size_t j = used; j < stride; ++j) v[b * stride + j] = poison();
}
// Sets the columns < used of a [rows, stride] array to the poison (values an op must write).
void poison_used(std::vector<float>& v, size_t rows, size_t stride, size_t used) {
  for (size_t b = 0; b < rows; ++b)
    for (size_t j = 0; j < used; ++j) v[b * stride + j] = poison();
}

// Every value within rtol * (|want| + mag) + 1e-30 of the double reference (mag empty: 0); NaN
// fails. One CHECK per call, naming the first failing index.
void expect_close(const std::string& what, const std::vector<float>& got, const std::vector<double>& want,
                  const std::vector<double>& mag = {}, double rtol = kRtol) {
  REQUIRE(got.size() == want.size());
  REQUIRE((mag.empty() || mag.size() == want.size()));
  size_t bad = 0, first = 0;
  double worst = 0;  // largest error / tolerance
  for (size_t i = 0; i < want.size(); ++i) {
    const double tol = rtol * (std::fabs(want[i]) + (mag.empty() ? 0.0 : mag[i])) + 1e-30;
    const double err = std::fabs(double(got[i]) - want[i]);
    if (!(err <= tol)) {
      if (bad++ == 0) first = i;
      worst = std::isnan(err) ? err : std::max(worst, err / tol);
    }
  }
  std::ostringstream msg;
  msg << what << ": " << bad << " of " << want.size() << " values outside the tolerance";
  if (bad)
    msg << "; first at " << first << ": got " << got[first] << ", want " << want[first] << " (mag "
        << (mag.empty() ? 0.0 : mag[first]) << "); worst error / tolerance " << worst;
  INFO(msg.str());
  CHECK(bad == 0);
}

// Every value equal (==: NaN fails, -0 equals +0).
template <class T, class U>
void expect_equal(const std::string& what, const std::vector<T>& got, const std::vector<U>& want) {
  REQUIRE(got.size() == want.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < want.size(); ++i)
    if (!(got[i] == static_cast<T>(want[i])) && bad++ == 0) first = i;
  std::ostringstream msg;
  msg << what << ": " << bad << " of " << want.size() << " values differ";
  if (bad) msg << "; first at " << first << ": got " << got[first] << ", want " << want[first];
  INFO(msg.str());
  CHECK(bad == 0);
}

// The columns >= used of a [rows, stride] output kept their initial bits.
void expect_padding_kept(const std::string& what, const std::vector<float>& got, const std::vector<float>& init,
                         size_t rows, size_t stride, size_t used) {
  REQUIRE(got.size() == init.size());
  size_t changed = 0;
  for (size_t b = 0; b < rows; ++b)
    for (size_t j = used; j < stride; ++j) changed += !same_bits(got[b * stride + j], init[b * stride + j]);
  INFO(what << ": " << changed << " values in the columns past " << used << " of the row stride " << stride
            << " changed");
  CHECK(changed == 0);
}

bool relative_close(double got, double want, double rtol) {
  return std::fabs(got - want) <= rtol * std::fabs(want);
}

// Runs `run` once per backend under test, the backend named in every failure message.
template <class F>
void for_each_backend(F&& run) {
  for (TestBackend& be : ctr::test::test_backends()) {
    INFO("backend " << be.name << " (" << be.ops->describe() << ")");
    run(*be.ops);
  }
}

// One value's Adam step in double from the gradient g, and the magnitudes its tolerances scale with
// (see the top). g_mag is the sum of the magnitudes of g's own terms (|data| + |2 l2 w|, scaled): the
// backends form g in float, so where data and 2 l2 w cancel, g carries an error relative to g_mag, not
// to g. m's magnitude is then b1 |m0| + (1 - b1) g_mag, v's b2 v0 + (1 - b2) |g| g_mag (the first-order
// error of g^2 is 2 |g| dg), w's |w0| + |w - w0| + lr_t.
struct AdamRef {
  std::vector<double> w, m, v, w_mag, m_mag, v_mag;
  explicit AdamRef(size_t n = 0) : w(n), m(n), v(n), w_mag(n, 0.0), m_mag(n, 0.0), v_mag(n, 0.0) {}
  void step(size_t i, double g, double g_mag, double w0, double m0, double v0, double lr_t) {
    m[i] = kB1 * m0 + (1 - kB1) * g;
    v[i] = kB2 * v0 + (1 - kB2) * g * g;
    w[i] = w0 - lr_t * m[i] / (std::sqrt(v[i]) + kEps);
    m_mag[i] = kB1 * std::fabs(m0) + (1 - kB1) * g_mag;
    v_mag[i] = kB2 * v0 + (1 - kB2) * std::fabs(g) * g_mag;
    w_mag[i] = std::fabs(w0) + std::fabs(w[i] - w0) + lr_t;
  }
  void keep(size_t i, double w0, double m0, double v0) { w[i] = w0, m[i] = m0, v[i] = v0; }
};

void expect_adam(const std::string& what, const AdamRef& want, const std::vector<float>& w,
                 const std::vector<float>& m, const std::vector<float>& v) {
  expect_close(what + ": m", m, want.m, want.m_mag);
  expect_close(what + ": v", v, want.v, want.v_mag, kRtolV);
  expect_close(what + ": w", w, want.w, want.w_mag);
}

}  // namespace

// ------------------------------------------------------------------------------------ dense math

namespace {

struct GemmCase {
  bool ta = false, tb = false;
  size_t m = 0, n = 0, k = 0, pad = 0;
  float alpha = 1, beta = 0;
};
size_t a_cols(const GemmCase& c) { return c.ta ? c.m : c.k; }
size_t b_cols(const GemmCase& c) { return c.tb ? c.k : c.n; }
size_t gemm_lda(const GemmCase& c) { return std::max<size_t>(1, a_cols(c)) + c.pad; }
size_t gemm_ldb(const GemmCase& c) { return std::max<size_t>(1, b_cols(c)) + (c.pad ? c.pad + 1 : 0); }
size_t gemm_ldc(const GemmCase& c) { return std::max<size_t>(1, c.n) + (c.pad ? c.pad + 2 : 0); }

std::vector<GemmCase> gemm_cases() {
  std::vector<GemmCase> t;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      for (size_t m : {1, 7, 33, 1000}) t.push_back({ta, tb, m, 5, 9, 3, 0.75f, -0.5f});
      t.push_back({ta, tb, 33, 17, 1000, 0, 1.0f, 0.0f});  // a long k, tight strides, beta 0: C written
      t.push_back({ta, tb, 1, 1, 1, 1, -2.0f, 1.0f});
      t.push_back({ta, tb, 1000, 1, 16, 2, 1.0f, 1.0f});   // the head's [B, 1] += h w shape
      t.push_back({ta, tb, 5, 3, 0, 1, 0.75f, 0.5f});      // k == 0: C = beta * C
      t.push_back({ta, tb, 5, 3, 0, 0, 0.75f, 0.0f});      // k == 0, beta 0: zeros, C not read
      t.push_back({ta, tb, 0, 5, 7, 2, 1.5f, 0.5f});       // m == 0: nothing written
      t.push_back({ta, tb, 5, 0, 7, 2, 1.5f, 0.5f});       // n == 0: nothing written
    }
  return t;
}

}  // namespace

TEST_CASE("backend ops: gemm: every transpose, padded strides, alpha and beta, k == 0, m or n == 0",
          "[unit][backend_ops]") {
  const auto cases = gemm_cases();
  for_each_backend([&](Ops<float>& ops) {
    uint64_t seed = 100;
    for (const GemmCase& c : cases) {
      const size_t lda = gemm_lda(c), ldb = gemm_ldb(c), ldc = gemm_ldc(c);
      INFO("gemm ta=" << c.ta << " tb=" << c.tb << " m=" << c.m << " n=" << c.n << " k=" << c.k << " lda=" << lda
                      << " ldb=" << ldb << " ldc=" << ldc << " alpha=" << c.alpha << " beta=" << c.beta);
      // Stored shapes: A is [m, k] or [k, m]; B is [k, n] or [n, k]; C is [m, n]; padded row strides.
      const size_t a_rows = c.ta ? c.k : c.m, b_rows = c.tb ? c.n : c.k;
      auto a = rand_f(a_rows * lda, seed++), b = rand_f(b_rows * ldb, seed++), c0 = rand_f(c.m * ldc, seed++);
      poison_padding(a, a_rows, lda, a_cols(c));
      poison_padding(b, b_rows, ldb, b_cols(c));
      if (c.beta == 0.0f) poison_used(c0, c.m, ldc, c.n);  // beta 0 must not read C
      DevF da(ops, a, "A"), db(ops, b, "B"), dc(ops, c0, "C");
      GemmParams<float> p;
      p.trans_a = c.ta, p.trans_b = c.tb, p.m = c.m, p.n = c.n, p.k = c.k, p.alpha = c.alpha, p.beta = c.beta;
      p.a = da.get(), p.lda = lda, p.b = db.get(), p.ldb = ldb, p.c = dc.get(), p.ldc = ldc;
      ops.gemm(p);
      const auto got = dc.fetch();
      std::vector<double> want(c.m * ldc), mag(c.m * ldc, 0.0);
      for (size_t i = 0; i < c.m; ++i)
        for (size_t j = 0; j < ldc; ++j) {
          const size_t at = i * ldc + j;
          if (j >= c.n) {
            want[at] = c0[at];
            continue;
          }
          double s = 0, sm = 0;
          for (size_t q = 0; q < c.k; ++q) {
            const double av = c.ta ? a[q * lda + i] : a[i * lda + q];
            const double bv = c.tb ? b[j * ldb + q] : b[q * ldb + j];
            s += av * bv;
            sm += std::fabs(av * bv);
          }
          const double old = c.beta == 0.0f ? 0.0 : double(c.beta) * c0[at];
          want[at] = double(c.alpha) * s + old;
          mag[at] = std::fabs(double(c.alpha)) * sm + std::fabs(old);
        }
      expect_close("C", got, want, mag);
      expect_padding_kept("C", got, c0, c.m, ldc, c.n);
      inputs_unchanged(da, db);
    }
  });
}

TEST_CASE("backend ops: add_bias: rows 0 to 1000, one and 33 columns", "[unit][backend_ops]") {
  for_each_backend([&](Ops<float>& ops) {
    for (size_t rows : kRows)
      for (size_t cols : {size_t(1), size_t(33)}) {
        INFO("add_bias rows=" << rows << " cols=" << cols);
        const size_t n = rows * cols;
        const auto y0 = rand_f(n, 10 + rows), bias = rand_f(cols, 11 + cols);
        DevF y(ops, y0, "y"), b(ops, bias, "bias");
        ops.add_bias(y.get(), b.get(), rows, cols);
        std::vector<double> want(n);
        for (size_t i = 0; i < n; ++i) want[i] = double(y0[i]) + bias[i % cols];
        expect_close("y (+= bias)", y.fetch(), want);
        inputs_unchanged(b);
      }
  });
}

TEST_CASE("backend ops: bias_grad: set and accumulate, rows 0 to 4099", "[unit][backend_ops]") {
  for_each_backend([&](Ops<float>& ops) {
    for (size_t rows : {size_t(0), size_t(1), size_t(7), size_t(33), size_t(1000), size_t(4099)})
      for (size_t cols : {size_t(1), size_t(33)})
        for (bool acc : {false, true}) {
          INFO("bias_grad rows=" << rows << " cols=" << cols << " accumulate=" << acc);
          const size_t n = rows * cols;
          const auto dy = rand_f(n, 12 + rows);
          // set mode writes (must not read the poison); accumulate adds to non-zero values
          const auto db0 = acc ? rand_f(cols, 13 + cols) : filled(cols, poison());
          DevF d(ops, dy, "dy"), db(ops, db0, "dbias");
          ops.bias_grad(d.get(), db.get(), rows, cols, acc);
          std::vector<double> want(cols, 0.0), mag(cols, 0.0);
          for (size_t j = 0; j < cols; ++j)
            if (acc) want[j] = db0[j], mag[j] = std::fabs(db0[j]);
          for (size_t i = 0; i < n; ++i) want[i % cols] += dy[i], mag[i % cols] += std::fabs(dy[i]);
          expect_close(acc ? "dbias (+=)" : "dbias (=)", db.fetch(), want, mag);
          inputs_unchanged(d);
        }
  });
}

TEST_CASE("backend ops: relu_forward and relu_backward: exact, zeros and tiny values included", "[unit][backend_ops]") {
  for_each_backend([&](Ops<float>& ops) {
    for (size_t n : kFlat) {
      INFO("relu n=" << n);
      auto x = rand_f(n, 20 + n);
      const float specials[] = {0.0f, -0.0f, 1e-30f, -1e-30f};
      for (size_t i = 0; i < 4 && i < n; ++i) x[i] = specials[i];
      const auto dy = rand_f(n, 21 + n);
      std::vector<float> y_ref(n), dx_ref(n);
      for (size_t i = 0; i < n; ++i) {
        y_ref[i] = x[i] > 0 ? x[i] : 0.0f;
        dx_ref[i] = y_ref[i] > 0 ? dy[i] : 0.0f;
      }
      DevF dx_in(ops, x, "x"), y(ops, filled(n, poison()), "y"), y_in(ops, y_ref, "y (input)"), dyb(ops, dy, "dy"),
          dx(ops, filled(n, poison()), "dx");
      ops.relu_forward(dx_in.get(), y.get(), n);
      ops.relu_backward(y_in.get(), dyb.get(), dx.get(), n);
      expect_equal("relu_forward y", y.fetch(), y_ref);
      expect_equal("relu_backward dx", dx.fetch(), dx_ref);
      inputs_unchanged(dx_in, y_in, dyb);
    }
  });
}

TEST_CASE("backend ops: copy_2d: exact, tight and padded strides, other columns kept", "[unit][backend_ops]") {
  for_each_backend([&](Ops<float>& ops) {
    for (size_t rows : kRows)
      for (size_t cols : {size_t(1), size_t(33)})
        for (bool padded : {false, true}) {
          const size_t ss = cols + (padded ? 2 : 0), ds = cols + (padded ? 5 : 0);
          INFO("copy_2d rows=" << rows << " cols=" << cols << " src_stride=" << ss << " dst_stride=" << ds);
          auto src = rand_f(rows * ss, 30 + rows + cols);
          poison_padding(src, rows, ss, cols);
          const auto dst0 = rand_f(rows * ds, 31 + rows);
          DevF s(ops, src, "src"), d(ops, dst0, "dst");
          ops.copy_2d(s.get(), ss, d.get(), ds, rows, cols);
          const auto got = d.fetch();
          std::vector<float> want = dst0;
          for (size_t b = 0; b < rows; ++b)
            for (size_t j = 0; j < cols; ++j) want[b * ds + j] = src[b * ss + j];
          expect_equal("dst", got, want);
          expect_padding_kept("dst", got, dst0, rows, ds, cols);
          inputs_unchanged(s);
        }
  });
}

TEST_CASE("backend ops: axpy: sizes 0 to 33000, two alphas", "[unit][backend_ops]") {
  for_each_backend([&](Ops<float>& ops) {
    for (size_t n : kFlat)
      for (float alpha : {-1.5f, 1.0f}) {
        INFO("axpy n=" << n << " alpha=" << alpha);
        const auto x = rand_f(n, 40 + n), y0 = rand_f(n, 41 + n);
        DevF xb(ops, x, "x"), y(ops, y0, "y");
        ops.axpy(alpha, xb.get(), y.get(), n);
        std::vector<double> want(n), mag(n);
        for (size_t i = 0; i < n; ++i) {
          want[i] = double(y0[i]) + double(alpha) * x[i];
          mag[i] = std::fabs(y0[i]) + std::fabs(double(alpha) * x[i]);
        }
        expect_close("y (+= alpha x)", y.fetch(), want, mag);
        inputs_unchanged(xb);
      }
  });
}

TEST_CASE("backend ops: sum_squares: sizes 0 to 100003, summed in double", "[unit][backend_ops]") {
  for_each_backend([&](Ops<float>& ops) {
    for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(33), size_t(1000), size_t(33000), size_t(100003)}) {
      const auto x = rand_f(n, 50 + n, -3, 3);
      DevF xb(ops, x, "x");
      double want = 0;
      for (float v : x) want += double(v) * double(v);
      const double got = ops.sum_squares(xb.get(), n);
      INFO("sum_squares n=" << n << ": got " << got << ", want " << want);
      if (n == 0) {
        CHECK(got == 0.0);
      } else {
        CHECK(relative_close(got, want, 1e-12));  // squares of floats are exact in double
      }
      inputs_unchanged(xb);
    }
  });
}

// ------------------------------------------------------------------------------------ embeddings

namespace {

const std::vector<uint32_t> kVocab = {3, 50, 1, 7, 200};  // 261 table rows, one single-row field

}  // namespace

TEST_CASE("backend ops: embedding_gather: exact, dims 1 to 16, padded out strides", "[unit][backend_ops]") {
  struct Shape {
    size_t dim, extra;  // out_stride = F * dim + extra
  };
  // 8 and 16 with a stride that keeps 16-byte rows (the CUDA backend's vector loads), 3: one that does not.
  const std::vector<Shape> shapes = {{1, 0}, {5, 3}, {8, 0}, {8, 4}, {16, 3}};
  const size_t fields = kVocab.size();
  for_each_backend([&](Ops<float>& ops) {
    for (size_t batch : kRows)
      for (const Shape& sh : shapes) {
        const size_t stride = fields * sh.dim + sh.extra, used = fields * sh.dim;
        INFO("embedding_gather batch=" << batch << " dim=" << sh.dim << " out_stride=" << stride);
        size_t table_rows = 0;
        const auto rows_idx = ctr::test::embedding_rows(batch, kVocab, 60 + batch, &table_rows, 0.3);
        const auto table = rand_f(table_rows * sh.dim, 61 + sh.dim);
        auto out0 = rand_f(batch * stride, 62);
        poison_used(out0, batch, stride, used);
        DevF t(ops, table, "table"), out(ops, out0, "out");
        DevU idx(ops, rows_idx, "rows_idx");
        ops.embedding_gather(t.get(), idx.get(), batch, fields, sh.dim, out.get(), stride);
        const auto got = out.fetch();
        std::vector<float> want = out0;
        for (size_t b = 0; b < batch; ++b)
          for (size_t j = 0; j < used; ++j)
            want[b * stride + j] = table[size_t(rows_idx[b * fields + j / sh.dim]) * sh.dim + j % sh.dim];
        expect_equal("out", got, want);
        expect_padding_kept("out", got, out0, batch, stride, used);
        inputs_unchanged(t, idx);
      }
  });
}

namespace {

// The distinct rows of rows_idx [B, F], ascending, with their counts and summed gradients (and the
// sums of the gradients' magnitudes, for the tolerance).
struct ReduceRef {
  std::vector<uint32_t> rows, counts;
  std::vector<double> emb, emb_mag, lin, lin_mag;
};

ReduceRef reduce_ref(const std::vector<uint32_t>& rows_idx, size_t fields, size_t dim, size_t stride,
                     const std::vector<float>& d_emb, const std::vector<float>& d_lin) {
  std::map<uint32_t, std::vector<size_t>> occ;  // row -> occurrences i = b * F + f
  for (size_t i = 0; i < rows_idx.size(); ++i) occ[rows_idx[i]].push_back(i);
  ReduceRef r;
  for (const auto& [row, list] : occ) {
    r.rows.push_back(row);
    r.counts.push_back(uint32_t(list.size()));
    double l = 0, lm = 0;
    std::vector<double> g(dim, 0.0), gm(dim, 0.0);
    for (size_t i : list) {
      const size_t b = i / fields, f = i % fields;
      for (size_t d = 0; d < dim; ++d) {
        const double v = d_emb[b * stride + f * dim + d];
        g[d] += v, gm[d] += std::fabs(v);
      }
      l += d_lin[b], lm += std::fabs(d_lin[b]);
    }
    r.emb.insert(r.emb.end(), g.begin(), g.end());
    r.emb_mag.insert(r.emb_mag.end(), gm.begin(), gm.end());
    r.lin.push_back(l);
    r.lin_mag.push_back(lm);
  }
  return r;
}

// The backend's unique rows, sorted by row (the order is the backend's choice), against the reference.
void expect_unique_rows(const std::string& what, const UniqueRows<float>& u, size_t count, size_t dim,
                        const ReduceRef& want) {
  INFO(what);
  REQUIRE(count == want.rows.size());
  CHECK(u.count == count);
  const auto got = ctr::test::sorted_by_row(ctr::test::download_unique_rows(u, dim), dim);
  expect_equal("rows", got.rows, want.rows);
  expect_equal("counts", got.counts, want.counts);
  expect_close("summed embedding gradients", got.emb, want.emb, want.emb_mag);
  expect_close("summed linear gradients", got.lin, want.lin, want.lin_mag);
}

// Fills every entry of u with sentinels (host -> backend).
void fill_unique_rows(UniqueRows<float>& u) {
  const std::vector<uint32_t> us(u.rows.size(), guard_value<uint32_t>());
  u.rows.upload(us.data(), us.size());
  u.counts.upload(us.data(), us.size());
  const std::vector<float> fs(std::max(u.grad_embed.size(), u.grad_linear.size()), guard_value<float>());
  if (u.grad_linear.size()) u.grad_linear.upload(fs.data(), u.grad_linear.size());
  if (u.grad_embed.size()) u.grad_embed.upload(fs.data(), u.grad_embed.size());
}

// How many entries of u at or past `from` (and values past from * dim) lost their sentinels.
size_t spare_changed(const UniqueRows<float>& u, size_t from, size_t dim) {
  std::vector<uint32_t> rows(u.rows.size()), counts(u.counts.size());
  std::vector<float> lin(u.grad_linear.size()), emb(u.grad_embed.size());
  u.rows.download(rows.data(), rows.size());
  u.counts.download(counts.data(), counts.size());
  if (lin.size()) u.grad_linear.download(lin.data(), lin.size());
  if (emb.size()) u.grad_embed.download(emb.data(), emb.size());
  size_t changed = 0;
  for (size_t i = from; i < rows.size(); ++i)
    changed += !same_bits(rows[i], guard_value<uint32_t>()) + !same_bits(counts[i], guard_value<uint32_t>()) +
               !same_bits(lin[i], guard_value<float>());
  for (size_t i = from * dim; i < emb.size(); ++i) changed += !same_bits(emb[i], guard_value<float>());
  return changed;
}

}  // namespace

TEST_CASE("backend ops: embedding_reduce: distinct rows as a set, counts, summed gradients, scratch reuse",
          "[unit][backend_ops]") {
  struct Case {
    size_t batch, dim;
    double hot;  // share of ids drawn from each field's first 3 rows
  };
  std::vector<Case> cases;
  // Batch 0 comes first, so it is the call that meets each backend's scratch unsized.
  for (size_t batch : {size_t(0), size_t(1), size_t(7), size_t(33), size_t(1000)})
    for (size_t dim : {size_t(5), size_t(0)})  // dim 0: the lr model, no embedding gradient
      for (double hot : {0.0, 0.5}) cases.push_back({batch, dim, hot});
  const size_t fields = kVocab.size();
  for_each_backend([&](Ops<float>& ops) {
    for (const Case& c : cases) {
      const size_t stride = c.dim ? fields * c.dim + 3 : 0, occ = c.batch * fields;
      INFO("embedding_reduce batch=" << c.batch << " dim=" << c.dim << " grad_stride=" << stride << " hot=" << c.hot);
      size_t table_rows = 0;
      const auto rows_idx = ctr::test::embedding_rows(c.batch, kVocab, 70 + c.batch, &table_rows, c.hot);
      auto d_emb = rand_f(c.batch * stride, 71);
      poison_padding(d_emb, c.batch, stride, fields * c.dim);  // its columns past F*D are not gradients
      const auto d_lin = rand_f(c.batch, 72);
      const ReduceRef want = reduce_ref(rows_idx, fields, c.dim, stride, d_emb, d_lin);
      DevU idx(ops, rows_idx, "rows_idx");
      DevF demb(ops, d_emb, "d_emb"), dlin(ops, d_lin, "d_linear");
      EmbeddingReduceParams p;
      p.batch = c.batch, p.fields = fields, p.dim = c.dim, p.table_rows = table_rows, p.grad_stride = stride;
      // kGuard spare entries past B*F, which no backend may touch.
      UniqueRows<float> u(ops.memory(), occ + kGuard, c.dim);
      fill_unique_rows(u);
      const float* de = c.dim ? demb.get() : nullptr;
      const size_t count = ops.embedding_reduce(p, idx.get(), de, dlin.get(), u);
      expect_unique_rows("first call", u, count, c.dim, want);
      {
        const size_t changed = spare_changed(u, occ, c.dim);
        INFO("values written past the B*F = " << occ << " entries of UniqueRows: " << changed);
        CHECK(changed == 0);
      }
      inputs_unchanged(idx, demb, dlin);
      if (c.batch == 0) continue;
      const auto first_order = ctr::test::download_unique_rows(u, c.dim).rows;

      // A second batch on the same scratch: nothing of the first leaks in.
      const auto rows2 = ctr::test::embedding_rows(c.batch, kVocab, 73 + c.batch, &table_rows, c.hot);
      DevU idx2(ops, rows2, "rows_idx 2");
      const size_t count2 = ops.embedding_reduce(p, idx2.get(), de, dlin.get(), u);
      expect_unique_rows("second batch", u, count2, c.dim, reduce_ref(rows2, fields, c.dim, stride, d_emb, d_lin));

      // A row outside the table is an error, and the next call gives the first result again, in the
      // same order (the order is the backend's, but fixed).
      auto bad = rows_idx;
      bad.back() = uint32_t(table_rows);
      DevU idx_bad(ops, bad, "rows_idx (bad)");
      CHECK_THROWS_WITH(ops.embedding_reduce(p, idx_bad.get(), de, dlin.get(), u), Contains("outside a table"));
      const size_t again = ops.embedding_reduce(p, idx.get(), de, dlin.get(), u);
      expect_unique_rows("after a rejected batch", u, again, c.dim, want);
      expect_equal("row order run to run", ctr::test::download_unique_rows(u, c.dim).rows, first_order);
    }
  });
}

namespace {

struct TableCase {
  size_t rows = 261, dim = 5, unique = 33;
  bool all_rows = true;
  int clip_mode = 0;  // 0 off, 1 the code bound, 2 the paper bound
  double grad_scale = 1, l2 = 0.05, r = 1;
  double zeta = -1;   // < 0: the mode's default (code 1e-3, paper 1e-2)
  uint64_t step = 2;
  bool zero_row = false;  // the first unique row has zero weights and a zero gradient
};

TableUpdateParams table_params(const TableCase& c) {
  TableUpdateParams p;
  p.table_rows = c.rows, p.dim = c.dim, p.update_all_rows = c.all_rows, p.l2 = c.l2, p.grad_scale = c.grad_scale;
  p.clip.enabled = c.clip_mode != 0;
  p.clip.paper_bound = c.clip_mode == 2;
  p.clip.r = c.r;
  p.clip.zeta = c.zeta >= 0 ? c.zeta : c.clip_mode == 2 ? 1e-2 : 1e-3;
  p.adam.lr = 1e-2, p.adam.step = c.step;
  return p;
}

std::vector<TableCase> table_cases() {
  std::vector<TableCase> t;
  size_t idx = 0;
  for (size_t unique : {size_t(0), size_t(1), size_t(33), size_t(261)})  // 261: every row of the table
    for (bool all_rows : {true, false})
      for (int mode : {0, 1, 2})
        for (size_t dim : {size_t(1), size_t(5)}) {
          TableCase c;
          c.unique = unique, c.all_rows = all_rows, c.clip_mode = mode, c.dim = dim;
          c.grad_scale = idx++ % 2 ? 0.5 : 1.0;
          t.push_back(c);
        }
  for (size_t dim : {size_t(1), size_t(5)}) {  // code bound with 2*l2 > r: absent rows are clipped row by row
    TableCase c;
    c.dim = dim, c.clip_mode = 1, c.r = 0.05;
    t.push_back(c);
  }
  for (int mode : {1, 2})  // zeta 0: a zero row with a zero gradient has bound 0 and is not clipped
    for (bool all_rows : {true, false}) {
      TableCase c;
      c.clip_mode = mode, c.all_rows = all_rows, c.zeta = 0, c.zero_row = true;
      t.push_back(c);
    }
  for (int mode : {1, 2})  // big enough for the CPU's parallel loops
    for (bool all_rows : {true, false}) {
      TableCase c;
      c.rows = 20011, c.dim = 5, c.unique = 3000, c.clip_mode = mode, c.all_rows = all_rows, c.step = 5;
      t.push_back(c);
    }
  return t;
}

struct TableData {
  std::vector<float> w, m, v, grad;        // [rows, dim] x3, [unique, dim]
  std::vector<uint32_t> urows, counts;     // [unique], distinct rows in random order
};

TableData make_table_data(const TableCase& c, uint64_t seed) {
  Rng rng(seed);
  TableData t;
  t.w.resize(c.rows * c.dim);
  for (size_t r = 0; r < c.rows; ++r) {
    const double scale = r % 10 == 3 ? 1e-3 : 0.5;  // tiny rows, where CowClip's lower bound is the one that acts
    for (size_t d = 0; d < c.dim; ++d) t.w[r * c.dim + d] = float(scale * (2 * rng.unit() - 1));
  }
  adam_moments(c.rows * c.dim, seed + 1, t.m, t.v);
  std::vector<uint32_t> all(c.rows);
  std::iota(all.begin(), all.end(), 0u);
  shuffle_range(all.begin(), all.end(), rng);
  t.urows.assign(all.begin(), all.begin() + c.unique);
  t.counts.resize(c.unique);
  for (auto& n : t.counts) n = uint32_t(1 + rng.uniform(4));
  t.grad.resize(c.unique * c.dim);
  for (auto& g : t.grad) g = float(2 * (2 * rng.unit() - 1));
  if (c.zero_row && c.unique > 0)
    for (size_t d = 0; d < c.dim; ++d) t.w[size_t(t.urows[0]) * c.dim + d] = 0, t.grad[d] = 0;
  return t;
}

// |g| / bound of one row under CowClip (0 / 0 = 0: not clipped; x / 0 = inf).
double clip_ratio(const TableUpdateParams& p, const float* w, const float* data, uint32_t cnt) {
  const double two_l2 = 2 * p.l2;
  double gn = 0, wn = 0;
  for (size_t d = 0; d < p.dim; ++d) {
    const double x = data ? data[d] : 0.0;
    const double g = p.clip.paper_bound ? x : x + two_l2 * w[d];
    gn += g * g, wn += double(w[d]) * w[d];
  }
  gn = std::sqrt(gn), wn = std::sqrt(wn);
  const double bound = p.clip.paper_bound ? cnt * std::max(p.clip.r * wn, p.clip.zeta)
                                          : p.clip.r * cnt * std::max(wn, p.clip.r * std::sqrt(double(p.dim)) * p.clip.zeta);
  if (bound > 0) return gn / bound;
  return gn > 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

// Scales the gradients of rows whose clip decision rounding could decide (|g| / bound within 1e-3 of
// 1), so the clipped count is exact.
void settle_clip_decisions(const TableUpdateParams& p, TableData& t) {
  if (!p.clip.enabled) return;
  for (size_t u = 0; u < t.urows.size(); ++u) {
    const float* w = &t.w[size_t(t.urows[u]) * p.dim];
    float* data = &t.grad[u * p.dim];
    double ratio = clip_ratio(p, w, data, t.counts[u]);
    for (int tries = 0; std::fabs(ratio - 1) < 1e-3 && tries < 10; ++tries) {
      for (size_t d = 0; d < p.dim; ++d) data[d] *= 1.25f;
      ratio = clip_ratio(p, w, data, t.counts[u]);
    }
    REQUIRE(std::fabs(ratio - 1) >= 1e-3);
  }
}

struct TableRef {
  AdamRef adam;
  size_t clipped = 0;
  double grad_sq = 0;
  std::vector<bool> updated;  // per table row
};

// The naive table update: per row (the batch's rows, or all rows), the batch gradient plus L2, CowClip
// (code mode clips data + 2 l2 w; paper mode clips the data, then adds L2), the gradient scale, Adam.
TableRef table_ref(const TableUpdateParams& p, const TableData& t) {
  const size_t rows = p.table_rows, dim = p.dim;
  TableRef ref;
  ref.adam = AdamRef(rows * dim);
  ref.updated.assign(rows, false);
  std::vector<int> slot(rows, -1);
  for (size_t u = 0; u < t.urows.size(); ++u) slot[t.urows[u]] = int(u);
  const double two_l2 = 2 * p.l2, lr_t = adam_lr_t(p.adam.lr, p.adam.step);
  for (size_t r = 0; r < rows; ++r) {
    const bool present = slot[r] >= 0;
    const float* w = &t.w[r * dim];
    if (!present && !p.update_all_rows) {
      for (size_t d = 0; d < dim; ++d) ref.adam.keep(r * dim + d, t.w[r * dim + d], t.m[r * dim + d], t.v[r * dim + d]);
      continue;
    }
    ref.updated[r] = true;
    const float* data = present ? &t.grad[size_t(slot[r]) * dim] : nullptr;
    for (size_t d = 0; d < dim; ++d) {
      const double g = (data ? data[d] : 0.0) + two_l2 * w[d];
      ref.grad_sq += g * g;
    }
    double f = 1;
    if (p.clip.enabled) {
      const double ratio = clip_ratio(p, w, data, present ? t.counts[size_t(slot[r])] : 1);
      if (ratio > 1) {
        f = 1 / ratio;
        if (present) ++ref.clipped;
      }
    }
    for (size_t d = 0; d < dim; ++d) {
      const size_t i = r * dim + d;
      const double x = data ? data[d] : 0.0;
      const bool paper = p.clip.enabled && p.clip.paper_bound;
      const double g = (paper ? x * f + two_l2 * w[d] : (x + two_l2 * w[d]) * f) * p.grad_scale;
      const double g_mag = (paper ? std::fabs(x * f) + std::fabs(two_l2 * w[d]) : (std::fabs(x) + std::fabs(two_l2 * w[d])) * f) *
                           p.grad_scale;
      ref.adam.step(i, g, g_mag, t.w[i], t.m[i], t.v[i], lr_t);
    }
  }
  return ref;
}

}  // namespace

TEST_CASE("backend ops: table_update and table_grad_sum_squares: all rows and batch rows, CowClip off, code and paper",
          "[unit][backend_ops]") {
  const auto cases = table_cases();
  for_each_backend([&](Ops<float>& ops) {
    uint64_t seed = 200;
    for (const TableCase& c : cases) {
      const TableUpdateParams p = table_params(c);
      INFO("table_update rows=" << c.rows << " dim=" << c.dim << " unique=" << c.unique
                                << (c.all_rows ? " all rows" : " batch rows") << " clip="
                                << (c.clip_mode == 0 ? "off" : c.clip_mode == 1 ? "code" : "paper") << " r=" << p.clip.r
                                << " zeta=" << p.clip.zeta << " l2=" << c.l2 << " grad_scale=" << c.grad_scale
                                << " step=" << c.step);
      TableData t = make_table_data(c, seed++);
      settle_clip_decisions(p, t);
      const TableRef want = table_ref(p, t);
      DevF w(ops, t.w, "table"), m(ops, t.m, "m"), v(ops, t.v, "v"), g(ops, t.grad, "grad");
      DevU rows(ops, t.urows, "rows"), counts(ops, t.counts, "counts");
      Dev<uint64_t> clipped(ops, {5}, "clipped_rows");  // the op adds its count to the counter

      const double sq = ops.table_grad_sum_squares(p, w.get(), rows.get(), g.get(), c.unique);
      {
        INFO("table_grad_sum_squares: got " << sq << ", want " << want.grad_sq);
        if (want.grad_sq == 0) {
          CHECK(sq == 0.0);
        } else {
          CHECK(relative_close(sq, want.grad_sq, 1e-6));
        }
      }
      ops.table_update(p, w.get(), m.get(), v.get(), rows.get(), counts.get(), g.get(), c.unique, clipped.get());
      const auto got_w = w.fetch(), got_m = m.fetch(), got_v = v.fetch();
      expect_adam("table", want.adam, got_w, got_m, got_v);
      {
        const uint64_t got_clipped = clipped.fetch()[0];
        INFO("clipped rows: got " << got_clipped << " - 5, want " << want.clipped << " of " << c.unique);
        CHECK(got_clipped == 5 + want.clipped);
      }
      size_t untouched_changed = 0;  // rows a batch-rows update does not touch keep their bits
      for (size_t r = 0; r < c.rows; ++r)
        if (!want.updated[r])
          for (size_t d = 0; d < c.dim; ++d) {
            const size_t i = r * c.dim + d;
            untouched_changed += !same_bits(got_w[i], t.w[i]) + !same_bits(got_m[i], t.m[i]) +
                                 !same_bits(got_v[i], t.v[i]);
          }
      INFO("values of rows the update must not touch that changed: " << untouched_changed);
      CHECK(untouched_changed == 0);
      inputs_unchanged(g, rows, counts);
    }
  });
}

// ------------------------------------------------------------------------------------ CTR layers

TEST_CASE("backend ops: linear_forward: batches 0 to 1000, 0, 3 and 13 dense values", "[unit][backend_ops]") {
  const size_t fields = kVocab.size();
  for_each_backend([&](Ops<float>& ops) {
    for (size_t batch : kRows)
      for (size_t nd : {size_t(0), size_t(3), size_t(13)}) {
        INFO("linear_forward batch=" << batch << " num_dense=" << nd);
        size_t table_rows = 0;
        const auto rows_idx = ctr::test::embedding_rows(batch, kVocab, 80 + batch, &table_rows, 0.4);
        const auto lin = rand_f(table_rows, 81), dense = rand_f(batch * nd, 82, 0, 3), wd = rand_f(nd, 83);
        DevF lt(ops, lin, "lin_table"), x(ops, dense, "dense"), w(ops, wd, "w_dense"),
            out(ops, filled(batch, poison()), "out");
        DevU idx(ops, rows_idx, "rows_idx");
        // num_dense 0: the model passes its empty dense buffers, null pointers
        ops.linear_forward(lt.get(), idx.get(), nd ? x.get() : nullptr, nd ? w.get() : nullptr, batch, fields, nd,
                           out.get());
        std::vector<double> want(batch, 0.0), mag(batch, 0.0);
        for (size_t b = 0; b < batch; ++b) {
          for (size_t f = 0; f < fields; ++f) {
            const double l = lin[rows_idx[b * fields + f]];
            want[b] += l, mag[b] += std::fabs(l);
          }
          for (size_t j = 0; j < nd; ++j) {
            const double t = double(dense[b * nd + j]) * wd[j];
            want[b] += t, mag[b] += std::fabs(t);
          }
        }
        expect_close("out (=)", out.fetch(), want, mag);
        inputs_unchanged(lt, x, w, idx);
      }
  });
}

TEST_CASE("backend ops: fm_forward and fm_backward: the pairwise term, dx added into, dense columns kept",
          "[unit][backend_ops]") {
  struct Shape {
    size_t fields, dim, extra;  // stride = fields * dim + extra (the dense columns of x0)
  };
  const std::vector<Shape> shapes = {{4, 4, 3}, {5, 7, 0}, {1, 3, 2}, {5, 16, 3}};
  for_each_backend([&](Ops<float>& ops) {
    for (size_t batch : kRows)
      for (const Shape& sh : shapes) {
        const size_t used = sh.fields * sh.dim, stride = used + sh.extra, n = batch * stride;
        INFO("fm batch=" << batch << " fields=" << sh.fields << " dim=" << sh.dim << " stride=" << stride);
        auto x = rand_f(n, 90 + batch + sh.dim);
        poison_padding(x, batch, stride, used);  // FM reads the embeddings only
        const auto dout = rand_f(batch, 91), dx0 = rand_f(n, 92);
        DevF xb(ops, x, "x"), out(ops, filled(batch, poison()), "out"), db(ops, dout, "dout"), dx(ops, dx0, "dx");
        ops.fm_forward(xb.get(), stride, batch, sh.fields, sh.dim, out.get());
        ops.fm_backward(xb.get(), stride, db.get(), batch, sh.fields, sh.dim, dx.get());
        std::vector<double> w_out(batch, 0.0), m_out(batch, 0.0), w_dx(dx0.begin(), dx0.end()), m_dx(n, 0.0);
        for (size_t i = 0; i < n; ++i) m_dx[i] = std::fabs(dx0[i]);
        for (size_t b = 0; b < batch; ++b)
          for (size_t f = 0; f < sh.fields; ++f)
            for (size_t f2 = 0; f2 < sh.fields; ++f2)
              for (size_t d = 0; d < sh.dim; ++d) {
                const double a = x[b * stride + f * sh.dim + d], c = x[b * stride + f2 * sh.dim + d];
                if (f < f2) w_out[b] += a * c;
                m_out[b] += std::fabs(a * c);  // (sum_f |e_f|)^2: the float form squares the sum
                if (f != f2) {
                  w_dx[b * stride + f * sh.dim + d] += dout[b] * c;
                  m_dx[b * stride + f * sh.dim + d] += std::fabs(dout[b] * c);
                }
              }
        const auto got_dx = dx.fetch();
        expect_close("out (=)", out.fetch(), w_out, m_out);
        expect_close("dx (+=)", got_dx, w_dx, m_dx);
        expect_padding_kept("dx", got_dx, dx0, batch, stride, used);
        inputs_unchanged(xb, db);
      }
  });
}

TEST_CASE("backend ops: dot_interaction_forward and dot_interaction_backward: DLRM pairs, padded strides",
          "[unit][backend_ops]") {
  struct Shape {
    size_t batch, vectors, dim, x_pad, out_pad;
  };
  const std::vector<Shape> shapes = {
      {1000, 27, 10, 0, 0},  // Criteo: the bottom output and 26 field embeddings of dim 10
      {1000, 27, 10, 2, 3},  // ... with the model's padding
      {1, 27, 10, 2, 3},     {0, 27, 10, 2, 3},  // batch 0: nothing written
      {3, 1, 7, 1, 2},       // one vector: no pairs, out = z_0
      {1, 1, 1, 0, 0},       {5, 2, 1, 3, 1},    // one pair
      {33, 5, 4, 0, 1},      {7, 3, 5, 1, 0},
      {77, 24, 16, 5, 0},    // Avazu-like: 23 fields + the bottom output, dim 16
  };
  for_each_backend([&](Ops<float>& ops) {
    for (const Shape& sh : shapes) {
      const size_t nv = sh.vectors, dim = sh.dim, pairs = nv * (nv - 1) / 2, width = dim + pairs, used = nv * dim;
      const size_t stride = used + sh.x_pad, out_stride = width + sh.out_pad, batch = sh.batch;
      INFO("dot_interaction batch=" << batch << " vectors=" << nv << " dim=" << dim << " stride=" << stride
                                    << " out_stride=" << out_stride);
      auto x = rand_f(batch * stride, 100 + nv, -2, 2);
      poison_padding(x, batch, stride, used);
      auto dout = rand_f(batch * out_stride, 101 + dim);
      poison_padding(dout, batch, out_stride, width);  // its padding columns are not gradients
      auto out0 = rand_f(batch * out_stride, 102), dx_init = rand_f(batch * stride, 103);
      poison_used(out0, batch, out_stride, width);  // both outputs are written
      poison_used(dx_init, batch, stride, used);
      DevF xb(ops, x, "x"), db(ops, dout, "dout"), out(ops, out0, "out"), dx(ops, dx_init, "dx");
      ops.dot_interaction_forward(xb.get(), stride, batch, nv, dim, out.get(), out_stride);
      ops.dot_interaction_backward(xb.get(), stride, db.get(), out_stride, batch, nv, dim, dx.get());

      // Pair (i, j), i > j, in the order (1,0), (2,0), (2,1), (3,0), ...
      std::vector<size_t> pair(nv * nv, 0);
      for (size_t i = 1, p = 0; i < nv; ++i)
        for (size_t j = 0; j < i; ++j) pair[i * nv + j] = pair[j * nv + i] = p++;
      std::vector<double> w_out(out0.begin(), out0.end()), m_out(out0.size(), 0.0);
      std::vector<double> w_dx(dx_init.begin(), dx_init.end()), m_dx(dx_init.size(), 0.0);
      for (size_t b = 0; b < batch; ++b) {
        const float* z = &x[b * stride];
        const float* g = &dout[b * out_stride];
        for (size_t d = 0; d < dim; ++d) w_out[b * out_stride + d] = z[d];
        for (size_t i = 1; i < nv; ++i)
          for (size_t j = 0; j < i; ++j) {
            double s = 0, sm = 0;
            for (size_t d = 0; d < dim; ++d) s += double(z[i * dim + d]) * z[j * dim + d], sm += std::fabs(z[i * dim + d] * z[j * dim + d]);
            w_out[b * out_stride + dim + pair[i * nv + j]] = s, m_out[b * out_stride + dim + pair[i * nv + j]] = sm;
          }
        for (size_t k = 0; k < nv; ++k)
          for (size_t d = 0; d < dim; ++d) {
            double s = k == 0 ? g[d] : 0.0, sm = std::fabs(s);
            for (size_t j = 0; j < nv; ++j)
              if (j != k) {
                const double t = double(g[dim + pair[k * nv + j]]) * z[j * dim + d];
                s += t, sm += std::fabs(t);
              }
            w_dx[b * stride + k * dim + d] = s, m_dx[b * stride + k * dim + d] = sm;
          }
      }
      const auto got_out = out.fetch(), got_dx = dx.fetch();
      expect_close("out (=)", got_out, w_out, m_out);
      expect_close("dx (=)", got_dx, w_dx, m_dx);
      expect_padding_kept("out", got_out, out0, batch, out_stride, width);
      expect_padding_kept("dx", got_dx, dx_init, batch, stride, used);
      inputs_unchanged(xb, db);
    }
  });
}

TEST_CASE("backend ops: dcn_cross_forward and dcn_cross_backward: dx0 added into, dxl dw dbias written",
          "[unit][backend_ops]") {
  for_each_backend([&](Ops<float>& ops) {
    for (size_t batch : kRows)
      for (size_t k : {size_t(1), size_t(19), size_t(53)}) {
        INFO("dcn_cross batch=" << batch << " k=" << k);
        const size_t n = batch * k;
        const auto x0 = rand_f(n, 110 + k), xl = rand_f(n, 111), w = rand_f(k, 112), bias = rand_f(k, 113),
                   dout = rand_f(n, 114), dx0_init = rand_f(n, 115);
        // The forward pass in double; its s, rounded to float, is the backward's input on every backend.
        std::vector<double> want_s(batch), mag_s(batch), want_out(n), mag_out(n);
        for (size_t b = 0; b < batch; ++b) {
          double dot = 0, dm = 0;
          for (size_t j = 0; j < k; ++j) dot += double(xl[b * k + j]) * w[j], dm += std::fabs(xl[b * k + j] * w[j]);
          want_s[b] = dot, mag_s[b] = dm;
          for (size_t j = 0; j < k; ++j) {
            want_out[b * k + j] = x0[b * k + j] * dot + bias[j] + xl[b * k + j];
            mag_out[b * k + j] = std::fabs(x0[b * k + j]) * dm + std::fabs(bias[j]) + std::fabs(xl[b * k + j]);
          }
        }
        std::vector<float> s_in(want_s.begin(), want_s.end());
        DevF x0b(ops, x0, "x0"), xlb(ops, xl, "xl"), wb(ops, w, "w"), bb(ops, bias, "bias"),
            s(ops, filled(batch, poison()), "s"), out(ops, filled(n, poison()), "out");
        ops.dcn_cross_forward(x0b.get(), xlb.get(), wb.get(), bb.get(), batch, k, s.get(), out.get());
        expect_close("forward s (=)", s.fetch(), want_s, mag_s);
        expect_close("forward out (=)", out.fetch(), want_out, mag_out);

        DevF sb(ops, s_in, "s (input)"), db(ops, dout, "dout"), dx0(ops, dx0_init, "dx0"),
            dxl(ops, filled(n, poison()), "dxl"), dw(ops, filled(k, poison()), "dw"), dbias(ops, filled(k, poison()), "dbias");
        ops.dcn_cross_backward(x0b.get(), xlb.get(), wb.get(), sb.get(), db.get(), batch, k, dx0.get(), dxl.get(),
                               dw.get(), dbias.get());
        std::vector<double> w_dx0(n), w_dxl(n), m_dx0(n), m_dxl(n), w_dw(k, 0.0), w_db(k, 0.0), m_dw(k, 0.0), m_db(k, 0.0);
        for (size_t b = 0; b < batch; ++b) {
          double ds = 0, dsm = 0;
          for (size_t j = 0; j < k; ++j) ds += double(dout[b * k + j]) * x0[b * k + j], dsm += std::fabs(dout[b * k + j] * x0[b * k + j]);
          for (size_t j = 0; j < k; ++j) {
            const size_t i = b * k + j;
            w_dx0[i] = dx0_init[i] + double(dout[i]) * s_in[b];
            m_dx0[i] = std::fabs(dx0_init[i]) + std::fabs(double(dout[i]) * s_in[b]);
            w_dxl[i] = dout[i] + ds * w[j];
            m_dxl[i] = std::fabs(dout[i]) + dsm * std::fabs(w[j]);
            w_dw[j] += ds * xl[i], m_dw[j] += dsm * std::fabs(xl[i]);
            w_db[j] += dout[i], m_db[j] += std::fabs(dout[i]);
          }
        }
        expect_close("backward dx0 (+=)", dx0.fetch(), w_dx0, m_dx0);
        expect_close("backward dxl (=)", dxl.fetch(), w_dxl, m_dxl);
        expect_close("backward dw (=)", dw.fetch(), w_dw, m_dw);  // batch 0: zeros
        expect_close("backward dbias (=)", dbias.fetch(), w_db, m_db);
        inputs_unchanged(x0b, xlb, wb, bb, sb, db);
      }
  });
}

TEST_CASE("backend ops: dcnv2_combine and dcnv2_combine_backward: out and du written, dx0 added into",
          "[unit][backend_ops]") {
  for_each_backend([&](Ops<float>& ops) {
    for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(53), size_t(19000), size_t(33001)}) {
      INFO("dcnv2_combine n=" << n);
      const auto x0 = rand_f(n, 120), u = rand_f(n, 121), xl = rand_f(n, 122), dout = rand_f(n, 123),
                 dx0_init = rand_f(n, 124);
      DevF x0b(ops, x0, "x0"), ub(ops, u, "u"), xlb(ops, xl, "xl"), db(ops, dout, "dout"), dx0(ops, dx0_init, "dx0"),
          out(ops, filled(n, poison()), "out"), du(ops, filled(n, poison()), "du");
      ops.dcnv2_combine(x0b.get(), ub.get(), xlb.get(), out.get(), n);
      ops.dcnv2_combine_backward(x0b.get(), ub.get(), db.get(), dx0.get(), du.get(), n);
      std::vector<double> w_out(n), m_out(n), w_dx0(n), m_dx0(n), w_du(n);
      for (size_t i = 0; i < n; ++i) {
        w_out[i] = double(x0[i]) * u[i] + xl[i];
        m_out[i] = std::fabs(double(x0[i]) * u[i]) + std::fabs(xl[i]);
        w_dx0[i] = dx0_init[i] + double(dout[i]) * u[i];
        m_dx0[i] = std::fabs(dx0_init[i]) + std::fabs(double(dout[i]) * u[i]);
        w_du[i] = double(dout[i]) * x0[i];
      }
      expect_close("out (=)", out.fetch(), w_out, m_out);
      expect_close("dx0 (+=)", dx0.fetch(), w_dx0, m_dx0);
      expect_close("du (=, one product)", du.fetch(), w_du);
      inputs_unchanged(x0b, ub, xlb, db);
    }
  });
}

// ------------------------------------------------------------------------------------ loss and output

TEST_CASE("backend ops: bce_with_logits: dlogits written, the loss added to the device sum, large logits",
          "[unit][backend_ops]") {
  for_each_backend([&](Ops<float>& ops) {
    for (size_t batch : kFlat)
      for (float scale : {0.25f, 1.0f}) {
        INFO("bce_with_logits batch=" << batch << " scale=" << scale);
        auto z = rand_f(batch, 130 + batch, -8, 8);
        std::vector<float> labels(batch);
        for (size_t i = 0; i < batch; ++i) labels[i] = float(i % 3 == 0);
        const float large[] = {40.0f, -40.0f, 40.0f};  // labels 1, 0, 0: gradients 0, ~4e-18, scale
        for (size_t i = 0; i < 3 && i < batch; ++i) z[i] = large[i];
        DevF zb(ops, z, "logits"), yb(ops, labels, "labels"), dl(ops, filled(batch, poison()), "dlogits");
        Dev<double> sum(ops, {2.5}, "loss_sum");
        ops.bce_with_logits(zb.get(), yb.get(), batch, scale, dl.get(), sum.get());
        double want = 2.5;
        std::vector<double> want_dl(batch);
        for (size_t i = 0; i < batch; ++i) {
          const double zz = z[i], y = labels[i];
          want += std::max(zz, 0.0) - zz * y + std::log1p(std::exp(-std::fabs(zz)));  // -log(p^y (1-p)^(1-y))
          want_dl[i] = scale * (1 / (1 + std::exp(-zz)) - y);
        }
        const double got = sum.fetch()[0];
        INFO("loss sum: got " << got << ", want " << want << " (2.5 before)");
        CHECK(relative_close(got, want, 1e-9));  // non-negative terms summed in double
        expect_close("dlogits (=)", dl.fetch(), want_dl);
        inputs_unchanged(zb, yb);
      }
  });
  // support/op_results.h's helper: the loss of one call, read from a zeroed sum.
  for_each_backend([&](Ops<float>& ops) {
    DevF z(ops, {0.0f, 2.0f, -1.0f}, "logits"), y(ops, {1.0f, 0.0f, 1.0f}, "labels"),
        dl(ops, filled(3, poison()), "dlogits");
    // log 2, then 2 + log(1 + e^-2), then 1 + log(1 + e^-1)
    const double want = std::log(2.0) + 2 + std::log1p(std::exp(-2.0)) + 1 + std::log1p(std::exp(-1.0));
    const double got = bce_loss_sum(ops, z.get(), y.get(), 3, 1.0f, dl.get());
    INFO("bce_loss_sum of 3 logits: got " << got << ", want " << want);
    CHECK(relative_close(got, want, 1e-12));
    dl.fetch();
  });
}

TEST_CASE("backend ops: sigmoid: logits up to +-100, finite everywhere", "[unit][backend_ops]") {
  for_each_backend([&](Ops<float>& ops) {
    for (size_t n : kFlat) {
      INFO("sigmoid n=" << n);
      auto z = rand_f(n, 140 + n, -30, 30);
      const float specials[] = {100.0f, -100.0f, 0.0f, -0.0f};
      for (size_t i = 0; i < 4 && i < n; ++i) z[i] = specials[i];
      DevF zb(ops, z, "logits"), p(ops, filled(n, poison()), "probs");
      ops.sigmoid(zb.get(), p.get(), n);
      std::vector<double> want(n);
      for (size_t i = 0; i < n; ++i) want[i] = 1.0 / (1.0 + std::exp(-double(z[i])));
      const auto got = p.fetch();
      expect_close("probs (=)", got, want);
      size_t not_finite = 0;
      for (float v : got) not_finite += !std::isfinite(v);
      CHECK(not_finite == 0);
      inputs_unchanged(zb);
    }
  });
}

TEST_CASE("backend ops: auc_logloss: exact AUC with ties, mean log loss, the metrics' errors", "[unit][backend_ops]") {
  struct Case {
    size_t n;
    int levels;        // 0: continuous scores; else scores on `levels` values in [0, 1] (ties, exact 0 and 1)
    double pos_share;
  };
  const std::vector<Case> cases = {{2, 0, 0.5},    {7, 0, 0.3},     {33, 4, 0.5},  {1000, 0, 0.1},
                                   {1000, 16, 0.5}, {4099, 0, 0.5}, {4099, 3, 0.02}};
  for_each_backend([&](Ops<float>& ops) {
    for (const Case& c : cases) {
      INFO("auc_logloss n=" << c.n << " levels=" << c.levels << " positive share=" << c.pos_share);
      Rng rng(150 + c.n + c.levels);
      std::vector<float> p(c.n), y(c.n);
      for (size_t i = 0; i < c.n; ++i) {
        p[i] = c.levels ? float(double(rng.uniform(c.levels)) / (c.levels - 1)) : float(rng.unit());
        if (p[i] == 0.0f && i % 2) p[i] = -0.0f;  // ties with +0
        y[i] = float(rng.unit() < c.pos_share);
      }
      y[0] = 1, y[1] = 0;  // both classes
      // Naive AUC: twice the Mann-Whitney U over every (positive, negative) pair, ties counting 1/2.
      uint64_t u2 = 0, npos = 0, nneg = 0;
      for (size_t i = 0; i < c.n; ++i) (y[i] == 1 ? npos : nneg) += 1;
      for (size_t i = 0; i < c.n; ++i)
        if (y[i] == 1)
          for (size_t j = 0; j < c.n; ++j)
            if (y[j] == 0) u2 += p[i] > p[j] ? 2 : p[i] == p[j] ? 1 : 0;
      const double want_auc = double(u2) / (2.0 * double(npos) * double(nneg));
      double ll = 0;
      for (size_t i = 0; i < c.n; ++i) {
        const double q = std::clamp(double(p[i]), 1e-7, 1 - 1e-7);
        ll -= y[i] == 1 ? std::log(q) : std::log(1 - q);
      }
      const double want_ll = ll / double(c.n);
      DevF pb(ops, p, "probs"), yb(ops, y, "labels");
      double auc = -1, logloss = -1;
      ops.auc_logloss(pb.get(), yb.get(), c.n, &auc, &logloss);
      INFO("auc: got " << auc << ", want " << want_auc << "; logloss: got " << logloss << ", want " << want_ll);
      CHECK(auc == want_auc);  // the same integer ratio
      CHECK(relative_close(logloss, want_ll, 1e-12));
      inputs_unchanged(pb, yb);
    }
    struct Bad {
      const char* name;
      std::vector<float> p, y;
      const char* message;
    };
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<Bad> bad = {
        {"no examples", {}, {}, "AUC is undefined"},
        {"one class", {0.1f, 0.7f, 0.3f}, {1, 1, 1}, "only one class"},
        {"a label of 0.5", {0.1f, 0.7f, 0.3f}, {1, 0.5f, 0}, "labels must be 0 or 1"},
        {"a NaN score", {0.1f, nan, 0.3f}, {1, 0, 0}, "is NaN"},
    };
    for (const Bad& b : bad) {
      INFO("auc_logloss with " << b.name);
      DevF pb(ops, b.p, "probs"), yb(ops, b.y, "labels");
      double auc = 0, logloss = 0;
      CHECK_THROWS_WITH(ops.auc_logloss(pb.get(), yb.get(), b.p.size(), &auc, &logloss), Contains(b.message));
    }
  });
}

// ------------------------------------------------------------------------------------ optimizer and data

TEST_CASE("backend ops: adam_update: L2, a gradient scale, fresh and used moments", "[unit][backend_ops]") {
  struct Variant {
    double l2, grad_scale;
    uint64_t step;
    bool fresh;  // zero moments
  };
  const std::vector<Variant> variants = {{0, 1, 1, true}, {1e-3, 0.5, 3, false}, {0.05, 1, 10, false}};
  for_each_backend([&](Ops<float>& ops) {
    for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(33), size_t(1000), size_t(19000)})
      for (const Variant& va : variants) {
        INFO("adam_update n=" << n << " l2=" << va.l2 << " grad_scale=" << va.grad_scale << " step=" << va.step
                              << (va.fresh ? " fresh moments" : ""));
        const auto g = rand_f(n, 160 + n), w0 = rand_f(n, 161);
        std::vector<float> m0(n, 0.0f), v0(n, 0.0f);
        if (!va.fresh) adam_moments(n, 162, m0, v0);
        AdamStep s;
        s.lr = 1e-2;
        s.step = va.step;
        DevF gb(ops, g, "g"), w(ops, w0, "w"), m(ops, m0, "m"), v(ops, v0, "v");
        ops.adam_update(w.get(), gb.get(), m.get(), v.get(), n, va.l2, va.grad_scale, s);
        const double lr_t = adam_lr_t(s.lr, s.step);
        AdamRef want(n);
        for (size_t i = 0; i < n; ++i) {
          const double gi = (g[i] + 2 * va.l2 * w0[i]) * va.grad_scale;
          const double g_mag = (std::fabs(g[i]) + std::fabs(2 * va.l2 * w0[i])) * va.grad_scale;
          want.step(i, gi, g_mag, w0[i], m0[i], v0[i], lr_t);
        }
        expect_adam("adam", want, w.fetch(), m.fetch(), v.fetch());
        inputs_unchanged(gb);
      }
  });
}

TEST_CASE("backend ops: load_batch: ids to global rows, rows past the batch kept, unknown ids rejected",
          "[unit][backend_ops]") {
  const size_t fields = kVocab.size();
  const std::vector<uint64_t> offsets = {0, 3, 53, 54, 61, 261};  // [F+1], the last is the table size
  for_each_backend([&](Ops<float>& ops) {
    for (size_t batch : kRows)
      for (size_t nd : {size_t(0), size_t(3), size_t(13)}) {
        INFO("load_batch rows=" << batch << " num_dense=" << nd);
        HostBatch host(std::max<size_t>(batch, 1), nd, fields, default_host_allocator());
        host.rows = batch;
        Rng rng(170 + batch + nd);
        for (size_t b = 0; b < batch; ++b) {
          host.labels[b] = float(b % 2);
          for (size_t j = 0; j < nd; ++j) host.dense[b * nd + j] = float(rng.unit());
          for (size_t f = 0; f < fields; ++f) host.cat[b * fields + f] = uint32_t(rng.uniform(kVocab[f]));
        }
        const size_t cap = batch + 2;
        DeviceBatch<float> dev(ops.memory(), cap, nd, fields);
        // Sentinels everywhere: the rows past the batch must keep them.
        const std::vector<float> fs(cap * std::max<size_t>(nd, 1), guard_value<float>());
        const std::vector<uint32_t> us(cap * fields, guard_value<uint32_t>());
        dev.labels.upload(fs.data(), cap);
        if (nd) dev.dense.upload(fs.data(), cap * nd);
        dev.rows_idx.upload(us.data(), cap * fields);
        auto check_loaded = [&](const char* what) {
          INFO(what);
          CHECK(dev.rows == batch);
          std::vector<float> labels(cap), dense(cap * nd);
          std::vector<uint32_t> rows(cap * fields);
          dev.labels.download(labels.data(), cap);
          if (nd) dev.dense.download(dense.data(), cap * nd);
          dev.rows_idx.download(rows.data(), cap * fields);
          std::vector<float> want_labels(labels.size(), guard_value<float>()), want_dense(dense.size(), guard_value<float>());
          std::vector<uint32_t> want_rows(rows.size(), guard_value<uint32_t>());
          std::copy(host.labels, host.labels + batch, want_labels.begin());
          std::copy(host.dense, host.dense + batch * nd, want_dense.begin());
          for (size_t i = 0; i < batch * fields; ++i) want_rows[i] = uint32_t(offsets[i % fields] + host.cat[i]);
          auto bits_equal = [](const std::vector<float>& a, const std::vector<float>& b) {
            return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
          };
          CHECK(bits_equal(labels, want_labels));
          CHECK(bits_equal(dense, want_dense));
          expect_equal("rows_idx", rows, want_rows);
        };
        ops.load_batch(host, offsets.data(), dev);
        check_loaded("loaded");
        if (batch == 0) continue;
        {  // an id outside its field's vocabulary is reported, never turned into another field's row
          const uint32_t saved = host.cat[1];
          host.cat[1] = uint32_t(offsets[2] - offsets[1]);  // field 1's vocabulary size: one past its last id
          CHECK_THROWS_WITH(ops.load_batch(host, offsets.data(), dev), Contains("outside its vocabulary"));
          host.cat[1] = saved;
          ops.load_batch(host, offsets.data(), dev);
          check_loaded("loaded after a rejected batch");
        }
        DeviceBatch<float> small(ops.memory(), batch - 1, nd, fields);  // a host batch larger than the device batch
        CHECK_THROWS_AS(ops.load_batch(host, offsets.data(), small), Error);
      }
  });
}

// ------------------------------------------------------------------------------------ CPU only

TEST_CASE("backend ops: embedding_reduce: cpu only, rows in first-occurrence order, entries past U untouched",
          "[unit][backend_ops]") {
  CpuOps<float> ops(2);
  const size_t fields = kVocab.size(), dim = 5, stride = fields * dim;
  for (size_t batch : {size_t(1), size_t(7), size_t(33), size_t(1000)}) {
    INFO("batch=" << batch);
    size_t table_rows = 0;
    const auto rows_idx = ctr::test::embedding_rows(batch, kVocab, 180 + batch, &table_rows, 0.3);
    const auto d_emb = rand_f(batch * stride, 181), d_lin = rand_f(batch, 182);
    DevU idx(ops, rows_idx, "rows_idx");
    DevF demb(ops, d_emb, "d_emb"), dlin(ops, d_lin, "d_linear");
    EmbeddingReduceParams p;
    p.batch = batch, p.fields = fields, p.dim = dim, p.table_rows = table_rows, p.grad_stride = stride;
    UniqueRows<float> u(ops.memory(), batch * fields, dim);
    fill_unique_rows(u);
    const size_t count = ops.embedding_reduce(p, idx.get(), demb.get(), dlin.get(), u);
    std::vector<uint32_t> first;
    for (uint32_t r : rows_idx)
      if (std::find(first.begin(), first.end(), r) == first.end()) first.push_back(r);
    expect_equal("rows in first-occurrence order", ctr::test::download_unique_rows(u, dim).rows, first);
    const size_t changed = spare_changed(u, count, dim);
    INFO("entries past the U = " << count << " unique rows written: " << changed);
    CHECK(changed == 0);
  }
}

TEST_CASE("backend ops: reductions: cpu only, bit-identical with 1 and 2 threads", "[unit][backend_ops]") {
  // Sizes well above the parallel threshold (2^14), odd so the blocks are uneven.
  const size_t rows = 4099, cols = 33, n = rows * cols;
  const auto x = rand_f(n, 60);
  std::vector<float> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = float(i % 5 == 0);
  const std::vector<uint32_t> vocab = {3, 50, 1, 7, 200, 1000};
  size_t table_rows = 0;
  const size_t batch = 3001, fields = vocab.size(), dim = 8;
  const auto rows_idx = ctr::test::embedding_rows(batch, vocab, 61, &table_rows);
  const auto d_emb = rand_f(batch * fields * dim, 62), d_lin = rand_f(batch, 63);
  const auto table = rand_f(table_rows * dim, 64);
  const size_t k = 16;
  const auto x0 = rand_f(batch * k, 65), xl = rand_f(batch * k, 66), w = rand_f(k, 67), dout = rand_f(batch * k, 68);

  struct Result {
    std::vector<float> bias_grad, dl, emb, lin, dw, db;
    double sum_sq = 0, bce = 0, table_sq_dense = 0, table_sq_sparse = 0;
    std::vector<uint32_t> urows, counts;
  };
  // The CPU backend's memory is host memory, so plain vectors serve as its buffers here.
  auto run = [&](int threads) {
    CpuOps<float> ops(threads);
    Result r;
    r.bias_grad.assign(cols, 0);
    ops.bias_grad(x.data(), r.bias_grad.data(), rows, cols, false);
    r.sum_sq = ops.sum_squares(x.data(), n);
    r.dl.resize(n);
    r.bce = bce_loss_sum(ops, x.data(), labels.data(), n, 1.0f / n, r.dl.data());
    UniqueRows<float> u(ops.memory(), batch * fields, dim);
    EmbeddingReduceParams p;
    p.batch = batch, p.fields = fields, p.dim = dim, p.table_rows = table_rows, p.grad_stride = fields * dim;
    const size_t count = ops.embedding_reduce(p, rows_idx.data(), d_emb.data(), d_lin.data(), u);
    r.urows.assign(u.rows.data(), u.rows.data() + count);
    r.counts.assign(u.counts.data(), u.counts.data() + count);
    r.emb.assign(u.grad_embed.data(), u.grad_embed.data() + count * dim);
    r.lin.assign(u.grad_linear.data(), u.grad_linear.data() + count);
    TableUpdateParams tp;
    tp.table_rows = table_rows, tp.dim = dim, tp.l2 = 1e-3, tp.update_all_rows = true;
    r.table_sq_dense = ops.table_grad_sum_squares(tp, table.data(), u.rows.data(), u.grad_embed.data(), count);
    tp.update_all_rows = false;
    r.table_sq_sparse = ops.table_grad_sum_squares(tp, table.data(), u.rows.data(), u.grad_embed.data(), count);
    std::vector<float> s(batch), out(batch * k), dx0(batch * k), dxl(batch * k);
    r.dw.assign(k, 0), r.db.assign(k, 0);
    ops.dcn_cross_forward(x0.data(), xl.data(), w.data(), w.data(), batch, k, s.data(), out.data());
    ops.dcn_cross_backward(x0.data(), xl.data(), w.data(), s.data(), dout.data(), batch, k, dx0.data(), dxl.data(),
                           r.dw.data(), r.db.data());
    return r;
  };
  const Result one = run(1), two = run(2);
  // Bitwise: == on floats and doubles, no tolerance.
  CHECK(one.bias_grad == two.bias_grad);
  CHECK(one.sum_sq == two.sum_sq);
  CHECK(one.bce == two.bce);
  CHECK(one.dl == two.dl);
  CHECK(one.urows == two.urows);
  CHECK(one.counts == two.counts);
  CHECK(one.emb == two.emb);
  CHECK(one.lin == two.lin);
  CHECK(one.table_sq_dense == two.table_sq_dense);
  CHECK(one.table_sq_sparse == two.table_sq_sparse);
  CHECK(one.dw == two.dw);
  CHECK(one.db == two.db);
  CHECK(one.urows.size() > 1000);  // the reduction really had many rows to spread over threads
}
