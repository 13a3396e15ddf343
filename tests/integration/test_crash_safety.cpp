// End-to-end tests of what ctrtrain promises when a run is interrupted or its files are damaged:
// a second run on a live run's directory refuses, naming the first; SIGINT and SIGTERM stop after
// the current step with a checkpoint that --resume continues to the same result; --resume of a
// run stopped before its first checkpoint starts it again; a damaged array eval does not load is
// reported.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/dir_lock.h"
#include "support/test_util.h"

using Catch::Contains;
using ctr::test::read_file;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
using ctr::test::write_file;
namespace fs = std::filesystem;

namespace {

const ScratchDir& dataset_dir() { return ctr::test::synth_dataset("crash-safety-data", {8000, 0.0005, 3, ""}); }

std::string write_config(const ScratchDir& tmp, const std::string& name) {
  const std::string path = tmp / (name + ".yaml");
  write_file(path, "name: " + name + "\ndata: {path: " + (dataset_dir() / "data") + "}\n" +
                       "model: {type: deepfm, embedding_dim: 4, hidden: [8]}\n" +
                       "train: {batch_size: 1024, epochs: 2, seed: 3, threads: 2}\noutput: {dir: runs/" + name + "}\n");
  return path;
}

double test_auc(const ScratchDir& tmp, const std::string& name) {
  return YAML::LoadFile(tmp / ("runs/" + name + "/report.json"))["test"]["auc"].as<double>();
}

}  // namespace

TEST_CASE("a second run on a run directory in use refuses, naming the first", "[crash]") {
  ScratchDir tmp("crash-lock");
  fs::create_directories(tmp / "runs/busy");
  const ctr::DirLock holder(tmp / "runs/busy", "output.dir");  // this test process is the "first run"
  auto r = run_ctrtrain("--config " + write_config(tmp, "busy") + " --no-progress");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.output, Contains("is in use by the run of pid " + std::to_string(getpid())));
  CHECK_FALSE(fs::exists(tmp / "runs/busy/config.resolved.yaml"));  // it touched nothing
}

TEST_CASE("resume of a run stopped before its first checkpoint starts it from the beginning", "[crash]") {
  ScratchDir tmp("crash-resume-fresh");
  const std::string cfg = write_config(tmp, "r");
  REQUIRE(run_ctrtrain("--config " + cfg + " --no-progress").exit_code == 0);
  const double auc = test_auc(tmp, "r");
  // What a kill during the first epoch leaves: the config, a partial metrics.csv and the log.
  for (const char* f : {"checkpoint.ckpt", "report.json", "report.csv"}) fs::remove(tmp / (std::string("runs/r/") + f));
  auto r = run_ctrtrain("--resume " + (tmp / "runs/r") + " --no-progress");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Contains("no checkpoint.ckpt to resume from") && Contains("starting the run from the beginning"));
  CHECK(test_auc(tmp, "r") == auc);
  auto none = run_ctrtrain("--resume " + (tmp / "nothing-here"));
  CHECK(none.exit_code == 2);
}

TEST_CASE("eval reports a damaged array it does not load, such as an Adam moment", "[crash]") {
  ScratchDir tmp("crash-ckpt");
  REQUIRE(run_ctrtrain("--config " + write_config(tmp, "c") + " --no-progress").exit_code == 0);
  const std::string good = tmp / "runs/c/checkpoint.ckpt", bad = tmp / "bad.ckpt";
  fs::copy_file(good, bad);
  // Arrays lie in file order, weights then the two moments, so 80% into the file is in adam.v.
  const auto at = static_cast<std::streamoff>(fs::file_size(bad) * 8 / 10);
  std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  const char c = static_cast<char>(f.get() ^ 0x5a);
  f.seekp(at);
  f.put(c);
  f.close();
  for (const std::string& cmd : {"eval --checkpoint " + bad + " --data " + (dataset_dir() / "data"),
                                "predict --checkpoint " + bad + " --data " + (dataset_dir() / "data") + " --output " +
                                    (tmp / "p.txt")}) {
    auto r = run_ctrtrain(cmd);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Contains("array \"adam.") && Contains("checksum mismatch"));
  }
  CHECK_FALSE(fs::exists(tmp / "p.txt"));
  CHECK_FALSE(fs::exists(tmp / "p.txt.tmp"));
}

TEST_CASE("SIGINT and SIGTERM stop training after the current step, and --resume finishes it identically",
          "[crash]") {
  ScratchDir tmp("crash-signal");
  // Small batches: hundreds of steps, so the signal lands inside an epoch.
  const std::string extra = " --no-progress --set train.batch_size=32 --set train.epochs=10";
  REQUIRE(run_ctrtrain("--config " + write_config(tmp, "whole") + extra).exit_code == 0);
  const double auc = test_auc(tmp, "whole");
  for (const auto& [sig, code] : {std::pair<std::string, int>{"INT", 130}, {"TERM", 143}}) {
    INFO("SIG" << sig);
    const std::string name = "sig" + sig;
    const std::string cfg = write_config(tmp, name);
    auto r = ctr::test::run_command("cd " + tmp.path() + " && { " + CTR_BINARY + " --config " + cfg + extra +
                                    " & pid=$!; sleep 1; kill -" + sig + " $pid; wait $pid; echo \"rc=$?\"; }");
    CHECK_THAT(r.output, Contains("rc=" + std::to_string(code)));
    CHECK_THAT(r.output, Contains("SIG" + sig + ": training stopped after") && Contains("--resume"));
    REQUIRE(fs::exists(tmp / ("runs/" + name + "/checkpoint.ckpt")));
    CHECK_FALSE(fs::exists(tmp / ("runs/" + name + "/report.json")));
    auto resumed = run_ctrtrain("--resume " + (tmp / ("runs/" + name)) + " --no-progress");
    REQUIRE(resumed.exit_code == 0);
    CHECK(test_auc(tmp, name) == auc);
  }
}
