// Finite-difference checks (CpuOps<double>, 1 and 2 threads) of every layer's backward on its own:
// FullyConnected, Mlp, CrossNet (vector and matrix), FM, DLRM's dot interaction, the linear part,
// embedding gather + reduce, and bce_with_logits. Each layer gets a scalar loss
// L = sum_i r_i * out_i with fixed random r. The large batches cross the CPU kernels' parallel
// threshold (2^14 values), so the 2-thread runs exercise the OpenMP paths.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "backend/cpu_ops.h"
#include "core/rng.h"
#include "model/cross_net.h"
#include "model/fully_connected.h"
#include "model/mlp.h"
#include "reader/host_batch.h"
#include "support/fd_check.h"
#include "support/op_results.h"

using ctr::test::bce_loss_sum;

using namespace ctr;
using ctr::test::FdChecker;
using ctr::test::FdOptions;

namespace {

// Uniform values in [-scale, scale).
std::vector<double> random_vec(size_t n, uint64_t seed, double scale = 1.0) {
  Rng rng(seed);
  std::vector<double> v(n);
  for (auto& x : v) x = scale * (2 * rng.unit() - 1);
  return v;
}
void fill_random(double* p, size_t n, uint64_t seed, double scale = 1.0) {
  auto v = random_vec(n, seed, scale);
  std::memcpy(p, v.data(), n * sizeof(double));
}
// The loss sum in long double: with thousands of terms a double sum's round-off, divided by the
// finite-difference step, would swamp the 1e-6 tolerance.
double dot(const double* a, const double* b, size_t n) {
  long double s = 0;
  for (size_t i = 0; i < n; ++i) s += static_cast<long double>(a[i]) * b[i];
  return static_cast<double>(s);
}
std::vector<double> copy_of(const double* p, size_t n) { return std::vector<double>(p, p + n); }

// Checks every entry of a small array, or about `samples` entries spread over a large one.
void check_sampled(FdChecker& fd, const std::string& name, double* w, const std::vector<double>& analytic,
                   size_t samples = 150) {
  const size_t n = analytic.size();
  const size_t stride = n <= samples ? 1 : n / samples + 1;  // not a divisor of typical widths
  for (size_t i = 0; i < n; i += stride) fd.check_one(name, w, i, analytic[i]);
  if (stride > 1) fd.check_one(name, w, n - 1, analytic[n - 1]);  // the last entry too
}

// Gradients of all parameters of a list, copied out right after backward.
std::vector<std::vector<double>> grads_of(const ParamList<double>& params) {
  std::vector<std::vector<double>> out;
  for (size_t i = 0; i < params.size(); ++i) out.push_back(copy_of(params[i].g.data(), params[i].size()));
  return out;
}

void require_fd_ok(const FdChecker& fd, double min_signal = 1e-3) {
  INFO(fd.report());
  REQUIRE(fd.checked() > 0);
  CHECK(fd.ok());
  // The gradients must carry signal, or an all-zero backward would pass.
  CHECK(fd.max_abs_numeric() > min_signal);
}

// Entries of `after` that differ from `before` in columns [from, to) of rows of width `stride`.
size_t changed_columns(const std::vector<double>& after, const std::vector<double>& before, size_t rows,
                       size_t stride, size_t from, size_t to) {
  size_t n = 0;
  for (size_t b = 0; b < rows; ++b)
    for (size_t j = from; j < to; ++j) n += after[b * stride + j] != before[b * stride + j];
  return n;
}

// Finite differences per array: all entries of small cases; a sample of the large ones, whose
// point is to run the kernels' parallel paths (each evaluation wakes the thread team).
size_t samples_for(size_t batch) { return batch > 100 ? 24 : 100000; }

constexpr size_t kLargeBatch = 2100;  // x 8 columns > 2^14: the kernels' parallel threshold

}  // namespace

