// CudaOps op by op against CpuOps<float>: every op of Ops<float> on the same random inputs, NaN guard regions around every buffer, and run-to-run determinism.
//
// How each op is checked: its inputs are uploaded into both backends; every buffer (inputs too) sits
// between kGuard sentinel values (quiet NaNs with a payload, or 0xA5A5A5A5 for indices), so a write
// past either end changes a sentinel (checked on every download) and a read past either end pulls a
// NaN or a wild row index into the result. Outputs an op must overwrite start as a NaN poison value.
//
// Tolerances. Both backends compute in fp32; the only legitimate difference is the order of
// summation (and FMA contraction), so:
//   - sums of products (gemm, bias_grad, axpy, linear/FM/cross layers, embedding_reduce, losses):
//       |cuda - cpu| <= 1e-5 * (|cpu| + mag), mag = the same op evaluated by the CPU on |inputs|
//       (|alpha|, |beta|), i.e. the sum of the absolute values of every term. Either backend's fp32
//       rounding is a few units of 6e-8 times mag for the sizes used here; 1e-5 is ~100x that, and a
//       wrong, missing or doubled term is off by a whole term.
//   - sum_squares, table_grad_sum_squares, the bce sum: relative 1e-5 (all terms non-negative, so the
//       value is its own magnitude; for bce the magnitude of max(z,0), z*y and log1p(e^-|z|)).
//   - TF32 gemm: 4e-3 * (|cpu| + mag): TF32 keeps 10 mantissa bits, so each operand is off by up to
//       2^-11 (rounded) or 2^-10 (truncated), each product by up to ~2e-3 of its magnitude.
//   - Adam (adam_update, table_update; identical inputs, identical float formula): m within
//       1e-5 * (|m| + |m0|), v within 3e-5 * |v| (1 - 0.999f is 1.3e-5 away from 1 - 0.999, and a backend
//       may form the coefficient either way), w within 1e-5 * (|w| + |w - w0| + lr_t); the moments are
//       drawn with |m0| <= sqrt(v0), so |m / sqrt(v)| stays O(1) and lr_t bounds the step.
//   - sigmoid and dlogits: 1e-5 relative plus an absolute 1e-30 (sigmoid) / 1e-6 * |scale| (dlogits):
//       a float sigmoid is within an ulp of p, so p - y loses its relative precision where p ~ y.
//   - bit for bit (memcmp): the DLRM dot interaction, forward and backward (one shared definition,
//       backend/interaction_math.h, every operation rounded alike).
//   - exact (==): gather, copy_2d, relu forward/backward, add_bias (one rounding), du of
//       dcnv2_combine_backward (one product), k == 0 gemm (C = beta * C), load_batch, the unique rows
//       and their counts, untouched rows of a sparse table update, and the clipped-row counts (the test
//       data is adjusted so that no row's |g| / bound is within 1e-3 of 1, where rounding could decide).
// embedding_reduce's row order differs by design (CPU: first occurrence; CUDA: ascending, see
// cuda/cuda_embedding.h), so unique rows are compared as sets, sorted by row on the host.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "backend/cpu_ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "cuda/cuda_ops.h"
#include "cuda/pinned_allocator.h"
#include "reader/host_batch.h"
#include "support/embedding_rows.h"
#include "support/backend_compare.h"
#include "support/op_test_data.h"
#include "support/op_results.h"

using ctr::test::bce_loss_sum;
using ctr::test::check_close;
using ctr::test::adam_lr_t;
using ctr::test::adam_moments;
using ctr::test::filled;
using ctr::test::guard_value;
using ctr::test::poison;
using ctr::test::rand_f;
using ctr::test::table_params;
using ctr::test::table_update_clipped;

using namespace ctr;
using ctr::cuda::CudaOps;
using ctr::cuda::CudaOptions;

namespace {

constexpr size_t kGuard = ctr::test::kGuardValues;  // guard values on each side of every buffer
constexpr double kRtol = 1e-5;      // fp32 sums in a different order (see the top of the file)
constexpr double kRtolTf32 = 4e-3;  // TF32 GEMM operands
constexpr double kRtolV = 3e-5;     // Adam's v: (1 - beta2) in float is 1.3e-5 off its double value
constexpr double kB1 = 0.9, kB2 = 0.999;

template <class T>
using GuardedBuffer = ctr::test::GuardedBuffer<T>;
using GuardedF = GuardedBuffer<float>;
using GuardedU = GuardedBuffer<uint32_t>;

std::vector<float> abs_of(std::vector<float> v) {
  for (auto& x : v) x = std::fabs(x);
  return v;
}

// Every element equal (== on values; NaN fails).
template <class T>
void check_equal(const std::string& what, const std::vector<T>& got, const std::vector<T>& want) {
  REQUIRE(got.size() == want.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < want.size(); ++i)
    if (!(got[i] == want[i]) && bad++ == 0) first = i;
  std::ostringstream msg;
  msg << what << ": " << bad << " of " << want.size() << " values differ";
  if (bad) msg << "; first at " << first << ": cuda " << got[first] << ", cpu " << want[first];
  INFO(msg.str());
  CHECK(bad == 0);
}

bool relative_close(double got, double want, double rtol) {
  return std::fabs(got - want) <= rtol * std::fabs(want);
}

// rows_idx [B, F] of global rows for per-field vocabularies; ids are skewed so that a few "hot" ids
// of each field repeat often (repeated rows, large counts).
// The tolerances of one Adam step (see the top of the file) for w, m, v against the CPU's result.
void check_adam_state(const std::string& what, const std::vector<float>& w0, const std::vector<float>& m0,
                      const std::vector<float>& w_cpu, const std::vector<float>& m_cpu,
                      const std::vector<float>& v_cpu, const std::vector<float>& w_gpu,
                      const std::vector<float>& m_gpu, const std::vector<float>& v_gpu, double lr_t) {
  std::vector<float> w_mag(w0.size());
  for (size_t i = 0; i < w0.size(); ++i) w_mag[i] = float(std::fabs(double(w_cpu[i]) - w0[i]) + lr_t);
  check_close(what + ": m", m_gpu, m_cpu, abs_of(m0), kRtol);
  check_close(what + ": v", v_gpu, v_cpu, {}, kRtolV);
  check_close(what + ": w", w_gpu, w_cpu, w_mag, kRtol);
}

// ---------------------------------------------------------------------------------------------- gemm

struct GemmCase {
  bool ta = false, tb = false;
  size_t m = 0, n = 0, k = 0, pad = 0;
  float alpha = 1, beta = 0;
};
size_t gemm_lda(const GemmCase& c) { return std::max<size_t>(1, c.ta ? c.m : c.k) + c.pad; }
size_t gemm_ldb(const GemmCase& c) { return std::max<size_t>(1, c.tb ? c.k : c.n) + (c.pad ? c.pad + 1 : 0); }
size_t gemm_ldc(const GemmCase& c) { return std::max<size_t>(1, c.n) + (c.pad ? c.pad + 2 : 0); }

std::string describe(const GemmCase& c) {
  std::ostringstream s;
  s << "gemm ta=" << c.ta << " tb=" << c.tb << " m=" << c.m << " n=" << c.n << " k=" << c.k << " lda=" << gemm_lda(c)
    << " ldb=" << gemm_ldb(c) << " ldc=" << gemm_ldc(c) << " alpha=" << c.alpha << " beta=" << c.beta;
  return s.str();
}

struct GemmInputs {
  std::vector<float> a, b, c;
};

GemmInputs gemm_inputs(const GemmCase& c, uint64_t seed) {
  const size_t a_rows = c.ta ? c.k : c.m, b_rows = c.tb ? c.n : c.k;
  return {rand_f(a_rows * gemm_lda(c), seed), rand_f(b_rows * gemm_ldb(c), seed + 1),
          rand_f(c.m * gemm_ldc(c), seed + 2)};
}

std::vector<float> run_gemm(Ops<float>& ops, const GemmCase& c, const GemmInputs& in) {
  MemorySpace& mem = ops.memory();
  GuardedF a(mem, in.a, "A"), b(mem, in.b, "B"), cc(mem, in.c, "C");
  GemmParams<float> p;
  p.trans_a = c.ta, p.trans_b = c.tb, p.m = c.m, p.n = c.n, p.k = c.k, p.alpha = c.alpha, p.beta = c.beta;
  p.a = a.get(), p.lda = gemm_lda(c), p.b = b.get(), p.ldb = gemm_ldb(c), p.c = cc.get(), p.ldc = gemm_ldc(c);
  ops.gemm(p);
  a.fetch();
  b.fetch();
  return cc.fetch();
}

// C from `ops` against the CPU's (rtol against the magnitude of the terms); the padding columns of C
// (j >= n) must keep their values exactly.
void check_gemm(Ops<float>& ops, CpuOps<float>& cpu, const GemmCase& c, uint64_t seed, double rtol) {
  const GemmInputs in = gemm_inputs(c, seed);
  GemmCase abs_case = c;
  abs_case.alpha = std::fabs(c.alpha), abs_case.beta = std::fabs(c.beta);
  const GemmInputs abs_in{abs_of(in.a), abs_of(in.b), abs_of(in.c)};
  const auto want = run_gemm(cpu, c, in);
  const auto mag = run_gemm(cpu, abs_case, abs_in);
  const auto got = run_gemm(ops, c, in);
  const std::string what = describe(c);
  check_close(what, got, want, mag, rtol);
  const size_t ldc = gemm_ldc(c);
  size_t pad_changed = 0;
  for (size_t i = 0; i < c.m; ++i)
    for (size_t j = c.n; j < ldc; ++j) pad_changed += !(got[i * ldc + j] == in.c[i * ldc + j]);
  INFO(what << ": padding columns of C changed: " << pad_changed);
  CHECK(pad_changed == 0);
}

}  // namespace

TEST_CASE("cuda ops: the backend describes itself and synchronizes", "[cuda][ops]") {
  CudaOps gpu;
  CHECK_THAT(gpu.describe(), Catch::StartsWith("cuda ("));
  gpu.synchronize();
  CudaOps tf32(CudaOptions{0, true});
  CHECK_THAT(tf32.describe(), Catch::StartsWith("cuda ("));
}

