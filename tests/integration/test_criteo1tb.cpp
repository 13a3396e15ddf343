// The Criteo 1TB configs (configs/criteo1tb_*.yaml, docs/criteo1tb.md): they resolve to the
// values the docs give, and the documented pipeline (synth days -> preprocess --split day
// --valid-day-half --max-vocab -> inspect --dim -> train) runs end to end at a small scale.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <string>

#include "support/test_util.h"

using Catch::Contains;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;

namespace {

std::string config_path(const std::string& model) {
  return ctr::test::source_dir() + "/configs/criteo1tb_" + model + ".yaml";
}

}  // namespace

TEST_CASE("the Criteo 1TB configs resolve to the values docs/criteo1tb.md gives", "[train][criteo1tb]") {
  for (const char* model : {"dlrm", "dcnv2"}) {
    INFO(model);
    auto r = run_ctrtrain("--config " + config_path(model) + " --print-config");
    REQUIRE(r.exit_code == 0);
    const YAML::Node y = YAML::Load(r.output);
    CHECK(y["model"]["type"].as<std::string>() == model);
    CHECK(y["model"]["embedding_dim"].as<int>() == 128);
    CHECK(y["model"]["hidden"].as<std::vector<int>>() == std::vector<int>{1024, 1024, 512, 256});
    CHECK(y["train"]["batch_size"].as<int>() == 65536);
    CHECK(y["train"]["eval_batch_size"].as<int>() == 16384);
    CHECK(y["train"]["epochs"].as<int>() == 1);
    CHECK(y["train"]["eval_every_steps"].as<int>() == 3200);
    // The paper's Criteo values at base 1024, scaled by the cowclip rule to 64 x the base.
    CHECK(y["resolved"]["lr"].as<double>() == Approx(6.4e-3));
    CHECK(y["resolved"]["l2"].as<double>() == Approx(6.4e-4));
    CHECK(y["resolved"]["lr_embed"].as<double>() == Approx(1e-4));
    CHECK(y["cowclip"]["enabled"].as<bool>());
  }
  const YAML::Node dlrm = YAML::Load(run_ctrtrain("--config " + config_path("dlrm") + " --print-config").output);
  CHECK(dlrm["model"]["bottom_hidden"].as<std::vector<int>>() == std::vector<int>{512, 256});
  const YAML::Node dcn = YAML::Load(run_ctrtrain("--config " + config_path("dcnv2") + " --print-config").output);
  CHECK(dcn["model"]["cross_layers"].as<int>() == 3);
}

TEST_CASE("a 1TB-shaped log goes through the documented pipeline and both configs train on it", "[train][criteo1tb]") {
  ScratchDir tmp("criteo1tb-pipeline");
  const std::string raw = tmp / "raw";
  REQUIRE(run_ctrtrain("synth --quiet --dataset criteo1tb --days 3 --rows-per-day 3001 --vocab-scale 2e-4 --seed 8 "
                       "--output " + raw).exit_code == 0);
  const std::string data = tmp / "data";
  auto p = run_ctrtrain("preprocess --quiet --dataset criteo --input " + raw + "/day_0.gz " + raw + "/day_1.gz " + raw +
                        "/day_2.gz --output " + data + " --split day --valid-day-half --max-vocab 40000000");
  INFO(p.output);
  REQUIRE(p.exit_code == 0);
  auto inspect = run_ctrtrain("inspect " + data + " --dim 8,128");
  REQUIRE(inspect.exit_code == 0);
  // 10729 table rows here: at dim 128, 10729 x 128 x 4 bytes.
  CHECK_THAT(inspect.output, Contains("10729 rows") && Contains("5.24 MiB"));
  for (const char* model : {"dlrm", "dcnv2"}) {
    INFO(model);
    // The shipped config as it is, scaled down only in what the small data needs.
    auto r = run_ctrtrain("--config " + config_path(model) + " --no-progress --set data.path=" + data +
                          " --set output.dir=" + (tmp / model) +
                          " --set model.embedding_dim=8 --set model.hidden=[32,16] --set model.bottom_hidden=[16]"
                          " --set train.batch_size=512 --set train.eval_every_steps=4 --set train.threads=2");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.output, Contains("memory planned"));
    const YAML::Node rep = YAML::LoadFile(tmp / (std::string(model) + "/report.json"));
    // Days 0 and 1 train; day 2's first ceil(3001/2) rows are valid, the rest test.
    CHECK(rep["data"]["train_rows"].as<uint64_t>() == 6002);
    CHECK(rep["data"]["valid_rows"].as<uint64_t>() == 1501);
    CHECK(rep["data"]["test_rows"].as<uint64_t>() == 1500);
    CHECK(rep["selection"]["split"].as<std::string>() == "valid");
    CHECK(rep["evals"].size() >= 3);  // every 4 of the epoch's 12 steps, and at its end
    CHECK(rep["test"]["rows"].as<uint64_t>() == 1500);
  }
}
