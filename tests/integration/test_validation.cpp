// End-to-end tests of the experiment workflow through the ctrtrain binary: the valid split,
// evaluation every N steps, early stopping with the best model restored, datasets without a
// test split (data.test_path / data.valid_path), train.init_from, train.log and report.csv.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "support/test_util.h"

using Catch::Contains;
using ctr::test::read_file;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
using ctr::test::split_table;
using ctr::test::write_file;
namespace fs = std::filesystem;

namespace {

// One raw file and its datasets for the whole file: `data` (train/valid/test), `notest`
// (--test-ratio 0: train only) and `later` (rows encoded with data's vocabulary, all test).
const ScratchDir& dataset_dir() {
  static ScratchDir dir("validation-data");
  static bool made = false;
  if (!made) {
    REQUIRE(run_ctrtrain("synth --dataset criteo --rows 16000 --vocab-scale 0.0005 --seed 9 --output " +
                         (dir / "raw.txt")).exit_code == 0);
    REQUIRE(run_ctrtrain("synth --dataset criteo --rows 3000 --vocab-scale 0.0005 --seed 10 --output " +
                         (dir / "later.txt")).exit_code == 0);
    const std::string pre = "preprocess --quiet --dataset criteo --input " + (dir / "raw.txt");
    REQUIRE(run_ctrtrain(pre + " --output " + (dir / "data") + " --valid-ratio 0.15").exit_code == 0);
    REQUIRE(run_ctrtrain(pre + " --output " + (dir / "notest") + " --test-ratio 0").exit_code == 0);
    REQUIRE(run_ctrtrain("preprocess --quiet --dataset criteo --input " + (dir / "later.txt") + " --vocab-from " +
                         (dir / "data") + " --test-ratio 1 --output " + (dir / "later")).exit_code == 0);
    made = true;
  }
  return dir;
}

std::string write_config(const ScratchDir& tmp, const std::string& name, const std::string& data, int epochs = 3,
                         const std::string& extra_train = "") {
  const std::string path = tmp / (name + ".yaml");
  write_file(path, "name: " + name + "\ndata: {path: " + (dataset_dir() / data) + "}\n" +
                       "model: {type: deepfm, embedding_dim: 4, hidden: [16, 8]}\n" +
                       "train: {batch_size: 512, epochs: " + std::to_string(epochs) + ", seed: 7, threads: 2" + extra_train + "}\n" +
                       "optimizer: {lr: 2e-3, lr_embed: 2e-3, warmup_epochs: 0.2}\n" +
                       "scaling: {rule: none}\noutput: {dir: runs/" + name + "}\n");
  return path;
}

YAML::Node report_of(const ScratchDir& tmp, const std::string& name) {
  return YAML::Load(read_file(tmp / ("runs/" + name + "/report.json")));
}

std::vector<std::vector<std::string>> rows_of_kind(const std::string& csv, const std::string& kind) {
  std::vector<std::vector<std::string>> out;
  for (auto& row : split_table(csv, ',', true))
    if (row[0] == kind) out.push_back(row);
  return out;
}

}  // namespace

TEST_CASE("preprocess --valid-ratio makes a valid split that meta.json and inspect record", "[validation]") {
  const YAML::Node meta = YAML::LoadFile(dataset_dir() / "data/meta.json");
  const uint64_t train = meta["rows"]["train"].as<uint64_t>(), valid = meta["rows"]["valid"].as<uint64_t>(),
                 test = meta["rows"]["test"].as<uint64_t>();
  CHECK(train + valid + test == 16000);
  CHECK(valid == Approx(0.15 * 16000).margin(250));
  CHECK(test == Approx(0.1 * 16000).margin(250));
  CHECK(meta["options"]["valid_ratio"].as<double>() == 0.15);
  CHECK(meta["format_version"].as<int>() == 4);
  auto inspect = run_ctrtrain("inspect " + (dataset_dir() / "data") + " --verify");
  REQUIRE(inspect.exit_code == 0);
  CHECK_THAT(inspect.output, Contains("valid     " + std::to_string(valid) + " rows"));

  ScratchDir tmp("validation-ratio");
  auto over = run_ctrtrain("preprocess --dataset criteo --input " + (dataset_dir() / "raw.txt") + " --output " +
                           (tmp / "x") + " --test-ratio 0.6 --valid-ratio 0.5");
  CHECK(over.exit_code == 2);
  CHECK_THAT(over.output, Contains("--valid-ratio 0.5 is over 1"));
  CHECK_FALSE(fs::exists(tmp / "x"));

  SECTION("seq puts valid between train and test in file order") {
    REQUIRE(run_ctrtrain("preprocess --quiet --dataset criteo --split seq --test-ratio 0.25 --valid-ratio 0.25 "
                         "--input " + (dataset_dir() / "raw.txt") + " --output " + (tmp / "seq")).exit_code == 0);
    const YAML::Node m = YAML::LoadFile(tmp / "seq/meta.json");
    CHECK(m["rows"]["train"].as<uint64_t>() == 8000);
    CHECK(m["rows"]["valid"].as<uint64_t>() == 4000);
    CHECK(m["rows"]["test"].as<uint64_t>() == 4000);
    REQUIRE(run_ctrtrain("inspect " + (tmp / "seq") + " --verify").exit_code == 0);
  }
}

