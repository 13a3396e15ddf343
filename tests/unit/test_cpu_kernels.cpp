// Every CpuOps<float> op against a naive double loop on random data of awkward sizes (1, 7, 33,
// 1000 rows), with sentinel values just past the end of every output buffer that must survive;
// and determinism: 1 and 2 threads give bit-identical reductions.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "backend/cpu_ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "reader/host_batch.h"
#include "support/embedding_rows.h"
#include "support/op_results.h"

using ctr::test::bce_loss_sum;
using ctr::test::table_update_clipped;

using namespace ctr;

namespace {

constexpr size_t kGuard = 16;

// An output array of n values followed by kGuard sentinels that no op may touch.
template <class T>
struct Guarded {
  static constexpr T kSentinel = T(-7.25e11);
  std::vector<T> buf;
  size_t n;
  explicit Guarded(size_t n, T fill = kSentinel) : buf(n + kGuard, kSentinel), n(n) {
    std::fill(buf.begin(), buf.begin() + n, fill);
  }
  Guarded(const std::vector<T>& init) : buf(init.size() + kGuard, kSentinel), n(init.size()) {
    std::copy(init.begin(), init.end(), buf.begin());
  }
  T* data() { return buf.data(); }
  const T* data() const { return buf.data(); }
  T& operator[](size_t i) { return buf[i]; }
  const T& operator[](size_t i) const { return buf[i]; }
  bool tail_intact() const {
    for (size_t i = n; i < n + kGuard; ++i)
      if (std::memcmp(&buf[i], &kSentinel, sizeof(T)) != 0) return false;
    return true;
  }
};

std::vector<float> rand_f(size_t n, uint64_t seed, double lo = -1, double hi = 1) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = float(lo + (hi - lo) * rng.unit());
  return v;
}

// |got - want| <= 1e-5 * (|want| + mag), mag = the magnitude of the terms that were summed.
bool close(double got, double want, double mag = 0) {
  return std::fabs(got - want) <= 1e-5 * (std::fabs(want) + mag) + 1e-30;
}

#define CHECK_ALL_CLOSE(got, want, mag, n)                                                          \
  do {                                                                                              \
    size_t bad_ = 0, first_ = 0;                                                                    \
    for (size_t i_ = 0; i_ < (n); ++i_)                                                             \
      if (!close(double((got)[i_]), double((want)[i_]), double((mag)[i_])) && bad_++ == 0) first_ = i_; \
    INFO("first mismatch at " << first_ << ": got " << double((got)[first_]) << " want "            \
                              << double((want)[first_]));                                          \
    CHECK(bad_ == 0);                                                                               \
  } while (0)

const std::vector<size_t> kRowSizes = {1, 7, 33, 1000};

}  // namespace

