// End-to-end tests of `ctrtrain --seeds`: one run per seed in output.dir/seed-S, seeds.json and
// seeds.md with the mean, sample sd and Student-t 95% interval of the runs' report.json figures,
// the one-line summary, --print-config per seed, a failing seed, and the usage errors.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "support/test_util.h"

using Catch::Contains;
using ctr::test::read_file;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
using ctr::test::write_file;
namespace fs = std::filesystem;

namespace {

// One small raw file, preprocessed twice: `data` with a valid split, `plain` with train/test only.
const ScratchDir& dataset_dir() {
  static ScratchDir dir("seeds-data");
  static bool made = false;
  if (!made) {
    REQUIRE(
        run_ctrtrain("synth --dataset criteo --rows 6000 --vocab-scale 0.0005 --seed 5 --output " + (dir / "raw.txt"))
            .exit_code == 0);
    const std::string pre = "preprocess --quiet --dataset criteo --input " + (dir / "raw.txt");
    REQUIRE(run_ctrtrain(pre + " --output " + (dir / "data") + " --valid-ratio 0.15").exit_code == 0);
    REQUIRE(run_ctrtrain(pre + " --output " + (dir / "plain")).exit_code == 0);
    made = true;
  }
  return dir;
}

std::string write_config(const ScratchDir& tmp, const std::string& name, const std::string& data) {
  const std::string path = tmp / (name + ".yaml");
  write_file(path, "name: " + name + "\ndata: {path: " + (dataset_dir() / data) + "}\n" +
                       "model: {type: deepfm, embedding_dim: 4, hidden: [8]}\n" +
                       "train: {batch_size: 256, epochs: 1, seed: 7, threads: 2, max_steps_per_epoch: 6}\n" +
                       "optimizer: {lr: 2e-3, lr_embed: 2e-3, warmup_epochs: 0}\n" +
                       "scaling: {rule: none, base_batch_size: 256}\noutput: {dir: runs/" + name +
                       ", checkpoint: none}\n");
  return path;
}

std::string last_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.substr(text.rfind('\n') + 1);
}

// The mean and the sample (n - 1) standard deviation, computed here, apart from ctrtrain.
std::pair<double, double> mean_sd(const std::vector<double>& x) {
  double m = 0, ss = 0;
  for (double v : x) m += v / x.size();
  for (double v : x) ss += (v - m) * (v - m);
  return {m, std::sqrt(ss / (x.size() - 1))};
}

// seeds.json's statistics of one figure against the per-seed values; t = t_{0.975, n-1}.
void check_stats(const YAML::Node& s, const std::vector<double>& x, double t) {
  const auto [m, sd] = mean_sd(x);
  CHECK(s["n"].as<size_t>() == x.size());
  CHECK(s["mean"].as<double>() == Approx(m).epsilon(1e-12));
  CHECK(s["sd"].as<double>() == Approx(sd).epsilon(1e-9));
  const double h = t * sd / std::sqrt(double(x.size()));
  CHECK(s["ci_low"].as<double>() == Approx(m - h).epsilon(1e-9));
  CHECK(s["ci_high"].as<double>() == Approx(m + h).epsilon(1e-9));
}

}  // namespace

