// kill -9 trials (docs/reliability.md): a training run killed at 20 moments, several of them inside
// a checkpoint write, resumes each time and ends bit-identical to an uninterrupted run; preprocess
// killed at random moments never leaves a directory that passes for a finished dataset.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/test_util.h"

namespace fs = std::filesystem;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
using ctr::test::write_file;
using Clock = std::chrono::steady_clock;

extern char** environ;

namespace {

// ctrtrain started in the background, its output to `log`.
pid_t spawn_ctrtrain(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv_s = {CTR_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t io;
  posix_spawn_file_actions_init(&io);
  posix_spawn_file_actions_addopen(&io, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&io, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, CTR_BINARY, &io, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&io);
  REQUIRE(rc == 0);
  return pid;
}

// Waits for the process; returns its exit status, or -signal when a signal ended it.
int reap(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// Whether the process has ended, leaving it for reap() (WNOWAIT).
bool ended(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

const ScratchDir& dataset_dir() { return ctr::test::synth_dataset("kill-data", {6000, 0.0005, 5, ""}); }

std::string write_config(const ScratchDir& tmp, const std::string& name) {
  const std::string path = tmp / (name + ".yaml");
  // Many short epochs, a checkpoint after each: the kills land in every phase of a run.
  write_file(path, "name: " + name + "\ndata: {path: " + (dataset_dir() / "data") + "}\n" +
                       "model: {type: deepfm, embedding_dim: 16, hidden: [16]}\n" +
                       "train: {batch_size: 256, epochs: 12, seed: 9, threads: 2}\n" +
                       "output: {dir: " + (tmp / ("runs/" + name)) + ", checkpoint: epoch}\n");
  return path;
}

// The figures a resumed run must reproduce exactly: report.json's test metrics and every epoch
// row of metrics.csv but its timing columns.
std::string result_figures(const std::string& run_dir) {
  std::string out;
  const YAML::Node report = YAML::LoadFile(run_dir + "/report.json");
  out += report["test"]["auc"].as<std::string>() + " " + report["test"]["logloss"].as<std::string>() + "\n";
  for (const auto& row : ctr::test::split_table(ctr::test::read_file(run_dir + "/metrics.csv"), ',', true)) {
    if (row.empty() || row[0] != "epoch") continue;
    for (size_t c = 0; c < 10 && c < row.size(); ++c) out += row[c] + ",";  // up to clipped_fraction
    out += "\n";
  }
  return out;
}

// Kills `pid` as soon as `tmp_file` exists (a checkpoint being written), or after `limit`.
bool kill_during_write(pid_t pid, const std::string& tmp_file, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (fs::exists(tmp_file)) {
      kill(pid, SIGKILL);
      return true;
    }
    if (ended(pid)) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  kill(pid, SIGKILL);
  return false;
}

}  // namespace

// Starts the run, or resumes it once it has a directory.
pid_t start_or_resume(const std::string& run, const std::string& cfg, const std::string& log) {
  if (fs::exists(run + "/config.resolved.yaml")) return spawn_ctrtrain({"--resume", run, "--no-progress"}, log);
  return spawn_ctrtrain({"--config", cfg, "--no-progress", "--force"}, log);
}

TEST_CASE("kill -9 at 20 moments, then --resume: the same figures as a run never killed", "[crash]") {
  ScratchDir tmp("kill-train");
  const auto t0 = Clock::now();
  REQUIRE(run_ctrtrain("--config " + write_config(tmp, "whole") + " --no-progress --quiet").exit_code == 0);
  const auto whole_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  const std::string expected = result_figures(tmp / "runs/whole");

  const std::string run = tmp / "runs/killed";
  const std::string cfg = write_config(tmp, "killed");
  const std::string log = tmp / "killed.log";
  std::mt19937 rng(20261203);
  int kills = 0, during_write = 0;
  for (int trial = 0; trial < 20; ++trial) {
    INFO("trial " << trial << ", log " << log);
    const pid_t pid = start_or_resume(run, cfg, log);
    if (trial % 3 == 2) {
      // Inside a checkpoint write: PATH.tmp exists only between its creation and the rename.
      if (kill_during_write(pid, run + "/checkpoint.ckpt.tmp", whole_ms * 2)) ++during_write;
    } else {
      std::uniform_int_distribution<int64_t> delay(0, whole_ms.count() / 3);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay(rng)));
      kill(pid, SIGKILL);
    }
    const int status = reap(pid);
    if (status == -SIGKILL) ++kills;
    // What the process printed last, so that a failure below says what happened to it.
    const std::string printed = ctr::test::read_file(log);
    INFO("the log ends: " << printed.substr(printed.size() > 1500 ? printed.size() - 1500 : 0));
    // Whatever the moment, the checkpoint on disk is absent or whole: a file that opens has every
    // checksum right, so eval accepts it.
    if (fs::exists(run + "/checkpoint.ckpt"))
      REQUIRE(run_ctrtrain("eval --checkpoint " + run + "/checkpoint.ckpt --data " + (dataset_dir() / "data") +
                           " --quiet").exit_code == 0);
    // report.json is written whole and last: present, the run finished (the kill may have come
    // after it, before the process exited); check it, and start over for the trials left.
    if (status == 0 || fs::exists(run + "/report.json")) {
      CHECK(result_figures(run) == expected);
      fs::remove_all(run);
    } else {
      REQUIRE(status == -SIGKILL);
    }
  }
  REQUIRE(reap(start_or_resume(run, cfg, log)) == 0);
  CHECK(result_figures(run) == expected);
  CHECK(kills >= 18);
  CHECK(during_write >= 4);
}

TEST_CASE("kill -9 during preprocess never leaves a dataset that passes for finished", "[crash]") {
  ScratchDir tmp("kill-preprocess");
  REQUIRE(run_ctrtrain("synth --dataset criteo --rows 60000 --vocab-scale 0.001 --seed 6 --output " +
                       (tmp / "raw.txt")).exit_code == 0);
  const auto t0 = Clock::now();
  REQUIRE(run_ctrtrain("preprocess --quiet --dataset criteo --input " + (tmp / "raw.txt") + " --output " +
                       (tmp / "whole") + " --shard-rows 8192 --threads 2").exit_code == 0);
  const auto whole_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  std::mt19937 rng(6);
  for (int trial = 0; trial < 6; ++trial) {
    INFO("trial " << trial);
    const std::string out = tmp / ("out" + std::to_string(trial));
    const pid_t pid = spawn_ctrtrain({"preprocess", "--quiet", "--dataset", "criteo", "--input", tmp / "raw.txt",
                                      "--output", out, "--shard-rows", "8192", "--threads", "2"},
                                     tmp / "pre.log");
    std::uniform_int_distribution<int64_t> delay(0, whole_ms.count());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay(rng)));
    kill(pid, SIGKILL);
    const int status = reap(pid);
    // OUT is absent, or whole: the staging directory is renamed into place last, so a kill before
    // the rename leaves no OUT, and one after it (the summary not yet printed) a finished dataset.
    REQUIRE((status == -SIGKILL || status == 0));
    if (fs::exists(out)) CHECK(run_ctrtrain("inspect " + out + " --verify").exit_code == 0);
    for (const auto& e : fs::directory_iterator(tmp.path())) {
      const std::string name = e.path().filename().string();
      if (name.rfind("out" + std::to_string(trial) + ".tmp-", 0) != 0) continue;
      // A staging directory left by the kill is refused by every reader: meta.json, written last,
      // is missing, or it is whole.
      const auto r = run_ctrtrain("inspect " + e.path().string());
      if (fs::exists(e.path() / "meta.json")) CHECK(r.exit_code == 0);
      else CHECK(r.exit_code != 0);
    }
  }
}