TEST_CASE("gradients: FdChecker passes a right gradient and names the worst wrong entry", "[unit][gradients]") {
  std::vector<double> w = {0.5, -1.25, 2.0, 0.1};
  auto loss = [&] {
    double s = 0;
    for (double x : w) s += x * x * x;  // dL/dw_i = 3 w_i^2
    return s;
  };
  std::vector<double> good(w.size());
  for (size_t i = 0; i < w.size(); ++i) good[i] = 3 * w[i] * w[i];
  FdChecker ok(loss);
  ok.check("w", w.data(), good.data(), w.size());
  INFO(ok.report());
  CHECK(ok.ok());
  CHECK(ok.checked() == 4);
  CHECK(w == std::vector<double>{0.5, -1.25, 2.0, 0.1});  // restored

  std::vector<double> bad = good;
  bad[2] *= 1.00001;  // a 1e-5 relative error must fail at 1e-6 tolerance
  FdChecker fail(loss);
  fail.check("weights", w.data(), bad.data(), w.size());
  CHECK_FALSE(fail.ok());
  CHECK(fail.failures() == 1);
  CHECK_THAT(fail.report(), Catch::Contains("weights[2]"));

  std::vector<double> nan = good;
  nan[1] = std::nan("");
  FdChecker fail_nan(loss);
  fail_nan.check("w", w.data(), nan.data(), w.size());
  CHECK_FALSE(fail_nan.ok());
  CHECK_THAT(fail_nan.report(), Catch::Contains("w[1]"));
}

TEST_CASE("gradients: FullyConnected backward matches finite differences", "[unit][gradients]") {
  const int threads = GENERATE(1, 2);
  const size_t batch = GENERATE(size_t(5), kLargeBatch);
  const bool bias = GENERATE(true, false);
  const bool accumulate = GENERATE(true, false);
  CAPTURE(threads, batch, bias, accumulate);
  CpuOps<double> ops(threads);
  const size_t samples = samples_for(batch);
  const size_t in = 9, out = 8, x_stride = in + 3, dx_stride = in + 2;
  ParamList<double> params;
  FullyConnected<double> layer(params, ops.memory(), "dense", in, out, bias);
  REQUIRE(params.size() == (bias ? 2u : 1u));
  CHECK(params[0].name == "dense.kernel");
  for (size_t i = 0; i < params.size(); ++i) fill_random(params[i].w.data(), params[i].size(), 100 + i, 0.5);

  auto x = random_vec(batch * x_stride, 1);
  const auto r = random_vec(batch * out, 2);
  std::vector<double> y(batch * out);
  auto loss = [&] {
    layer.forward(ops, x.data(), x_stride, batch, y.data());
    return dot(r.data(), y.data(), y.size());
  };
  loss();
  const auto dx0 = random_vec(batch * dx_stride, 3);  // what dx held before backward
  auto dx = dx0;
  layer.backward(ops, x.data(), x_stride, r.data(), batch, dx.data(), dx_stride, accumulate);
  const auto g = grads_of(params);

  FdChecker fd(loss);
  for (size_t i = 0; i < params.size(); ++i) check_sampled(fd, params[i].name, params[i].w.data(), g[i], samples);
  // dx: sampled over the used columns; the padding columns of dx must be untouched.
  std::vector<double> dx_analytic(batch * x_stride, 0.0);
  for (size_t b = 0; b < batch; ++b)
    for (size_t j = 0; j < in; ++j)
      dx_analytic[b * x_stride + j] = dx[b * dx_stride + j] - (accumulate ? dx0[b * dx_stride + j] : 0.0);
  check_sampled(fd, "x", x.data(), dx_analytic, samples);  // padding entries of x must have zero gradient too
  require_fd_ok(fd);
  CHECK(changed_columns(dx, dx0, batch, dx_stride, in, dx_stride) == 0);

  // dx == nullptr: the same parameter gradients, nothing else written.
  for (size_t i = 0; i < params.size(); ++i) params[i].g.zero();
  layer.backward(ops, x.data(), x_stride, r.data(), batch, nullptr, 0, false);
  for (size_t i = 0; i < params.size(); ++i) CHECK(copy_of(params[i].g.data(), params[i].size()) == g[i]);
}

