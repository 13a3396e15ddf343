// Tests of the pieces behind validation and early stopping: ModelSelection's best and stop rule,
// SplitAssigner's three-way split, metrics.csv's rows (and an older run's, resumed), and
// meta.json version 1 (no valid split) still reading.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "dataset/dataset_meta.h"
#include "preprocess/split_assigner.h"
#include "support/test_util.h"
#include "train/metrics_csv.h"
#include "train/model_selection.h"

using namespace ctr;
using ctr::test::read_file;
using ctr::test::ScratchDir;
using ctr::test::write_file;

namespace {

EarlyStoppingConfig stopping(StopMetric metric, int patience, double min_delta) {
  EarlyStoppingConfig es;
  es.enabled = true;
  es.metric = metric;
  es.patience = patience;
  es.min_delta = min_delta;
  return es;
}

}  // namespace

TEST_CASE("ModelSelection keeps the best evaluation and stops after `patience` without improvement",
          "[selection]") {
  SECTION("auc: higher is better") {
    ModelSelection s(stopping(StopMetric::auc, 2, 0));
    CHECK(s.observe(0.70, 0.5));
    CHECK(s.observe(0.72, 0.5));
    CHECK_FALSE(s.observe(0.71, 0.4));  // a lower logloss does not count under auc
    CHECK_FALSE(s.should_stop());
    CHECK_FALSE(s.observe(0.72, 0.4));  // equal is no improvement
    CHECK(s.should_stop());
    CHECK(s.best_index() == 1);
  }
  SECTION("logloss: lower is better, min_delta must be beaten") {
    ModelSelection s(stopping(StopMetric::logloss, 1, 0.01));
    CHECK(s.observe(0.5, 0.50));
    CHECK_FALSE(s.observe(0.5, 0.495));  // better by less than min_delta
    CHECK(s.should_stop());
    CHECK(s.best_index() == 0);
  }
  SECTION("an improvement resets the count") {
    ModelSelection s(stopping(StopMetric::auc, 2, 0));
    s.observe(0.6, 0);
    s.observe(0.5, 0);
    s.observe(0.7, 0);
    s.observe(0.6, 0);
    CHECK_FALSE(s.should_stop());
    CHECK(s.best_index() == 2);
  }
  SECTION("off: the best is still known, the run never stops") {
    ModelSelection s(EarlyStoppingConfig{});
    CHECK_FALSE(s.has_best());
    for (double auc : {0.7, 0.6, 0.5, 0.4}) s.observe(auc, 0);
    CHECK(s.has_best());
    CHECK(s.best_index() == 0);
    CHECK_FALSE(s.should_stop());
  }
}

TEST_CASE("SplitAssigner splits train, valid and test by ratio, seq in file order", "[selection]") {
  SECTION("rand: shares near the ratios, and the test rows those of a split without valid") {
    const SplitAssigner with = SplitAssigner::random(0.2, 0.1, 7), without = SplitAssigner::random(0.2, 0, 7);
    size_t counts[kNumSplits] = {0, 0, 0};
    for (uint64_t i = 0; i < 100000; ++i) {
      const SplitIndex s = with.split_of(i, 0, i);
      ++counts[s];
      REQUIRE((s == kTestSplit) == (without.split_of(i, 0, i) == kTestSplit));
      REQUIRE(without.split_of(i, 0, i) != kValidSplit);
    }
    CHECK(counts[kTestSplit] == Approx(20000).margin(600));
    CHECK(counts[kValidSplit] == Approx(10000).margin(600));
  }
  SECTION("seq: the valid lines stand just before the test lines") {
    const SplitAssigner s = SplitAssigner::sequential(0.25, 0.15, 20);
    std::string order;
    for (uint64_t i = 0; i < 20; ++i) order += "tvT"[s.split_of(i, 0, i)];
    CHECK(order == "ttttttttttttvvvTTTTT");
  }
  SECTION("seq: ratios summing to 1 leave no train line") {
    const SplitAssigner s = SplitAssigner::sequential(0.5, 0.5, 3);
    CHECK(s.split_of(0, 0, 0) == kValidSplit);
    CHECK(s.split_of(2, 0, 2) == kTestSplit);
  }
}