TEST_CASE("kernels: gemm matches a naive product for every transpose and stride", "[unit][kernels]") {
  const size_t m = GENERATE(from_range(kRowSizes));
  const int threads = GENERATE(1, 2);
  CpuOps<float> ops(threads);
  const size_t n = 5, k = 9;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      CAPTURE(m, threads, ta, tb);
      // Stored shapes: A is [m, k] or [k, m]; B is [k, n] or [n, k]; padded row strides.
      const size_t a_rows = ta ? k : m, a_cols = ta ? m : k, lda = a_cols + 3;
      const size_t b_rows = tb ? n : k, b_cols = tb ? k : n, ldb = b_cols + 2, ldc = n + 4;
      const auto a = rand_f(a_rows * lda, 1), b = rand_f(b_rows * ldb, 2), c0 = rand_f(m * ldc, 3);
      Guarded<float> c(c0);
      GemmParams<float> p;
      p.trans_a = ta, p.trans_b = tb, p.m = m, p.n = n, p.k = k, p.alpha = 0.75f;
      p.a = a.data(), p.lda = lda, p.b = b.data(), p.ldb = ldb, p.beta = -0.5f, p.c = c.data(), p.ldc = ldc;
      ops.gemm(p);
      std::vector<double> want(m * ldc), mag(m * ldc);
      for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j < ldc; ++j) {
          if (j >= n) {  // padding columns of C are left alone
            want[i * ldc + j] = c0[i * ldc + j];
            continue;
          }
          double s = 0, sm = 0;
          for (size_t q = 0; q < k; ++q) {
            const double av = ta ? a[q * lda + i] : a[i * lda + q];
            const double bv = tb ? b[j * ldb + q] : b[q * ldb + j];
            s += av * bv;
            sm += std::fabs(av * bv);
          }
          want[i * ldc + j] = 0.75 * s - 0.5 * c0[i * ldc + j];
          mag[i * ldc + j] = sm + std::fabs(c0[i * ldc + j]);
        }
      CHECK_ALL_CLOSE(c, want, mag, m * ldc);
      CHECK(c.tail_intact());
    }
  // k == 0: C = beta * C; m == 0 or n == 0: nothing written.
  Guarded<float> c(std::vector<float>(m * 3, 2.0f));
  GemmParams<float> p;
  p.m = m, p.n = 3, p.k = 0, p.beta = 0.5f, p.c = c.data(), p.ldc = 3, p.lda = 1, p.ldb = 3;
  ops.gemm(p);
  for (size_t i = 0; i < m * 3; ++i) REQUIRE(c[i] == 1.0f);
  CHECK(c.tail_intact());
  p.k = 4, p.n = 0;
  ops.gemm(p);
  for (size_t i = 0; i < m * 3; ++i) REQUIRE(c[i] == 1.0f);
}

TEST_CASE("kernels: Elementwise and row kernels match naive loops", "[unit][kernels]") {
  const size_t rows = GENERATE(from_range(kRowSizes));
  const size_t cols = GENERATE(size_t(1), size_t(33));
  const int threads = GENERATE(1, 2);
  CAPTURE(rows, cols, threads);
  CpuOps<float> ops(threads);
  const size_t n = rows * cols;
  auto x = rand_f(n, 10);
  x[0] = 0.0f;  // relu at exactly 0
  const auto bias = rand_f(cols, 11), dy = rand_f(n, 12), y0 = rand_f(n, 13);
  const std::vector<double> zeros(n + cols, 0.0);

  SECTION("add_bias") {
    Guarded<float> y(y0);
    ops.add_bias(y.data(), bias.data(), rows, cols);
    std::vector<double> want(n);
    for (size_t i = 0; i < n; ++i) want[i] = double(y0[i]) + bias[i % cols];
    CHECK_ALL_CLOSE(y, want, zeros, n);
    CHECK(y.tail_intact());
  }
  SECTION("bias_grad, set and accumulate") {
    for (bool acc : {false, true}) {
      CAPTURE(acc);
      Guarded<float> db(std::vector<float>(cols, 0.5f));
      ops.bias_grad(dy.data(), db.data(), rows, cols, acc);
      std::vector<double> want(cols, acc ? 0.5 : 0.0), mag(cols, 0.0);
      for (size_t i = 0; i < n; ++i) want[i % cols] += dy[i], mag[i % cols] += std::fabs(dy[i]);
      CHECK_ALL_CLOSE(db, want, mag, cols);
      CHECK(db.tail_intact());
    }
  }
  SECTION("relu forward and backward") {
    Guarded<float> y(n), dx(n);
    ops.relu_forward(x.data(), y.data(), n);
    ops.relu_backward(y.data(), dy.data(), dx.data(), n);
    for (size_t i = 0; i < n; ++i) {
      REQUIRE(y[i] == (x[i] > 0 ? x[i] : 0.0f));
      REQUIRE(dx[i] == (x[i] > 0 ? dy[i] : 0.0f));
    }
    CHECK(y.tail_intact());
    CHECK(dx.tail_intact());
  }
  SECTION("copy_2d with strides") {
    const size_t src_stride = cols + 2, dst_stride = cols + 5;
    const auto src = rand_f(rows * src_stride, 14), dst0 = rand_f(rows * dst_stride, 15);
    Guarded<float> dst(dst0);
    ops.copy_2d(src.data(), src_stride, dst.data(), dst_stride, rows, cols);
    for (size_t b = 0; b < rows; ++b)
      for (size_t j = 0; j < dst_stride; ++j)
        REQUIRE(dst[b * dst_stride + j] == (j < cols ? src[b * src_stride + j] : dst0[b * dst_stride + j]));
    CHECK(dst.tail_intact());
  }
  SECTION("axpy") {
    Guarded<float> y(y0);
    ops.axpy(-1.5f, x.data(), y.data(), n);
    std::vector<double> want(n), mag(n);
    for (size_t i = 0; i < n; ++i) want[i] = y0[i] - 1.5 * x[i], mag[i] = std::fabs(y0[i]) + 1.5 * std::fabs(x[i]);
    CHECK_ALL_CLOSE(y, want, mag, n);
    CHECK(y.tail_intact());
  }
  SECTION("sum_squares") {
    double want = 0;
    for (float v : x) want += double(v) * double(v);
    CHECK(ops.sum_squares(x.data(), n) == Approx(want).epsilon(1e-12));
    CHECK(ops.sum_squares(x.data(), 0) == 0.0);
  }
  SECTION("sigmoid") {
    auto z = rand_f(n, 16, -30, 30);
    z[0] = 100.0f;
    if (n > 1) z[1] = -100.0f;
    Guarded<float> p(n);
    ops.sigmoid(z.data(), p.data(), n);
    std::vector<double> want(n);
    for (size_t i = 0; i < n; ++i) want[i] = 1.0 / (1.0 + std::exp(-double(z[i])));
    CHECK_ALL_CLOSE(p, want, zeros, n);
    for (size_t i = 0; i < n; ++i) REQUIRE(std::isfinite(p[i]));
    CHECK(p.tail_intact());
  }
  SECTION("bce_with_logits") {
    auto z = rand_f(n, 17, -8, 8);
    std::vector<float> labels(n);
    for (size_t i = 0; i < n; ++i) labels[i] = float(i % 3 == 0);
    Guarded<float> dl(n);
    const double total = bce_loss_sum(ops, z.data(), labels.data(), n, 0.25f, dl.data());
    double want = 0;
    std::vector<double> want_dl(n);
    for (size_t i = 0; i < n; ++i) {
      const double zz = z[i], p = 1 / (1 + std::exp(-zz));
      want += -(labels[i] * std::log(p) + (1 - labels[i]) * std::log(1 - p));
      want_dl[i] = 0.25 * (p - labels[i]);
    }
    CHECK(total == Approx(want).epsilon(1e-9));
    CHECK_ALL_CLOSE(dl, want_dl, zeros, n);
    CHECK(dl.tail_intact());
  }
}

