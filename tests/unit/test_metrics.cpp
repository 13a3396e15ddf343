// Unit tests of roc_auc and log_loss against values computed with sklearn 1.2.1, and of gAUC and
// calibration against hand-computed cases (test_metrics_sklearn.cpp runs sklearn itself).
//
// The expected values come from this script (Debian's python3-sklearn; run with /usr/bin/python3).
// gen() is the same 64-bit LCG as Lcg below: scores are the top `bits` of a 24-bit draw u, labels
// are 1 when a second draw v satisfies 10 v < 6 u (integers), so about 30% are positive and the
// scores predict them. Scores are passed to sklearn as float32 widened to float64, as we do.
//
//   import numpy as np; from sklearn.metrics import roc_auc_score, log_loss
//   def gen(seed,n,bits):
//     s=seed; x=[]; y=[]
//     for _ in range(n):
//       s=(s*6364136223846793005+1442695040888963407)%2**64; u=s>>40
//       s=(s*6364136223846793005+1442695040888963407)%2**64; v=s>>40
//       x.append((u>>(24-bits))/2**bits); y.append(int(v*10<u*6))
//     return np.array(x,np.float32),np.array(y)
//   def show(x,y):
//     x=np.asarray(x,np.float32).astype(np.float64)
//     print(repr(roc_auc_score(y,x)),
//           repr(log_loss(y,x,eps=1e-7)) if 0<=x.min() and x.max()<=1 else '')
//   show(*gen(1,1000,24))  # and the other calls named next to each expected value
#include <catch2/catch.hpp>
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <vector>

#include "core/error.h"
#include "support/test_util.h"
#include "metrics/auc.h"
#include "metrics/calibration.h"
#include "metrics/gauc.h"
#include "metrics/logloss.h"

using Catch::Matchers::Contains;

namespace {
using ctr::test::error_of;

struct Lcg {
  uint64_t s;
  uint32_t next24() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(s >> 40);
  }
};

struct Data {
  std::vector<float> scores, labels;
  size_t n() const { return scores.size(); }
};

// The script's gen(seed, n, bits).
Data gen(uint64_t seed, size_t n, int bits) {
  Lcg lcg{seed};
  Data d;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t u = lcg.next24(), v = lcg.next24();
    d.scores.push_back(std::ldexp(static_cast<float>(u >> (24 - bits)), -bits));
    d.labels.push_back(uint64_t{v} * 10 < uint64_t{u} * 6 ? 1.0f : 0.0f);
  }
  return d;
}

double auc(const Data& d) { return ctr::roc_auc(d.scores.data(), d.labels.data(), d.n()); }
double logloss(const Data& d) { return ctr::log_loss(d.scores.data(), d.labels.data(), d.n()); }

// Agreement to 1e-9 relative: sklearn integrates the ROC curve in floating point, we count.
void require_close(double got, double expected) {
  INFO("got " << got << ", expected " << expected);
  REQUIRE(std::abs(got - expected) <= 1e-9 * std::abs(expected));
}

// Quadratic reference: every (positive, negative) pair, ties 1/2.
double brute_auc(const Data& d) {
  double wins = 0, pairs = 0;
  for (size_t i = 0; i < d.n(); ++i) {
    if (d.labels[i] != 1.0f) continue;
    for (size_t j = 0; j < d.n(); ++j) {
      if (d.labels[j] != 0.0f) continue;
      pairs += 1;
      wins += d.scores[i] > d.scores[j] ? 1.0 : d.scores[i] == d.scores[j] ? 0.5 : 0.0;
    }
  }
  return wins / pairs;
}

}  // namespace

