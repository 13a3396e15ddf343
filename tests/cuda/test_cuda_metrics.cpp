// cuda tests: cuda::auc_logloss against the CPU's ctr::roc_auc and ctr::log_loss: the same AUC bits,
// the log loss to 1e-12 relative, and the same errors, after which the scratch still works.
//
// Why == for the AUC: both sides compute 2U, P and N as exact integers and divide them with the
// same host expression (see cuda/cuda_metrics.cu). The log loss differs only in summation order
// and in the device's log (within 1 ulp of glibc's), ~1e-16 relative per term.
#include <catch2/catch.hpp>

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_metrics.h"
#include "metrics/auc.h"
#include "metrics/logloss.h"

using namespace ctr;

namespace {

constexpr double kLoglossRtol = 1e-12;
constexpr size_t kCriteoTest = 4'584'062;  // examples in Criteo's test split

// A device copy of a host vector, freed even when a REQUIRE throws.
class DeviceFloats {
 public:
  explicit DeviceFloats(const std::vector<float>& host) {
    CTR_CUDA_CHECK(cudaMalloc(&p_, std::max<size_t>(1, host.size()) * sizeof(float)));
    if (!host.empty())
      CTR_CUDA_CHECK(cudaMemcpy(p_, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
  }
  ~DeviceFloats() { cudaFree(p_); }
  DeviceFloats(const DeviceFloats&) = delete;
  DeviceFloats& operator=(const DeviceFloats&) = delete;
  const float* get() const { return p_; }

 private:
  float* p_ = nullptr;
};

struct Outcome {
  bool ok = false;
  double auc = 0, logloss = 0;
  std::string error;  // what() of the ctr::Error thrown, when !ok
};

// A stream and one scratch shared by every call of a test case, so growth, reuse after a larger
// call and reuse after an error are all exercised.
struct Metrics {
  cudaStream_t stream = nullptr;
  cuda::MetricsScratch scratch;
  Metrics() { CTR_CUDA_CHECK(cudaStreamCreate(&stream)); }
  ~Metrics() { cudaStreamDestroy(stream); }

  Outcome gpu(const std::vector<float>& probs, const std::vector<float>& labels) {
    const DeviceFloats p(probs), y(labels);
    Outcome o;
    try {
      cuda::auc_logloss(stream, p.get(), y.get(), probs.size(), scratch, &o.auc, &o.logloss);
      o.ok = true;
    } catch (const Error& e) {
      o.error = e.what();
    }
    return o;
  }
};

// What CpuOps<float>::auc_logloss does: roc_auc, then log_loss.
Outcome cpu(const std::vector<float>& probs, const std::vector<float>& labels) {
  Outcome o;
  try {
    o.auc = roc_auc(probs.data(), labels.data(), probs.size());
    o.logloss = log_loss(probs.data(), labels.data(), probs.size());
    o.ok = true;
  } catch (const Error& e) {
    o.error = e.what();
  }
  return o;
}

// The GPU's outcome equals the CPU's: the same error message, or the same AUC bits and a log loss
// within kLoglossRtol. Returns it for further checks.
Outcome require_same(Metrics& m, const std::vector<float>& probs, const std::vector<float>& labels) {
  const Outcome want = cpu(probs, labels), got = m.gpu(probs, labels);
  INFO("n = " << probs.size() << "; CPU error: '" << want.error << "'; GPU error: '" << got.error << "'");
  REQUIRE(got.ok == want.ok);
  REQUIRE(got.error == want.error);
  if (want.ok) {
    INFO("AUC cpu " << want.auc << " gpu " << got.auc << "; logloss cpu " << want.logloss << " gpu " << got.logloss);
    REQUIRE(got.auc == want.auc);
    REQUIRE(std::abs(got.logloss - want.logloss) <= kLoglossRtol * std::abs(want.logloss));
  }
  return got;
}

// Model-like probabilities: the sigmoid of a normal logit, labels drawn from them (so the AUC is
// well inside (0.5, 1)). At millions of examples many floats repeat: ties come for free.
void model_like(size_t n, uint64_t seed, std::vector<float>& probs, std::vector<float>& labels) {
  Rng rng(seed);
  probs.resize(n);
  labels.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const float p = static_cast<float>(1.0 / (1.0 + std::exp(-1.5 * rng.normal() - 1.0)));
    probs[i] = p;
    labels[i] = rng.unit() < p ? 1.0f : 0.0f;
  }
}

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

}  // namespace

TEST_CASE("auc_logloss matches the CPU on random scores, from 1 example to Criteo's test split", "[cuda]") {
  Metrics m;
  std::vector<float> p, y;
  for (size_t n : {size_t(1), size_t(2), size_t(1000), kCriteoTest, size_t(1000), size_t(2)}) {
    model_like(n, 100 + n, p, y);
    require_same(m, p, y);
  }
  // n == 1 is always one class; n == 2 with both classes, both orders and a tie.
  for (const std::vector<float>& probs : {std::vector<float>{0.2f, 0.7f}, {0.7f, 0.2f}, {0.4f, 0.4f}}) {
    const Outcome o = require_same(m, probs, {0.0f, 1.0f});
    CHECK(o.ok);
  }
  // The same inputs give the same bits again (deterministic sums, no atomics on doubles).
  model_like(kCriteoTest, 7, p, y);
  const Outcome a = require_same(m, p, y), b = m.gpu(p, y);
  REQUIRE(b.ok);
  CHECK(std::memcmp(&a.auc, &b.auc, sizeof(double)) == 0);
  CHECK(std::memcmp(&a.logloss, &b.logloss, sizeof(double)) == 0);
}

TEST_CASE("auc_logloss matches the CPU on ties, signed zeros, clipped and imbalanced data", "[cuda]") {
  Metrics m;
  std::vector<float> p, y;
  Rng rng(42);

  SECTION("scores rounded to 0.01") {
    model_like(200000, 3, p, y);
    for (float& s : p) s = std::round(s * 100.0f) / 100.0f;
    require_same(m, p, y);
  }
  SECTION("all scores equal: AUC exactly 1/2") {
    model_like(100000, 4, p, y);
    std::fill(p.begin(), p.end(), 0.3f);
    const Outcome o = require_same(m, p, y);
    CHECK(o.auc == 0.5);
  }
  SECTION("-0.0 and +0.0 tie") {
    model_like(50000, 5, p, y);
    const float values[] = {-0.0f, 0.0f, -0.0f, 0.0f, 1e-30f, -1e-30f, 0.25f};
    for (float& s : p) s = values[rng.uniform(7)];
    require_same(m, p, y);
    // Only signed zeros: every pair ties.
    for (float& s : p) s = rng.uniform(2) ? 0.0f : -0.0f;
    const Outcome o = require_same(m, p, y);
    CHECK(o.auc == 0.5);
  }
  SECTION("probabilities of exactly 0 and 1 are clipped") {
    model_like(100000, 6, p, y);
    for (float& s : p) {
      const uint64_t r = rng.uniform(4);
      if (r == 0) s = 0.0f;
      if (r == 1) s = 1.0f;
    }
    require_same(m, p, y);
  }
  SECTION("scores across signs and exponents, infinities included") {
    model_like(300000, 8, p, y);
    for (float& s : p) {
      do s = from_bits(static_cast<uint32_t>(rng.next_u64())); while (std::isnan(s));
      const float inf = std::numeric_limits<float>::infinity();
      if (rng.uniform(100) == 0) s = rng.uniform(2) ? inf : -inf;
    }
    require_same(m, p, y);
  }
  SECTION("one positive or one negative among a million") {
    model_like(1000000, 9, p, y);
    std::fill(y.begin(), y.end(), 0.0f);
    y[654321] = 1.0f;
    require_same(m, p, y);
    std::fill(y.begin(), y.end(), 1.0f);
    y[12345] = 0.0f;
    require_same(m, p, y);
  }
}

TEST_CASE("auc_logloss throws the CPU's errors and its scratch works afterwards", "[cuda]") {
  Metrics m;
  std::vector<float> p, y;
  model_like(1000, 11, p, y);
  const std::vector<float> good_p = p, good_y = y;
  std::string expected;

  SECTION("no examples") {
    p.clear();
    y.clear();
    expected =
        "AUC is undefined: there are no examples (n = 0); it needs labels of both classes, not only one class or "
        "none";
  }
  SECTION("one class") {
    std::fill(y.begin(), y.end(), 1.0f);
    expected = "AUC is undefined: only one class is present (all 1000 labels are 1); it needs both 0 and 1";
  }
  SECTION("one class of zeros, some of them -0.0") {
    std::fill(y.begin(), y.end(), 0.0f);
    y[3] = -0.0f;
    expected = "AUC is undefined: only one class is present (all 1000 labels are 0); it needs both 0 and 1";
  }
  SECTION("a label of 0.5 at index 17") {
    y[17] = 0.5f;
    y[900] = 2.0f;  // a later bad label: the smallest index is named
    expected = "AUC: label 17 is 0.5 (labels must be 0 or 1)";
  }
  SECTION("a NaN label") {
    y[3] = std::numeric_limits<float>::quiet_NaN();
    expected = "AUC: label 3 is nan (labels must be 0 or 1)";
  }
  SECTION("a NaN score at index 5") {
    p[5] = std::numeric_limits<float>::quiet_NaN();
    p[700] = std::numeric_limits<float>::quiet_NaN();
    expected = "AUC: score 5 is NaN (the model's predictions diverged?)";
  }
  SECTION("a bad label is reported before an earlier NaN score, as on the CPU") {
    p[5] = std::numeric_limits<float>::quiet_NaN();
    y[17] = 0.5f;
    expected = "AUC: label 17 is 0.5 (labels must be 0 or 1)";
  }
  SECTION("one class is reported before a NaN score, as on the CPU") {
    std::fill(y.begin(), y.end(), 0.0f);
    p[5] = std::numeric_limits<float>::quiet_NaN();
    expected = "AUC is undefined: only one class is present (all 1000 labels are 0); it needs both 0 and 1";
  }

  const Outcome got = require_same(m, p, y);
  CHECK_FALSE(got.ok);
  CHECK(got.error == expected);
  // The same scratch, right after the throw.
  const Outcome after = require_same(m, good_p, good_y);
  CHECK(after.ok);
}
