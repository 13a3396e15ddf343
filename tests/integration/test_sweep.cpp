// End-to-end test of scripts/sweep.sh: every (rule, batch size) run, the summary files and plots,
// CowClip only for the cowclip rule, resume by skipping finished runs, argument errors, and
// --seeds: each point per seed, summary.csv's seed column and the per-point seed statistics.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/test_util.h"

using ctr::test::read_file;
using ctr::test::run_command;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
using ctr::test::split_table;
using ctr::test::write_file;
namespace fs = std::filesystem;

namespace {

std::string sweep(const std::string& args) {
  return "cd " + ctr::test::source_dir() + " && CTRTRAIN=" + CTR_BINARY + " scripts/sweep.sh " + args;
}

// A CSV file's rows as column name -> cell (the files here quote nothing).
std::vector<std::map<std::string, std::string>> csv_rows(const std::string& path) {
  const auto table = split_table(read_file(path), ',', false);
  std::vector<std::map<std::string, std::string>> rows;
  for (size_t i = 1; i < table.size(); ++i) {
    REQUIRE(table[i].size() == table[0].size());
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < table[0].size(); ++c) row[table[0][c]] = table[i][c];
    rows.push_back(row);
  }
  return rows;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The sweep's base config, on a small synthetic dataset in tmp.
void make_base(const ScratchDir& tmp) {
  REQUIRE(run_ctrtrain("synth --dataset criteo --rows 6000 --vocab-scale 0.0005 --seed 3 --output " +
                       (tmp / "raw.txt")).exit_code == 0);
  REQUIRE(run_ctrtrain("preprocess --quiet --dataset criteo --input " + (tmp / "raw.txt") + " --output " +
                       (tmp / "data")).exit_code == 0);
  write_file(tmp / "base.yaml",
             "name: base\ndata: {path: " + (tmp / "data") + "}\n"
             "model: {type: deepfm, embedding_dim: 4, hidden: [8]}\n"
             "train: {batch_size: 256, epochs: 1, seed: 7, threads: 2, max_steps_per_epoch: 3}\n"
             "optimizer: {lr: 1e-3, lr_embed: 1e-3, l2: 1e-5}\n"
             "scaling: {rule: none, base_batch_size: 256}\n"
             "output: {dir: unused, checkpoint: none}\n");
}

}  // namespace

TEST_CASE("sweep.sh trains every rule and batch size, summarises, plots and resumes", "[sweep]") {
  ScratchDir tmp("sweep");
  make_base(tmp);
  const std::string args = "--config " + (tmp / "base.yaml") + " --batch-sizes 256,512 --rules cowclip,none --out " +
                           (tmp / "sw");
  auto r = run_command(sweep(args));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* f : {"summary.md", "summary.csv", "epochs.csv", "auc_vs_batch.png", "time_vs_batch.png"})
    CHECK(fs::file_size(tmp / ("sw/" + std::string(f))) > 0);
  CHECK_FALSE(fs::exists(tmp / "sw/summary_seeds.csv"));  // no --seeds
  const std::string csv = read_file(tmp / "sw/summary.csv");
  CHECK(csv.find(';') == std::string::npos);  // flat: no joined lists
  const auto rows = csv_rows(tmp / "sw/summary.csv");
  REQUIRE(rows.size() == 4);
  for (const auto& row : rows) {
    INFO(row.at("rule") << " " << row.at("batch_size"));
    CHECK((row.at("rule") == "cowclip" || row.at("rule") == "none"));
    CHECK(row.at("cowclip") == (row.at("rule") == "cowclip" ? "True" : "False"));  // CowClip follows the rule
    CHECK(row.at("seed") == "7");
    CHECK(row.at("epochs") == "1");
    CHECK(row.at("model") == "deepfm");
    CHECK(row.at("run") == tmp / ("sw/" + row.at("rule") + "/" + row.at("batch_size")));
  }
  // The cowclip rule scales lr by sqrt(512/256) at batch 512; `none` keeps the base value.
  CHECK(std::stod(rows[1].at("lr")) == Approx(1e-3 * std::sqrt(2.0)));
  CHECK(std::stod(rows[3].at("lr")) == Approx(1e-3));
  CHECK(rows[0].at("speedup") == "1.0");
  // The per-epoch values, one row per run and epoch (each run here has one epoch).
  const auto epochs = csv_rows(tmp / "sw/epochs.csv");
  REQUIRE(epochs.size() == 4);
  CHECK(epochs[0].at("epoch") == "1");
  CHECK(epochs[0].count("clipped_fraction") == 1);
  CHECK(read_file(tmp / "sw/epochs.csv").find(';') == std::string::npos);
  const std::string md = read_file(tmp / "sw/summary.md");
  CHECK_THAT(md, Catch::Contains("### scaling rule: cowclip") && Catch::Contains("### scaling rule: none"));

  SECTION("a second call skips the finished runs") {
    auto again = run_command(sweep(args));
    REQUIRE(again.exit_code == 0);
    CHECK(count_of(again.output, "skipped") == 4);
  }
  SECTION("relative --config and --out are the caller's paths, not the repository's") {
    const std::string script = ctr::test::source_dir() + "/scripts/sweep.sh";
    auto rel = run_command("cd " + tmp.path() + " && CTRTRAIN=" + CTR_BINARY + " " + script +
                           " --config base.yaml --batch-sizes 256 --rules none --out rel_sweep");
    INFO(rel.output);
    REQUIRE(rel.exit_code == 0);
    CHECK(fs::exists(tmp / "rel_sweep/summary.md"));
    CHECK(fs::exists(tmp / "rel_sweep/none/256/report.json"));
    CHECK_FALSE(fs::exists(fs::path(ctr::test::source_dir()) / "rel_sweep"));
  }
  SECTION("--help prints the usage and succeeds") {
    auto help = run_command(sweep("--help"));
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.output, Catch::Contains("Usage: scripts/sweep.sh --config BASE.yaml") &&
                                Catch::Contains("[--seeds 1,2,3]") && Catch::Contains("--out DIR]"));
    CHECK_THAT(help.output, !Catch::Contains("set -euo"));
  }
  SECTION("bad arguments are usage errors") {
    auto bad = run_command(sweep("--config " + (tmp / "base.yaml") + " --batch-sizes 256,x"));
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.output, Catch::Contains("'x' is not a positive integer"));
    bad = run_command(sweep("--config " + (tmp / "base.yaml") + " --batch-sizes 256 --rules cubic"));
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.output, Catch::Contains("cubic"));
  }
}

