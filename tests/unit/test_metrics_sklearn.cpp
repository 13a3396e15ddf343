// Our AUC, logloss and gAUC against scikit-learn's on the same predictions, through
// tests/python/sklearn_metrics.py and the test venv's python (skipped, exit 77, without sklearn).
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "metrics/auc.h"
#include "metrics/gauc.h"
#include "metrics/logloss.h"
#include "support/test_util.h"

namespace {

using ctr::test::run_command;

std::string python() { return CTR_TEST_PYTHON; }

// Without the venv's numpy and scikit-learn, say why and exit 77: CTest reports the case as
// skipped (SKIP_RETURN_CODE). Called before the case creates anything.
void require_sklearn() {
  static const bool ok = run_command(python() + " -c 'import numpy, sklearn'").exit_code == 0;
  if (ok) return;
  std::printf("SKIPPED: %s cannot import numpy and scikit-learn; run scripts/setup.sh to make .venv-test\n",
              python().c_str());
  std::fflush(stdout);
  std::exit(77);
}

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct Preds {
  std::string name;
  std::vector<float> probs, labels;
  std::vector<uint64_t> groups;
};

struct Spec {
  const char* name;
  size_t n;
  int bits;         // scores are multiples of 2^-bits in [0, 1): few bits, many ties
  uint64_t groups;  // group indices drawn skewed (squared uniform): a few large groups, many small
  bool huge_ids;    // group keys spread over all 64 bits (above 2^53: no float64 detour)
  double extremes;  // share of probabilities set to exactly 0 or 1, or within 1e-9 of them
};

Preds make(const Spec& s, uint64_t seed) {
  Preds d{s.name, {}, {}, {}};
  uint64_t state = seed;
  auto draw = [&] { return (state = splitmix(state)) >> 11; };  // 53 bits
  const double unit = std::ldexp(1.0, -53);
  for (size_t i = 0; i < s.n; ++i) {
    const double u = static_cast<double>(draw()) * unit, v = static_cast<double>(draw()) * unit;
    float p = static_cast<float>(std::ldexp(std::floor(std::ldexp(u, s.bits)), -s.bits));
    const double e = static_cast<double>(draw()) * unit;
    if (e < s.extremes) p = (draw() & 1) ? ((draw() & 1) ? 1.0f : 1.0f - 1e-9f) : ((draw() & 1) ? 0.0f : 1e-9f);
    const double w = static_cast<double>(draw()) * unit;
    const uint64_t g = static_cast<uint64_t>(w * w * static_cast<double>(s.groups));
    d.probs.push_back(p);
    d.labels.push_back(v < 0.1 + 0.5 * u ? 1.0f : 0.0f);  // p predicts the label
    // Every 64th row alone in its group: one class, so gAUC must skip it.
    const uint64_t key = i % 64 == 63 ? s.groups + i : g;
    d.groups.push_back(s.huge_ids ? splitmix(key) : key);
  }
  return d;
}

void write_csv(const std::string& path, const Preds& d) {
  std::string text = "prob,label,group\n";
  for (size_t i = 0; i < d.probs.size(); ++i)
    text += fmt::format("{},{},{}\n", d.probs[i], static_cast<int>(d.labels[i]), d.groups[i]);
  ctr::test::write_file(path, text);
}

}  // namespace

TEST_CASE("metrics sklearn: roc_auc, log_loss and grouped_auc agree with scikit-learn to 1e-6", "[metrics][sklearn]") {
  require_sklearn();
  // sklearn scores each group with its own roc_auc_score call (~3 ms), so the groups with both
  // classes are kept to about a thousand in all; the singleton groups (every 64th row) are cheap.
  const Spec specs[] = {
      {"small", 2000, 24, 40, false, 0.0},
      {"ties", 50000, 3, 300, false, 0.0},      // 8 distinct scores: ties within every group
      {"large", 200000, 12, 500, true, 0.002},  // 64-bit keys; some exact 0 and 1
      {"extremes", 20000, 20, 100, true, 0.3},  // a third of the rows clipped by log_loss
  };
  ctr::test::ScratchDir tmp("metrics-sklearn");
  std::vector<Preds> sets;
  std::string files;
  for (size_t k = 0; k < std::size(specs); ++k) {
    sets.push_back(make(specs[k], 100 + k));
    const std::string path = tmp / (std::string(specs[k].name) + ".csv");
    write_csv(path, sets.back());
    files += " " + path;
  }
  const auto out = run_command(python() + " " + ctr::test::source_dir() + "/tests/python/sklearn_metrics.py" + files);
  INFO(out.output);
  REQUIRE(out.exit_code == 0);
  std::istringstream lines(out.output);
  std::string line;
  size_t k = 0;
  for (; k < sets.size() && std::getline(lines, line); ++k) {
    const Preds& d = sets[k];
    CAPTURE(d.name);
    const YAML::Node j = YAML::Load(line);
    const size_t n = d.probs.size();
    REQUIRE(j["rows"].as<size_t>() == n);
    CHECK(ctr::roc_auc(d.probs.data(), d.labels.data(), n) == Approx(j["auc"].as<double>()).margin(1e-6));
    // Same clip on both sides: [1e-7, 1 - 1e-7] (see sklearn_metrics.py).
    CHECK(ctr::log_loss(d.probs.data(), d.labels.data(), n) == Approx(j["logloss"].as<double>()).margin(1e-6));
    const ctr::GaucResult g = ctr::grouped_auc(d.probs.data(), d.labels.data(), d.groups.data(), n);
    REQUIRE(g.gauc.has_value());
    CHECK(*g.gauc == Approx(j["gauc"].as<double>()).margin(1e-6));
    CHECK(g.groups_used == j["groups_used"].as<uint64_t>());
    CHECK(g.groups_skipped == j["groups_skipped"].as<uint64_t>());
    CHECK(g.rows_used == j["rows_used"].as<uint64_t>());
    CHECK(g.groups_skipped > 0);
  }
  CHECK(k == sets.size());
}