TEST_CASE("gradients: Mlp backward matches finite differences", "[unit][gradients]") {
  const int threads = GENERATE(1, 2);
  const size_t batch = GENERATE(size_t(7), size_t(1100));
  CAPTURE(threads, batch);
  CpuOps<double> ops(threads);
  const size_t samples = samples_for(batch);
  const size_t in = 9, x_stride = 12, dx_stride = 11;
  ParamList<double> params;
  Mlp<double> mlp(params, ops.memory(), "mlp", in, {16, 6, 5}, batch);
  REQUIRE(mlp.out_dim() == 5);
  REQUIRE(params.size() == 6);
  for (size_t i = 0; i < params.size(); ++i) fill_random(params[i].w.data(), params[i].size(), 200 + i, 0.6);

  auto x = random_vec(batch * x_stride, 11);
  const auto r = random_vec(batch * mlp.out_dim(), 12);
  auto loss = [&] {
    mlp.forward(ops, x.data(), x_stride, batch);
    return dot(r.data(), mlp.output(), batch * mlp.out_dim());
  };
  loss();
  const auto dx0 = random_vec(batch * dx_stride, 13);
  auto dx = dx0;
  mlp.backward(ops, x.data(), x_stride, r.data(), mlp.out_dim(), batch, dx.data(), dx_stride);  // dx +=
  const auto g = grads_of(params);

  // A small step: a perturbation that moves a pre-activation across the ReLU kink would break the
  // difference quotient, and with 17600 pre-activations a 1e-5 step is enough to hit one.
  FdOptions opts;
  opts.step = 1e-6;
  FdChecker fd(loss, opts);
  for (size_t i = 0; i < params.size(); ++i) check_sampled(fd, params[i].name, params[i].w.data(), g[i], samples);
  std::vector<double> dx_analytic(batch * x_stride, 0.0);
  for (size_t b = 0; b < batch; ++b)
    for (size_t j = 0; j < in; ++j) dx_analytic[b * x_stride + j] = dx[b * dx_stride + j] - dx0[b * dx_stride + j];
  check_sampled(fd, "x", x.data(), dx_analytic, samples);
  require_fd_ok(fd);
  CHECK(changed_columns(dx, dx0, batch, dx_stride, in, dx_stride) == 0);
}

TEST_CASE("gradients: CrossNet backward matches finite differences", "[unit][gradients]") {
  const int threads = GENERATE(1, 2);
  const size_t batch = GENERATE(size_t(6), kLargeBatch);
  const CrossKind kind = GENERATE(CrossKind::dcn, CrossKind::dcnv2);
  const size_t layers = GENERATE(size_t(1), size_t(3));
  CAPTURE(threads, batch, kind == CrossKind::dcn ? "vector" : "matrix", layers);
  CpuOps<double> ops(threads);
  const size_t samples = samples_for(batch);
  const size_t k = 8;
  ParamList<double> params;
  CrossNet<double> net(params, ops.memory(), kind, k, layers, 1e-5, batch);
  REQUIRE(params.size() == 2 * layers);
  CHECK(params[0].name == "cross.0.kernel");
  CHECK(params[0].l2 == 1e-5);
  CHECK(params[0].size() == (kind == CrossKind::dcn ? k : k * k));
  for (size_t i = 0; i < params.size(); ++i) fill_random(params[i].w.data(), params[i].size(), 300 + i, 0.4);

  auto x0 = random_vec(batch * k, 21);
  const auto r = random_vec(batch * k, 22);
  auto loss = [&] {
    net.forward(ops, x0.data(), batch);
    return dot(r.data(), net.output(), batch * k);
  };
  loss();
  const auto dx0_before = random_vec(batch * k, 23);
  auto dx0 = dx0_before;
  net.backward(ops, x0.data(), r.data(), batch, dx0.data());  // dx0 +=
  const auto g = grads_of(params);
  std::vector<double> dx_analytic(batch * k);
  for (size_t i = 0; i < dx_analytic.size(); ++i) dx_analytic[i] = dx0[i] - dx0_before[i];

  FdChecker fd(loss);
  for (size_t i = 0; i < params.size(); ++i) check_sampled(fd, params[i].name, params[i].w.data(), g[i], samples);
  check_sampled(fd, "x0", x0.data(), dx_analytic, samples);
  require_fd_ok(fd);

  // A second forward + backward gives the same parameter gradients (overwritten, not accumulated).
  loss();
  dx0 = dx0_before;
  net.backward(ops, x0.data(), r.data(), batch, dx0.data());
  for (size_t i = 0; i < params.size(); ++i) CHECK(copy_of(params[i].g.data(), params[i].size()) == g[i]);
}