TEST_CASE("training selects on valid, reports valid and test rows, and early stopping restores the best", "[validation]") {
  ScratchDir tmp("validation-train");
  const std::string cfg = write_config(tmp, "es", "data", 8,
                                       ", eval_every_steps: 7, "
                                       "early_stopping: {metric: logloss, patience: 2, min_delta: 0}");
  // A high lr over-fits the small dataset within a few epochs, so the valid logloss turns up.
  auto r = run_ctrtrain("--config " + cfg + " --no-progress --set optimizer.lr=2e-2 --set optimizer.lr_embed=5e-2");
  REQUIRE(r.exit_code == 0);
  const YAML::Node rep = report_of(tmp, "es");
  const YAML::Node sel = rep["selection"];
  CHECK(sel["split"].as<std::string>() == "valid");
  CHECK_FALSE(sel["test_used_for_selection"].as<bool>());
  REQUIRE(sel["stopped_early"].as<bool>());
  CHECK(rep["epochs_detail"].size() < 8);
  const uint64_t best = sel["best_step"].as<uint64_t>();
  CHECK(sel["selected_step"].as<uint64_t>() == best);
  CHECK(sel["best_restored"].as<bool>());
  CHECK(rep["valid"]["step"].as<uint64_t>() == best);
  CHECK(rep["test"]["step"].as<uint64_t>() == best);
  CHECK_THAT(r.output, Contains("train.early_stopping: restored the weights of step " + std::to_string(best)));

  // The best evaluation is the lowest valid logloss, and the patience evaluations after it are all worse.
  const YAML::Node evals = rep["evals"];
  size_t best_at = 0;
  for (size_t i = 0; i < evals.size(); ++i)
    if (evals[i]["logloss"].as<double>() < evals[best_at]["logloss"].as<double>()) best_at = i;
  CHECK(evals[best_at]["step"].as<uint64_t>() == best);
  CHECK(evals.size() - 1 - best_at == 2);
  CHECK(rep["valid"]["logloss"].as<double>() == evals[best_at]["logloss"].as<double>());

  const std::string csv = read_file(tmp / "runs/es/metrics.csv");
  CHECK(rows_of_kind(csv, "eval").size() + rows_of_kind(csv, "epoch").size() >= evals.size());
  const auto final_rows = rows_of_kind(csv, "final");
  REQUIRE(final_rows.size() == 1);
  CHECK(std::stoull(final_rows[0][2]) == best);
  CHECK(std::stod(final_rows[0][6]) == rep["valid"]["logloss"].as<double>());
  CHECK(std::stod(final_rows[0][7]) == rep["test"]["auc"].as<double>());

  SECTION("best.ckpt holds the reported model: eval of it gives the reported test AUC") {
    auto ev = run_ctrtrain("eval --checkpoint " + (tmp / "runs/es/best.ckpt") + " --data " +
                           (dataset_dir() / "data") + " --json " + (tmp / "ev.json"));
    REQUIRE(ev.exit_code == 0);
    CHECK(YAML::LoadFile(tmp / "ev.json")["auc"].as<double>() == Approx(rep["test"]["auc"].as<double>()).epsilon(1e-9));
    auto valid = run_ctrtrain("eval --checkpoint " + (tmp / "runs/es/best.ckpt") + " --data " +
                              (dataset_dir() / "data") + " --split valid --json " + (tmp / "ev.json"));
    REQUIRE(valid.exit_code == 0);
    CHECK(YAML::LoadFile(tmp / "ev.json")["logloss"].as<double>() ==
          Approx(rep["valid"]["logloss"].as<double>()).epsilon(1e-9));
    auto none = run_ctrtrain("eval --checkpoint " + (tmp / "runs/es/best.ckpt") + " --data " +
                             (dataset_dir() / "notest") + " --split test");
    CHECK(none.exit_code == 2);
    CHECK_THAT(none.output, Contains("--split test") && Contains("its test split has no rows") &&
                                Contains("choose another --split"));
  }
  SECTION("a run that stopped early is not resumed") {
    auto again = run_ctrtrain("--resume " + (tmp / "runs/es") + " --set train.epochs=20");
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.output, Contains("early_stopping already ended the run"));
  }
  SECTION("a run that stopped early and was killed before its report writes it on --resume") {
    fs::remove(tmp / "runs/es/report.json");
    auto again = run_ctrtrain("--resume " + (tmp / "runs/es"));
    REQUIRE(again.exit_code == 0);
    CHECK_THAT(again.output, Contains("stopped before it wrote report.json"));
    const YAML::Node after = report_of(tmp, "es");
    CHECK(after["test"]["auc"].as<double>() == rep["test"]["auc"].as<double>());
    CHECK(after["selection"]["best_step"].as<uint64_t>() == rep["selection"]["best_step"].as<uint64_t>());
  }
}