TEST_CASE("metrics: roc_auc and log_loss match sklearn", "[metrics]") {
  SECTION("a small hand-made vector with a tie") {
    // show([0.1,0.4,0.35,0.8,0.4,0.7,0.2,0.9],[0,0,1,1,1,0,0,1])
    const Data d{{0.1f, 0.4f, 0.35f, 0.8f, 0.4f, 0.7f, 0.2f, 0.9f}, {0, 0, 1, 1, 1, 0, 0, 1}};
    require_close(auc(d), 0.78125);
    require_close(logloss(d), 0.5422399259632519);
  }
  SECTION("random scores, n = 1000") {
    const Data d = gen(1, 1000, 24);  // show(*gen(1,1000,24))
    require_close(auc(d), 0.723476255293406);
    require_close(logloss(d), 0.7083266731334327);
  }
  SECTION("heavy ties: 8 distinct scores, n = 1000") {
    const Data d = gen(2, 1000, 3);  // show(*gen(2,1000,3))
    require_close(auc(d), 0.7464547927847347);
    require_close(logloss(d), 0.617568014220619);
  }
  SECTION("many exact duplicates: 4096 distinct scores, n = 1e5") {
    const Data d = gen(3, 100000, 12);  // show(*gen(3,100000,12))
    require_close(auc(d), 0.7356736213274907);
    require_close(logloss(d), 0.7009933975036418);
  }
  SECTION("random scores, n = 1e5") {
    const Data d = gen(4, 100000, 24);  // show(*gen(4,100000,24))
    require_close(auc(d), 0.7361538942493715);
    require_close(logloss(d), 0.69942404343622);
  }
  SECTION("all scores equal (0.5)") {
    Data d = gen(5, 100, 24);  // x,y=gen(5,100,24); show(np.full(100,0.5),y)
    d.scores.assign(d.n(), 0.5f);
    require_close(auc(d), 0.5);
    require_close(logloss(d), 0.6931471805599453);
  }
  SECTION("signed zeros tie; negative and huge scores") {
    // show([-0.0,0.0,-1,1,-3e38,3e38,0.0,-0.0,-1,2],[1,0,0,1,0,1,0,1,1,0])
    Data d{{-0.0f, 0.0f, -1, 1, -3e38f, 3e38f, 0.0f, -0.0f, -1, 2}, {1, 0, 0, 1, 0, 1, 0, 1, 1, 0}};
    require_close(auc(d), 0.66);
    for (float& s : d.scores)
      if (s == 0.0f) s = -s;
    require_close(auc(d), 0.66);
  }
  SECTION("probabilities 0 and 1 are clipped, so the loss is finite") {
    // show([0,1,0,1,0.5],[0,1,1,0,1])
    const Data d{{0, 1, 0, 1, 0.5f}, {0, 1, 1, 0, 1}};
    require_close(auc(d), 0.49999999999999994);
    const double loss = logloss(d);
    REQUIRE(std::isfinite(loss));
    require_close(loss, 6.585867736600591);
    require_close(loss, (-2 * std::log(1e-7) - 2 * std::log(1 - 1e-7) - std::log(0.5)) / 5);
  }
}

TEST_CASE("metrics: roc_auc of perfect and inverted rankings", "[metrics]") {
  Data d = gen(6, 5000, 24);
  d.scores = d.labels;
  REQUIRE(auc(d) == 1.0);
  for (float& s : d.scores) s = -s;
  REQUIRE(auc(d) == 0.0);
}

TEST_CASE("metrics: roc_auc agrees with the pairwise definition across signs and exponents",
          "[metrics]") {
  // Scores spread over many exponents, both signs, infinities and signed zeros exercise every
  // digit of the radix sort and the order-preserving key.
  Lcg lcg{7};
  Data d;
  for (size_t i = 0; i < 3000; ++i) {
    const uint32_t u = lcg.next24(), v = lcg.next24();
    float s = std::ldexp(static_cast<float>(u & 0xff), static_cast<int>(v % 200) - 100);
    if (v & 0x100) s = -s;
    if ((v & 0xf000) == 0) s = (v & 0x10000) ? std::numeric_limits<float>::infinity() : -0.0f;
    d.scores.push_back(s);
    d.labels.push_back((u >> 20) < 5 ? 1.0f : 0.0f);
  }
  require_close(auc(d), brute_auc(d));
}

TEST_CASE("metrics: bad input is rejected", "[metrics]") {
  Data d = gen(8, 100, 24);
  SECTION("a single class") {
    d.labels.assign(d.n(), 1.0f);
    CHECK_THAT(error_of([&] { auc(d); }),
               Contains("AUC is undefined") && Contains("only one class"));
    d.labels.assign(d.n(), 0.0f);
    CHECK_THAT(error_of([&] { auc(d); }), Contains("only one class"));
  }
  SECTION("no examples") {
    CHECK_THAT(error_of([] { ctr::roc_auc(nullptr, nullptr, 0); }),
               Contains("AUC is undefined") && Contains("only one class"));
    CHECK_THAT(error_of([] { ctr::log_loss(nullptr, nullptr, 0); }), Contains("no examples"));
  }
  SECTION("label 2") {
    d.labels[17] = 2.0f;
    CHECK_THAT(error_of([&] { auc(d); }), Contains("label 17 is 2"));
    CHECK_THAT(error_of([&] { logloss(d); }), Contains("label 17 is 2"));
  }
  SECTION("a NaN label") {
    d.labels[3] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THAT(error_of([&] { auc(d); }), Contains("label 3 is nan"));
  }
  SECTION("a NaN score") {
    d.scores[42] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THAT(error_of([&] { auc(d); }), Contains("score 42 is NaN"));
    CHECK_THAT(error_of([&] { logloss(d); }), Contains("probability 42 is NaN"));
  }
}