TEST_CASE("cuda ops: gemm matches the CPU for every transpose, stride, size and alpha/beta", "[cuda][ops][gemm]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  SECTION("fp32: all transposes, m/n/k in {1, 3, 37, 400}, padded and tight strides, several alpha/beta") {
    const size_t sizes[] = {1, 3, 37, 400};
    struct Variant {
      float alpha, beta;
      size_t pad;
    };
    const Variant variants[] = {{0.75f, -0.5f, 3}, {1.0f, 0.0f, 0}, {1.0f, 1.0f, 5}, {-2.0f, 0.25f, 1}};
    size_t idx = 0;
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (size_t m : sizes)
          for (size_t n : sizes)
            for (size_t k : sizes) {
              const Variant& v = variants[(idx + 2 * ta + tb) % 4];
              GemmCase c;
              c.ta = ta, c.tb = tb, c.m = m, c.n = n, c.k = k, c.pad = v.pad, c.alpha = v.alpha, c.beta = v.beta;
              check_gemm(gpu, cpu, c, 1000 + 7 * idx, kRtol);
              ++idx;
            }
  }
  SECTION("fp32: the shapes of a 131072-row batch (long reductions over the batch)") {
    GemmCase fwd;  // z [B, 32] = x0 [B, 53] W [53, 32]
    fwd.m = 131072, fwd.n = 32, fwd.k = 53;
    check_gemm(gpu, cpu, fwd, 11, kRtol);
    GemmCase dw;  // dW [53, 32] = x0^T [53, B] dz [B, 32]
    dw.ta = true, dw.m = 53, dw.n = 32, dw.k = 131072;
    check_gemm(gpu, cpu, dw, 12, kRtol);
    GemmCase dx;  // dx [B, 53] += dz [B, 32] W^T [32, 53]
    dx.tb = true, dx.m = 131072, dx.n = 53, dx.k = 32, dx.beta = 1;
    check_gemm(gpu, cpu, dx, 13, kRtol);
    GemmCase head;  // logits [B, 1] += h [B, 16] w [16, 1]
    head.m = 131072, head.n = 1, head.k = 16, head.beta = 1;
    check_gemm(gpu, cpu, head, 14, kRtol);
  }
  SECTION("k == 0 scales C by beta exactly (beta 0, 1 and others), for every transpose") {
    const float betas[] = {0.0f, 1.0f, 0.5f, -2.0f};
    const size_t shapes[][2] = {{1, 1}, {37, 3}, {400, 400}};
    size_t idx = 0;
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (const auto& s : shapes)
          for (float beta : betas) {
            GemmCase c;
            c.ta = ta, c.tb = tb, c.m = s[0], c.n = s[1], c.k = 0, c.pad = idx % 2 ? 3 : 0, c.alpha = 0.75f,
            c.beta = beta;
            const GemmInputs in = gemm_inputs(c, 2000 + idx++);
            const auto want = run_gemm(cpu, c, in), got = run_gemm(gpu, c, in);
            check_equal(describe(c), got, want);
            if (beta == 1.0f) check_equal(describe(c) + " leaves C as it was", got, in.c);
          }
  }
  SECTION("m == 0 or n == 0 writes nothing") {
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (int which = 0; which < 2; ++which) {
          GemmCase c;
          c.ta = ta, c.tb = tb, c.m = which ? 5 : 0, c.n = which ? 0 : 5, c.k = 7, c.pad = 2, c.alpha = 1.5f,
          c.beta = 0.5f;
          const GemmInputs in = gemm_inputs(c, 3000 + 4 * ta + 2 * tb + which);
          check_equal(describe(c), run_gemm(gpu, c, in), in.c);
        }
  }
  SECTION("tf32 (a CudaOps with tf32 = true) within TF32 rounding of the fp32 product") {
    CudaOps tf32(CudaOptions{0, true});
    const size_t sizes[] = {3, 37, 400};
    size_t idx = 0;
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (size_t m : sizes)
          for (size_t n : sizes)
            for (size_t k : sizes) {
              GemmCase c;
              c.ta = ta, c.tb = tb, c.m = m, c.n = n, c.k = k, c.pad = idx % 3, c.alpha = 0.75f,
              c.beta = idx % 2 ? -0.5f : 0.0f;
              check_gemm(tf32, cpu, c, 4000 + 7 * idx++, kRtolTf32);
            }
    // The other ops of a tf32 backend are unaffected: a sum stays within fp32 tolerance.
    const auto x = rand_f(100003, 5);
    GuardedF xc(cpu.memory(), x, "x"), xg(tf32.memory(), x, "x");
    CHECK(relative_close(tf32.sum_squares(xg.get(), x.size()), cpu.sum_squares(xc.get(), x.size()), kRtol));
  }
}

TEST_CASE("cuda ops: add_bias and bias_grad (set and accumulate) match the CPU", "[cuda][ops][dense]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  SECTION("add_bias is exact (one rounding per value)") {
    for (size_t rows : {size_t(1), size_t(3), size_t(1000)})
      for (size_t cols : {size_t(1), size_t(37), size_t(400)}) {
        const auto y0 = rand_f(rows * cols, rows * 31 + cols), bias = rand_f(cols, cols + 7);
        auto run = [&](Ops<float>& ops) {
          GuardedF y(ops.memory(), y0, "y"), b(ops.memory(), bias, "bias");
          ops.add_bias(y.get(), b.get(), rows, cols);
          b.fetch();
          return y.fetch();
        };
        check_equal("add_bias rows=" + std::to_string(rows) + " cols=" + std::to_string(cols), run(gpu), run(cpu));
      }
  }
  SECTION("bias_grad: rows 1, 3, 1000, 131072; cols 1, 400; set and accumulate") {
    for (size_t rows : {size_t(1), size_t(3), size_t(1000), size_t(131072)})
      for (size_t cols : {size_t(1), size_t(400)}) {
        const auto dy = rand_f(rows * cols, rows + cols);
        for (bool acc : {false, true}) {
          // set mode must not read dbias: it starts as NaN poison
          const auto db0 = acc ? rand_f(cols, cols + 3) : filled(cols, poison());
          auto run = [&](Ops<float>& ops, const std::vector<float>& d, const std::vector<float>& b0) {
            GuardedF dyb(ops.memory(), d, "dy"), db(ops.memory(), b0, "dbias");
            ops.bias_grad(dyb.get(), db.get(), rows, cols, acc);
            return db.fetch();
          };
          const auto want = run(cpu, dy, db0);
          const auto mag = run(cpu, abs_of(dy), abs_of(db0));
          check_close("bias_grad rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) +
                          (acc ? " accumulate" : " set"),
                      run(gpu, dy, db0), want, mag, kRtol);
        }
      }
  }
}

TEST_CASE("cuda ops: relu forward/backward, copy_2d, axpy and sum_squares match the CPU", "[cuda][ops][dense]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  SECTION("relu forward and backward are exact, zeros and negative zeros included") {
    for (size_t n : {size_t(1), size_t(37), size_t(4099), size_t((1 << 20) + 3)}) {
      auto x = rand_f(n, n);
      x[0] = 0.0f;
      if (n > 1) x[1] = -0.0f;
      if (n > 2) x[2] = 1e-30f;
      if (n > 3) x[3] = -1e-30f;
      const auto dy = rand_f(n, n + 1);
      struct Out {
        std::vector<float> y, dx;
      };
      auto run = [&](Ops<float>& ops) {
        GuardedF xb(ops.memory(), x, "x"), y(ops.memory(), filled(n, poison()), "y"),
            dyb(ops.memory(), dy, "dy"), dx(ops.memory(), filled(n, poison()), "dx");
        ops.relu_forward(xb.get(), y.get(), n);
        ops.relu_backward(y.get(), dyb.get(), dx.get(), n);
        return Out{y.fetch(), dx.fetch()};
      };
      const Out want = run(cpu), got = run(gpu);
      check_equal("relu_forward n=" + std::to_string(n), got.y, want.y);
      check_equal("relu_backward n=" + std::to_string(n), got.dx, want.dx);
    }
  }
  SECTION("copy_2d with strides is exact and leaves the other columns alone") {
    for (size_t rows : {size_t(0), size_t(1), size_t(3), size_t(1000)})
      for (size_t cols : {size_t(1), size_t(13), size_t(400)})
        for (int padded = 0; padded < 2; ++padded) {
          const size_t ss = cols + (padded ? 2 : 0), ds = cols + (padded ? 5 : 0);
          const auto src = rand_f(rows * ss, rows + cols), dst0 = rand_f(rows * ds, rows + cols + 1);
          auto run = [&](Ops<float>& ops) {
            GuardedF s(ops.memory(), src, "src"), d(ops.memory(), dst0, "dst");
            ops.copy_2d(s.get(), ss, d.get(), ds, rows, cols);
            return d.fetch();
          };
          check_equal("copy_2d rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) +
                          " src_stride=" + std::to_string(ss) + " dst_stride=" + std::to_string(ds),
                      run(gpu), run(cpu));
        }
  }
  SECTION("axpy") {
    for (size_t n : {size_t(0), size_t(1), size_t(1000), size_t((1 << 20) + 5)})
      for (float alpha : {-1.5f, 1.0f}) {
        const auto x = rand_f(n, n + 2), y0 = rand_f(n, n + 3);
        auto run = [&](Ops<float>& ops, float a, const std::vector<float>& xv, const std::vector<float>& yv) {
          GuardedF xb(ops.memory(), xv, "x"), y(ops.memory(), yv, "y");
          ops.axpy(a, xb.get(), y.get(), n);
          return y.fetch();
        };
        check_close("axpy n=" + std::to_string(n) + " alpha=" + std::to_string(alpha), run(gpu, alpha, x, y0),
                    run(cpu, alpha, x, y0), run(cpu, std::fabs(alpha), abs_of(x), abs_of(y0)), kRtol);
      }
  }
  SECTION("sum_squares up to 3 million values") {
    for (size_t n : {size_t(0), size_t(1), size_t(1000), size_t(3000017)}) {
      const auto x = rand_f(n, n + 4, -3, 3);
      GuardedF xc(cpu.memory(), x, "x"), xg(gpu.memory(), x, "x");
      const double want = cpu.sum_squares(xc.get(), n), got = gpu.sum_squares(xg.get(), n);
      INFO("sum_squares n=" << n << ": cuda " << got << ", cpu " << want);
      if (n == 0) {
        CHECK(got == 0.0);
      } else {
        CHECK(relative_close(got, want, kRtol));
      }
      xg.fetch();
    }
  }
}

