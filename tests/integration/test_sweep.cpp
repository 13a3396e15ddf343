// End-to-end test of scripts/sweep.sh: every (rule, batch size) run, the summary files and plots,
// CowClip only for the cowclip rule, resume by skipping finished runs, and argument errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>

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

}  // namespace

TEST_CASE("sweep.sh trains every rule and batch size, summarises, plots and resumes", "[sweep]") {
  ScratchDir tmp("sweep");
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
  const std::string args = "--config " + (tmp / "base.yaml") + " --batch-sizes 256,512 --rules cowclip,none --out " +
                           (tmp / "sw");
  auto r = run_command(sweep(args));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* f : {"summary.md", "summary.csv", "auc_vs_batch.png", "time_vs_batch.png"})
    CHECK(fs::file_size(tmp / ("sw/" + std::string(f))) > 0);
  const auto rows = split_table(read_file(tmp / "sw/summary.csv"), ',', true);
  REQUIRE(rows.size() == 4);
  for (const auto& row : rows) {
    INFO(row[0] << " " << row[1]);
    CHECK((row[0] == "cowclip" || row[0] == "none"));
    CHECK(row[5] == (row[0] == "cowclip" ? "True" : "False"));  // CowClip follows the rule
  }
  // The cowclip rule scales lr by sqrt(512/256) at batch 512; `none` keeps the base value.
  CHECK(std::stod(rows[1][2]) == Approx(1e-3 * std::sqrt(2.0)));
  CHECK(std::stod(rows[3][2]) == Approx(1e-3));
  const std::string md = read_file(tmp / "sw/summary.md");
  CHECK_THAT(md, Catch::Contains("### scaling rule: cowclip") && Catch::Contains("### scaling rule: none"));

  SECTION("a second call skips the finished runs") {
    auto again = run_command(sweep(args));
    REQUIRE(again.exit_code == 0);
    size_t skipped = 0;
    for (size_t at = again.output.find("skipped"); at != std::string::npos; at = again.output.find("skipped", at + 1))
      ++skipped;
    CHECK(skipped == 4);
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
    CHECK_THAT(help.output, Catch::Contains("Usage: scripts/sweep.sh --config BASE.yaml"));
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
