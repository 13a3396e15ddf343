// scripts/device_check.sh --dry-run end to end on the CPU, then scripts/device_record.py over what
// it returned: the GPU check's whole flow runs in CI, so the one script that spends GPU time cannot rot.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>

#include <yaml-cpp/yaml.h>

#include "support/test_util.h"

using ctr::test::read_file;
using ctr::test::run_command;
using ctr::test::ScratchDir;
using ctr::test::source_dir;
using ctr::test::split_table;
namespace fs = std::filesystem;

TEST_CASE("device_check --dry-run runs every stage on the CPU and device_record writes the GPU section", "[device]") {
  ScratchDir tmp("device-check-dry");
  const std::string build = fs::path(CTR_BINARY).parent_path().parent_path().string();
  auto r = run_command("cd " + source_dir() + " && OUT=" + (tmp / "out") + " WORK=" + (tmp / "work") +
                       " BUILD=" + build + " timeout 300 scripts/device_check.sh --dry-run");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);

  std::map<std::string, std::string> status;
  for (const auto& row : split_table(read_file(tmp / "out/stages.tsv"), '\t', false))
    if (row.size() == 3) status[row[0]] = row[2];
  for (const char* s : {"info", "data", "bench", "ten"}) CHECK(status[s] == "pass");
  // Without a GPU these can only start and say why they skip; torch runs where it is installed.
  for (const char* s : {"cuda_tests", "cuda_large", "peaks", "memcheck"}) CHECK(status[s] == "skipped");
  CHECK((status["torch"] == "pass" || status["torch"] == "skipped"));

  // Every bench point of the flow, each with a rate and a breakdown that adds up to a real step.
  const YAML::Node bench = YAML::Load(read_file(tmp / "out/bench.json"));
  // deepfm and the six other models (lr fm wdl dcn dcnv2 dlrm) at the big batch, deepfm at 3 other batches
  REQUIRE(bench["points"].size() == 10);
  for (const auto& p : bench["points"]) {
    CHECK(p["samples_per_sec"].as<double>() > 0);
    const auto b = p["breakdown_ms"];
    CHECK(b["forward"].as<double>() + b["backward"].as<double>() + b["optimizer"].as<double>() > 0);
  }
  const YAML::Node ten = YAML::Load(read_file(tmp / "out/ten_report.json"));
  CHECK(ten["epochs_detail"].size() >= 1);

  const std::string md = tmp / "benchmarks.md";
  ctr::test::write_file(md, "# Benchmarks\n\n<!-- bench_gpu:begin -->\nold\n<!-- bench_gpu:end -->\n");
  auto rec = run_command("python3 " + source_dir() + "/scripts/device_record.py " + (tmp / "out") + " --md " + md +
                         " --command 'scripts/device_check.sh --dry-run'");
  INFO(rec.output);
  REQUIRE(rec.exit_code == 0);
  const std::string text = read_file(md);
  CHECK_THAT(text, Catch::Contains("| deepfm | 4096 |") && Catch::Contains("Goals are judged only on a GPU run") &&
                       Catch::Contains("scripts/device_check.sh --dry-run") && !Catch::Contains("old"));
}

TEST_CASE("device_check rejects an unknown option and device_record a folder that is not a run's", "[device]") {
  auto r = run_command("cd " + source_dir() + " && scripts/device_check.sh --fast");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Catch::Contains("unknown option '--fast'"));
  ScratchDir tmp("device-record-empty");
  auto rec = run_command("python3 " + source_dir() + "/scripts/device_record.py " + tmp.path());
  CHECK(rec.exit_code != 0);
  CHECK_THAT(rec.output, Catch::Contains("stages.tsv is missing"));
}