namespace {

// --------------------------------------------------------------------------------------- embeddings

struct ReduceResult {
  size_t count = 0;
  std::vector<uint32_t> rows, counts;
  std::vector<float> emb, lin;  // [count, dim], [count]
};

// embedding_reduce into UniqueRows with kGuard spare entries past B*F, all pre-filled with sentinels:
// the op may use at most B*F entries, so the spare ones must come back unchanged.
ReduceResult run_reduce(Ops<float>& ops, const EmbeddingReduceParams& p, const std::vector<uint32_t>& rows_idx,
                        const std::vector<float>* d_emb, const std::vector<float>& d_lin) {
  MemorySpace& mem = ops.memory();
  const size_t occ = p.batch * p.fields, cap = occ + kGuard;
  GuardedU idx(mem, rows_idx, "rows_idx");
  std::unique_ptr<GuardedF> demb;
  if (d_emb) demb = std::make_unique<GuardedF>(mem, *d_emb, "d_emb");
  GuardedF dlin(mem, d_lin, "d_linear");
  UniqueRows<float> u(mem, cap, p.dim);
  const uint32_t ug = guard_value<uint32_t>();
  const float fg = guard_value<float>();
  {
    const std::vector<uint32_t> u_init(cap, ug);
    const std::vector<float> f_init(cap * std::max<size_t>(p.dim, 1), fg);
    u.rows.upload(u_init.data(), cap);
    u.counts.upload(u_init.data(), cap);
    u.grad_linear.upload(f_init.data(), cap);
    if (p.dim) u.grad_embed.upload(f_init.data(), cap * p.dim);
  }

  const size_t count = ops.embedding_reduce(p, idx.get(), demb ? demb->get() : nullptr, dlin.get(), u);
  CHECK(u.count == count);
  REQUIRE(count <= occ);
  ReduceResult r;
  r.count = count;
  std::vector<uint32_t> rows(cap), counts(cap);
  std::vector<float> emb(cap * p.dim), lin(cap);
  u.rows.download(rows.data(), cap);
  u.counts.download(counts.data(), cap);
  u.grad_linear.download(lin.data(), cap);
  if (p.dim) u.grad_embed.download(emb.data(), cap * p.dim);
  size_t spare_changed = 0;
  for (size_t i = occ; i < cap; ++i) {
    spare_changed += rows[i] != ug;
    spare_changed += counts[i] != ug;
    spare_changed += std::memcmp(&lin[i], &fg, sizeof(float)) != 0;
  }
  for (size_t i = occ * p.dim; i < cap * p.dim; ++i) spare_changed += std::memcmp(&emb[i], &fg, sizeof(float)) != 0;
  INFO("embedding_reduce wrote " << spare_changed << " values past the B*F = " << occ << " entries of UniqueRows");
  CHECK(spare_changed == 0);
  idx.fetch();
  if (demb) demb->fetch();
  dlin.fetch();
  r.rows.assign(rows.begin(), rows.begin() + count);
  r.counts.assign(counts.begin(), counts.begin() + count);
  r.emb.assign(emb.begin(), emb.begin() + count * p.dim);
  r.lin.assign(lin.begin(), lin.begin() + count);
  return r;
}

// The same entries ordered by row.
ReduceResult sorted_by_row(const ReduceResult& r, size_t dim) {
  std::vector<size_t> order(r.count);
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r.rows[a] < r.rows[b]; });
  ReduceResult s;
  s.count = r.count;
  for (size_t i : order) {
    s.rows.push_back(r.rows[i]);
    s.counts.push_back(r.counts[i]);
    s.lin.push_back(r.lin[i]);
    for (size_t d = 0; d < dim; ++d) s.emb.push_back(r.emb[i * dim + d]);
  }
  return s;
}

struct ReduceCase {
  size_t batch;
  std::vector<uint32_t> vocab;
  size_t dim;
  size_t extra_cols;  // grad_stride = F*D + extra_cols
  bool same_ids;      // every sample has the same ids (U == F)
};

std::string describe(const ReduceCase& c, size_t table_rows) {
  std::ostringstream s;
  s << "embedding_reduce batch=" << c.batch << " fields=" << c.vocab.size() << " dim=" << c.dim
    << " table_rows=" << table_rows << " grad_stride=" << c.vocab.size() * c.dim + c.extra_cols
    << (c.same_ids ? " (one id per field)" : "");
  return s.str();
}

// Runs one reduction on both backends and compares them as sets of rows.
void check_reduce(CpuOps<float>& cpu, CudaOps& gpu, const ReduceCase& c, uint64_t seed) {
  size_t table_rows = 0;
  auto rows_idx = ctr::test::embedding_rows(c.batch, c.vocab, seed, &table_rows, 0.4);
  const size_t fields = c.vocab.size();
  if (c.same_ids)
    for (size_t i = fields; i < rows_idx.size(); ++i) rows_idx[i] = rows_idx[i % fields];
  EmbeddingReduceParams p;
  p.batch = c.batch, p.fields = fields, p.dim = c.dim, p.table_rows = table_rows;
  p.grad_stride = c.dim ? fields * c.dim + c.extra_cols : 0;
  const auto d_emb = rand_f(c.batch * p.grad_stride, seed + 1), d_lin = rand_f(c.batch, seed + 2);
  const std::vector<float>* de = c.dim ? &d_emb : nullptr;
  const std::vector<float> abs_emb = abs_of(d_emb);
  const std::vector<float>* abs_de = c.dim ? &abs_emb : nullptr;
  const std::string what = describe(c, table_rows);

  const ReduceResult want_raw = run_reduce(cpu, p, rows_idx, de, d_lin);
  const ReduceResult mag_raw = run_reduce(cpu, p, rows_idx, abs_de, abs_of(d_lin));
  const ReduceResult got_raw = run_reduce(gpu, p, rows_idx, de, d_lin);
  REQUIRE(got_raw.count == want_raw.count);
  // The CUDA backend's rows come out strictly ascending (cuda/cuda_embedding.h): distinct and sorted.
  size_t not_ascending = 0;
  for (size_t i = 1; i < got_raw.count; ++i) not_ascending += !(got_raw.rows[i - 1] < got_raw.rows[i]);
  INFO(what << ": CUDA unique rows not strictly ascending at " << not_ascending << " places");
  CHECK(not_ascending == 0);

  const ReduceResult want = sorted_by_row(want_raw, c.dim), mag = sorted_by_row(mag_raw, c.dim),
                     got = sorted_by_row(got_raw, c.dim);
  check_equal(what + ": rows", got.rows, want.rows);
  check_equal(what + ": counts", got.counts, want.counts);
  check_close(what + ": grad_embed", got.emb, want.emb, mag.emb, kRtol);
  check_close(what + ": grad_linear", got.lin, want.lin, mag.lin, kRtol);
  // The counts cover every occurrence.
  CHECK(std::accumulate(got.counts.begin(), got.counts.end(), size_t(0)) == c.batch * fields);
}

}  // namespace

TEST_CASE("cuda ops: embedding_gather is exact for dims 7, 10 and 16 with row strides", "[cuda][ops][embedding]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  const std::vector<uint32_t> vocab = {7, 1, 1000, 31, 12345};
  const size_t fields = vocab.size();
  for (size_t dim : {size_t(7), size_t(10), size_t(16)})  // scalar, float2 and float4 paths
    for (size_t batch : {size_t(1), size_t(3), size_t(1000)})
      for (size_t extra : {size_t(0), size_t(3), size_t(4), size_t(13)}) {  // odd strides misalign rows
        size_t table_rows = 0;
        const auto rows_idx = ctr::test::embedding_rows(batch, vocab, 50 + batch + dim, &table_rows, 0.4);
        const size_t stride = fields * dim + extra;
        const auto table = rand_f(table_rows * dim, 60 + dim), out0 = rand_f(batch * stride, 70 + extra);
        auto run = [&](Ops<float>& ops) {
          GuardedF t(ops.memory(), table, "table"), out(ops.memory(), out0, "out");
          GuardedU idx(ops.memory(), rows_idx, "rows_idx");
          ops.embedding_gather(t.get(), idx.get(), batch, fields, dim, out.get(), stride);
          return out.fetch();
        };
        check_equal("embedding_gather dim=" + std::to_string(dim) + " batch=" + std::to_string(batch) +
                        " out_stride=" + std::to_string(stride),
                    run(gpu), run(cpu));
      }
}

TEST_CASE("cuda ops: embedding_reduce gives the CPU's unique rows, counts and summed gradients", "[cuda][ops][embedding]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  const std::vector<uint32_t> small = {7, 1, 1000, 31, 12345};
  const std::vector<uint32_t> odd_table = {1, 5, 97, 99900};  // 100003 rows
  SECTION("batch 1") { check_reduce(cpu, gpu, {1, small, 10, 3, false}, 101); }
  SECTION("batch 3, dim 16") { check_reduce(cpu, gpu, {3, small, 16, 0, false}, 102); }
  SECTION("batch 1000 on a 100003-row table, dim 7, dense columns in the gradient") {
    check_reduce(cpu, gpu, {1000, odd_table, 7, 13, false}, 103);
  }
  SECTION("batch 20000 on a 100003-row table, dim 10") { check_reduce(cpu, gpu, {20000, odd_table, 10, 3, false}, 104); }
  SECTION("every sample with the same ids (one row per field, count = batch)") {
    check_reduce(cpu, gpu, {4096, small, 16, 1, true}, 105);
  }
  SECTION("dim 0 (the lr model): no d_emb, only linear gradients") {
    check_reduce(cpu, gpu, {1000, small, 0, 0, false}, 106);
    check_reduce(cpu, gpu, {1, small, 0, 0, false}, 107);
  }
  SECTION("a sequence of batches of different sizes on the same backends (scratch reuse)") {
    check_reduce(cpu, gpu, {1000, odd_table, 10, 3, false}, 108);
    check_reduce(cpu, gpu, {3, odd_table, 10, 3, false}, 109);
    check_reduce(cpu, gpu, {20000, small, 10, 3, false}, 110);
    check_reduce(cpu, gpu, {1000, odd_table, 10, 3, false}, 111);
  }
}

namespace {

// ------------------------------------------------------------------------------------- table update

// A table with Adam moments and one batch's unique rows (in shuffled order, as table_update must not
// depend on the order): every third row is tiny (|w| ~ 1e-4, so CowClip's lower bound is the active
// one), row 7 is all zeros, the first and last rows of the table are present, one present row has a
// zero gradient and row 7 (zero weights) has one too. Gradient sizes span 4 decades.
struct TableCase {
  size_t rows = 0, dim = 0;
  std::vector<float> w, m, v;
  std::vector<uint32_t> urows, counts;
  std::vector<float> grad;
};

TableCase make_table_case(size_t rows, size_t dim, size_t unique, uint64_t seed) {
  TableCase c;
  c.rows = rows, c.dim = dim;
  Rng rng(seed);
  c.w.resize(rows * dim);
  for (size_t r = 0; r < rows; ++r) {
    const double scale = r == 7 ? 0.0 : (r % 3 == 0 ? 1e-3 : 1.0);
    for (size_t d = 0; d < dim; ++d) c.w[r * dim + d] = float(0.05 * scale * rng.normal());
  }
  adam_moments(rows * dim, seed + 1, c.m, c.v);
  std::set<uint32_t> chosen = {0u, uint32_t(rows - 1), 7u, 8u};
  while (chosen.size() < unique) chosen.insert(uint32_t(rng.uniform(rows)));
  c.urows.assign(chosen.begin(), chosen.end());
  shuffle_range(c.urows.begin(), c.urows.end(), rng);
  for (size_t u = 0; u < c.urows.size(); ++u) {
    const uint32_t cnt = rng.unit() < 0.05 ? uint32_t(500 + rng.uniform(1000)) : uint32_t(1 + rng.uniform(50));
    c.counts.push_back(cnt);
    const bool zero = c.urows[u] == 7 || c.urows[u] == 8;
    const double amp = cnt * std::pow(10.0, -3.5 + 4 * rng.unit());
    for (size_t d = 0; d < dim; ++d) c.grad.push_back(zero ? 0.0f : float(amp * (2 * rng.unit() - 1)));
  }
  return c;
}

double norm_of(const float* x, size_t n, double add_scale = 0, const float* add = nullptr) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) {
    const double g = double(x[i]) + (add ? add_scale * double(add[i]) : 0.0);
    s += g * g;
  }
  return std::sqrt(s);
}