TEST_CASE("metrics: log_loss does not depend on the thread count", "[metrics]") {
  const Data d = gen(9, 300000, 24);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const double one = logloss(d);
  omp_set_num_threads(3);
  const double three = logloss(d);
  omp_set_num_threads(threads);
  REQUIRE(one == three);
}

// Not run by CTest (hidden tag): `unit_test_metrics "[.bench]"` times roc_auc on 10M examples.
TEST_CASE("metrics: roc_auc speed on 10M examples", "[.bench]") {
  const auto seconds_since = [](std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  for (int bits : {24, 12}) {
    const Data d = gen(10, 10'000'000, bits);
    double best = 1e9, value = 0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      value = auc(d);
      best = std::min(best, seconds_since(t0));
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double loss = logloss(d);
    const double t_loss = seconds_since(t0);
    WARN("n = 10M, " << bits << "-bit scores: roc_auc " << best * 1e3 << " ms (best of 5), AUC "
                     << value << "; log_loss " << t_loss * 1e3 << " ms, " << loss);
  }
}

namespace {

// Per-group brute-force AUC, weighted by rows, single-class groups skipped.
double brute_gauc(const Data& d, const std::vector<uint64_t>& groups) {
  std::map<uint64_t, Data> by_group;
  for (size_t i = 0; i < d.n(); ++i) {
    by_group[groups[i]].scores.push_back(d.scores[i]);
    by_group[groups[i]].labels.push_back(d.labels[i]);
  }
  double weighted = 0, rows = 0;
  for (const auto& [g, gd] : by_group) {
    size_t pos = 0;
    for (float y : gd.labels) pos += y == 1.0f;
    if (pos == 0 || pos == gd.n()) continue;
    weighted += static_cast<double>(gd.n()) * brute_auc(gd);
    rows += static_cast<double>(gd.n());
  }
  return weighted / rows;
}

}  // namespace

TEST_CASE("metrics: grouped_auc on a hand-computed case with ties and single-class groups", "[metrics][gauc]") {
  // Group A (4 rows): positives 0.35, 0.8 vs negatives 0.1, 0.4: 0.35 beats one, 0.8 both: AUC 3/4.
  // Group B (3 rows): positives 0.5, 0.2 vs negative 0.5: a tie (1/2) and a loss: AUC 1/4.
  // Group C (2 rows, all clicks) and D (1 row) are skipped. gAUC = (4 * 3/4 + 3 * 1/4) / 7.
  const uint64_t a = (uint64_t{1} << 40) + 5, b = 5, c = 7, dd = 1;  // a and b collide if cut to 32 bits
  const std::vector<float> probs{0.1f, 0.5f, 0.9f, 0.4f, 0.7f, 0.5f, 0.35f, 0.2f, 0.3f, 0.8f};
  const std::vector<float> labels{0, 1, 1, 0, 0, 0, 1, 1, 1, 1};
  const std::vector<uint64_t> groups{a, b, c, a, dd, b, a, b, c, a};
  const ctr::GaucResult r = ctr::grouped_auc(probs.data(), labels.data(), groups.data(), probs.size());
  REQUIRE(r.gauc.has_value());
  CHECK(*r.gauc == Approx(3.75 / 7).epsilon(1e-15));
  CHECK(r.value() == *r.gauc);
  CHECK(r.groups_used == 2);
  CHECK(r.groups_skipped == 2);
  CHECK(r.rows_used == 7);
  CHECK(r.rows_total == 10);

  // The same rows with 32-bit keys (b stays 5, a becomes 6).
  std::vector<uint32_t> groups32;
  for (uint64_t g : groups) groups32.push_back(g == a ? 6u : static_cast<uint32_t>(g));
  const ctr::GaucResult r32 = ctr::grouped_auc(probs.data(), labels.data(), groups32.data(), probs.size());
  CHECK(r32.gauc == r.gauc);
  CHECK(r32.groups_used == 2);
  CHECK(r32.rows_used == 7);
}

TEST_CASE("metrics: grouped_auc weights groups by their rows", "[metrics][gauc]") {
  // Group 1: 10 rows ranked perfectly (AUC 1); group 2: 2 rows ranked backwards (AUC 0).
  // Weighted by rows: 10 / 12; an unweighted mean would be 1/2.
  std::vector<float> probs, labels;
  std::vector<uint32_t> groups;
  for (int i = 0; i < 10; ++i) {
    probs.push_back(i == 0 ? 0.9f : 0.1f + 0.01f * static_cast<float>(i));
    labels.push_back(i == 0 ? 1.0f : 0.0f);
    groups.push_back(1);
  }
  probs.insert(probs.end(), {0.2f, 0.8f});
  labels.insert(labels.end(), {1.0f, 0.0f});
  groups.insert(groups.end(), {2, 2});
  const auto r = ctr::grouped_auc(probs.data(), labels.data(), groups.data(), probs.size());
  CHECK(r.value() == Approx(10.0 / 12).epsilon(1e-15));
  CHECK(r.groups_used == 2);
  CHECK(r.rows_used == 12);
}

TEST_CASE("metrics: grouped_auc of one group is roc_auc, and matches the pairwise definition per group",
          "[metrics][gauc]") {
  const Data d = gen(11, 3000, 6);  // 64 distinct scores: many ties within groups
  const std::vector<uint64_t> one(d.n(), 42);
  const auto whole = ctr::grouped_auc(d.scores.data(), d.labels.data(), one.data(), d.n());
  CHECK(whole.value() == Approx(auc(d)).epsilon(1e-14));
  CHECK(whole.groups_used == 1);

  Lcg lcg{12};
  std::vector<uint64_t> groups;
  for (size_t i = 0; i < d.n(); ++i) groups.push_back(lcg.next24() % 300);  // ~10 rows a group
  const auto r = ctr::grouped_auc(d.scores.data(), d.labels.data(), groups.data(), d.n());
  require_close(r.value(), brute_gauc(d, groups));
  CHECK(r.groups_skipped > 0);
  CHECK(r.groups_used + r.groups_skipped == 300);
  CHECK(r.rows_used < d.n());
}

TEST_CASE("metrics: grouped_auc without a group of both classes is empty, not NaN", "[metrics][gauc]") {
  const std::vector<float> probs{0.1f, 0.2f, 0.3f};
  const std::vector<float> labels{1, 0, 1};
  const std::vector<uint32_t> groups{1, 2, 3};
  const auto r = ctr::grouped_auc(probs.data(), labels.data(), groups.data(), probs.size());
  CHECK_FALSE(r.gauc.has_value());
  CHECK(r.groups_used == 0);
  CHECK(r.groups_skipped == 3);
  CHECK(r.rows_used == 0);
  CHECK_THAT(error_of([&] { r.value(); }), Contains("gAUC is undefined") && Contains("none of the 3 groups"));
  const auto empty = ctr::grouped_auc(nullptr, nullptr, static_cast<const uint32_t*>(nullptr), 0);
  CHECK_FALSE(empty.gauc.has_value());
  CHECK(empty.groups_skipped == 0);
}

TEST_CASE("metrics: grouped_auc rejects bad labels and NaN scores", "[metrics][gauc]") {
  std::vector<float> probs{0.1f, 0.2f, 0.3f}, labels{1, 0, 1};
  const std::vector<uint32_t> groups{1, 1, 1};
  labels[2] = 2.0f;
  CHECK_THAT(error_of([&] { ctr::grouped_auc(probs.data(), labels.data(), groups.data(), 3); }),
             Contains("label 2 is 2"));
  labels[2] = 1.0f;
  probs[1] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THAT(error_of([&] { ctr::grouped_auc(probs.data(), labels.data(), groups.data(), 3); }),
             Contains("score 1 is NaN"));
}

TEST_CASE("metrics: calibration bins, ECE and ratio on a hand-computed case", "[metrics][calibration]") {
  // 20 bins of width 0.05. 0 and 0.049 -> bin 0; 0.05f (just above 0.05) -> bin 1; 0.5 -> bin 10;
  // 0.999 and 1 -> bin 19 (p == 1 closes the last bin). The other 16 bins are empty.
  const std::vector<float> p{0.0f, 0.05f, 0.049f, 1.0f, 0.5f, 0.999f};
  const std::vector<float> y{0, 1, 0, 1, 1, 0};
  const ctr::CalibrationResult r = ctr::calibration(p.data(), y.data(), p.size());
  const double p1 = 0.05f, p2 = 0.049f, p5 = 0.999f;  // the floats, widened as the code does
  CHECK(r.mean_prediction == Approx((p1 + p2 + 1.0 + 0.5 + p5) / 6).epsilon(1e-15));
  CHECK(r.observed_ctr == 0.5);
  CHECK(r.ratio == Approx(r.mean_prediction / 0.5).epsilon(1e-15));
  const double ece = 2.0 / 6 * (p2 / 2) + 1.0 / 6 * (1 - p1) + 1.0 / 6 * 0.5 + 2.0 / 6 * ((1 + p5) / 2 - 0.5);
  CHECK(r.ece == Approx(ece).epsilon(1e-14));
  REQUIRE(r.bins.size() == 20);
  CHECK(r.bins[0].rows == 2);
  CHECK(r.bins[0].mean_prediction == Approx(p2 / 2).epsilon(1e-15));
  CHECK(r.bins[0].observed_ctr == 0.0);
  CHECK(r.bins[1].rows == 1);
  CHECK(r.bins[1].observed_ctr == 1.0);
  CHECK(r.bins[10].rows == 1);
  CHECK(r.bins[19].rows == 2);
  CHECK(r.bins[19].mean_prediction == Approx((1 + p5) / 2).epsilon(1e-15));
  CHECK(r.bins[19].observed_ctr == 0.5);
  uint64_t rows = 0, empty = 0;
  for (size_t b = 0; b < 20; ++b) {
    CAPTURE(b);
    CHECK(r.bins[b].lower == Approx(0.05 * b).epsilon(1e-15));
    CHECK(r.bins[b].upper == Approx(0.05 * (b + 1)).epsilon(1e-15));
    rows += r.bins[b].rows;
    if (r.bins[b].rows == 0) {
      ++empty;
      CHECK(r.bins[b].mean_prediction == 0.0);
      CHECK(r.bins[b].observed_ctr == 0.0);
    }
  }
  CHECK(rows == 6);
  CHECK(empty == 16);
  CHECK(r.bins.back().upper == 1.0);
}

TEST_CASE("metrics: calibration edges, a calibrated model and other bin counts", "[metrics][calibration]") {
  // 0.25 and 0.75 are exact floats on edges: each starts its bin.
  const std::vector<float> p{0.25f, 0.75f, 0.3f, 0.3f, 0.3f};
  const std::vector<float> y{0, 1, 1, 0, 0};
  const auto r = ctr::calibration(p.data(), y.data(), p.size());
  CHECK(r.bins[5].rows == 1);
  CHECK(r.bins[4].rows == 0);
  CHECK(r.bins[15].rows == 1);
  const auto four = ctr::calibration(p.data(), y.data(), p.size(), 4);
  REQUIRE(four.bins.size() == 4);
  CHECK(four.bins[1].rows == 4);  // 0.25 and the three 0.3s
  CHECK(four.bins[3].rows == 1);  // 0.75
  CHECK(four.ece == Approx((4.0 / 5) * std::abs((0.25f + 3.0 * 0.3f) / 4 - 0.25) + 1.0 / 5 * 0.25).epsilon(1e-12));

  // Ten rows at 0.3 with three clicks: calibrated up to the float rounding of 0.3.
  const std::vector<float> flat(10, 0.3f);
  const std::vector<float> clicks{1, 0, 0, 1, 0, 0, 0, 1, 0, 0};
  const auto cal = ctr::calibration(flat.data(), clicks.data(), 10);
  CHECK(cal.ratio == Approx(1.0).epsilon(1e-7));
  CHECK(cal.ece < 1e-7);
  CHECK(cal.bins[6].rows == 10);
}

TEST_CASE("metrics: calibration rejects bad input and has no ratio without clicks", "[metrics][calibration]") {
  const std::vector<float> y0{0, 0};
  const std::vector<float> p{0.2f, 0.4f};
  const auto r = ctr::calibration(p.data(), y0.data(), 2);
  CHECK(std::isnan(r.ratio));
  CHECK(r.observed_ctr == 0.0);
  CHECK(r.ece == Approx(0.3).epsilon(1e-7));
  CHECK_THAT(error_of([] { ctr::calibration(nullptr, nullptr, 0); }), Contains("no examples"));
  const std::vector<float> y{0, 1, 2};
  const std::vector<float> q{0.1f, 0.2f, 0.3f};
  CHECK_THAT(error_of([&] { ctr::calibration(q.data(), y.data(), 3); }), Contains("label 2 is 2"));
  for (float bad : {1.5f, -0.1f, std::numeric_limits<float>::quiet_NaN()}) {
    CAPTURE(bad);
    const std::vector<float> pb{0.1f, bad};
    CHECK_THAT(error_of([&] { ctr::calibration(pb.data(), y0.data(), 2); }),
               Contains("probability 1 is") && Contains("[0, 1]"));
  }
}