TEST_CASE("ctrtrain --seeds trains each seed in output.dir/seed-S and aggregates the runs in seeds.json", "[seeds]") {
  ScratchDir tmp("seeds-train");
  const std::string cfg = write_config(tmp, "multi", "data");
  auto r = run_ctrtrain("--config " + cfg + " --no-progress --seeds 3,1,2");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const YAML::Node js = YAML::LoadFile(tmp / "runs/multi/seeds.json");
  // Paths in seeds.json are as the config resolves them: absolute, maybe not canonical.
  const std::string base = js["output_dir"].as<std::string>();
  CHECK(fs::equivalent(base, tmp / "runs/multi"));
  CHECK_FALSE(fs::exists(base + "/report.json"));  // the base directory is no run of its own
  std::vector<double> test_auc, test_ll, valid_auc, valid_ll;
  const std::vector<uint64_t> seeds = {3, 1, 2};
  for (uint64_t s : seeds) {
    const YAML::Node rep = YAML::LoadFile(base + "/seed-" + std::to_string(s) + "/report.json");
    CHECK(rep["seed"].as<uint64_t>() == s);
    CHECK(rep["name"].as<std::string>() == "multi-s" + std::to_string(s));
    test_auc.push_back(rep["test"]["auc"].as<double>());
    test_ll.push_back(rep["test"]["logloss"].as<double>());
    valid_auc.push_back(rep["valid"]["auc"].as<double>());
    valid_ll.push_back(rep["valid"]["logloss"].as<double>());
  }
  CHECK(mean_sd(test_auc).second > 0);  // the seeds give different models

  CHECK(js["name"].as<std::string>() == "multi");
  CHECK(js["seeds"].as<std::vector<uint64_t>>() == seeds);
  REQUIRE(js["runs"].size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(js["runs"][i]["seed"].as<uint64_t>() == seeds[i]);
    CHECK(js["runs"][i]["test"]["auc"].as<double>() == test_auc[i]);
    CHECK(js["runs"][i]["valid"]["logloss"].as<double>() == valid_ll[i]);
    CHECK(js["runs"][i]["dir"].as<std::string>() == base + "/seed-" + std::to_string(seeds[i]));
  }
  const YAML::Node agg = js["aggregate"];
  CHECK(agg["n"].as<int>() == 3);
  const double t = agg["t"].as<double>();
  CHECK(t == Approx(4.302653).margin(1e-6));
  check_stats(agg["test"]["auc"], test_auc, t);
  check_stats(agg["test"]["logloss"], test_ll, t);
  check_stats(agg["valid"]["auc"], valid_auc, t);
  check_stats(agg["valid"]["logloss"], valid_ll, t);

  // The last stdout line: test first, then valid, the seeds and the base directory.
  const auto [m, sd] = mean_sd(test_auc);
  const double h = t * sd / std::sqrt(3.0);
  const std::string line = last_line(r.output);
  CHECK_THAT(line, Catch::StartsWith(fmt::format(
                       "test AUC {:.5f} ± {:.5f} (95% CI [{:.5f}, {:.5f}], 3 seeds)  logloss ", m, sd, m - h, m + h)));
  CHECK_THAT(line, Contains("| valid AUC ") && Contains("| seeds 3,1,2, mean train ") && Catch::EndsWith("| " + base));
  const std::string md = read_file(base + "/seeds.md");
  CHECK_THAT(md, Contains("| seed | valid AUC | valid logloss | test AUC | test logloss | train s | run |"));
  CHECK_THAT(md, Contains(fmt::format("| test AUC | 3 | {:.5f} | {:.5f} | [{:.5f}, {:.5f}] |", m, sd, m - h, m + h)));
  CHECK_THAT(md, Contains("t = t(0.975, 2) = 4.303"));
  CHECK_THAT(r.output, Contains(md));  // printed too

  SECTION("a single run of the same config goes into output.dir itself, beside the seeds") {
    auto single = run_ctrtrain("--config " + cfg + " --no-progress");
    REQUIRE(single.exit_code == 0);
    CHECK(fs::exists(base + "/report.json"));
    CHECK(YAML::LoadFile(base + "/seed-1/report.json")["test"]["auc"].as<double>() == test_auc[1]);
    CHECK(fs::exists(base + "/seeds.json"));
  }
  SECTION("a second sequence is refused before it trains, unless --force") {
    auto again = run_ctrtrain("--config " + cfg + " --no-progress --seeds 1,2");
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.output, Contains("seeds.json exists") && Contains("--force"));
    auto other = run_ctrtrain("--config " + cfg + " --no-progress --seeds 5,2 --set output.dir=" + (tmp / "o"));
    REQUIRE(other.exit_code == 0);
    fs::remove(tmp / "o/seeds.json");
    fs::remove(tmp / "o/seeds.md");
    auto dirs = run_ctrtrain("--config " + cfg + " --no-progress --seeds 9,2 --set output.dir=" + (tmp / "o"));
    CHECK(dirs.exit_code == 2);
    CHECK_THAT(dirs.output, Contains("seed-2 (seed 2) already exists"));
    CHECK_FALSE(fs::exists(tmp / "o/seed-9"));
  }
  SECTION("--force replaces the sequence; one seed has no interval, and says so") {
    auto one = run_ctrtrain("--config " + cfg + " --no-progress --force --seeds 1");
    INFO(one.output);
    REQUIRE(one.exit_code == 0);
    const YAML::Node j1 = YAML::LoadFile(base + "/seeds.json");
    CHECK(j1["seeds"].as<std::vector<uint64_t>>() == std::vector<uint64_t>{1});
    CHECK(j1["aggregate"]["t"].IsNull());
    CHECK(j1["aggregate"]["test"]["auc"]["sd"].IsNull());
    CHECK(j1["aggregate"]["test"]["auc"]["ci_low"].IsNull());
    CHECK(j1["aggregate"]["test"]["auc"]["mean"].as<double>() == test_auc[1]);  // same seed, same run
    CHECK_THAT(last_line(one.output),
               Catch::StartsWith(fmt::format("test AUC {:.5f} (1 seed: no sd or 95% CI)  logloss", test_auc[1])));
    CHECK_THAT(read_file(base + "/seeds.md"), Contains("One seed: no standard deviation and no confidence interval"));
  }
}

