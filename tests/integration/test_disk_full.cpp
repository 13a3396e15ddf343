// Output on a full disk and on unusable paths (docs/reliability.md): a clear error naming the
// path, and no partial output that looks complete. The full disk is a small tmpfs mounted in a
// private mount namespace (unshare -rm: no root needed); where the machine does not allow that,
// those sections say so and check nothing.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "support/test_util.h"

namespace fs = std::filesystem;
using Catch::Contains;
using ctr::test::run_command;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
using ctr::test::write_file;

namespace {

const ScratchDir& dataset_dir() { return ctr::test::synth_dataset("disk-full-data", {4000, 0.0005, 4, ""}); }

// Runs `ctrtrain ARGS` with a tmpfs of `kib` KiB mounted on `mount_point`, seen by it alone.
// Returns false (and warns) where the machine does not allow a private mount.
bool run_on_small_disk(const std::string& mount_point, int kib, const std::string& args,
                       ctr::test::CommandResult& result) {
  fs::create_directories(mount_point);
  if (run_command("unshare -rm true").exit_code != 0) {
    WARN("skipped: this machine does not allow a private tmpfs (unshare -rm), so the full disk is not tested");
    return false;
  }
  result = run_command("unshare -rm sh -c 'mount -t tmpfs -o size=" + std::to_string(kib) + "k tmpfs " +
                       mount_point + " && " + CTR_BINARY + " " + args + "; echo rc=$?; find " + mount_point + " -mindepth 1'");
  return true;
}

// What the command left on the small disk: the `find` listing after the "rc=N" line.
std::string left_on_disk(const std::string& output) {
  const size_t rc = output.rfind("rc=");
  const size_t nl = rc == std::string::npos ? std::string::npos : output.find('\n', rc);
  return nl == std::string::npos ? output : output.substr(nl + 1);
}

std::string train_config(const ScratchDir& tmp, const std::string& out_dir) {
  const std::string path = tmp / "c.yaml";
  write_file(path, "name: full\ndata: {path: " + (dataset_dir() / "data") + "}\n" +
                       "model: {type: deepfm, embedding_dim: 32, hidden: [64]}\n" +
                       "train: {batch_size: 512, epochs: 1, seed: 2, threads: 2}\noutput: {dir: " + out_dir + "}\n");
  return path;
}

}  // namespace

TEST_CASE("a full disk: a clear error naming the path, and nothing that passes for finished output", "[durability]") {
  ScratchDir tmp("disk-full");
  const std::string disk = tmp / "disk";
  ctr::test::CommandResult r;
  SECTION("preprocess") {
    if (!run_on_small_disk(disk, 64, "preprocess --quiet --dataset criteo --input " + (dataset_dir() / "raw.txt") +
                                         " --output " + disk + "/data", r))
      return;
    INFO(r.output);
    CHECK_THAT(r.output, Contains("rc=1"));
    CHECK_THAT(r.output, Contains(disk + "/data") && Contains("No space left on device"));
    CHECK(left_on_disk(r.output).empty());  // the staging directory is gone and no dataset appeared
  }
  SECTION("training: the checkpoint does not fit") {
    if (!run_on_small_disk(disk, 48, "--config " + train_config(tmp, disk + "/run") + " --no-progress", r)) return;
    INFO(r.output);
    CHECK_THAT(r.output, Contains("rc=1"));
    CHECK_THAT(r.output, Contains(disk + "/run/checkpoint.ckpt") && Contains("No space left on device"));
    CHECK(left_on_disk(r.output).empty());  // a run that fails before its first checkpoint leaves no directory
  }
  SECTION("predict") {
    REQUIRE(run_ctrtrain("--config " + train_config(tmp, tmp / "run") + " --no-progress --quiet").exit_code == 0);
    if (!run_on_small_disk(disk, 16, "predict --quiet --split train --checkpoint " + (tmp / "run/checkpoint.ckpt") +
                                         " --data " + (dataset_dir() / "data") + " --output " + disk + "/pred.txt", r))
      return;
    INFO(r.output);
    CHECK_THAT(r.output, Contains("rc=1"));
    CHECK_THAT(r.output, Contains(disk + "/pred.txt") && Contains("No space left on device"));
    CHECK(left_on_disk(r.output).empty());
  }
}

TEST_CASE("unusable output paths get a clear error naming the path", "[durability]") {
  ScratchDir tmp("bad-paths");
  write_file(tmp / "a-file", "x");
  SECTION("output.dir is a file") {
    const auto r = run_ctrtrain("--config " + train_config(tmp, tmp / "a-file") + " --no-progress");
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.output, Contains(tmp / "a-file") && Contains("is a file, not a directory"));
  }
  SECTION("output.dir under a file") {
    const auto r = run_ctrtrain("--config " + train_config(tmp, tmp / "a-file/run") + " --no-progress");
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.output, Contains(tmp / "a-file"));
  }
  SECTION("predict --output in a directory that does not exist") {
    REQUIRE(run_ctrtrain("--config " + train_config(tmp, tmp / "run") + " --no-progress --quiet").exit_code == 0);
    const auto r = run_ctrtrain("predict --quiet --checkpoint " + (tmp / "run/checkpoint.ckpt") + " --data " +
                                (dataset_dir() / "data") + " --output " + (tmp / "no/such/dir/pred.txt"));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.output, Contains(tmp / "no/such/dir"));
  }
  SECTION("preprocess --output is a file") {
    const auto r = run_ctrtrain("preprocess --quiet --dataset criteo --input " + (dataset_dir() / "raw.txt") +
                                " --output " + (tmp / "a-file"));
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.output, Contains(tmp / "a-file"));
  }
  SECTION("a read-only output directory") {
    // A read-only bind mount binds root too (chmod does not: root ignores file modes).
    fs::create_directories(tmp / "ro");
    if (run_command("unshare -rm true").exit_code != 0) {
      WARN("skipped: this machine does not allow a private read-only mount (unshare -rm)");
      return;
    }
    const auto r = run_command("unshare -rm sh -c 'mount --bind " + (tmp / "ro") + " " + (tmp / "ro") +
                               " && mount -o remount,bind,ro " + (tmp / "ro") + " && " + CTR_BINARY + " --config " +
                               train_config(tmp, tmp / "ro/run") + " --no-progress; echo rc=$?'");
    INFO(r.output);
    CHECK_THAT(r.output, !Contains("rc=0"));
    CHECK_THAT(r.output, Contains(tmp / "ro/run") && Contains("Read-only file system"));
  }
}