TEST_CASE("device_record judges a GPU run against the issue's goals with the figures it was given", "[device]") {
  // Hand-made files in the shapes device_check.sh returns (not measurements): the goal rows must
  // follow from them by the arithmetic stated in scripts/device_record.py.
  ScratchDir tmp("device-record-goals");
  const std::string out = tmp / "out";
  std::filesystem::create_directories(out);
  ctr::test::write_file(out + "/stages.tsv", "info\t1.0\tpass\nbench\t50.0\tpass\n");
  ctr::test::write_file(out + "/figures.tsv", "info\tgpu\tNVIDIA H200, 143771 MiB\ndata\ttrain_rows\t41256555\n"
                                              "data\ttest_rows\t4584062\ndata\ttable_rows\t33762603\n");
  auto point = [](int batch, double sps, double step_ms) {
    return "{\"model\": \"deepfm\", \"batch_size\": " + std::to_string(batch) +
           ", \"parameters\": 1, \"timed_steps\": 50, \"samples_per_sec\": " + std::to_string(sps) +
           ", \"step_ms\": " + std::to_string(step_ms) + ", \"first_step_seconds\": 1, \"host_wait_ms\": 0,"
           " \"breakdown_ms\": {\"input\": 1, \"forward\": 1, \"backward\": 1, \"optimizer\": 1}}";
  };
  ctr::test::write_file(out + "/bench.json", "{\"device\": \"cuda (NVIDIA H200, tf32)\", \"warmup_steps\": 5, "
                                             "\"breakdown_steps\": 10, \"points\": [" +
                                                 point(131072, 16e6, 8.192) + ", " + point(1024, 0.25e6, 4.096) + "]}");
  ctr::test::write_file(out + "/torch_131072.json", "{\"samples_per_sec\": 1.25e6, \"torch\": \"2.11\", \"tf32\": true}");
  ctr::test::write_file(out + "/peaks.txt", "SGEMM_TF32_TFLOPS 400\nCOPY_GBPS 4000\n");
  std::string epochs;
  for (int e = 1; e <= 3; ++e)
    epochs += std::string(e > 1 ? ", " : "") + "{\"epoch\": " + std::to_string(e) +
              ", \"seconds\": 3.2, \"samples_per_sec\": 13e6, \"eval_seconds\": 0.4, \"test_auc\": 0.79, "
              "\"test_logloss\": 0.46}";
  ctr::test::write_file(out + "/ten_report.json",
                        "{\"batch_size\": 131072, \"epochs\": 10, \"device\": \"cuda (NVIDIA H200, tf32)\", "
                        "\"epochs_detail\": [" + epochs + "], \"train\": {\"seconds\": 9.6, \"samples\": 123769665, "
                        "\"samples_per_sec\": 13e6, \"first_step_seconds\": 0.5}}");
  const std::string md = tmp / "benchmarks.md";
  ctr::test::write_file(md, "# Benchmarks\n");
  auto rec = run_command("python3 " + source_dir() + "/scripts/device_record.py " + out + " --md " + md);
  INFO(rec.output);
  REQUIRE(rec.exit_code == 0);
  const std::string text = read_file(md);
  CHECK_THAT(text, Catch::Contains("| 12.8x (16,000,000 vs 1,250,000 samples/s) | yes |"));  // 16M / 1.25M
  CHECK_THAT(text, Catch::Contains("| <= 1/50 | 1/64.0 | yes |"));                            // 16M / 0.25M
  // Floor at B = 131072: 131072 * 2,577,600 FLOPs / 400 TFLOPS + 12.32 GB / 4 TB/s = 0.845 + 3.081 ms.
  CHECK_THAT(text, Catch::Contains("floor 3.93 ms, step 8.19 ms"));
  // 3 of 10 epochs ran: 0.5 s once, then 10 x 41,256,555 rows at 13M samples/s = 32.24 s.
  CHECK_THAT(text, Catch::Contains("| 32.2 s, 13,000,000 samples/s (projection from 3 epochs at their steady rate "
                                   "(not measured)) | no |"));
  CHECK_THAT(text, Catch::Contains("PyTorch 2.11 (TF32, same CowClip step)"));
}