// CowClip's view of one present row in double (docs/cowclip.md sections 2-3: code mode clips data +
// 2*l2*w to r*cnt*max(|w|, r*sqrt(d)*zeta); paper mode clips data to cnt*max(r*|w|, zeta)).
struct ClipView {
  double ratio;       // |g| / bound (0 when both are 0)
  bool lower_active;  // the zeta term is the larger one
};

ClipView clip_view(const TableUpdateParams& p, const float* w, const float* data, uint32_t cnt) {
  const double wn = norm_of(w, p.dim);
  const double gn = p.clip.paper_bound ? norm_of(data, p.dim) : norm_of(data, p.dim, 2 * p.l2, w);
  const double r = p.clip.r, zeta = p.clip.zeta, sd = std::sqrt(double(p.dim));
  const double lower = p.clip.paper_bound ? zeta : r * sd * zeta;
  const double upper = p.clip.paper_bound ? r * wn : wn;
  const double bound = p.clip.paper_bound ? cnt * std::max(upper, lower) : r * cnt * std::max(upper, lower);
  ClipView v;
  v.ratio = bound > 0 ? gn / bound : (gn > 0 ? 1e300 : 0.0);
  v.lower_active = lower > upper;
  return v;
}

// Makes every present row's clip decision unambiguous (|g| / bound at least 1e-3 away from 1) by
// scaling its batch gradient, and returns how many rows fall in each regime.
struct ClipRegimes {
  size_t lower_clipped = 0, lower_kept = 0, upper_clipped = 0, upper_kept = 0;
};

ClipRegimes settle_clip_decisions(TableCase& c, const TableUpdateParams& p) {
  ClipRegimes g;
  for (size_t u = 0; u < c.urows.size(); ++u) {
    const float* w = &c.w[size_t(c.urows[u]) * c.dim];
    float* data = &c.grad[u * c.dim];
    ClipView v = clip_view(p, w, data, c.counts[u]);
    for (int tries = 0; std::fabs(v.ratio - 1) < 1e-3 && tries < 10; ++tries) {
      for (size_t d = 0; d < c.dim; ++d) data[d] *= 1.25f;
      v = clip_view(p, w, data, c.counts[u]);
    }
    REQUIRE(std::fabs(v.ratio - 1) >= 1e-3);
    const bool clipped = v.ratio > 1;
    if (v.lower_active)
      ++(clipped ? g.lower_clipped : g.lower_kept);
    else
      ++(clipped ? g.upper_clipped : g.upper_kept);
  }
  return g;
}

struct TableResult {
  size_t clipped = 0;
  double grad_sq = 0;
  std::vector<float> w, m, v;
};

TableResult run_table_update(Ops<float>& ops, const TableUpdateParams& p, const TableCase& c) {
  MemorySpace& mem = ops.memory();
  GuardedF w(mem, c.w, "table"), m(mem, c.m, "m"), v(mem, c.v, "v"), g(mem, c.grad, "grad");
  GuardedU rows(mem, c.urows, "rows"), counts(mem, c.counts, "counts");
  TableResult r;
  r.grad_sq = ops.table_grad_sum_squares(p, w.get(), rows.get(), g.get(), c.urows.size());
  r.clipped = table_update_clipped(ops, p, w.get(), m.get(), v.get(), rows.get(), counts.get(), g.get(), c.urows.size());
  r.w = w.fetch(), r.m = m.fetch(), r.v = v.fetch();
  g.fetch(), rows.fetch(), counts.fetch();
  return r;
}

std::string describe(const TableUpdateParams& p) {
  std::ostringstream s;
  s << "table_update rows=" << p.table_rows << " dim=" << p.dim << (p.update_all_rows ? " dense" : " sparse")
    << " l2=" << p.l2 << " grad_scale=" << p.grad_scale << " clip="
    << (!p.clip.enabled ? "off" : p.clip.paper_bound ? "paper" : "code") << " r=" << p.clip.r
    << " zeta=" << p.clip.zeta << " lr=" << p.adam.lr << " step=" << p.adam.step;
  return s.str();
}

// Runs one table update on both backends and compares the table, moments, clipped count and the
// pre-clip squared gradient norm. Returns the CPU's result.
TableResult check_table_update(CpuOps<float>& cpu, CudaOps& gpu, const TableUpdateParams& p, const TableCase& c) {
  const std::string what = describe(p);
  const TableResult want = run_table_update(cpu, p, c), got = run_table_update(gpu, p, c);
  INFO(what << ": clipped rows cuda " << got.clipped << ", cpu " << want.clipped << " of " << c.urows.size());
  CHECK(got.clipped == want.clipped);
  {
    INFO(what << ": table_grad_sum_squares cuda " << got.grad_sq << ", cpu " << want.grad_sq);
    CHECK(relative_close(got.grad_sq, want.grad_sq, kRtol));
  }
  check_adam_state(what, c.w, c.m, want.w, want.m, want.v, got.w, got.m, got.v, adam_lr_t(p.adam.lr, p.adam.step));
  if (!p.update_all_rows) {  // rows absent from the batch keep their exact bits
    std::vector<bool> present(c.rows, false);
    for (uint32_t r : c.urows) present[r] = true;
    size_t changed = 0;
    for (size_t r = 0; r < c.rows; ++r)
      if (!present[r])
        for (size_t d = 0; d < c.dim; ++d) {
          const size_t i = r * c.dim + d;
          changed += std::memcmp(&got.w[i], &c.w[i], 4) != 0 || std::memcmp(&got.m[i], &c.m[i], 4) != 0 ||
                     std::memcmp(&got.v[i], &c.v[i], 4) != 0;
        }
    INFO(what << ": values of absent rows changed by a batch-rows update: " << changed);
    CHECK(changed == 0);
  }
  return want;
}


}  // namespace

TEST_CASE("cuda ops: table_update and table_grad_sum_squares match the CPU in every mode", "[cuda][ops][table]") {
  const bool dense = GENERATE(true, false);
  const int clip_mode = GENERATE(0, 1, 2);  // off, code bound, paper bound
  const double grad_scale = GENERATE(1.0, 0.5);
  const size_t dim = GENERATE(size_t(10), size_t(1));  // the embedding table and the linear table
  CAPTURE(dense, clip_mode, grad_scale, dim);
  CpuOps<float> cpu;
  CudaOps gpu;
  const size_t rows = 100003, unique = 5000;
  TableCase c = make_table_case(rows, dim, unique, 200 + dim);
  const TableUpdateParams p = table_params(rows, dim, dense, clip_mode, grad_scale);
  if (p.clip.enabled) {
    // Preconditions on the data: no row on the bound, and all four regimes present, so the clipped
    // count is exact and both sides of both bounds are exercised.
    const ClipRegimes g = settle_clip_decisions(c, p);
    INFO("rows clipped/kept under the lower bound " << g.lower_clipped << "/" << g.lower_kept << ", under r*|w| "
                                                    << g.upper_clipped << "/" << g.upper_kept);
    REQUIRE(g.lower_clipped > 0);
    REQUIRE(g.lower_kept > 0);
    REQUIRE(g.upper_clipped > 0);
    REQUIRE(g.upper_kept > 0);
  }
  const TableResult want = check_table_update(cpu, gpu, p, c);
  if (p.clip.enabled) {
    CHECK(want.clipped > 0);
    CHECK(want.clipped < unique);
  } else {
    CHECK(want.clipped == 0);
  }
}

TEST_CASE("cuda ops: table_update with the code bound and 2*l2 > r clips absent rows row by row", "[cuda][ops][table]") {
  const size_t dim = GENERATE(size_t(10), size_t(1));
  CAPTURE(dim);
  CpuOps<float> cpu;
  CudaOps gpu;
  const size_t rows = 100003;
  TableCase c = make_table_case(rows, dim, 3000, 300 + dim);
  TableUpdateParams p = table_params(rows, dim, true, 1, 1.0);
  p.l2 = 0.05, p.clip.r = 0.05;  // an absent row's gradient 2*l2*w = 0.1 w exceeds its bound 0.05 |w|
  settle_clip_decisions(c, p);
  const TableResult want = check_table_update(cpu, gpu, p, c);
  // The case is only meaningful if clipping changes absent rows: without CowClip they end elsewhere.
  TableUpdateParams no_clip = p;
  no_clip.clip.enabled = false;
  const TableResult unclipped = run_table_update(cpu, no_clip, c);
  std::vector<bool> present(rows, false);
  for (uint32_t r : c.urows) present[r] = true;
  double max_diff = 0;
  for (size_t r = 0; r < rows; ++r)
    if (!present[r])
      for (size_t d = 0; d < dim; ++d)
        max_diff = std::max(max_diff, std::fabs(double(want.w[r * dim + d]) - unclipped.w[r * dim + d]));
  const double lr_t = adam_lr_t(p.adam.lr, p.adam.step);
  INFO("largest effect of clipping on an absent row: " << max_diff << " (lr_t " << lr_t << ")");
  REQUIRE(max_diff > 1e-2 * lr_t);
}

TEST_CASE("cuda ops: table_update with zeta 0: a zero row with a zero gradient is not clipped", "[cuda][ops][table]") {
  const int clip_mode = GENERATE(1, 2);
  const bool dense = GENERATE(true, false);
  CAPTURE(clip_mode, dense);
  CpuOps<float> cpu;
  CudaOps gpu;
  const size_t rows = 1009, dim = 10;
  TableCase c = make_table_case(rows, dim, 300, 400);
  TableUpdateParams p = table_params(rows, dim, dense, clip_mode, 1.0);
  p.clip.zeta = 0;  // row 7 (zero weights, zero gradient) has bound 0 and gradient norm 0
  for (size_t u = 0; u < c.urows.size(); ++u)
    if (c.urows[u] != 7) {
      ClipView v = clip_view(p, &c.w[size_t(c.urows[u]) * dim], &c.grad[u * dim], c.counts[u]);
      for (int tries = 0; std::fabs(v.ratio - 1) < 1e-3 && tries < 10; ++tries) {
        for (size_t d = 0; d < dim; ++d) c.grad[u * dim + d] *= 1.25f;
        v = clip_view(p, &c.w[size_t(c.urows[u]) * dim], &c.grad[u * dim], c.counts[u]);
      }
    }
  const TableResult want = check_table_update(cpu, gpu, p, c);
  CHECK(want.clipped > 0);
}