TEST_CASE("gradients: FM forward and backward match finite differences", "[unit][gradients]") {
  const int threads = GENERATE(1, 2);
  const size_t batch = GENERATE(size_t(5), size_t(1100));
  CAPTURE(threads, batch);
  CpuOps<double> ops(threads);
  const size_t samples = samples_for(batch);
  const size_t fields = 4, dim = 4, stride = fields * dim + 3;  // 3 dense columns after the embeddings
  auto x = random_vec(batch * stride, 31);
  const auto r = random_vec(batch, 32);
  std::vector<double> out(batch);
  auto loss = [&] {
    ops.fm_forward(x.data(), stride, batch, fields, dim, out.data());
    return dot(r.data(), out.data(), batch);
  };
  // Forward against the pairwise definition sum_{f<f'} <e_f, e_f'>.
  loss();
  for (size_t b = 0; b < std::min<size_t>(batch, 20); ++b) {
    double pair = 0;
    for (size_t f = 0; f < fields; ++f)
      for (size_t f2 = f + 1; f2 < fields; ++f2)
        for (size_t d = 0; d < dim; ++d) pair += x[b * stride + f * dim + d] * x[b * stride + f2 * dim + d];
    CHECK(out[b] == Approx(pair).epsilon(1e-12));
  }
  const auto dx0 = random_vec(batch * stride, 33);
  auto dx = dx0;
  ops.fm_backward(x.data(), stride, r.data(), batch, fields, dim, dx.data());  // dx +=
  std::vector<double> analytic(batch * stride);
  for (size_t i = 0; i < analytic.size(); ++i) analytic[i] = dx[i] - dx0[i];
  // The FM term is quadratic in each entry: central differences are exact up to round-off, so a
  // large step keeps that round-off (from the (sum)^2 - sum of squares cancellation) far below tolerance.
  FdOptions opts;
  opts.step = 1e-3;
  FdChecker fd(loss, opts);
  check_sampled(fd, "x", x.data(), analytic, samples);  // dense columns: zero on both sides
  require_fd_ok(fd);
  CHECK(changed_columns(dx, dx0, batch, stride, fields * dim, stride) == 0);
}

TEST_CASE("gradients: DLRM dot interaction on a hand-worked sample", "[unit][gradients]") {
  // z0 = (1, 2), z1 = (3, 4), z2 = (5, 6): out = z0, then z1.z0 = 11, z2.z0 = 17, z2.z1 = 39.
  CpuOps<double> ops(1);
  const size_t stride = 7, out_stride = 6;  // one padding column in x and in out
  std::vector<double> x = {1, 2, 3, 4, 5, 6, -99};
  std::vector<double> out(out_stride, -7.0);
  ops.dot_interaction_forward(x.data(), stride, 1, 3, 2, out.data(), out_stride);
  CHECK(out == std::vector<double>{1, 2, 11, 17, 39, -7});
  // dout = (a, b | p10, p20, p21): dz0 = (a, b) + p10 z1 + p20 z2, dz1 = p10 z0 + p21 z2, dz2 = p20 z0 + p21 z1.
  const std::vector<double> dout = {0.5, -1, 2, 3, 4, 1e9};  // the padding column must not be read
  std::vector<double> dx(stride, 1e30);
  ops.dot_interaction_backward(x.data(), stride, dout.data(), out_stride, 1, 3, 2, dx.data());
  CHECK(dx == std::vector<double>{0.5 + 2 * 3 + 3 * 5, -1 + 2 * 4 + 3 * 6, 2 * 1 + 4 * 5, 2 * 2 + 4 * 6,
                                  3 * 1 + 4 * 3, 3 * 2 + 4 * 4, 1e30});
}