TEST_CASE("ctrtrain --seeds without a valid split reports test only, and train --seeds --print-config shows each run",
          "[seeds]") {
  ScratchDir tmp("seeds-plain");
  const std::string cfg = write_config(tmp, "plain", "plain");
  auto r = run_ctrtrain("train --config " + cfg + " --no-progress --seeds 11,12");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const YAML::Node js = YAML::LoadFile(tmp / "runs/plain/seeds.json");
  CHECK_FALSE(js["aggregate"]["valid"]);
  CHECK_FALSE(js["runs"][0]["valid"]);
  CHECK(js["aggregate"]["t"].as<double>() == Approx(12.706205).margin(1e-6));
  CHECK_THAT(last_line(r.output), Catch::StartsWith("test AUC 0.") && Contains("2 seeds)") && !Contains("valid"));
  CHECK_THAT(read_file(tmp / "runs/plain/seeds.md"), !Contains("valid"));

  auto pc = run_ctrtrain("train --config " + cfg + " --seeds 4,5 --print-config --set name=pc");
  REQUIRE(pc.exit_code == 0);
  const std::vector<YAML::Node> docs = YAML::LoadAll(pc.output);
  REQUIRE(docs.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const std::string s = std::to_string(4 + i);
    CHECK(docs[i]["train"]["seed"].as<uint64_t>() == 4 + i);
    CHECK(docs[i]["name"].as<std::string>() == "pc-s" + s);
    CHECK_THAT(docs[i]["output"]["dir"].as<std::string>(), Catch::EndsWith("/runs/plain/seed-" + s));
  }
  CHECK_FALSE(fs::exists(tmp / "runs/plain/seed-4"));
}

TEST_CASE("a failing seed stops the sequence, names the seed and keeps the finished runs", "[seeds]") {
  ScratchDir tmp("seeds-fail");
  const std::string cfg = write_config(tmp, "broken", "plain");
  fs::create_directories(tmp / "runs/broken");
  write_file(tmp / "runs/broken/seed-2", "a file where seed 2's run directory would go\n");
  auto r = run_ctrtrain("--config " + cfg + " --no-progress --force --seeds 1,2,3");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Contains("--seeds: seed 2 (2 of 3): ") && Contains("is a file, not a directory"));
  CHECK_THAT(r.output, Contains("the finished seeds' runs stay: /") && Contains("/runs/broken/seed-1"));
  CHECK(fs::exists(tmp / "runs/broken/seed-1/report.json"));
  CHECK_FALSE(fs::exists(tmp / "runs/broken/seed-3"));
  CHECK_FALSE(fs::exists(tmp / "runs/broken/seeds.json"));
}

TEST_CASE("bad --seeds lists and combinations are usage errors that train nothing", "[seeds]") {
  ScratchDir tmp("seeds-errors");
  const std::string cfg = write_config(tmp, "err", "plain");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--seeds ''", "the list is empty"},
      {"--seeds 1,,2", "entry 2 is empty"},
      {"--seeds 1,x", "'x' is not a non-negative integer"},
      {"--seeds 1.5", "'1.5' is not a non-negative integer"},
      {"--seeds 2,1,2", "seed 2 is given twice"},
      {"--seeds 99999999999999999999", "does not fit in 64 bits"},
      {"--seeds 1,2 --resume " + (tmp / "runs/err"), "cannot be combined with --resume"},
      {"--seeds 1,2 --set train.seed=5", "leave out --set train.seed=5"},
  };
  for (const auto& [args, message] : cases) {
    auto r = run_ctrtrain("--config " + cfg + " " + args);
    INFO(args << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Contains("usage error") && Contains(message));
  }
  CHECK_FALSE(fs::exists(tmp / "runs"));
}
