// Unit tests for core helpers: RNG determinism and bounds, JSON writing and reading back,
// the staging directory, the check macro's message, and the index permutation.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/index_permutation.h"
#include "core/json_writer.h"
#include "core/rng.h"
#include "support/test_util.h"

using namespace ctr;

TEST_CASE("Rng is deterministic, bounded and unbiased enough", "[core]") {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) REQUIRE(a.next_u64() == b.next_u64());
  CHECK(a.next_u64() != c.next_u64());
  Rng r(7);
  std::vector<int> hist(10, 0);
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = r.uniform(10);
    REQUIRE(v < 10);
    ++hist[v];
  }
  for (int h : hist) CHECK(std::abs(h - 10000) < 500);
  std::vector<int> v(100);
  for (int i = 0; i < 100; ++i) v[i] = i;
  Rng s(1);
  shuffle_range(v.begin(), v.end(), s);
  CHECK(std::set<int>(v.begin(), v.end()).size() == 100);
  CHECK(v != [] { std::vector<int> w(100); for (int i = 0; i < 100; ++i) w[i] = i; return w; }());
}

TEST_CASE("JsonWriter output parses back with yaml-cpp", "[core]") {
  JsonWriter w;
  w.begin_object().value("name", "a \"quoted\"\tname\n").value("n", uint64_t(12345678901234ULL))
      .value("x", 0.1).value("neg", int64_t(-3)).value("ok", true)
      .array("v", std::vector<uint64_t>{1, 2, 3}).array("d", std::vector<double>{1.5, -2.25})
      .begin_array("objs").begin_object().value("k", "v").end_object().end_array()
      .begin_object("empty").end_object().end_object();
  YAML::Node n = YAML::Load(w.str());
  CHECK(n["name"].as<std::string>() == "a \"quoted\"\tname\n");
  CHECK(n["n"].as<uint64_t>() == 12345678901234ULL);
  CHECK(n["x"].as<double>() == 0.1);
  CHECK(n["neg"].as<int>() == -3);
  CHECK(n["ok"].as<bool>());
  CHECK(n["v"][2].as<int>() == 3);
  CHECK(n["d"][1].as<double>() == -2.25);
  CHECK(n["objs"][0]["k"].as<std::string>() == "v");
  CHECK(json_number(std::nan("")) == "null");
  JsonWriter open;
  open.begin_object();
  CHECK_THROWS_AS(open.str(), Error);
}

TEST_CASE("StagingDir appears only on commit and refuses to clobber", "[core]") {
  ctr::test::ScratchDir tmp("core-staging");
  std::string final_path = tmp / "out";
  {
    StagingDir d(final_path, false);
    ctr::test::write_file(d.path() + "/f", "x");
    CHECK_FALSE(std::filesystem::exists(final_path));
  }  // dropped without commit
  CHECK_FALSE(std::filesystem::exists(final_path));
  CHECK(std::filesystem::is_empty(tmp.path()));
  {
    StagingDir d(final_path, false);
    ctr::test::write_file(d.path() + "/f", "first");
    d.commit();
  }
  CHECK(ctr::test::read_file(final_path + "/f") == "first");
  CHECK_THROWS_AS(StagingDir(final_path, false), UsageError);
  {
    StagingDir d(final_path, true);
    ctr::test::write_file(d.path() + "/f", "second");
    d.commit();
  }
  CHECK(ctr::test::read_file(final_path + "/f") == "second");
}

TEST_CASE("CTR_CHECK reports our file, line and expression", "[core]") {
  int x = 3;
  CHECK_THROWS_WITH([&] { CTR_CHECK(x == 4, "x was {}", x); }(),
                    Catch::Contains("test_core.cpp") && Catch::Contains("x == 4") && Catch::Contains("x was 3"));
}

TEST_CASE("IndexPermutation is a bijection, keyed by seed and epoch, identity in file order", "[core]") {
  for (uint64_t n : {1ull, 2ull, 3ull, 5ull, 64ull, 1000ull, 100003ull}) {
    SECTION("n = " + std::to_string(n)) {
      const IndexPermutation p = IndexPermutation::shuffled(n, 1234, 0);
      std::vector<uint8_t> seen(n, 0);
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t r = p(i);
        REQUIRE(r < n);
        REQUIRE(seen[r] == 0);
        seen[r] = 1;
      }
      const IndexPermutation id = IndexPermutation::file_order(n);
      for (uint64_t i = 0; i < n; ++i) REQUIRE(id(i) == i);
    }
  }
  const uint64_t n = 10000;
  auto order = [&](uint64_t seed, uint64_t epoch) {
    std::vector<uint64_t> o(n);
    const IndexPermutation p = IndexPermutation::shuffled(n, seed, epoch);
    for (uint64_t i = 0; i < n; ++i) o[i] = p(i);
    return o;
  };
  CHECK(order(7, 3) == order(7, 3));
  CHECK(order(7, 3) != order(7, 4));
  CHECK(order(7, 3) != order(8, 3));
  // Shuffled enough that the first tenth of an epoch is not a block of neighbouring rows.
  const auto o = order(7, 0);
  uint64_t below_half = 0;
  for (uint64_t i = 0; i < n / 10; ++i) below_half += o[i] < n / 2;
  CHECK(below_half > 400);
  CHECK(below_half < 600);
  uint64_t fixed_points = 0;
  for (uint64_t i = 0; i < n; ++i) fixed_points += o[i] == i;
  CHECK(fixed_points < 10);
}