TEST_CASE("without a valid split, early stopping selects on test and the report says so", "[validation]") {
  ScratchDir tmp("validation-on-test");
  const std::string cfg = write_config(tmp, "ontest", "notest", 3, ", early_stopping: {metric: auc, patience: 1}");
  auto r = run_ctrtrain("--config " + cfg + " --no-progress --set data.test_path=" + (dataset_dir() / "later"));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Contains("selects the model on the test split"));
  const YAML::Node rep = report_of(tmp, "ontest");
  CHECK(rep["selection"]["split"].as<std::string>() == "test");
  CHECK(rep["selection"]["test_used_for_selection"].as<bool>());
  CHECK_FALSE(rep["valid"]);
  CHECK(rep["test"]["rows"].as<uint64_t>() == 3000);
}

TEST_CASE("a dataset with no test split trains, and evaluates only what it is given", "[validation]") {
  ScratchDir tmp("validation-notest");
  SECTION("nothing to evaluate: said, and the run still trains and reports") {
    auto r = run_ctrtrain("--config " + write_config(tmp, "bare", "notest") + " --no-progress");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.output, Contains("nothing is evaluated"));
    CHECK_THAT(r.output, Contains("nothing evaluated (no valid or test split)"));
    const YAML::Node rep = report_of(tmp, "bare");
    CHECK(rep["selection"]["split"].as<std::string>() == "none");
    CHECK_FALSE(rep["test"]);
    auto table = run_ctrtrain("report " + (tmp / "runs/bare"));
    REQUIRE(table.exit_code == 0);
    CHECK_THAT(table.output, Contains("n/a"));
  }
  SECTION("data.valid_path and data.test_path name other datasets with the same vocabulary") {
    auto r = run_ctrtrain("--config " + write_config(tmp, "paths", "notest") + " --no-progress --set data.valid_path=" +
                          (dataset_dir() / "later") + " --set data.test_path=" + (dataset_dir() / "later"));
    REQUIRE(r.exit_code == 0);
    const YAML::Node rep = report_of(tmp, "paths");
    CHECK(rep["valid"]["rows"].as<uint64_t>() == 3000);
    CHECK(rep["test"]["auc"].as<double>() == rep["valid"]["auc"].as<double>());
  }
  SECTION("errors name the split and what to do") {
    auto early = run_ctrtrain("--config " + write_config(tmp, "e1", "notest", 3, ", early_stopping: {patience: 2}"));
    CHECK(early.exit_code == 2);
    CHECK_THAT(early.output, Contains("train.early_stopping needs a split to evaluate") && Contains("--valid-ratio"));
    auto empty = run_ctrtrain("--config " + write_config(tmp, "e2", "notest") + " --set data.test_path=" +
                              (dataset_dir() / "notest"));
    CHECK(empty.exit_code == 2);
    CHECK_THAT(empty.output, Contains("data.test_path") && Contains("its test split has no rows"));
    auto train_none = run_ctrtrain("--config " + write_config(tmp, "e3", "later"));
    CHECK(train_none.exit_code == 2);
    CHECK_THAT(train_none.output, Contains("data.path") && Contains("its train split has no rows"));
    for (const char* name : {"e1", "e2", "e3"}) CHECK_FALSE(fs::exists(tmp / (std::string("runs/") + name)));
  }
}