TEST_CASE("cuda ops: table_update on tables of different sizes and dims in turn on one backend", "[cuda][ops][table]") {
  CpuOps<float> cpu;
  CudaOps gpu;  // its row -> unique-row map is reused across calls and tables
  struct Step {
    size_t rows, dim, unique;
    bool dense;
    int clip_mode;
  };
  const Step steps[] = {{100003, 10, 5000, true, 1}, {1009, 1, 300, false, 2}, {100003, 10, 2000, true, 0},
                        {5003, 16, 1000, true, 1},   {5003, 7, 4000, false, 1}, {100003, 1, 7, true, 2},
                        {1009, 16, 1009, true, 2}};
  uint64_t seed = 450;
  for (const Step& st : steps) {
    TableCase c = make_table_case(st.rows, st.dim, st.unique, seed++);
    TableUpdateParams p = table_params(st.rows, st.dim, st.dense, st.clip_mode, 1.0);
    if (st.dim == 16) p.l2 = 0.05, p.clip.r = 0.05;  // code mode: absent rows go through the per-row clip
    p.adam.step = seed % 5 + 1;
    if (p.clip.enabled) settle_clip_decisions(c, p);
    check_table_update(cpu, gpu, p, c);
  }
}

TEST_CASE("cuda ops: linear_forward matches the CPU", "[cuda][ops][layers]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  const std::vector<uint32_t> vocab = {7, 1, 1000, 31, 12345};
  const size_t fields = vocab.size();
  for (size_t batch : {size_t(1), size_t(3), size_t(1000)})
    for (size_t nd : {size_t(0), size_t(3), size_t(13)}) {
      size_t table_rows = 0;
      const auto rows_idx = ctr::test::embedding_rows(batch, vocab, 500 + batch, &table_rows, 0.4);
      const auto lin = rand_f(table_rows, 501), dense = rand_f(batch * nd, 502, 0, 3), wd = rand_f(nd, 503);
      auto run = [&](Ops<float>& ops, const std::vector<float>& l, const std::vector<float>& x,
                     const std::vector<float>& w) {
        GuardedF lt(ops.memory(), l, "lin_table"), xb(ops.memory(), x, "dense"), wb(ops.memory(), w, "w_dense"),
            out(ops.memory(), filled(batch, poison()), "out");
        GuardedU idx(ops.memory(), rows_idx, "rows_idx");
        // nd == 0: the model passes the empty dense buffers, i.e. null pointers
        ops.linear_forward(lt.get(), idx.get(), nd ? xb.get() : nullptr, nd ? wb.get() : nullptr, batch, fields, nd,
                           out.get());
        return out.fetch();
      };
      check_close("linear_forward batch=" + std::to_string(batch) + " num_dense=" + std::to_string(nd),
                  run(gpu, lin, dense, wd), run(cpu, lin, dense, wd),
                  run(cpu, abs_of(lin), abs_of(dense), abs_of(wd)), kRtol);
    }
}

TEST_CASE("cuda ops: FM forward and backward match the CPU", "[cuda][ops][layers]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  const size_t fields = 5;
  for (size_t dim : {size_t(7), size_t(10), size_t(16)})
    for (size_t batch : {size_t(1), size_t(3), size_t(1000)}) {
      const size_t stride = fields * dim + 3;  // 3 dense columns after the embeddings
      const auto x = rand_f(batch * stride, 600 + dim), dout = rand_f(batch, 601), dx0 = rand_f(batch * stride, 602);
      struct Out {
        std::vector<float> out, dx;
      };
      auto run = [&](Ops<float>& ops, const std::vector<float>& xv, const std::vector<float>& dv,
                     const std::vector<float>& d0) {
        GuardedF xb(ops.memory(), xv, "x"), out(ops.memory(), filled(batch, poison()), "out"),
            db(ops.memory(), dv, "dout"), dx(ops.memory(), d0, "dx");
        ops.fm_forward(xb.get(), stride, batch, fields, dim, out.get());
        ops.fm_backward(xb.get(), stride, db.get(), batch, fields, dim, dx.get());
        return Out{out.fetch(), dx.fetch()};
      };
      const Out want = run(cpu, x, dout, dx0), mag = run(cpu, abs_of(x), abs_of(dout), abs_of(dx0)),
                got = run(gpu, x, dout, dx0);
      const std::string what = "fm dim=" + std::to_string(dim) + " batch=" + std::to_string(batch);
      check_close(what + ": forward", got.out, want.out, mag.out, kRtol);
      check_close(what + ": backward (dx +=)", got.dx, want.dx, mag.dx, kRtol);
      size_t dense_cols_changed = 0;  // fm_backward adds to the embedding columns only
      for (size_t b = 0; b < batch; ++b)
        for (size_t j = fields * dim; j < stride; ++j) dense_cols_changed += !(got.dx[b * stride + j] == dx0[b * stride + j]);
      INFO(what << ": dense columns of dx changed: " << dense_cols_changed);
      CHECK(dense_cols_changed == 0);
    }
}

TEST_CASE("cuda ops: DLRM dot interaction forward and backward are bit-identical to the CPU", "[cuda][ops][layers]") {
  // Both backends run interaction_math.h's CTR_HOST_DEVICE functions, every product and sum rounded
  // on its own (rn::) in one order, so the results must agree bit for bit, not within a tolerance.
  CpuOps<float> cpu;
  CudaOps gpu;
  struct Shape {
    size_t batch, vectors, dim, x_pad, out_pad;
  };
  const std::vector<Shape> shapes = {
      {1000, 27, 10, 0, 0},  // Criteo: the bottom output and 26 field embeddings of dim 10
      {1000, 27, 10, 2, 3},  // ... with the model's padding: x0 270 -> 272 columns, top input 361 -> 364
      {8192, 27, 10, 2, 3},  // more values than one grid covers (8192 blocks of 256): the grid-stride loops
      {1, 27, 10, 2, 3},     // batch 1
      {0, 27, 10, 2, 3},     // batch 0: nothing written
      {3, 1, 7, 1, 2},       // one vector: no pairs, out = z_0
      {1, 1, 1, 0, 0},
      {5, 2, 1, 3, 1},       // one pair
      {77, 24, 16, 5, 0},    // Avazu-like: 23 fields + the bottom output, dim 16
  };
  for (const Shape& sh : shapes) {
    const size_t pairs = sh.vectors * (sh.vectors - 1) / 2, width = sh.dim + pairs, used = sh.vectors * sh.dim;
    const size_t stride = used + sh.x_pad, out_stride = width + sh.out_pad;
    const std::string what = "dot interaction batch=" + std::to_string(sh.batch) + " vectors=" +
                             std::to_string(sh.vectors) + " dim=" + std::to_string(sh.dim) + " stride=" +
                             std::to_string(stride) + " out_stride=" + std::to_string(out_stride);
    const auto x = rand_f(sh.batch * stride, 650 + sh.vectors, -2, 2);
    const auto dout = rand_f(sh.batch * out_stride, 651 + sh.dim);  // its padding columns must not be read
    struct Out {
      std::vector<float> out, dx;
    };
    auto run = [&](Ops<float>& ops) {
      MemorySpace& mem = ops.memory();
      GuardedF xb(mem, x, "x"), db(mem, dout, "dout"), out(mem, filled(sh.batch * out_stride, poison()), "out"),
          dx(mem, filled(sh.batch * stride, poison()), "dx");
      ops.dot_interaction_forward(xb.get(), stride, sh.batch, sh.vectors, sh.dim, out.get(), out_stride);
      ops.dot_interaction_backward(xb.get(), stride, db.get(), out_stride, sh.batch, sh.vectors, sh.dim, dx.get());
      xb.fetch();
      db.fetch();
      return Out{out.fetch(), dx.fetch()};
    };
    const Out want = run(cpu), got = run(gpu);
    ctr::test::check_bits(what + ": forward", got.out, want.out);
    ctr::test::check_bits(what + ": backward (dx =)", got.dx, want.dx);
    // The reference itself: every used column written (no poison left), every padding column kept.
    const float p = poison();
    auto is_poison = [&](float v) { return std::memcmp(&v, &p, sizeof v) == 0; };
    size_t unwritten = 0, pad_written = 0;
    auto count = [&](const std::vector<float>& v, size_t row_stride, size_t in_use) {
      for (size_t b = 0; b < sh.batch; ++b)
        for (size_t j = 0; j < row_stride; ++j) {
          const bool poisoned = is_poison(v[b * row_stride + j]);
          if (j < in_use && poisoned) ++unwritten;
          if (j >= in_use && !poisoned) ++pad_written;
        }
    };
    count(want.out, out_stride, width);
    count(want.dx, stride, used);
    INFO(what << ": cpu left " << unwritten << " used values unwritten and wrote " << pad_written << " padding values");
    CHECK(unwritten + pad_written == 0);
  }
}

TEST_CASE("cuda ops: DCN cross layer forward and backward match the CPU, with the accumulate semantics", "[cuda][ops][layers]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  for (size_t k : {size_t(1), size_t(19), size_t(53), size_t(400)})
    for (size_t batch : {size_t(1), size_t(3), size_t(1000)}) {
      const size_t n = batch * k;
      const auto x0 = rand_f(n, 700 + k), xl = rand_f(n, 701), w = rand_f(k, 702), bias = rand_f(k, 703),
                 dout = rand_f(n, 704), dx0_init = rand_f(n, 705), dw_init = rand_f(k, 706), db_init = rand_f(k, 707);
      struct Fwd {
        std::vector<float> s, out;
      };
      auto forward = [&](Ops<float>& ops, const std::vector<float>& a0, const std::vector<float>& al,
                         const std::vector<float>& aw, const std::vector<float>& ab) {
        GuardedF x0b(ops.memory(), a0, "x0"), xlb(ops.memory(), al, "xl"), wb(ops.memory(), aw, "w"),
            bb(ops.memory(), ab, "bias"), s(ops.memory(), filled(batch, poison()), "s"),
            out(ops.memory(), filled(n, poison()), "out");
        ops.dcn_cross_forward(x0b.get(), xlb.get(), wb.get(), bb.get(), batch, k, s.get(), out.get());
        return Fwd{s.fetch(), out.fetch()};
      };
      const std::string what = "cross k=" + std::to_string(k) + " batch=" + std::to_string(batch);
      const Fwd fw = forward(cpu, x0, xl, w, bias), fm = forward(cpu, abs_of(x0), abs_of(xl), abs_of(w), abs_of(bias)),
                fg = forward(gpu, x0, xl, w, bias);
      check_close(what + ": forward s", fg.s, fw.s, fm.s, kRtol);
      check_close(what + ": forward out", fg.out, fw.out, fm.out, kRtol);

      // Backward from the same s on both: dx0 +=, dxl =, dw =, dbias = (ops.h, docs/backend.md "Write or add").
      struct Bwd {
        std::vector<float> dx0, dxl, dw, db;
      };
      auto backward = [&](Ops<float>& ops, const std::vector<float>& a0, const std::vector<float>& al,
                          const std::vector<float>& aw, const std::vector<float>& as, const std::vector<float>& ad,
                          const std::vector<float>& i0, const std::vector<float>& iw, const std::vector<float>& ib) {
        MemorySpace& mem = ops.memory();
        GuardedF x0b(mem, a0, "x0"), xlb(mem, al, "xl"), wb(mem, aw, "w"), sb(mem, as, "s"), db(mem, ad, "dout"),
            dx0(mem, i0, "dx0"), dxl(mem, filled(n, poison()), "dxl"), dw(mem, iw, "dw"), dbias(mem, ib, "dbias");
        ops.dcn_cross_backward(x0b.get(), xlb.get(), wb.get(), sb.get(), db.get(), batch, k, dx0.get(), dxl.get(),
                           dw.get(), dbias.get());
        return Bwd{dx0.fetch(), dxl.fetch(), dw.fetch(), dbias.fetch()};
      };
      const Bwd bw = backward(cpu, x0, xl, w, fw.s, dout, dx0_init, dw_init, db_init);
      const Bwd bm = backward(cpu, abs_of(x0), abs_of(xl), abs_of(w), abs_of(fw.s), abs_of(dout), abs_of(dx0_init),
                              abs_of(dw_init), abs_of(db_init));
      const Bwd bg = backward(gpu, x0, xl, w, fw.s, dout, dx0_init, dw_init, db_init);
      check_close(what + ": backward dx0 (+=)", bg.dx0, bw.dx0, bm.dx0, kRtol);
      check_close(what + ": backward dxl (=)", bg.dxl, bw.dxl, bm.dxl, kRtol);
      check_close(what + ": backward dw (=)", bg.dw, bw.dw, bm.dw, kRtol);
      check_close(what + ": backward dbias (=)", bg.db, bw.db, bm.db, kRtol);
    }
}