TEST_CASE("kernels: Adam and cross/FM kernels match naive loops", "[unit][kernels]") {
  const size_t batch = GENERATE(from_range(kRowSizes));
  const int threads = GENERATE(1, 2);
  CAPTURE(batch, threads);
  CpuOps<float> ops(threads);
  const size_t k = 19;  // x0 width: 4 fields x 4 dims + 3 dense
  const size_t n = batch * k;
  const auto x0 = rand_f(n, 20), xl = rand_f(n, 21), w = rand_f(k, 22), bias = rand_f(k, 23), dout = rand_f(n, 24);
  const std::vector<double> zeros(n + k, 0.0);

  SECTION("adam_update") {
    const auto g = rand_f(n, 25);
    const auto w0 = rand_f(n, 26), m0 = rand_f(n, 27, -0.1, 0.1), v0 = rand_f(n, 28, 0, 0.01);
    Guarded<float> ww(w0), m(m0), v(v0);
    AdamStep s;
    s.lr = 1e-2;
    s.step = 3;
    ops.adam_update(ww.data(), g.data(), m.data(), v.data(), n, 1e-3, 0.5, s);
    const double lr_t = 1e-2 * std::sqrt(1 - std::pow(0.999, 3)) / (1 - std::pow(0.9, 3));
    std::vector<double> want_w(n), want_m(n), mag(n), mag_w(n);
    for (size_t i = 0; i < n; ++i) {
      const double gr = (g[i] + 2e-3 * w0[i]) * 0.5;
      const double mm = 0.9 * m0[i] + 0.1 * gr, vv = 0.999 * v0[i] + 0.001 * gr * gr;
      want_m[i] = mm;
      want_w[i] = w0[i] - lr_t * mm / (std::sqrt(vv) + 1e-7);
      mag[i] = std::fabs(m0[i]) + std::fabs(gr);
      mag_w[i] = std::fabs(w0[i]) + 1e-2;  // |w| + lr
    }
    CHECK_ALL_CLOSE(m, want_m, mag, n);
    CHECK_ALL_CLOSE(ww, want_w, mag_w, n);
    CHECK(ww.tail_intact());
    CHECK(m.tail_intact());
    CHECK(v.tail_intact());
  }
  SECTION("dcn_cross_forward and dcn_cross_backward") {
    Guarded<float> s(batch), out(n);
    ops.dcn_cross_forward(x0.data(), xl.data(), w.data(), bias.data(), batch, k, s.data(), out.data());
    std::vector<double> want_s(batch), want_out(n), mag_out(n), mag_s(batch);
    for (size_t b = 0; b < batch; ++b) {
      double dot = 0, dm = 0;
      for (size_t j = 0; j < k; ++j) dot += double(xl[b * k + j]) * w[j], dm += std::fabs(xl[b * k + j] * w[j]);
      want_s[b] = dot, mag_s[b] = dm;
      for (size_t j = 0; j < k; ++j) {
        want_out[b * k + j] = x0[b * k + j] * dot + bias[j] + xl[b * k + j];
        mag_out[b * k + j] = std::fabs(x0[b * k + j]) * dm + std::fabs(bias[j]) + std::fabs(xl[b * k + j]);
      }
    }
    CHECK_ALL_CLOSE(s, want_s, mag_s, batch);
    CHECK_ALL_CLOSE(out, want_out, mag_out, n);
    CHECK(s.tail_intact());
    CHECK(out.tail_intact());

    const auto dx0_init = rand_f(n, 29), dw_init = rand_f(k, 30), db_init = rand_f(k, 31);
    Guarded<float> dx0(dx0_init), dxl(n), dw(dw_init), db(db_init);
    ops.dcn_cross_backward(x0.data(), xl.data(), w.data(), s.data(), dout.data(), batch, k, dx0.data(), dxl.data(),
                       dw.data(), db.data());
    // dw and dbias are written (their initial values must be gone), dx0 added to.
    std::vector<double> w_dx0(n), w_dxl(n), m_dx(n), w_dw(k, 0.0), w_db(k, 0.0), m_dw(k, 0.0), m_db(k, 0.0);
    for (size_t b = 0; b < batch; ++b) {
      double ds = 0, dsm = 0;
      for (size_t j = 0; j < k; ++j) ds += double(dout[b * k + j]) * x0[b * k + j], dsm += std::fabs(dout[b * k + j] * x0[b * k + j]);
      for (size_t j = 0; j < k; ++j) {
        const size_t i = b * k + j;
        w_dx0[i] = dx0_init[i] + double(dout[i]) * s[b];
        w_dxl[i] = dout[i] + ds * w[j];
        m_dx[i] = std::fabs(dx0_init[i]) + std::fabs(dout[i] * s[b]) + std::fabs(dout[i]) + dsm * std::fabs(w[j]);
        w_dw[j] += ds * xl[i], m_dw[j] += dsm * std::fabs(xl[i]);
        w_db[j] += dout[i], m_db[j] += std::fabs(dout[i]);
      }
    }
    CHECK_ALL_CLOSE(dx0, w_dx0, m_dx, n);
    CHECK_ALL_CLOSE(dxl, w_dxl, m_dx, n);
    CHECK_ALL_CLOSE(dw, w_dw, m_dw, k);
    CHECK_ALL_CLOSE(db, w_db, m_db, k);
    CHECK(dx0.tail_intact());
    CHECK(dxl.tail_intact());
    CHECK(dw.tail_intact());
    CHECK(db.tail_intact());
  }
  SECTION("dcnv2_combine and its backward") {
    const auto u = rand_f(n, 32);
    Guarded<float> out(n);
    ops.dcnv2_combine(x0.data(), u.data(), xl.data(), out.data(), n);
    const auto dx0_init = rand_f(n, 33);
    Guarded<float> dx0(dx0_init), du(n);
    ops.dcnv2_combine_backward(x0.data(), u.data(), dout.data(), dx0.data(), du.data(), n);
    std::vector<double> w_out(n), w_dx0(n), w_du(n), mag(n);
    for (size_t i = 0; i < n; ++i) {
      w_out[i] = double(x0[i]) * u[i] + xl[i];
      w_dx0[i] = dx0_init[i] + double(dout[i]) * u[i];
      w_du[i] = double(dout[i]) * x0[i];
      mag[i] = std::fabs(x0[i] * u[i]) + std::fabs(xl[i]) + std::fabs(dx0_init[i]) + std::fabs(dout[i] * u[i]);
    }
    CHECK_ALL_CLOSE(out, w_out, mag, n);
    CHECK_ALL_CLOSE(dx0, w_dx0, mag, n);
    CHECK_ALL_CLOSE(du, w_du, mag, n);
    CHECK(out.tail_intact());
    CHECK(dx0.tail_intact());
    CHECK(du.tail_intact());
  }
  SECTION("fm_forward and fm_backward") {
    const size_t fields = 4, dim = 4;  // embeddings in the first 16 of k = 19 columns
    Guarded<float> out(batch);
    ops.fm_forward(x0.data(), k, batch, fields, dim, out.data());
    const auto dfm = rand_f(batch, 34), dx_init = rand_f(n, 35);
    Guarded<float> dx(dx_init);
    ops.fm_backward(x0.data(), k, dfm.data(), batch, fields, dim, dx.data());
    std::vector<double> w_out(batch, 0.0), m_out(batch, 0.0), w_dx(dx_init.begin(), dx_init.end()), m_dx(n, 0.0);
    for (size_t b = 0; b < batch; ++b)
      for (size_t f = 0; f < fields; ++f)
        for (size_t f2 = 0; f2 < fields; ++f2)
          for (size_t d = 0; d < dim; ++d) {
            const double a = x0[b * k + f * dim + d], c = x0[b * k + f2 * dim + d];
            if (f < f2) w_out[b] += a * c, m_out[b] += 2 * std::fabs(a * c);
            if (f != f2) w_dx[b * k + f * dim + d] += dfm[b] * c, m_dx[b * k + f * dim + d] += std::fabs(dfm[b] * c);
          }
    for (size_t i = 0; i < n; ++i) m_dx[i] += std::fabs(dx_init[i]);
    CHECK_ALL_CLOSE(out, w_out, m_out, batch);
    CHECK_ALL_CLOSE(dx, w_dx, m_dx, n);  // the dense columns 16..18 keep dx_init
    CHECK(out.tail_intact());
    CHECK(dx.tail_intact());
  }
}

