// Unit tests of seed_stats: the Student-t 0.975 quantile and the mean / sd / 95% interval of a
// few values, against scipy 1.17 (the test venv's python):
//
//   from scipy import stats; import numpy as np
//   stats.t.ppf(0.975, df)
//   x = np.array(values); n = len(x); m = x.mean(); sd = x.std(ddof=1)
//   stats.t.interval(0.95, n - 1, loc=m, scale=sd / np.sqrt(n))
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "support/test_util.h"
#include "train/seed_stats.h"

using ctr::sample_stats;
using ctr::t_quantile_975;

TEST_CASE("t_quantile_975 matches the printed table and scipy for small df", "[seed_stats]") {
  // The textbook table's three decimals.
  CHECK(t_quantile_975(1) == Approx(12.706).margin(5e-4));
  CHECK(t_quantile_975(2) == Approx(4.303).margin(5e-4));
  CHECK(t_quantile_975(4) == Approx(2.776).margin(5e-4));
  CHECK(t_quantile_975(9) == Approx(2.262).margin(5e-4));
  CHECK(t_quantile_975(29) == Approx(2.045).margin(5e-4));
  // scipy's values, to the table's 6 decimals.
  CHECK(t_quantile_975(3) == Approx(3.182446).margin(1e-6));
  CHECK(t_quantile_975(30) == Approx(2.042272).margin(1e-6));
}

TEST_CASE("t_quantile_975 beyond the table follows scipy and tends to the normal quantile", "[seed_stats]") {
  CHECK(t_quantile_975(31) == Approx(2.039513446396408).margin(1e-7));
  CHECK(t_quantile_975(40) == Approx(2.021075390306273).margin(1e-7));
  CHECK(t_quantile_975(60) == Approx(2.0002978220142604).margin(1e-8));
  CHECK(t_quantile_975(120) == Approx(1.9799304050824402).margin(1e-9));
  CHECK(t_quantile_975(1000) == Approx(1.9623390808264083).margin(1e-12));
  CHECK(t_quantile_975(uint64_t(1) << 40) == Approx(1.959963984540054).margin(1e-10));
  // Decreasing in df, across the switch from the table to the series too.
  for (uint64_t df = 1; df < 200; ++df) {
    INFO("df " << df);
    CHECK(t_quantile_975(df + 1) < t_quantile_975(df));
  }
  CHECK_THAT(ctr::test::error_of([] { t_quantile_975(0); }), Catch::Contains("0 degrees of freedom"));
}

TEST_CASE("sample_stats gives scipy's mean, sample sd and t interval", "[seed_stats]") {
  const auto s = sample_stats({0.7812, 0.7830, 0.7795});
  CHECK(s.n == 3);
  CHECK(s.mean == Approx(0.7812333333333333).epsilon(1e-12));
  CHECK(s.sd == Approx(0.0017502380790433729).epsilon(1e-9));
  CHECK(s.t == Approx(4.302653).margin(1e-6));
  CHECK(s.ci_low == Approx(0.7768855009166402).epsilon(1e-9));
  CHECK(s.ci_high == Approx(0.7855811657500265).epsilon(1e-9));
  CHECK(s.half_width == Approx(s.ci_high - s.mean).epsilon(1e-12));
  CHECK(s.min == 0.7795);
  CHECK(s.max == 0.7830);
  CHECK(s.has_interval());

  const auto five = sample_stats({0.4412, 0.4398, 0.4431, 0.4405, 0.4420});
  CHECK(five.mean == Approx(0.44132).epsilon(1e-12));
  CHECK(five.sd == Approx(0.0012872451204024732).epsilon(1e-9));
  CHECK(five.ci_low == Approx(0.4397216740771328).epsilon(1e-9));
  CHECK(five.ci_high == Approx(0.4429183259228673).epsilon(1e-9));

  // Forty values: df 39, the series rather than the table.
  std::vector<double> forty;
  for (int i = 0; i < 40; ++i) forty.push_back(0.7 + 0.1 * i / 39.0);
  const auto f = sample_stats(forty);
  CHECK(f.mean == Approx(0.75).epsilon(1e-12));
  CHECK(f.sd == Approx(0.0299755178064106).epsilon(1e-9));
  CHECK(f.ci_low == Approx(0.7404133643205767).epsilon(1e-8));
  CHECK(f.ci_high == Approx(0.7595866356794233).epsilon(1e-8));
}

TEST_CASE("sample_stats keeps its precision for AUCs that agree to five decimals", "[seed_stats]") {
  std::vector<double> x;
  for (int d : {3, -1, 4, -1, 5, -9, 2, 6, -5, 3}) x.push_back(0.80123456789 + 1e-6 * d);
  const auto s = sample_stats(x);
  CHECK(s.mean == Approx(0.8012352678900001).epsilon(1e-13));
  CHECK(s.sd == Approx(4.73872931867111e-06).epsilon(1e-7));
  CHECK(s.ci_low == Approx(0.8012318780072565).epsilon(1e-12));
  CHECK(s.ci_high == Approx(0.8012386577727437).epsilon(1e-12));
}

TEST_CASE("sample_stats with one value, none, equal values and NaNs", "[seed_stats]") {
  const auto one = sample_stats({0.8});
  CHECK(one.n == 1);
  CHECK(one.mean == 0.8);
  CHECK(one.min == 0.8);
  CHECK_FALSE(one.has_interval());
  CHECK(std::isnan(one.sd));
  CHECK(std::isnan(one.t));
  CHECK(std::isnan(one.ci_low));
  CHECK(std::isnan(one.ci_high));

  const auto none = sample_stats({});
  CHECK(none.n == 0);
  CHECK(std::isnan(none.mean));
  CHECK(std::isnan(none.max));

  const auto same = sample_stats({0.75, 0.75, 0.75, 0.75});
  CHECK(same.sd == 0);
  CHECK(same.ci_low == 0.75);
  CHECK(same.ci_high == 0.75);

  // A split a run lacks is NaN in its summary: left out, not counted.
  const double nan = std::nan("");
  const auto gaps = sample_stats({nan, 0.7812, 0.7830, nan, 0.7795});
  CHECK(gaps.n == 3);
  CHECK(gaps.mean == Approx(0.7812333333333333).epsilon(1e-12));
  CHECK(gaps.sd == Approx(0.0017502380790433729).epsilon(1e-9));
  CHECK(sample_stats({nan, nan}).n == 0);
}