TEST_CASE("cuda ops: DCNv2 dcnv2_combine and its backward match the CPU", "[cuda][ops][layers]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  for (size_t n : {size_t(1), size_t(53), size_t(53000), size_t(131072 * 53 + 1)}) {
    const auto x0 = rand_f(n, 800), u = rand_f(n, 801), xl = rand_f(n, 802), dout = rand_f(n, 803),
               dx0_init = rand_f(n, 804);
    struct Out {
      std::vector<float> out, dx0, du;
    };
    auto run = [&](Ops<float>& ops, const std::vector<float>& a0, const std::vector<float>& au,
                   const std::vector<float>& al, const std::vector<float>& ad, const std::vector<float>& i0) {
      MemorySpace& mem = ops.memory();
      GuardedF x0b(mem, a0, "x0"), ub(mem, au, "u"), xlb(mem, al, "xl"), db(mem, ad, "dout"), dx0(mem, i0, "dx0"),
          out(mem, filled(n, poison()), "out"), du(mem, filled(n, poison()), "du");
      ops.dcnv2_combine(x0b.get(), ub.get(), xlb.get(), out.get(), n);
      ops.dcnv2_combine_backward(x0b.get(), ub.get(), db.get(), dx0.get(), du.get(), n);
      return Out{out.fetch(), dx0.fetch(), du.fetch()};
    };
    const Out want = run(cpu, x0, u, xl, dout, dx0_init);
    const Out mag = run(cpu, abs_of(x0), abs_of(u), abs_of(xl), abs_of(dout), abs_of(dx0_init));
    const Out got = run(gpu, x0, u, xl, dout, dx0_init);
    const std::string what = "dcnv2_combine n=" + std::to_string(n);
    check_close(what + ": combine", got.out, want.out, mag.out, kRtol);
    check_close(what + ": backward dx0 (+=)", got.dx0, want.dx0, mag.dx0, kRtol);
    check_equal(what + ": backward du (=, one product)", got.du, want.du);
  }
}

TEST_CASE("cuda ops: bce_with_logits and sigmoid match the CPU, large logits included", "[cuda][ops][loss]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  SECTION("bce_with_logits: the loss sum and dlogits") {
    for (size_t batch : {size_t(1), size_t(3), size_t(1000), size_t(131072)})
      for (float scale : {1.0f / float(batch), 0.25f}) {
        auto z = rand_f(batch, 900 + batch, -8, 8);
        std::vector<float> labels(batch);
        Rng rng(901);
        for (auto& y : labels) y = rng.unit() < 0.3 ? 1.0f : 0.0f;
        const float big[] = {40.0f, -40.0f, 100.0f, -100.0f, 0.0f, 17.5f, -17.5f};
        for (size_t i = 0; i < batch && i < 14; ++i) z[i] = big[i % 7], labels[i] = i < 7 ? 1.0f : 0.0f;
        double mag = 0;  // sum of |max(z,0)| + |z*y| + log1p(e^-|z|)
        for (size_t i = 0; i < batch; ++i)
          mag += std::max(double(z[i]), 0.0) + std::fabs(double(z[i]) * labels[i]) +
                 std::log1p(std::exp(-std::fabs(double(z[i]))));
        struct Out {
          double loss;
          std::vector<float> dl;
        };
        auto run = [&](Ops<float>& ops) {
          GuardedF zb(ops.memory(), z, "logits"), yb(ops.memory(), labels, "labels"),
              dl(ops.memory(), filled(batch, poison()), "dlogits");
          const double loss = bce_loss_sum(ops, zb.get(), yb.get(), batch, scale, dl.get());
          return Out{loss, dl.fetch()};
        };
        const Out want = run(cpu), got = run(gpu);
        const std::string what = "bce batch=" + std::to_string(batch) + " scale=" + std::to_string(scale);
        INFO(what << ": loss cuda " << got.loss << ", cpu " << want.loss);
        CHECK(std::isfinite(got.loss));
        CHECK(std::fabs(got.loss - want.loss) <= kRtol * (std::fabs(want.loss) + mag));
        check_close(what + ": dlogits", got.dl, want.dl, {}, kRtol, 1e-6 * scale);
      }
  }
  SECTION("sigmoid") {
    for (size_t n : {size_t(1), size_t(1000), size_t(131075)}) {
      auto z = rand_f(n, 950 + n, -30, 30);
      const float big[] = {0.0f, 40.0f, -40.0f, 100.0f, -100.0f, 88.0f, -88.0f};
      for (size_t i = 0; i < n && i < 7; ++i) z[i] = big[i];
      auto run = [&](Ops<float>& ops) {
        GuardedF zb(ops.memory(), z, "logits"), p(ops.memory(), filled(n, poison()), "probs");
        ops.sigmoid(zb.get(), p.get(), n);
        return p.fetch();
      };
      const auto want = run(cpu), got = run(gpu);
      check_close("sigmoid n=" + std::to_string(n), got, want, {}, kRtol, 1e-30);
      size_t outside = 0;
      for (float p : got) outside += !(p >= 0.0f && p <= 1.0f);
      CHECK(outside == 0);
    }
  }
}

TEST_CASE("cuda ops: adam_update with L2 and a gradient scale matches the CPU", "[cuda][ops][adam]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  for (size_t n : {size_t(1), size_t(1000), size_t((1 << 20) + 1)})
    for (double l2 : {0.0, 1e-3})
      for (double scale : {1.0, 0.5})
        for (uint64_t step : {uint64_t(1), uint64_t(7)}) {
          const auto w0 = rand_f(n, 1000 + n), g = rand_f(n, 1001, -0.1, 0.1);
          std::vector<float> m0, v0;
          adam_moments(n, 1002, m0, v0);
          AdamStep s;
          s.lr = 3e-3, s.step = step;
          struct Out {
            std::vector<float> w, m, v;
          };
          auto run = [&](Ops<float>& ops) {
            MemorySpace& mem = ops.memory();
            GuardedF w(mem, w0, "w"), gb(mem, g, "g"), m(mem, m0, "m"), v(mem, v0, "v");
            ops.adam_update(w.get(), gb.get(), m.get(), v.get(), n, l2, scale, s);
            gb.fetch();
            return Out{w.fetch(), m.fetch(), v.fetch()};
          };
          const Out want = run(cpu), got = run(gpu);
          std::ostringstream what;
          what << "adam_update n=" << n << " l2=" << l2 << " grad_scale=" << scale << " step=" << step;
          check_adam_state(what.str(), w0, m0, want.w, want.m, want.v, got.w, got.m, got.v, adam_lr_t(s.lr, step));
        }
}

namespace {

// ------------------------------------------------------------------------ Adam over several steps

// Adam in double, from its definition rather than from backend code, in the epsilon-hat form the
// backends use (backend/cpu_math.h), t the 1-based step:
//   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,  w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
// b1, b2 and eps are the float values the backends hold (AdamCoeffs<float>), so only float rounding
// separates a correct backend from it. Why its tolerance (kRefRtol) catches a wrong bias correction:
// from fresh moments, step 1 has m = (1 - b1) g and sqrt(v) = sqrt(1 - b2) |g|, so the corrected step
// is lr * sign(g). Dropping 1 - b1^t makes it 10x smaller, dropping sqrt(1 - b2^t) 31.6x larger, and
// t + 1 for t (or t for t - 1 at the next step) changes it by 26% at t = 1 and still by 6% at t = 4;
// storing the corrected m / (1 - b1^t) instead of m is 10x off in m at step 1. Float rounding over
// 4 steps is ~10 roundings of 6e-8 each, ~6e-7 of the magnitudes involved.
constexpr double kRefRtol = 3e-6;

struct AdamRef {
  std::vector<double> w, m, v;
  std::vector<double> mag_m, mag_v;  // the same recurrences on |g| and |g|^2 (|g| of every term of g)
  std::vector<double> moved;         // sum over the steps of lr_t * mag_m / (sqrt(v) + eps)
  explicit AdamRef(const std::vector<float>& w0)
      : w(w0.begin(), w0.end()), m(w0.size()), v(w0.size()), mag_m(w0.size()), mag_v(w0.size()), moved(w0.size()) {}