TEST_CASE("train.init_from starts from a checkpoint's weights with a fresh optimizer", "[validation]") {
  ScratchDir tmp("validation-init");
  const std::string base = write_config(tmp, "day1", "data");
  REQUIRE(run_ctrtrain("--config " + base + " --no-progress").exit_code == 0);
  const std::string ckpt = tmp / "runs/day1/checkpoint.ckpt";
  auto warm = run_ctrtrain("--config " + write_config(tmp, "day2", "data", 1) +
                           " --no-progress --set train.init_from=" + ckpt);
  REQUIRE(warm.exit_code == 0);
  CHECK_THAT(warm.output, Contains("train.init_from") && Contains("optimizer state and schedule start fresh"));
  auto cold = run_ctrtrain("--config " + write_config(tmp, "cold", "data", 1) + " --no-progress");
  REQUIRE(cold.exit_code == 0);
  // One more epoch from three trained ones beats one epoch from scratch on the same rows.
  CHECK(report_of(tmp, "day2")["valid"]["auc"].as<double>() > report_of(tmp, "cold")["valid"]["auc"].as<double>());

  auto other = run_ctrtrain("--config " + write_config(tmp, "bad", "data") + " --set model.embedding_dim=8 --set "
                            "train.init_from=" + ckpt);
  CHECK(other.exit_code == 2);
  CHECK_THAT(other.output, Contains("train.init_from") && Contains("does not match"));
}

TEST_CASE("train.log and report.csv go into the run directory, --quiet keeps the console short", "[validation]") {
  ScratchDir tmp("validation-log");
  auto r = run_ctrtrain("--config " + write_config(tmp, "logged", "data", 1) + " --quiet");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, !Contains("epoch 1/1"));
  const std::string log = read_file(tmp / "runs/logged/train.log");
  CHECK_THAT(log, Contains("Z info    epoch 1/1: train loss"));
  CHECK(log.compare(0, 2, "20") == 0);  // each line starts with its UTC timestamp
  const auto csv = split_table(read_file(tmp / "runs/logged/report.csv"), ',', false);
  REQUIRE(csv.size() == 2);
  CHECK(csv[0][0] == "dir");
  CHECK(csv[1][1] == "logged");
  auto many = run_ctrtrain("report --csv " + (tmp / "all.csv") + " " + (tmp / "runs/logged") + " " +
                           (tmp / "runs/logged"));
  REQUIRE(many.exit_code == 0);
  const auto all = split_table(read_file(tmp / "all.csv"), ',', false);
  REQUIRE(all.size() == 3);
  CHECK(all[1] == csv[1]);
  auto verbose = run_ctrtrain("--config " + write_config(tmp, "loud", "data", 1) + " --verbose");
  REQUIRE(verbose.exit_code == 0);
  CHECK_THAT(verbose.output, Contains("epoch 1/1"));
}

TEST_CASE("the reported model's evaluation carries calibration, gAUC by eval.group_by and OOV rates", "[validation]") {
  ScratchDir tmp("validation-detail");
  auto r = run_ctrtrain("--config " + write_config(tmp, "detail", "data", 1) + " --no-progress --set eval.group_by=C1 " +
                        "--set data.test_path=" + (dataset_dir() / "later"));
  REQUIRE(r.exit_code == 0);
  const YAML::Node rep = report_of(tmp, "detail");
  for (const char* split : {"valid", "test"}) {
    INFO(split);
    const YAML::Node s = rep[split];
    const YAML::Node bins = s["calibration"]["bins"];
    REQUIRE(bins.size() == 20);
    uint64_t rows = 0;
    double weighted_gap = 0;
    for (const auto& b : bins) {
      rows += b["rows"].as<uint64_t>();
      weighted_gap += b["rows"].as<double>() *
                      std::abs(b["mean_prediction"].as<double>() - b["observed_ctr"].as<double>());
    }
    CHECK(rows == s["rows"].as<uint64_t>());
    CHECK(s["calibration"]["ece"].as<double>() == Approx(weighted_gap / double(rows)));
    CHECK(s["gauc"]["group_by"].as<std::string>() == "C1");
    CHECK(s["gauc"]["rows_used"].as<uint64_t>() <= rows);
    CHECK(s["oov_rate"].size() == 26);
  }
  // The later rows were encoded with data's vocabulary: values data never saw are OOV there.
  double most = 0;
  for (const auto& kv : rep["test"]["oov_rate"]) most = std::max(most, kv.second.as<double>());
  CHECK(most > 0);
  CHECK(most <= 1);

  auto bad = run_ctrtrain("--config " + write_config(tmp, "bad", "data", 1) + " --set eval.group_by=c1");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Contains("eval.group_by: 'c1' is not a categorical field") && Contains("did you mean 'C1'"));
}