TEST_CASE("gradients: DLRM dot interaction forward and backward match a hand loop and finite differences", "[unit][gradients]") {
  const int threads = GENERATE(1, 2);
  const size_t vectors = GENERATE(size_t(1), size_t(2), size_t(5));
  const size_t dim = GENERATE(size_t(1), size_t(3));
  const size_t batch = GENERATE(size_t(5), size_t(1100));  // 1100 x 5 vectors x 3: the parallel paths
  CAPTURE(threads, vectors, dim, batch);
  CpuOps<double> ops(threads);
  const size_t samples = samples_for(batch);
  const size_t pairs = vectors * (vectors - 1) / 2, width = dim + pairs, used = vectors * dim;
  const size_t stride = used + 3, out_stride = width + 2;  // padding columns after x's vectors and out's values
  auto x = random_vec(batch * stride, 81);
  const auto r = random_vec(batch * out_stride, 82);  // padding columns of r must not matter
  const double out_fill = -123.0;
  std::vector<double> out;
  auto loss = [&] {
    out.assign(batch * out_stride, out_fill);
    ops.dot_interaction_forward(x.data(), stride, batch, vectors, dim, out.data(), out_stride);
    double s = 0;
    for (size_t b = 0; b < batch; ++b) s += dot(r.data() + b * out_stride, out.data() + b * out_stride, width);
    return s;
  };
  loss();
  // Forward against the definition: z_0 copied, then z_i . z_j in the order (1,0), (2,0), (2,1), (3,0), ...
  size_t bad_copy = 0, bad_pair = 0;
  for (size_t b = 0; b < batch; ++b) {
    const double* z = x.data() + b * stride;
    const double* o = out.data() + b * out_stride;
    for (size_t d = 0; d < dim; ++d) bad_copy += o[d] != z[d];
    size_t p = 0;
    for (size_t i = 1; i < vectors; ++i)
      for (size_t j = 0; j < i; ++j, ++p) {
        long double want = 0;
        for (size_t d = 0; d < dim; ++d) want += static_cast<long double>(z[i * dim + d]) * z[j * dim + d];
        bad_pair += !(std::fabs(o[dim + p] - double(want)) <= 1e-14 * (1 + std::fabs(double(want))));
      }
    REQUIRE(p == pairs);
  }
  CHECK(bad_copy == 0);
  CHECK(bad_pair == 0);
  CHECK(changed_columns(out, std::vector<double>(out.size(), out_fill), batch, out_stride, width, out_stride) == 0);

  // Backward writes dx (no +=): every used column of garbage is overwritten, the padding is untouched.
  const double garbage = 1e30;
  const std::vector<double> dx0(batch * stride, garbage);
  auto dx = dx0;
  ops.dot_interaction_backward(x.data(), stride, r.data(), out_stride, batch, vectors, dim, dx.data());
  size_t still_garbage = 0;
  for (size_t b = 0; b < batch; ++b)
    for (size_t j = 0; j < used; ++j) still_garbage += dx[b * stride + j] == garbage;
  CHECK(still_garbage == 0);
  CHECK(changed_columns(dx, dx0, batch, stride, used, stride) == 0);
  std::vector<double> analytic(batch * stride, 0.0);  // the padding columns of x: zero gradient
  for (size_t b = 0; b < batch; ++b)
    for (size_t j = 0; j < used; ++j) analytic[b * stride + j] = dx[b * stride + j];
  // Linear in each single entry of x (the pairs never pair a vector with itself): central
  // differences are exact up to round-off, and a large step keeps that round-off small.
  FdOptions opts;
  opts.step = 1e-3;
  FdChecker fd(loss, opts);
  // One sample more: for these shapes the sampling step is then no multiple of the row stride, so a
  // large batch is sampled across its columns, not in column 0 only.
  check_sampled(fd, "x", x.data(), analytic, samples + 1);
  require_fd_ok(fd);

  // A second backward from other garbage gives the same bits: written, never accumulated.
  std::vector<double> dx2(batch * stride, -garbage);
  ops.dot_interaction_backward(x.data(), stride, r.data(), out_stride, batch, vectors, dim, dx2.data());
  size_t differ = 0;
  for (size_t b = 0; b < batch; ++b)
    for (size_t j = 0; j < used; ++j) differ += dx2[b * stride + j] != dx[b * stride + j];
  CHECK(differ == 0);
}

namespace {

// A batch of per-field ids converted to global rows through field offsets (vocab {5, 3, 7, 4}),
// with ids repeated across samples and the same id in several fields of one sample.
struct IdBatch {
  std::vector<uint64_t> vocab{5, 3, 7, 4};
  std::vector<uint64_t> offsets{0, 5, 8, 15, 19};  // [F+1], the last is the table size
  size_t rows_total = 19, fields = 4, num_dense = 3;
  size_t batch;
  std::vector<double> dense, labels;
  std::vector<uint32_t> rows_idx;
  explicit IdBatch(size_t b, CpuOps<double>& ops) : batch(b) {
    HostBatch host(b, num_dense, fields, default_host_allocator());
    host.rows = b;
    Rng rng(77);
    for (size_t i = 0; i < b; ++i) {
      host.labels[i] = float(i % 3 == 0);
      for (size_t j = 0; j < num_dense; ++j) host.dense[i * num_dense + j] = float(rng.unit());
      for (size_t f = 0; f < fields; ++f) {
        uint32_t id;
        if (i % 4 == 1) id = 2;  // the same id in every field of this sample: four different rows
        else if (b > 20) id = uint32_t(rng.uniform(vocab[f] - 1));  // fields 0, 2, 3: the last id stays unused
        else id = uint32_t((i * (f + 2) + f) % (vocab[f] - 1));
        host.cat[i * fields + f] = id;
      }
    }
    DeviceBatch<double> dev(ops.memory(), b, num_dense, fields);
    ops.load_batch(host, offsets.data(), dev);
    REQUIRE(dev.rows == b);
    rows_idx.assign(dev.rows_idx.data(), dev.rows_idx.data() + b * fields);
    dense.assign(dev.dense.data(), dev.dense.data() + b * num_dense);
    labels.assign(dev.labels.data(), dev.labels.data() + b);
    size_t bad = 0;
    for (size_t i = 0; i < b; ++i) {
      for (size_t f = 0; f < fields; ++f) bad += rows_idx[i * fields + f] != offsets[f] + host.cat[i * fields + f];
      for (size_t j = 0; j < num_dense; ++j) bad += dense[i * num_dense + j] != double(host.dense[i * num_dense + j]);
    }
    REQUIRE(bad == 0);
  }
};

// Expands UniqueRows into a full-table gradient, checking the rows are distinct, in first-occurrence
// order and counted by the samples that contain them.
void expand_unique(const UniqueRows<double>& u, const std::vector<uint32_t>& rows_idx, size_t batch, size_t fields,
                   size_t dim, size_t table_rows, std::vector<double>& g_table, std::vector<double>& g_linear) {
  std::vector<uint32_t> order;
  std::vector<uint32_t> samples(table_rows, 0);
  std::vector<bool> seen(table_rows, false);
  for (size_t b = 0; b < batch; ++b) {
    std::set<uint32_t> in_sample;
    for (size_t f = 0; f < fields; ++f) {
      const uint32_t r = rows_idx[b * fields + f];
      if (!seen[r]) order.push_back(r), seen[r] = true;
      in_sample.insert(r);
    }
    for (uint32_t r : in_sample) ++samples[r];
  }
  REQUIRE(u.count == order.size());
  g_table.assign(table_rows * dim, 0.0);
  g_linear.assign(table_rows, 0.0);
  for (size_t i = 0; i < u.count; ++i) {
    const uint32_t r = u.rows.data()[i];
    REQUIRE(r == order[i]);
    CHECK(u.counts.data()[i] == samples[r]);
    for (size_t d = 0; d < dim; ++d) g_table[r * dim + d] = u.grad_embed.data()[i * dim + d];
    g_linear[r] = u.grad_linear.data()[i];
  }
}

}  // namespace