  // One step with gradient g (magnitude g_mag) on the values where `updated` is set (null: all).
  void step(const std::vector<double>& g, const std::vector<double>& g_mag, const std::vector<char>* updated,
            const AdamStep& s) {
    const double b1 = float(s.beta1), b2 = float(s.beta2), eps = float(s.eps), t = double(s.step);
    const double lr_t = s.lr * std::sqrt(1 - std::pow(s.beta2, t)) / (1 - std::pow(s.beta1, t));
    for (size_t i = 0; i < w.size(); ++i) {
      if (updated && !(*updated)[i]) continue;
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      mag_m[i] = b1 * mag_m[i] + (1 - b1) * g_mag[i];
      mag_v[i] = b2 * mag_v[i] + (1 - b2) * g_mag[i] * g_mag[i];
      w[i] -= lr_t * m[i] / (std::sqrt(v[i]) + eps);
      moved[i] += lr_t * mag_m[i] / (std::sqrt(v[i]) + eps);
    }
  }
};

std::vector<float> to_float(const std::vector<double>& x) { return std::vector<float>(x.begin(), x.end()); }

// A backend's w, m, v against the reference: m within kRefRtol of (|m| + mag_m), v of (v + mag_v),
// w of (|w| + moved).
void check_against_ref(const std::string& what, const std::vector<float>& w, const std::vector<float>& m,
                       const std::vector<float>& v, const AdamRef& ref) {
  check_close(what + ": m against double Adam", m, to_float(ref.m), to_float(ref.mag_m), kRefRtol);
  check_close(what + ": v against double Adam", v, to_float(ref.v), to_float(ref.mag_v), kRefRtol);
  check_close(what + ": w against double Adam", w, to_float(ref.w), to_float(ref.moved), kRefRtol);
}

// The gradient of step t (1-based) on n values: uniform in [-0.1, 0.1], except values 0-3 (zero at
// step 1; with their zero weights, see adam_weights, the moments stay zero and w must not move),
// 4-7 (1e-9 on weights of 1e-7: sqrt(v) stays far below eps, so the step is eps-limited) and 8-15
// (+-0.05 alternating with the step, so m cancels).
std::vector<float> step_gradient(size_t n, uint64_t t) {
  std::vector<float> g = rand_f(n, 1700 + t, -0.1, 0.1);
  for (size_t i = 0; i < std::min<size_t>(n, 16); ++i) {
    if (i < 4 && t == 1) g[i] = 0.0f;
    if (i >= 4 && i < 8) g[i] = 1e-9f;
    if (i >= 8) g[i] = (t % 2 ? 0.05f : -0.05f) * (i % 2 ? 1.0f : -1.0f);
  }
  return g;
}

// Weights in [-1, 1) except for values 0-3 (0) and 4-7 (1e-7), for step_gradient's special values.
std::vector<float> adam_weights(size_t n) {
  std::vector<float> w = rand_f(n, 1699);
  for (size_t i = 0; i < std::min<size_t>(n, 8); ++i) w[i] = i < 4 ? 0.0f : 1e-7f;
  return w;
}

// The reference's gradient for adam_update: (g + 2*l2*w) * scale with the float coefficients.
void dense_ref_gradient(const std::vector<float>& g, const AdamRef& ref, double l2, double scale,
                        std::vector<double>* gd, std::vector<double>* mag) {
  const double two_l2 = float(2 * l2), sc = float(scale);
  gd->resize(g.size());
  mag->resize(g.size());
  for (size_t i = 0; i < g.size(); ++i) {
    (*gd)[i] = (g[i] + two_l2 * ref.w[i]) * sc;
    (*mag)[i] = (std::fabs(g[i]) + std::fabs(two_l2 * ref.w[i])) * sc;
  }
}

}  // namespace

TEST_CASE("cuda ops: adam_update m and v over steps 1 to 4 from fresh moments match the CPU and a double-precision Adam", "[cuda][ops][adam]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  const size_t n = 4099;
  const double l2 = 1e-3, scale = 0.5;
  const auto w0 = adam_weights(n);
  const std::vector<float> zeros(n, 0.0f);
  GuardedF wc(cpu.memory(), w0, "w"), mc(cpu.memory(), zeros, "m"), vc(cpu.memory(), zeros, "v");
  GuardedF wg(gpu.memory(), w0, "w"), mg(gpu.memory(), zeros, "m"), vg(gpu.memory(), zeros, "v");
  AdamRef ref(w0);
  std::vector<float> w_prev = w0, m_prev = zeros;
  for (uint64_t t = 1; t <= 4; ++t) {
    const auto g = step_gradient(n, t);
    AdamStep s;
    s.lr = 3e-3, s.step = t;
    GuardedF gc(cpu.memory(), g, "g"), gg(gpu.memory(), g, "g");
    cpu.adam_update(wc.get(), gc.get(), mc.get(), vc.get(), n, l2, scale, s);
    gpu.adam_update(wg.get(), gg.get(), mg.get(), vg.get(), n, l2, scale, s);
    std::vector<double> gd, mag;
    dense_ref_gradient(g, ref, l2, scale, &gd, &mag);
    ref.step(gd, mag, nullptr, s);
    const std::string what = "adam_update step " + std::to_string(t);
    const auto w_cpu = wc.fetch(), m_cpu = mc.fetch(), v_cpu = vc.fetch();
    const auto w_gpu = wg.fetch(), m_gpu = mg.fetch(), v_gpu = vg.fetch();
    check_adam_state(what, w_prev, m_prev, w_cpu, m_cpu, v_cpu, w_gpu, m_gpu, v_gpu, adam_lr_t(s.lr, t));
    check_against_ref(what + " cuda", w_gpu, m_gpu, v_gpu, ref);
    check_against_ref(what + " cpu", w_cpu, m_cpu, v_cpu, ref);
    for (size_t i = 0; i < 4 && t == 1; ++i) CHECK(w_gpu[i] == w0[i]);  // zero gradient, zero moments: 0 / eps
    w_prev = w_cpu, m_prev = m_cpu;
  }
}

namespace {

// The rows present at step t (1-based) of a table of `rows` rows: a different random half each
// step, so that in batch-rows mode rows skip steps and in all-rows mode they alternate between a batch
// gradient and the L2 gradient alone.
std::vector<uint32_t> step_rows(size_t rows, uint64_t t) {
  Rng rng(1800 + t);
  std::vector<uint32_t> r;
  for (uint32_t i = 0; i < rows; ++i)
    if (rng.unit() < 0.5) r.push_back(i);
  shuffle_range(r.begin(), r.end(), rng);
  return r;
}

// The reference's gradient for table_update without CowClip: data + 2*l2*w on present rows, 2*l2*w
// on absent rows (all-rows mode), no update of absent rows (batch-rows mode: updated[i] = 0).
void table_ref_gradient(const std::vector<uint32_t>& present, const std::vector<float>& grad, size_t dim, double l2,
                        bool dense, const AdamRef& ref, std::vector<double>* gd, std::vector<double>* mag,
                        std::vector<char>* updated) {
  const size_t total = ref.w.size();
  const double two_l2 = float(2 * l2);
  std::vector<double> data(total, 0.0);
  updated->assign(total, dense ? 1 : 0);
  for (size_t u = 0; u < present.size(); ++u)
    for (size_t d = 0; d < dim; ++d) {
      data[size_t(present[u]) * dim + d] = grad[u * dim + d];
      (*updated)[size_t(present[u]) * dim + d] = 1;
    }
  gd->resize(total);
  mag->resize(total);
  for (size_t i = 0; i < total; ++i) {
    (*gd)[i] = data[i] + two_l2 * ref.w[i];
    (*mag)[i] = std::fabs(data[i]) + std::fabs(two_l2 * ref.w[i]);
  }
}

}  // namespace

TEST_CASE("cuda ops: table_update m and v over steps 1 to 3 from fresh moments match the CPU and a double-precision Adam", "[cuda][ops][adam][table]") {
  const bool dense = GENERATE(true, false);
  const size_t dim = GENERATE(size_t(10), size_t(1));
  CAPTURE(dense, dim);
  CpuOps<float> cpu;
  CudaOps gpu;
  const size_t rows = 5003, total = rows * dim;
  const auto w0 = rand_f(total, 1799, -0.1, 0.1);
  const std::vector<float> zeros(total, 0.0f);
  GuardedF wc(cpu.memory(), w0, "table"), mc(cpu.memory(), zeros, "m"), vc(cpu.memory(), zeros, "v");
  GuardedF wg(gpu.memory(), w0, "table"), mg(gpu.memory(), zeros, "m"), vg(gpu.memory(), zeros, "v");
  AdamRef ref(w0);
  std::vector<float> w_prev = w0, m_prev = zeros;
  for (uint64_t t = 1; t <= 3; ++t) {
    const auto present = step_rows(rows, t);
    const std::vector<uint32_t> counts(present.size(), 3);  // no CowClip: counts do not enter the step
    const auto grad = rand_f(present.size() * dim, 1810 + t, -0.5, 0.5);
    TableUpdateParams p;
    p.table_rows = rows, p.dim = dim, p.update_all_rows = dense, p.l2 = 1e-3;
    p.adam.lr = 1e-2, p.adam.step = t;
    auto run = [&](Ops<float>& ops, GuardedF& w, GuardedF& m, GuardedF& v) {
      GuardedU r(ops.memory(), present, "rows"), c(ops.memory(), counts, "counts");
      GuardedF g(ops.memory(), grad, "grad");
      CHECK(table_update_clipped(ops, p, w.get(), m.get(), v.get(), r.get(), c.get(), g.get(), present.size()) == 0);
    };
    run(cpu, wc, mc, vc);
    run(gpu, wg, mg, vg);
    std::vector<double> gd, mag;
    std::vector<char> updated;
    table_ref_gradient(present, grad, dim, p.l2, dense, ref, &gd, &mag, &updated);
    ref.step(gd, mag, &updated, p.adam);
    const std::string what = std::string("table_update ") + (dense ? "dense" : "sparse") + " step " + std::to_string(t);
    const auto w_cpu = wc.fetch(), m_cpu = mc.fetch(), v_cpu = vc.fetch();
    const auto w_gpu = wg.fetch(), m_gpu = mg.fetch(), v_gpu = vg.fetch();
    check_adam_state(what, w_prev, m_prev, w_cpu, m_cpu, v_cpu, w_gpu, m_gpu, v_gpu, adam_lr_t(p.adam.lr, t));
    check_against_ref(what + " cuda", w_gpu, m_gpu, v_gpu, ref);
    check_against_ref(what + " cpu", w_cpu, m_cpu, v_cpu, ref);
    w_prev = w_cpu, m_prev = m_cpu;
  }
}