TEST_CASE("sweep.sh --seeds trains each point per seed and summarises the seeds", "[sweep]") {
  ScratchDir tmp("sweep-seeds");
  make_base(tmp);
  for (const auto& [bad, message] : std::vector<std::pair<std::string, std::string>>{
           {"--seeds 1,x", "'x' is not a non-negative integer"},
           {"--seeds 2,1,2", "seed 2 is given twice"},
           {"--seeds 1,,2", "an entry is empty"},
           {"--seeds 1,2 --set train.seed=3", "leave out --set train.seed=3"}}) {
    auto r = run_command(sweep("--config " + (tmp / "base.yaml") + " --batch-sizes 256 " + bad));
    INFO(bad << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(message));
  }
  const std::string args = "--config " + (tmp / "base.yaml") + " --batch-sizes 256,512 --rules cowclip --seeds 1,2 " +
                           "--out " + (tmp / "sw");
  auto r = run_command(sweep(args));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* f : {"summary.md", "summary.csv", "epochs.csv", "summary_seeds.csv", "auc_vs_batch.png",
                        "time_vs_batch.png", "cowclip/256/seeds.json", "cowclip/512/seed-2/report.json"})
    CHECK(fs::file_size(tmp / ("sw/" + std::string(f))) > 0);
  CHECK(read_file(tmp / "sw/summary.csv").find(';') == std::string::npos);

  // summary.csv: a row per run, by batch then seed.
  const auto rows = csv_rows(tmp / "sw/summary.csv");
  REQUIRE(rows.size() == 4);
  const std::vector<std::pair<std::string, std::string>> order = {
      {"256", "1"}, {"256", "2"}, {"512", "1"}, {"512", "2"}};
  for (size_t i = 0; i < 4; ++i) {
    CHECK(rows[i].at("batch_size") == order[i].first);
    CHECK(rows[i].at("seed") == order[i].second);
    CHECK(rows[i].at("model") == "deepfm");
    CHECK(rows[i].at("epochs") == "1");
    // ctrtrain's output.dir, as sweep.sh passes it (realpath): the same directory, maybe spelt otherwise.
    CHECK(fs::equivalent(rows[i].at("run"), tmp / ("sw/cowclip/" + order[i].first + "/seed-" + order[i].second)));
  }
  CHECK(rows[0].at("test_auc") != rows[1].at("test_auc"));  // the seeds differ
  CHECK(csv_rows(tmp / "sw/epochs.csv").size() == 4);

  // summary_seeds.csv: a row per point, the mean and interval over its seeds.
  const auto points = csv_rows(tmp / "sw/summary_seeds.csv");
  REQUIRE(points.size() == 2);
  for (size_t p = 0; p < 2; ++p) {
    INFO("point " << p);
    CHECK(points[p].at("batch_size") == order[2 * p].first);
    CHECK(points[p].at("n") == "2");
    const double a = std::stod(rows[2 * p].at("test_auc")), b = std::stod(rows[2 * p + 1].at("test_auc"));
    const double mean = std::stod(points[p].at("test_auc_mean")), sd = std::stod(points[p].at("test_auc_sd"));
    CHECK(mean == Approx((a + b) / 2).epsilon(1e-12));
    CHECK(sd == Approx(std::fabs(a - b) / std::sqrt(2.0)).epsilon(1e-9));
    // t_{0.975,1} = 12.706: the half-width of two seeds is 12.706 sd / sqrt(2).
    CHECK(std::stod(points[p].at("test_auc_ci_high")) - mean == Approx(12.706205 * sd / std::sqrt(2.0)).epsilon(1e-6));
    CHECK(points[p].at("valid_auc_mean").empty());  // the dataset has no valid split
  }
  const std::string md = read_file(tmp / "sw/summary.md");
  CHECK_THAT(md, Catch::Contains("### scaling rule: cowclip") && Catch::Contains("## Across seeds"));
  CHECK_THAT(md, Catch::Contains("| 256 | 2 | ") && Catch::Contains("| 512 | 2 | "));
  CHECK_THAT(md, Catch::Contains("/sw/cowclip/512/seed-2 |"));  // ctrtrain report's rows are the runs

  auto again = run_command(sweep(args));
  REQUIRE(again.exit_code == 0);
  CHECK(count_of(again.output, "seeds 1,2 done before, skipped") == 2);
}