TEST_CASE("gradients: Embedding gather + reduce give the gradient of every table row", "[unit][gradients]") {
  const int threads = GENERATE(1, 2);
  const size_t batch = GENERATE(size_t(9), kLargeBatch);
  CAPTURE(threads, batch);
  CpuOps<double> ops(threads);
  const size_t samples = samples_for(batch);
  IdBatch ib(batch, ops);
  const size_t dim = 4, fields = ib.fields, emb_cols = fields * dim, stride = emb_cols + 3;
  auto table = random_vec(ib.rows_total * dim, 41);
  auto linear = random_vec(ib.rows_total, 42);
  const auto r = random_vec(batch * stride, 43);  // padding columns of r must not matter
  const auto q = random_vec(batch, 44);
  const auto out_init = random_vec(batch * stride, 45);
  std::vector<double> out, lin_out(batch);
  auto loss = [&] {
    out = out_init;
    ops.embedding_gather(table.data(), ib.rows_idx.data(), batch, fields, dim, out.data(), stride);
    ops.linear_forward(linear.data(), ib.rows_idx.data(), nullptr, nullptr, batch, fields, 0, lin_out.data());
    double s = dot(q.data(), lin_out.data(), batch);
    for (size_t b = 0; b < batch; ++b) s += dot(r.data() + b * stride, out.data() + b * stride, emb_cols);
    return s;
  };
  loss();
  CHECK(changed_columns(out, out_init, batch, stride, emb_cols, stride) == 0);  // only the embedding columns

  UniqueRows<double> u(ops.memory(), batch * fields, dim);
  EmbeddingReduceParams p;
  p.batch = batch, p.fields = fields, p.dim = dim, p.table_rows = ib.rows_total, p.grad_stride = stride;
  const size_t count = ops.embedding_reduce(p, ib.rows_idx.data(), r.data(), q.data(), u);
  CHECK(count == u.count);
  std::vector<double> g_table, g_linear;
  expand_unique(u, ib.rows_idx, batch, fields, dim, ib.rows_total, g_table, g_linear);
  // The last ids of fields 0, 2 and 3 never occur: those rows are absent and must have zero gradient.
  CHECK(u.count < ib.rows_total);

  FdChecker fd(loss);
  check_sampled(fd, "table", table.data(), g_table, samples);  // small batch: every entry, absent rows included
  check_sampled(fd, "linear", linear.data(), g_linear, samples);
  for (size_t d = 0; d < dim; ++d) {  // row 4 (field 0, id 4) never occurs
    REQUIRE(g_table[4 * dim + d] == 0.0);
    fd.check_one("table", table.data(), 4 * dim + d, 0.0);
  }
  require_fd_ok(fd);
}