namespace {

// rows_idx [B, F] with repeats; the rows of field f lie in [offsets[f], offsets[f] + vocab[f]).
}  // namespace

TEST_CASE("kernels: Embedding kernels match naive loops", "[unit][kernels]") {
  const size_t batch = GENERATE(from_range(kRowSizes));
  const int threads = GENERATE(1, 2);
  CAPTURE(batch, threads);
  CpuOps<float> ops(threads);
  const std::vector<uint32_t> vocab = {3, 50, 1, 7, 200};
  const size_t fields = vocab.size(), dim = 5, nd = 3;
  size_t table_rows = 0;
  const auto rows_idx = ctr::test::embedding_rows(batch, vocab, 40, &table_rows);
  const auto table = rand_f(table_rows * dim, 41), lin = rand_f(table_rows, 42);

  SECTION("embedding_gather with an out stride") {
    const size_t stride = fields * dim + nd;
    const auto out0 = rand_f(batch * stride, 43);
    Guarded<float> out(out0);
    ops.embedding_gather(table.data(), rows_idx.data(), batch, fields, dim, out.data(), stride);
    for (size_t b = 0; b < batch; ++b)
      for (size_t j = 0; j < stride; ++j) {
        const float want = j < fields * dim ? table[rows_idx[b * fields + j / dim] * dim + j % dim]
                                            : out0[b * stride + j];
        REQUIRE(out[b * stride + j] == want);
      }
    CHECK(out.tail_intact());
  }
  SECTION("linear_forward") {
    const auto dense = rand_f(batch * nd, 44), wd = rand_f(nd, 45);
    Guarded<float> out(batch);
    ops.linear_forward(lin.data(), rows_idx.data(), dense.data(), wd.data(), batch, fields, nd, out.data());
    std::vector<double> want(batch, 0.0), mag(batch, 0.0);
    for (size_t b = 0; b < batch; ++b) {
      for (size_t f = 0; f < fields; ++f) want[b] += lin[rows_idx[b * fields + f]], mag[b] += std::fabs(lin[rows_idx[b * fields + f]]);
      for (size_t j = 0; j < nd; ++j) want[b] += double(dense[b * nd + j]) * wd[j], mag[b] += std::fabs(dense[b * nd + j] * wd[j]);
    }
    CHECK_ALL_CLOSE(out, want, mag, batch);
    CHECK(out.tail_intact());
  }
  SECTION("embedding_reduce: first-occurrence order, counts, summed gradients") {
    const size_t stride = fields * dim + nd, occ = batch * fields;
    const auto d_emb = rand_f(batch * stride, 46), d_lin = rand_f(batch, 47);
    UniqueRows<float> u(ops.memory(), occ + kGuard, dim);  // the entries past U must stay untouched
    const float sentinel = Guarded<float>::kSentinel;
    std::fill(u.grad_embed.data(), u.grad_embed.data() + u.grad_embed.size(), sentinel);
    std::fill(u.grad_linear.data(), u.grad_linear.data() + u.grad_linear.size(), sentinel);
    std::fill(u.rows.data(), u.rows.data() + u.rows.size(), 0xDEADBEEFu);
    std::fill(u.counts.data(), u.counts.data() + u.counts.size(), 0xDEADBEEFu);
    EmbeddingReduceParams p;
    p.batch = batch, p.fields = fields, p.dim = dim, p.table_rows = table_rows, p.grad_stride = stride;
    const size_t count = ops.embedding_reduce(p, rows_idx.data(), d_emb.data(), d_lin.data(), u);
    // Naive: a map from row to its first-occurrence slot.
    std::map<uint32_t, size_t> slot;
    std::vector<uint32_t> order, counts;
    std::vector<double> g, gl, gm, glm;
    for (size_t i = 0; i < occ; ++i) {
      const uint32_t r = rows_idx[i];
      auto it = slot.find(r);
      if (it == slot.end()) {
        it = slot.emplace(r, order.size()).first;
        order.push_back(r), counts.push_back(0);
        g.resize(g.size() + dim, 0.0), gm.resize(gm.size() + dim, 0.0), gl.push_back(0), glm.push_back(0);
      }
      const size_t s = it->second, b = i / fields, f = i % fields;
      ++counts[s];
      for (size_t d = 0; d < dim; ++d) g[s * dim + d] += d_emb[b * stride + f * dim + d], gm[s * dim + d] += std::fabs(d_emb[b * stride + f * dim + d]);
      gl[s] += d_lin[b], glm[s] += std::fabs(d_lin[b]);
    }
    REQUIRE(count == order.size());
    REQUIRE(u.count == order.size());
    for (size_t s = 0; s < count; ++s) {
      REQUIRE(u.rows.data()[s] == order[s]);
      REQUIRE(u.counts.data()[s] == counts[s]);
    }
    CHECK_ALL_CLOSE(u.grad_embed.data(), g, gm, count * dim);
    CHECK_ALL_CLOSE(u.grad_linear.data(), gl, glm, count);
    for (size_t i = count; i < u.rows.size(); ++i) {
      REQUIRE(u.rows.data()[i] == 0xDEADBEEFu);
      REQUIRE(u.counts.data()[i] == 0xDEADBEEFu);
      REQUIRE(u.grad_linear.data()[i] == sentinel);
    }
    for (size_t i = count * dim; i < u.grad_embed.size(); ++i) REQUIRE(u.grad_embed.data()[i] == sentinel);

    // A second call with a different batch reuses the scratch: no row of the first batch leaks in.
    const auto rows2 = ctr::test::embedding_rows(batch, vocab, 48, &table_rows);
    ops.embedding_reduce(p, rows2.data(), d_emb.data(), d_lin.data(), u);
    std::map<uint32_t, uint32_t> cnt2;
    for (uint32_t r : rows2) ++cnt2[r];
    REQUIRE(u.count == cnt2.size());
    for (size_t s = 0; s < u.count; ++s) REQUIRE(u.counts.data()[s] == cnt2[u.rows.data()[s]]);

    // A row outside the table is an internal error, and it leaves the scratch clean: the next call
    // gives the same result as a fresh backend would.
    auto bad = rows_idx;
    bad.back() = uint32_t(table_rows);
    CHECK_THROWS_AS([&] { ops.embedding_reduce(p, bad.data(), d_emb.data(), d_lin.data(), u); }(), Error);
    REQUIRE(ops.embedding_reduce(p, rows_idx.data(), d_emb.data(), d_lin.data(), u) == order.size());
    for (size_t s = 0; s < count; ++s) {
      REQUIRE(u.rows.data()[s] == order[s]);
      REQUIRE(u.counts.data()[s] == counts[s]);
    }
  }
  SECTION("table_update and table_grad_sum_squares, dense and sparse") {
    const size_t occ = batch * fields;
    UniqueRows<float> u(ops.memory(), occ, dim);
    EmbeddingReduceParams rp;
    rp.batch = batch, rp.fields = fields, rp.dim = dim, rp.table_rows = table_rows, rp.grad_stride = fields * dim;
    const auto d_emb = rand_f(batch * fields * dim, 49, -3, 3), d_lin = rand_f(batch, 50);
    const size_t count = ops.embedding_reduce(rp, rows_idx.data(), d_emb.data(), d_lin.data(), u);
    for (bool dense : {true, false}) {
      CAPTURE(dense);
      TableUpdateParams p;
      p.table_rows = table_rows, p.dim = dim, p.update_all_rows = dense, p.l2 = 0.05, p.grad_scale = 0.5;
      p.clip.enabled = true, p.clip.r = 1, p.clip.zeta = 1e-3;
      p.adam.lr = 1e-2, p.adam.step = 2;
      const auto m0 = rand_f(table_rows * dim, 51, -0.01, 0.01), v0 = rand_f(table_rows * dim, 52, 0, 1e-3);
      Guarded<float> w(table), m(m0), v(v0);
      // The squared norm before clipping: sum over the updated rows of |grad + 2 lambda w|^2.
      double want_sq = 0;
      std::vector<int> slot(table_rows, -1);
      for (size_t s = 0; s < count; ++s) slot[u.rows.data()[s]] = int(s);
      for (size_t r = 0; r < table_rows; ++r) {
        if (slot[r] < 0 && !dense) continue;
        for (size_t d = 0; d < dim; ++d) {
          const double gr = (slot[r] >= 0 ? double(u.grad_embed.data()[slot[r] * dim + d]) : 0.0) +
                            2 * 0.05 * double(table[r * dim + d]);
          want_sq += gr * gr;
        }
      }
      CHECK(ops.table_grad_sum_squares(p, w.data(), u.rows.data(), u.grad_embed.data(), count) ==
            Approx(want_sq).epsilon(1e-6));
      const size_t clipped =
          table_update_clipped(ops, p, w.data(), m.data(), v.data(), u.rows.data(), u.counts.data(), u.grad_embed.data(), count);
      // Naive: code-mode CowClip then scale, then Adam.
      const double lr_t = 1e-2 * std::sqrt(1 - 0.999 * 0.999) / (1 - 0.81);
      size_t want_clipped = 0;
      std::vector<double> want_w(table_rows * dim), mag(table_rows * dim);
      for (size_t i = 0; i < mag.size(); ++i) mag[i] = std::fabs(table[i]) + 1e-2;  // |w| + lr
      for (size_t r = 0; r < table_rows; ++r) {
        const bool present = slot[r] >= 0;
        std::vector<double> gr(dim);
        double ng = 0, nw = 0;
        for (size_t d = 0; d < dim; ++d) {
          gr[d] = (present ? double(u.grad_embed.data()[slot[r] * dim + d]) : 0.0) + 0.1 * table[r * dim + d];
          ng += gr[d] * gr[d], nw += double(table[r * dim + d]) * table[r * dim + d];
        }
        ng = std::sqrt(ng), nw = std::sqrt(nw);
        const double bound = (present ? u.counts.data()[slot[r]] : 1) * std::max(nw, std::sqrt(double(dim)) * 1e-3);
        const double f = ng > bound ? bound / ng : 1.0;
        if (present && ng > bound) ++want_clipped;
        for (size_t d = 0; d < dim; ++d) {
          const size_t i = r * dim + d;
          if (!present && !dense) {
            want_w[i] = table[i];
            continue;
          }
          const double g2 = gr[d] * f * 0.5;
          const double mm = 0.9 * m0[i] + 0.1 * g2, vv = 0.999 * v0[i] + 0.001 * g2 * g2;
          want_w[i] = table[i] - lr_t * mm / (std::sqrt(vv) + 1e-7);
        }
      }
      CHECK(clipped == want_clipped);
      CHECK_ALL_CLOSE(w, want_w, mag, table_rows * dim);
      if (!dense)
        for (size_t r = 0; r < table_rows; ++r)
          if (slot[r] < 0)
            for (size_t d = 0; d < dim; ++d) {
              REQUIRE(w[r * dim + d] == table[r * dim + d]);
              REQUIRE(m[r * dim + d] == m0[r * dim + d]);
              REQUIRE(v[r * dim + d] == v0[r * dim + d]);
            }
      CHECK(w.tail_intact());
      CHECK(m.tail_intact());
      CHECK(v.tail_intact());
    }
  }
  SECTION("load_batch converts ids to global rows") {
    HostBatch host(batch + 2, nd, fields, default_host_allocator());
    host.rows = batch;
    const std::vector<uint64_t> offsets = {0, 3, 53, 54, 61, 261};  // [F+1], the last is the table size
    Rng rng(53);
    for (size_t b = 0; b < batch; ++b) {
      host.labels[b] = float(b % 2);
      for (size_t j = 0; j < nd; ++j) host.dense[b * nd + j] = float(rng.unit());
      for (size_t f = 0; f < fields; ++f) host.cat[b * fields + f] = uint32_t(rng.uniform(vocab[f]));
    }
    DeviceBatch<float> dev(ops.memory(), batch + 2, nd, fields);
    ops.load_batch(host, offsets.data(), dev);
    REQUIRE(dev.rows == batch);
    for (size_t b = 0; b < batch; ++b) {
      REQUIRE(dev.labels.data()[b] == host.labels[b]);
      for (size_t j = 0; j < nd; ++j) REQUIRE(dev.dense.data()[b * nd + j] == host.dense[b * nd + j]);
      for (size_t f = 0; f < fields; ++f)
        REQUIRE(dev.rows_idx.data()[b * fields + f] == offsets[f] + host.cat[b * fields + f]);
    }
    // The padding rows of the device batch stay zero.
    for (size_t i = batch * fields; i < (batch + 2) * fields; ++i) REQUIRE(dev.rows_idx.data()[i] == 0u);
    {  // an id outside its field's vocabulary is reported, never turned into another field's row
      const uint32_t saved = host.cat[1];
      host.cat[1] = uint32_t(offsets[2] - offsets[1]);  // field 1's vocabulary size: one past its last id
      CHECK_THROWS_WITH([&] { ops.load_batch(host, offsets.data(), dev); }(), Catch::Contains("outside its vocabulary"));
      host.cat[1] = saved;
    }
    if (batch > 1) {  // a host batch larger than the device batch is an internal error
      DeviceBatch<float> small(ops.memory(), batch - 1, nd, fields);
      CHECK_THROWS_AS([&] { ops.load_batch(host, offsets.data(), small); }(), Error);
    }
  }
}

TEST_CASE("kernels: Reductions are bit-identical with 1 and 2 threads", "[unit][kernels]") {
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