TEST_CASE("metrics.csv: eval and final rows, and an older run's rows gain the valid columns on resume",
          "[selection]") {
  ScratchDir tmp("metrics-csv");
  const std::string path = tmp / "metrics.csv";
  {
    MetricsCsv csv(path, false, 0, "valid");
    csv.eval_row({1, 20, 0.7, 0.5, 1.0}, 2048);
    EpochRecord e;
    e.epoch = 1;
    e.eval_auc = 0.75;
    e.eval_logloss = 0.45;
    csv.epoch_row(e, 40, 4096);
    csv.final_row(1, 40, SplitScore{0.75, 0.45, 10}, SplitScore{0.74, 0.46, 10});
  }
  const auto rows = ctr::test::split_table(read_file(path), ',', true);
  REQUIRE(rows.size() == 3);
  for (const auto& r : rows) CHECK(r.size() == 13);
  CHECK(rows[0][0] == "eval");
  CHECK(rows[0][5] == "0.7");
  CHECK(rows[0][7].empty());
  CHECK(rows[1][5] == "0.75");
  CHECK(rows[2][0] == "final");
  CHECK(rows[2][7] == "0.74");

  SECTION("resume drops the final row and the rows after the checkpoint's step") {
    { MetricsCsv again(path, true, 40, "valid"); }
    const auto kept = ctr::test::split_table(read_file(path), ',', true);
    CHECK(kept.size() == 2);
  }
  SECTION("a run written before the valid columns") {
    write_file(path,
               "kind,epoch,step,samples,train_loss,test_auc,test_logloss,clipped_fraction,lr,seconds,samples_per_sec\n"
               "epoch,1,40,4096,0.5,0.71,0.48,0,0.001,2,2000\nepoch,2,80,4096,0.4,0.72,0.47,0,0.001,2,2000\n");
    { MetricsCsv again(path, true, 40, "test"); }
    const std::string text = read_file(path);
    CHECK(text.substr(0, text.find('\n')) == MetricsCsv::header());
    const auto kept = ctr::test::split_table(text, ',', true);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].size() == 13);
    CHECK(kept[0][5].empty());
    CHECK(kept[0][7] == "0.71");
  }
}

TEST_CASE("meta.json version 1, without a valid split, still reads", "[selection]") {
  ScratchDir tmp("meta-v1");
  DatasetMeta m;
  m.dataset = "criteo";
  m.train.rows = 5;
  m.test.rows = 2;
  std::string text = meta_to_json(m);
  // What version 1 wrote: no valid split, no valid_ratio.
  const auto cut = [&text](const std::string& from, const std::string& to) {
    const size_t a = text.find(from), b = text.find(to, a);
    REQUIRE(a != std::string::npos);
    text.erase(a, b - a);
  };
  cut("\"valid\": {", "\"test\": {");
  cut("\"valid_ratio\"", "\"min_count\"");
  cut("\"schema\": {", "\"dense_fields\"");  // before version 4: the built-in schema `dataset` names
  text.replace(text.find("\"dense\": {"), 10, "\"dense\": {\"transform\": \"log\", ");
  text.replace(text.find("\"format_version\": 4"), 19, "\"format_version\": 1");
  write_file(tmp / "meta.json", text);
  const DatasetMeta back = read_meta(tmp.path());
  CHECK(back.format_version == 1);
  CHECK(back.schema.name == "criteo");
  CHECK(back.dense_transforms() == std::vector<DenseTransform>(13, DenseTransform::log));
  CHECK(back.valid.rows == 0);
  CHECK(back.test.rows == 2);
  CHECK_THROWS_WITH(back.split("dev"), Catch::Contains("unknown split 'dev'"));
}