TEST_CASE("gradients: Embedding reduce sums a row that occurs twice in one sample", "[unit][gradients]") {
  // Rows given directly (as if two fields shared a vocabulary): row 3 appears in fields 0 and 2
  // of sample 0 and in field 1 of sample 2; each occurrence adds its own gradient.
  CpuOps<double> ops(1);
  const size_t batch = 3, fields = 3, dim = 2, table_rows = 6;
  std::vector<uint32_t> rows_idx = {3, 1, 3, 0, 1, 5, 2, 3, 4};
  auto table = random_vec(table_rows * dim, 51);
  auto linear = random_vec(table_rows, 52);
  const auto r = random_vec(batch * fields * dim, 53);
  const auto q = random_vec(batch, 54);
  std::vector<double> out(batch * fields * dim), lin(batch);
  auto loss = [&] {
    ops.embedding_gather(table.data(), rows_idx.data(), batch, fields, dim, out.data(), fields * dim);
    ops.linear_forward(linear.data(), rows_idx.data(), nullptr, nullptr, batch, fields, 0, lin.data());
    return dot(r.data(), out.data(), out.size()) + dot(q.data(), lin.data(), batch);
  };
  UniqueRows<double> u(ops.memory(), batch * fields, dim);
  EmbeddingReduceParams p;
  p.batch = batch, p.fields = fields, p.dim = dim, p.table_rows = table_rows, p.grad_stride = fields * dim;
  REQUIRE(ops.embedding_reduce(p, rows_idx.data(), r.data(), q.data(), u) == 6);
  const std::vector<uint32_t> first_occurrence = {3, 1, 0, 5, 2, 4};
  std::vector<double> g_table(table_rows * dim, 0.0), g_linear(table_rows, 0.0);
  for (size_t i = 0; i < u.count; ++i) {
    const uint32_t row = u.rows.data()[i];
    CHECK(row == first_occurrence[i]);
    for (size_t d = 0; d < dim; ++d) g_table[row * dim + d] = u.grad_embed.data()[i * dim + d];
    g_linear[row] = u.grad_linear.data()[i];
  }
  // Row 3's linear gradient is q0 twice (two fields of sample 0) plus q2.
  CHECK(g_linear[3] == Approx(2 * q[0] + q[2]).epsilon(1e-14));
  FdChecker fd(loss);
  fd.check("table", table.data(), g_table.data(), g_table.size());
  fd.check("linear", linear.data(), g_linear.data(), g_linear.size());
  require_fd_ok(fd);
}

TEST_CASE("gradients: Linear part: table and dense-kernel gradients match finite differences", "[unit][gradients]") {
  const int threads = GENERATE(1, 2);
  const size_t batch = GENERATE(size_t(9), size_t(20000));  // 20000 x 1 crosses the parallel threshold
  CAPTURE(threads, batch);
  CpuOps<double> ops(threads);
  const size_t samples = samples_for(batch);
  IdBatch ib(batch, ops);
  const size_t fields = ib.fields, nd = ib.num_dense;
  auto linear = random_vec(ib.rows_total, 61);
  auto w_dense = random_vec(nd, 62);
  const auto r = random_vec(batch, 63);
  std::vector<double> out(batch);
  auto loss = [&] {
    ops.linear_forward(linear.data(), ib.rows_idx.data(), ib.dense.data(), w_dense.data(), batch, fields, nd,
                       out.data());
    return dot(r.data(), out.data(), batch);
  };
  loss();
  // Forward against the definition.
  for (size_t b = 0; b < std::min<size_t>(batch, 50); ++b) {
    double expect = 0;
    for (size_t f = 0; f < fields; ++f) expect += linear[ib.rows_idx[b * fields + f]];
    for (size_t j = 0; j < nd; ++j) expect += ib.dense[b * nd + j] * w_dense[j];
    CHECK(out[b] == Approx(expect).epsilon(1e-13));
  }
  // The lr model's backward: the table gradient from embedding_reduce with dim 0 (no d_emb), the
  // dense kernel's from a transposed GEMM, as CtrModel::backward does.
  UniqueRows<double> u(ops.memory(), batch * fields, 0);
  EmbeddingReduceParams p;
  p.batch = batch, p.fields = fields, p.dim = 0, p.table_rows = ib.rows_total, p.grad_stride = 0;
  ops.embedding_reduce(p, ib.rows_idx.data(), nullptr, r.data(), u);
  std::vector<double> g_table, g_linear;
  expand_unique(u, ib.rows_idx, batch, fields, 0, ib.rows_total, g_table, g_linear);
  std::vector<double> g_dense(nd, 123.0);  // overwritten (beta 0)
  GemmParams<double> gp;
  gp.trans_a = true;
  gp.m = nd, gp.n = 1, gp.k = batch;
  gp.a = ib.dense.data(), gp.lda = nd;
  gp.b = r.data(), gp.ldb = 1;
  gp.beta = 0, gp.c = g_dense.data(), gp.ldc = 1;
  ops.gemm(gp);
  FdChecker fd(loss);
  check_sampled(fd, "linear", linear.data(), g_linear, samples);
  fd.check("dense_kernel", w_dense.data(), g_dense.data(), nd);
  require_fd_ok(fd);
}