namespace {

// A host batch of `rows` rows with per-field ids inside `vocab`.
void fill_host_batch(HostBatch& h, size_t rows, const std::vector<uint64_t>& vocab, uint64_t seed) {
  Rng rng(seed);
  h.rows = rows;
  const size_t nd = h.num_dense(), nf = h.num_cat();
  for (size_t b = 0; b < rows; ++b) {
    h.labels[b] = rng.unit() < 0.3 ? 1.0f : 0.0f;
    for (size_t j = 0; j < nd; ++j) h.dense[b * nd + j] = float(rng.unit() * 4 - 1);
    for (size_t f = 0; f < nf; ++f) h.cat[b * nf + f] = uint32_t(rng.uniform(vocab[f]));
  }
}

struct LoadedBatch {
  size_t rows = 0;
  std::vector<float> labels, dense;
  std::vector<uint32_t> rows_idx;
};

LoadedBatch download_batch(const DeviceBatch<float>& d) {
  LoadedBatch r;
  r.rows = d.rows;
  r.labels.resize(d.rows);
  r.dense.resize(d.rows * d.num_dense);
  r.rows_idx.resize(d.rows * d.num_fields);
  d.labels.download(r.labels.data(), r.labels.size());
  if (!r.dense.empty()) d.dense.download(r.dense.data(), r.dense.size());
  d.rows_idx.download(r.rows_idx.data(), r.rows_idx.size());
  return r;
}

LoadedBatch expected_batch(const HostBatch& h, const std::vector<uint64_t>& offsets) {
  LoadedBatch r;
  r.rows = h.rows;
  const size_t nd = h.num_dense(), nf = h.num_cat();
  r.labels.assign(h.labels, h.labels + h.rows);
  r.dense.assign(h.dense, h.dense + h.rows * nd);
  for (size_t b = 0; b < h.rows; ++b)
    for (size_t f = 0; f < nf; ++f) r.rows_idx.push_back(uint32_t(offsets[f] + h.cat[b * nf + f]));
  return r;
}

void check_batch(const std::string& what, const LoadedBatch& got, const LoadedBatch& want) {
  REQUIRE(got.rows == want.rows);
  check_equal(what + ": labels", got.labels, want.labels);
  check_equal(what + ": dense", got.dense, want.dense);
  check_equal(what + ": rows_idx", got.rows_idx, want.rows_idx);
}

}  // namespace

TEST_CASE("cuda ops: load_batch converts ids to global rows like the CPU and rejects unknown ids", "[cuda][ops][batch]") {
  CpuOps<float> cpu;
  CudaOps gpu;
  const std::vector<uint64_t> vocab = {7, 1, 1000, 31, 12345};
  std::vector<uint64_t> offsets = {0};
  for (uint64_t v : vocab) offsets.push_back(offsets.back() + v);
  const size_t nf = vocab.size(), cap = 1002;
  SECTION("batches of 1, 3 and 1000 rows, with and without dense features, pageable and pinned") {
    cuda::PinnedHostAllocator pinned;
    for (size_t nd : {size_t(0), size_t(13)})
      for (int use_pinned = 0; use_pinned < 2; ++use_pinned)
        for (size_t rows : {size_t(1), size_t(3), size_t(1000)}) {
          HostBatch host(cap, nd, nf, use_pinned ? static_cast<HostAllocator&>(pinned) : default_host_allocator());
          fill_host_batch(host, rows, vocab, 1100 + rows + nd);
          host.cat[nf - 1] = uint32_t(vocab[nf - 1] - 1);  // the last id of the last field is valid
          DeviceBatch<float> dc(cpu.memory(), cap, nd, nf), dg(gpu.memory(), cap, nd, nf);
          cpu.load_batch(host, offsets.data(), dc);
          gpu.load_batch(host, offsets.data(), dg);
          const std::string what = "load_batch rows=" + std::to_string(rows) + " num_dense=" + std::to_string(nd) +
                                   (use_pinned ? " pinned" : " pageable");
          check_batch(what, download_batch(dg), download_batch(dc));
          check_batch(what + " (by hand)", download_batch(dg), expected_batch(host, offsets));
        }
  }
  SECTION("the host batch may be reused as soon as load_batch returns (staging)") {
    HostBatch host(cap, 13, nf, default_host_allocator());
    std::vector<std::unique_ptr<DeviceBatch<float>>> dev;
    std::vector<LoadedBatch> want;
    const size_t sizes[] = {777, 1000, 1000, 3, 1000, 1};  // more batches than staging areas; some grow one
    for (size_t i = 0; i < 6; ++i) {
      fill_host_batch(host, sizes[i], vocab, 1200 + i);
      want.push_back(expected_batch(host, offsets));
      dev.push_back(std::make_unique<DeviceBatch<float>>(gpu.memory(), cap, 13, nf));
      gpu.load_batch(host, offsets.data(), *dev.back());
      // the reader refills its buffer at once
      fill_host_batch(host, 1000, vocab, 9999);
      std::fill(host.labels, host.labels + cap, 0.5f);
    }
    for (size_t i = 0; i < dev.size(); ++i) check_batch("staged batch " + std::to_string(i), download_batch(*dev[i]), want[i]);
  }
  SECTION("an id outside its field's vocabulary is a ctr::Error naming the vocabulary; the backend stays usable") {
    HostBatch host(cap, 13, nf, default_host_allocator());
    DeviceBatch<float> dc(cpu.memory(), cap, 13, nf), dg(gpu.memory(), cap, 13, nf);
    for (size_t f : {size_t(0), size_t(2), nf - 1}) {
      fill_host_batch(host, 100, vocab, 1300 + f);
      host.cat[50 * nf + f] = uint32_t(vocab[f]);  // one past the field's last id
      CHECK_THROWS_AS([&] { gpu.load_batch(host, offsets.data(), dg); }(), Error);
      CHECK_THROWS_WITH([&] { gpu.load_batch(host, offsets.data(), dg); }(), Catch::Contains("vocabulary"));
      CHECK_THROWS_WITH([&] { cpu.load_batch(host, offsets.data(), dc); }(), Catch::Contains("vocabulary"));
    }
    fill_host_batch(host, 1000, vocab, 1310);
    gpu.load_batch(host, offsets.data(), dg);
    check_batch("load after a rejected batch", download_batch(dg), expected_batch(host, offsets));
  }
  SECTION("a host batch larger than the device batch is an error") {
    HostBatch host(cap, 13, nf, default_host_allocator());
    fill_host_batch(host, 1000, vocab, 1400);
    DeviceBatch<float> small(gpu.memory(), 999, 13, nf);
    CHECK_THROWS_AS([&] { gpu.load_batch(host, offsets.data(), small); }(), Error);
  }
}

TEST_CASE("cuda ops: reductions, the embedding update and the loss are bit-identical run to run", "[cuda][ops][determinism]") {
  const std::vector<uint32_t> vocab = {1, 5, 97, 99900};  // 100003 rows
  const size_t batch = 20000, fields = vocab.size(), dim = 10, stride = fields * dim + 3;
  size_t table_rows = 0;
  const auto rows_idx = ctr::test::embedding_rows(batch, vocab, 1500, &table_rows, 0.4);
  const auto d_emb = rand_f(batch * stride, 1501), d_lin = rand_f(batch, 1502);
  TableCase tc = make_table_case(table_rows, dim, 10, 1503);  // its table and moments; rows come from the reduce
  const size_t big = 131072;
  const auto logits = rand_f(big, 1504, -10, 10), x = rand_f(big * 37, 1505);
  std::vector<float> labels(big);
  for (size_t i = 0; i < big; ++i) labels[i] = float(i % 3 == 0);

  struct Result {
    ReduceResult reduce;
    size_t clipped = 0;
    double table_sq = 0, bce = 0, sum_sq = 0;
    std::vector<float> w, m, v, dl, bias_grad, dw, dbias;
  };
  auto run = [&](CudaOps& ops) {
    Result r;
    MemorySpace& mem = ops.memory();
    EmbeddingReduceParams rp;
    rp.batch = batch, rp.fields = fields, rp.dim = dim, rp.table_rows = table_rows, rp.grad_stride = stride;
    r.reduce = run_reduce(ops, rp, rows_idx, &d_emb, d_lin);
    TableCase c = tc;
    c.urows = r.reduce.rows, c.counts = r.reduce.counts, c.grad = r.reduce.emb;
    TableUpdateParams p = table_params(table_rows, dim, true, 1, 0.5);
    p.clip.r = 0.05;  // clips most present rows
    const TableResult t = run_table_update(ops, p, c);
    r.clipped = t.clipped, r.table_sq = t.grad_sq, r.w = t.w, r.m = t.m, r.v = t.v;
    GuardedF z(mem, logits, "logits"), y(mem, labels, "labels"), dl(mem, filled(big, poison()), "dlogits");
    r.bce = bce_loss_sum(ops, z.get(), y.get(), big, 1.0f / float(big), dl.get());
    r.dl = dl.fetch();
    GuardedF xb(mem, x, "x"), bg(mem, filled(37, poison()), "dbias");
    r.sum_sq = ops.sum_squares(xb.get(), x.size());
    ops.bias_grad(xb.get(), bg.get(), big, 37, false);
    r.bias_grad = bg.fetch();
    // dcn_cross_backward's dw/dbias reduce over the batch
    GuardedF x0(mem, std::vector<float>(x.begin(), x.begin() + big * 19), "x0"),
        xl(mem, std::vector<float>(x.begin() + big * 18, x.begin() + big * 37), "xl"), w(mem, rand_f(19, 1506), "w"),
        s(mem, rand_f(big, 1507), "s"), dout(mem, rand_f(big * 19, 1508), "dout"), dx0(mem, filled(big * 19, 0), "dx0"),
        dxl(mem, filled(big * 19, 0), "dxl"), dw(mem, filled(19, 0), "dw"), dbias(mem, filled(19, 0), "dbias");
    ops.dcn_cross_backward(x0.get(), xl.get(), w.get(), s.get(), dout.get(), big, 19, dx0.get(), dxl.get(), dw.get(),
                       dbias.get());
    r.dw = dw.fetch(), r.dbias = dbias.fetch();
    return r;
  };
  CudaOps ops;
  const Result a = run(ops), b = run(ops);
  CudaOps fresh;
  const Result c = run(fresh);
  REQUIRE(a.reduce.count > 1000);
  CHECK(a.clipped > 0);
  for (const Result* other : {&b, &c}) {
    // Bitwise: == on integers and doubles, memcmp-equal float vectors.
    CHECK(other->reduce.rows == a.reduce.rows);
    CHECK(other->reduce.counts == a.reduce.counts);
    CHECK(std::memcmp(other->reduce.emb.data(), a.reduce.emb.data(), a.reduce.emb.size() * 4) == 0);
    CHECK(std::memcmp(other->reduce.lin.data(), a.reduce.lin.data(), a.reduce.lin.size() * 4) == 0);
    CHECK(other->clipped == a.clipped);
    CHECK(other->table_sq == a.table_sq);
    CHECK(std::memcmp(other->w.data(), a.w.data(), a.w.size() * 4) == 0);
    CHECK(std::memcmp(other->m.data(), a.m.data(), a.m.size() * 4) == 0);
    CHECK(std::memcmp(other->v.data(), a.v.data(), a.v.size() * 4) == 0);
    CHECK(other->bce == a.bce);
    CHECK(std::memcmp(other->dl.data(), a.dl.data(), a.dl.size() * 4) == 0);
    CHECK(other->sum_sq == a.sum_sq);
    CHECK(std::memcmp(other->bias_grad.data(), a.bias_grad.data(), a.bias_grad.size() * 4) == 0);
    CHECK(std::memcmp(other->dw.data(), a.dw.data(), a.dw.size() * 4) == 0);
    CHECK(std::memcmp(other->dbias.data(), a.dbias.data(), a.dbias.size() * 4) == 0);
  }
}