TEST_CASE("gradients: bce_with_logits: gradient, scale and stability at large |logit|", "[unit][gradients]") {
  const int threads = GENERATE(1, 2);
  const size_t batch = GENERATE(size_t(12), size_t(20000));
  CAPTURE(threads, batch);
  CpuOps<double> ops(threads);
  const size_t samples = samples_for(batch);
  auto logits = random_vec(batch, 71, 3.0);
  std::vector<double> labels(batch);
  for (size_t b = 0; b < batch; ++b) labels[b] = double((b * 7) % 3 == 0);
  logits[0] = 40, labels[0] = 0;
  logits[1] = 40, labels[1] = 1;
  logits[2] = -40, labels[2] = 0;
  logits[3] = -40, labels[3] = 1;
  std::vector<double> dl(batch);
  auto loss = [&] { return bce_loss_sum(ops, logits.data(), labels.data(), batch, 1.0, dl.data()); };
  const double total = loss();
  const auto analytic = dl;
  // Closed forms: BCE(z, y) = log(1 + e^z) - z y; at |z| = 40 the stable form is exact.
  const double tiny = std::log1p(std::exp(-40.0));
  double expect = 40 + tiny + tiny + tiny + 40 + tiny;
  size_t bad_dl = 0;
  for (size_t b = 4; b < batch; ++b) {
    const double z = logits[b], y = labels[b], want = 1 / (1 + std::exp(-z)) - y;
    expect += std::log1p(std::exp(z)) - z * y;
    bad_dl += !(std::fabs(dl[b] - want) <= 1e-14 * std::fabs(want));
  }
  CHECK(bad_dl == 0);
  CHECK(total == Approx(expect).epsilon(1e-13));
  CHECK(dl[0] == Approx(1.0).epsilon(1e-15));
  CHECK(std::fabs(dl[1]) < 1e-17);
  CHECK(std::fabs(dl[2]) < 1e-17);
  CHECK(dl[3] == Approx(-1.0).epsilon(1e-15));
  // The op sums the loss in double: with 20000 terms a larger step keeps round-off below the tolerance
  // (the truncation error, about h^2/6 * max|softplus'''| = 1.6e-8, stays below it too).
  FdOptions opts;
  opts.step = 1e-3;
  opts.abs_tol = 1e-8;
  FdChecker fd(loss, opts);
  check_sampled(fd, "logits", logits.data(), analytic, samples);
  for (size_t b = 0; b < 4; ++b) fd.check_one("logits", logits.data(), b, analytic[b]);
  require_fd_ok(fd);

  // scale multiplies the gradient, not the returned sum.
  std::vector<double> dl_scaled(batch);
  const double total_scaled =
      bce_loss_sum(ops, logits.data(), labels.data(), batch, 1.0 / double(batch), dl_scaled.data());
  CHECK(total_scaled == total);
  size_t bad = 0;
  for (size_t b = 0; b < batch; ++b) bad += !(std::fabs(dl_scaled[b] - analytic[b] / double(batch)) <= 1e-14 * std::fabs(analytic[b] / double(batch)) + 1e-300);
  CHECK(bad == 0);
}

TEST_CASE("gradients: bce_with_logits stays finite in float at extreme logits", "[unit][gradients]") {
  CpuOps<float> ops(1);
  const std::vector<float> logits = {40, 40, -40, -40, 1000, -1000, 1000, -1000};
  const std::vector<float> labels = {0, 1, 0, 1, 1, 0, 0, 1};
  std::vector<float> dl(logits.size());
  const double total = bce_loss_sum(ops, logits.data(), labels.data(), logits.size(), 1.0f, dl.data());
  REQUIRE(std::isfinite(total));
  CHECK(total == Approx(40 + 40 + 1000 + 1000).epsilon(1e-12));
  const std::vector<float> expect_dl = {1, 0, 0, -1, 0, 0, 1, -1};
  for (size_t i = 0; i < dl.size(); ++i) {
    REQUIRE(std::isfinite(dl[i]));
    CHECK(dl[i] == Approx(expect_dl[i]).margin(1e-7));
  }
}
