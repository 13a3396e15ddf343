// End-to-end tests of training through the ctrtrain binary: reports, determinism, resume,
// eval/predict from a checkpoint, every model type (dlrm's checkpoint and config too), and the
// errors a user can hit.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "checkpoint/checkpoint_file.h"
#include "core/byte_size.h"
#include "support/test_util.h"
#include "train/checkpoint_io.h"

using ctr::test::read_file;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
using ctr::test::write_file;
namespace fs = std::filesystem;

namespace {

// One small synthetic Criteo-shaped dataset for the whole file (20k rows, ~4k table rows).
const ScratchDir& dataset_dir() {
  return ctr::test::synth_dataset("train-cli-data", {20000, 0.0005, 5, "--shard-rows 4000"});
}

// A config for the shared dataset with a small model, written to DIR/NAME.yaml.
std::string write_config(const ScratchDir& tmp, const std::string& name, const std::string& model = "deepfm",
                         const std::string& extra_train = "") {
  const std::string path = tmp / (name + ".yaml");
  write_file(path, "name: " + name + "\n" +
                       "data: {path: " + (dataset_dir() / "data") + "}\n" +
                       "model: {type: " + model + ", embedding_dim: 4, hidden: [16, 8], cross_layers: 2}\n" +
                       "train: {batch_size: 512, epochs: 2, seed: 7, threads: 2" + extra_train + "}\n" +
                       "optimizer: {lr: 1e-3, lr_embed: 1e-3, l2: 1e-5, warmup_epochs: 0.5}\n" +
                       "cowclip: {enabled: true, zeta: 1e-5}\n" +
                       "scaling: {rule: cowclip, base_batch_size: 256}\n" +
                       "output: {dir: runs/" + name + "}\n");
  return path;
}

YAML::Node report_of(const ScratchDir& tmp, const std::string& name) {
  return YAML::Load(read_file(tmp / ("runs/" + name + "/report.json")));
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') + 1);
}

}  // namespace

TEST_CASE("train writes the run directory, report and summary", "[train]") {
  ScratchDir tmp("train-cli-basic");
  const std::string cfg = write_config(tmp, "basic");
  auto r = run_ctrtrain("--config " + cfg + " --no-progress");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(last_line(r.output), Catch::StartsWith("test AUC 0.") && Catch::Contains("logloss"));
  CHECK_THAT(r.output, Catch::Contains("scaling cowclip: batch 512 = 2 x base 256"));
  for (const char* f : {"config.resolved.yaml", "metrics.csv", "report.json", "checkpoint.ckpt"})
    CHECK(fs::exists(tmp / (std::string("runs/basic/") + f)));

  const YAML::Node rep = report_of(tmp, "basic");
  CHECK(rep["name"].as<std::string>() == "basic");
  CHECK(rep["model"].as<std::string>() == "deepfm");
  CHECK(rep["batch_size"].as<int>() == 512);
  CHECK(rep["hyperparameters"]["lr"].as<double>() == Approx(1e-3 * std::sqrt(2.0)));
  CHECK(rep["hyperparameters"]["l2"].as<double>() == Approx(2e-5));
  CHECK(rep["hyperparameters"]["lr_embed"].as<double>() == Approx(1e-3));
  CHECK(rep["hyperparameters"]["cowclip"]["bound_mode"].as<std::string>() == "code");
  CHECK(rep["epochs_detail"].size() == 2);
  const double auc = rep["test"]["auc"].as<double>();
  CHECK(auc > 0.55);  // the synthetic teacher is learnable; a broken model sits at 0.5
  CHECK(auc < 1.0);
  CHECK(rep["data"]["train_rows"].as<uint64_t>() + rep["data"]["test_rows"].as<uint64_t>() == 20000);
  const double frac = rep["cowclip"]["clipped_fraction"].as<double>();
  CHECK(frac >= 0.0);
  CHECK(frac <= 1.0);

  const auto rows = ctr::test::split_table(read_file(tmp / "runs/basic/metrics.csv"), ',', true);
  size_t epoch_rows = 0, train_rows = 0, final_rows = 0;
  for (const auto& row : rows) {
    REQUIRE(row.size() == 13);
    if (row[0] == "epoch") ++epoch_rows;
    if (row[0] == "train") ++train_rows;
    if (row[0] != "final") continue;
    ++final_rows;
    CHECK(row[5].empty());  // no valid split: the valid cells stay empty and test's hold the final AUC
    CHECK(std::stod(row[7]) == auc);
  }
  CHECK(epoch_rows == 2);
  CHECK(train_rows > 10);
  CHECK(final_rows == 1);
  CHECK(fs::exists(tmp / "runs/basic/train.log"));
  CHECK(fs::exists(tmp / "runs/basic/report.csv"));
  CHECK_FALSE(fs::exists(tmp / "runs/basic/best.ckpt"));  // written under early stopping only
  CHECK(rep["selection"]["split"].as<std::string>() == "test");
  CHECK_FALSE(rep["selection"]["test_used_for_selection"].as<bool>());
  CHECK(rep["commit"].as<std::string>().size() > 0);
  CHECK(rep["host"].as<std::string>().size() > 0);
  CHECK(rep["started_at"].as<std::string>().size() == 20);  // 2026-12-03T16:32:20Z

  SECTION("a second run into the same directory needs --force") {
    auto again = run_ctrtrain("--config " + cfg + " --no-progress");
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.output, Catch::Contains("--force") && Catch::Contains("--resume"));
  }
  SECTION("the same config and seed give identical metrics") {
    auto again = run_ctrtrain("--config " + cfg + " --no-progress --force");
    REQUIRE(again.exit_code == 0);
    CHECK(report_of(tmp, "basic")["test"]["auc"].as<double>() == auc);
  }
  SECTION("eval of the checkpoint reproduces the final test AUC") {
    auto ev = run_ctrtrain("eval --checkpoint " + (tmp / "runs/basic/checkpoint.ckpt") + " --data " +
                           (dataset_dir() / "data") + " --json " + (tmp / "eval.json"));
    REQUIRE(ev.exit_code == 0);
    CHECK(YAML::Load(read_file(tmp / "eval.json"))["auc"].as<double>() == Approx(auc).epsilon(1e-9));
  }
  SECTION("predict writes one probability per row, for a split and for a raw file") {
    auto p = run_ctrtrain("predict --checkpoint " + (tmp / "runs/basic/checkpoint.ckpt") + " --data " +
                          (dataset_dir() / "data") + " --output " + (tmp / "p.txt"));
    REQUIRE(p.exit_code == 0);
    const auto lines = ctr::test::split_table(read_file(tmp / "p.txt"), ',', false);
    CHECK(lines.size() == rep["data"]["test_rows"].as<size_t>());
    for (const auto& l : lines) {
      const double v = std::stod(l[0]);
      CHECK((v > 0.0 && v < 1.0));
    }
    write_file(tmp / "few.txt", read_file(dataset_dir() / "raw.txt").substr(0, 5000));
    const size_t raw_lines = ctr::test::split_table(read_file(tmp / "few.txt"), '\t', false).size();
    // Keep whole lines only.
    std::string text = read_file(tmp / "few.txt");
    write_file(tmp / "few.txt", text.substr(0, text.rfind('\n') + 1));
    auto pr = run_ctrtrain("predict --checkpoint " + (tmp / "runs/basic/checkpoint.ckpt") + " --data " +
                           (tmp / "few.txt") + " --output " + (tmp / "pr.txt"));
    REQUIRE(pr.exit_code == 0);
    CHECK(ctr::test::split_table(read_file(tmp / "pr.txt"), ',', false).size() == raw_lines - 1);
  }
}

TEST_CASE("resume reaches the same final metrics as an uninterrupted run", "[train]") {
  ScratchDir tmp("train-cli-resume");
  const std::string cfg = write_config(tmp, "full");
  REQUIRE(run_ctrtrain("--config " + cfg + " --no-progress").exit_code == 0);
  const std::string cfg2 = write_config(tmp, "part");
  REQUIRE(run_ctrtrain("--config " + cfg2 + " --no-progress --set train.epochs=1").exit_code == 0);
  auto r = run_ctrtrain("--resume " + (tmp / "runs/part") + " --set train.epochs=2 --no-progress");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("resuming after epoch 1"));
  const YAML::Node a = report_of(tmp, "full"), b = report_of(tmp, "part");
  CHECK(a["test"]["auc"].as<double>() == b["test"]["auc"].as<double>());
  CHECK(a["test"]["logloss"].as<double>() == b["test"]["logloss"].as<double>());
  CHECK(b["epochs_detail"].size() == 2);

  auto done = run_ctrtrain("--resume " + (tmp / "runs/part") + " --no-progress");
  CHECK(done.exit_code == 2);
  CHECK_THAT(done.output, Catch::Contains("already finished"));
  // Stopped after its last checkpoint and before its report (as a kill -9 there leaves it): the
  // resume trains nothing and writes the report the whole run would have.
  const std::string metrics = ctr::test::read_file(tmp / "runs/part/metrics.csv");
  fs::remove(tmp / "runs/part/report.json");
  fs::remove(tmp / "runs/part/report.csv");
  auto report_only = run_ctrtrain("--resume " + (tmp / "runs/part") + " --no-progress");
  REQUIRE(report_only.exit_code == 0);
  CHECK_THAT(report_only.output, Catch::Contains("stopped before it wrote report.json") &&
                                     !Catch::Contains("epoch 2/2"));
  CHECK(report_of(tmp, "part")["test"]["auc"].as<double>() == a["test"]["auc"].as<double>());
  CHECK(ctr::test::read_file(tmp / "runs/part/metrics.csv") == metrics);
  auto none = run_ctrtrain("--resume " + (tmp / "nowhere") + " --no-progress");
  CHECK(none.exit_code == 2);
}

TEST_CASE("every model type trains and beats chance", "[train]") {
  ScratchDir tmp("train-cli-models");
  for (const char* model : {"lr", "fm", "wdl", "deepfm", "dcn", "dcnv2", "dlrm"}) {
    SECTION(model) {
      const std::string cfg = write_config(tmp, model, model);
      // dlrm has no linear table, and its embeddings, at init scale, enter only through dot
      // products: on this small split it needs a second epoch (AUC ~0.53 after one, ~0.63 after two).
      const std::string epochs = std::string(model) == "dlrm" ? "2" : "1";
      auto r = run_ctrtrain("--config " + cfg + " --no-progress --set train.epochs=" + epochs);
      REQUIRE(r.exit_code == 0);
      CHECK(report_of(tmp, model)["test"]["auc"].as<double>() > 0.55);
    }
  }
}

TEST_CASE("dlrm trains end to end, its checkpoint evaluates and resumes, and model.bottom_hidden round trips", "[train]") {
  ScratchDir tmp("train-cli-dlrm");
  const std::string cfg = write_config(tmp, "dlrm", "dlrm");
  const std::string bottom = " --set model.bottom_hidden=[8,6]";
  using Ints = std::vector<int>;

  // --print-config: the default [64], a --set list and [] all come back, and the printed config
  // reads back to the same model section.
  auto dflt = run_ctrtrain("--config " + cfg + " --print-config");
  REQUIRE(dflt.exit_code == 0);
  CHECK(YAML::Load(dflt.output)["model"]["bottom_hidden"].as<Ints>() == Ints{64});
  auto none = run_ctrtrain("--config " + cfg + " --print-config --set model.bottom_hidden=[]");
  REQUIRE(none.exit_code == 0);
  CHECK(YAML::Load(none.output)["model"]["bottom_hidden"].as<Ints>().empty());
  auto printed = run_ctrtrain("--config " + cfg + " --print-config" + bottom);
  REQUIRE(printed.exit_code == 0);
  const YAML::Node y = YAML::Load(printed.output);
  CHECK(y["model"]["type"].as<std::string>() == "dlrm");
  CHECK(y["model"]["bottom_hidden"].as<Ints>() == Ints{8, 6});
  write_file(tmp / "printed.yaml", printed.output);
  auto reread = run_ctrtrain("--config " + (tmp / "printed.yaml") + " --print-config");
  REQUIRE(reread.exit_code == 0);
  CHECK(YAML::Dump(YAML::Load(reread.output)["model"]) == YAML::Dump(y["model"]));

  // Two epochs at once, and one epoch then a resume: the same final metrics.
  auto full = run_ctrtrain("--config " + cfg + " --no-progress --set train.epochs=2" + bottom);
  INFO(full.output);
  REQUIRE(full.exit_code == 0);
  CHECK_THAT(full.output, Catch::Contains("model dlrm:"));
  const YAML::Node rep = report_of(tmp, "dlrm");
  CHECK(rep["model"].as<std::string>() == "dlrm");
  const double auc = rep["test"]["auc"].as<double>();
  CHECK(auc > 0.55);
  CHECK(auc < 1.0);
  const std::string ckpt = tmp / "runs/dlrm/checkpoint.ckpt";
  REQUIRE(fs::exists(ckpt));
  // The run dir's config keeps the bottom MLP.
  CHECK(YAML::LoadFile(tmp / "runs/dlrm/config.resolved.yaml")["model"]["bottom_hidden"].as<Ints>() == Ints{8, 6});

  // The checkpoint's header describes the model: no linear part, the bottom MLP's widths ending in
  // embedding_dim; its arrays are the model's weights and moments, none for a linear table.
  const ctr::CheckpointHeader h = ctr::read_checkpoint_header(ckpt);
  CHECK(h.model.type == "dlrm");
  CHECK_FALSE(h.model.linear);
  CHECK(h.model.bottom == std::vector<size_t>{8, 6, 4});
  CHECK(h.model.hidden == std::vector<size_t>{16, 8});
  CHECK(h.model.embedding_dim == 4);
  CHECK(h.record.epochs_done == 2);
  const ctr::CheckpointReader reader(ckpt);
  std::vector<std::string> arrays;
  for (const auto& a : reader.arrays()) arrays.push_back(a.name);
  // The model's weights (the table, output.bias, 3 bottom and 2 top layers, the head), then adam.m
  // and adam.v of each.
  CHECK(arrays.size() == 3 * (1 + 1 + 2 * 3 + 2 * 2 + 1));
  for (const char* present : {"table.embedding", "bottom_mlp.0.kernel", "bottom_mlp.2.bias", "mlp.1.kernel",
                              "adam.m.bottom_mlp.1.kernel", "adam.v.table.embedding", "head.dnn_kernel"}) {
    CAPTURE(present);
    CHECK(reader.find(present) != nullptr);
  }
  for (const char* absent : {"table.linear", "adam.m.table.linear", "adam.v.table.linear", "linear.dense_kernel"}) {
    CAPTURE(absent);
    CHECK(reader.find(absent) == nullptr);
  }
  REQUIRE(reader.find("bottom_mlp.0.kernel"));
  CHECK(reader.find("bottom_mlp.0.kernel")->bytes == 13 * 8 * sizeof(float));  // 13 Criteo dense values -> 8

  SECTION("eval of the checkpoint reproduces the final test AUC and predict gives probabilities") {
    auto ev = run_ctrtrain("eval --checkpoint " + ckpt + " --data " + (dataset_dir() / "data") + " --json " +
                           (tmp / "eval.json"));
    INFO(ev.output);
    REQUIRE(ev.exit_code == 0);
    CHECK(YAML::Load(read_file(tmp / "eval.json"))["auc"].as<double>() == Approx(auc).epsilon(1e-9));
    auto p = run_ctrtrain("predict --checkpoint " + ckpt + " --data " + (dataset_dir() / "data") + " --output " +
                          (tmp / "p.txt"));
    REQUIRE(p.exit_code == 0);
    const auto lines = ctr::test::split_table(read_file(tmp / "p.txt"), ',', false);
    CHECK(lines.size() == rep["data"]["test_rows"].as<size_t>());
    size_t outside = 0;
    for (const auto& l : lines) {
      const double v = std::stod(l[0]);
      outside += !(v > 0.0 && v < 1.0);
    }
    CHECK(outside == 0);
  }
  SECTION("a resumed run reaches the uninterrupted run's metrics") {
    const std::string cfg2 = write_config(tmp, "dlrm_part", "dlrm");
    REQUIRE(run_ctrtrain("--config " + cfg2 + " --no-progress --set train.epochs=1" + bottom).exit_code == 0);
    auto r = run_ctrtrain("--resume " + (tmp / "runs/dlrm_part") + " --set train.epochs=2 --no-progress");
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("resuming after epoch 1"));
    const YAML::Node b = report_of(tmp, "dlrm_part");
    CHECK(b["test"]["auc"].as<double>() == auc);
    CHECK(b["test"]["logloss"].as<double>() == rep["test"]["logloss"].as<double>());
    CHECK(b["epochs_detail"].size() == 2);
  }
  SECTION("resuming with another bottom MLP names the difference") {
    auto r = run_ctrtrain("--resume " + (tmp / "runs/dlrm") + " --set train.epochs=3 --set model.bottom_hidden=[8]"
                          " --no-progress");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("(bottom MLP [8, 6, 4] vs [8, 4])"));  // the checkpoint's, then the config's
  }
}

TEST_CASE("training options: bound modes, batch-rows update, global-norm clip", "[train]") {
  ScratchDir tmp("train-cli-options");
  const std::string cfg = write_config(tmp, "opt");
  for (const char* set : {"cowclip.bound_mode=paper", "optimizer.embedding_update=batch_rows", "data.cache=device",
                          "data.cache=none",
                          "cowclip.enabled=false --set optimizer.clip_global_norm=1.0", "scaling.rule=linear"}) {
    SECTION(set) {
      auto r = run_ctrtrain("--config " + cfg + " --no-progress --force --set train.epochs=1 --set " + set);
      REQUIRE(r.exit_code == 0);
      CHECK(report_of(tmp, "opt")["test"]["auc"].as<double>() > 0.55);
    }
  }
}

TEST_CASE("data.cache host and device give bit-identical runs on the CPU: one data order", "[train]") {
  // Both in-memory paths draw each epoch through the same IndexPermutation, so the cache setting
  // must change nothing but speed. Compared as the exact doubles report.json prints.
  ScratchDir tmp("train-cli-one-order");
  const std::string cfg = write_config(tmp, "order");
  auto epochs_of = [&](const std::string& cache, const std::string& extra = "") {
    auto r = run_ctrtrain("--config " + cfg + " --no-progress --force --set data.cache=" + cache + extra +
                          " --set output.checkpoint=none --set output.dir=" + (tmp / ("runs/" + cache)));
    REQUIRE(r.exit_code == 0);
    const YAML::Node rep = YAML::Load(read_file(tmp / ("runs/" + cache + "/report.json")));
    std::vector<std::string> out;
    for (const auto& e : rep["epochs_detail"])
      for (const char* k : {"train_loss", "eval_auc", "eval_logloss", "clipped_fraction"})
        out.push_back(std::string(k) + "=" + e[k].as<std::string>());
    return out;
  };
  const auto host = epochs_of("host"), device = epochs_of("device");
  REQUIRE(host.size() == 8);
  CHECK(host == device);
  // With drop_last and a batch that leaves a remainder (20k rows' train split / 700), the same
  // rows are dropped on both paths.
  const std::string dropped = " --set train.drop_last=true --set train.batch_size=700";
  CHECK(epochs_of("host", dropped) == epochs_of("device", dropped));
  // The streaming reader's order differs, and so must its numbers: the comparison above is one a
  // different order would fail.
  CHECK(epochs_of("none") != host);
}

TEST_CASE("a sum-reduced loss makes CowClip clip where the mean loss almost never does", "[train]") {
  ScratchDir tmp("train-cli-loss-reduction");
  const std::string cfg = write_config(tmp, "reduction");
  auto clipped = [&](const std::string& reduction) {
    auto r = run_ctrtrain("--config " + cfg + " --no-progress --force --set train.epochs=1 --set "
                          "optimizer.loss_reduction=" + reduction + " --set output.dir=" + (tmp / ("runs/" + reduction)));
    REQUIRE(r.exit_code == 0);
    const YAML::Node rep = report_of(tmp, reduction);
    CHECK(rep["hyperparameters"]["loss_reduction"].as<std::string>() == reduction);
    return rep["cowclip"]["clipped_fraction"].as<double>();
  };
  const double mean = clipped("mean"), sum = clipped("sum");
  // Sum gradients are 512x the mean ones against the same thresholds.
  CHECK(sum > 0.5);
  CHECK(sum > 10 * mean);
}

TEST_CASE("max_steps_per_epoch ends each epoch early and still evaluates, profile times the phases", "[train]") {
  ScratchDir tmp("train-cli-max-steps");
  const std::string cfg = write_config(tmp, "short");
  auto r = run_ctrtrain("--config " + cfg + " --no-progress --set train.max_steps_per_epoch=3 --set train.profile=true");
  REQUIRE(r.exit_code == 0);
  const YAML::Node rep = report_of(tmp, "short");
  // train.profile charges every op to the phase that ran it: each phase of a DeepFM step took some
  // time, and no op of the step ran outside a phase.
  for (const char* phase : {"input", "embedding_forward", "network_forward", "loss", "network_backward",
                            "embedding_backward", "embedding_update", "network_update"})
    CHECK(rep["profile_seconds"][phase].as<double>() > 0.0);
  CHECK(rep["profile_seconds"]["other"].as<double>() == 0.0);
  CHECK_THAT(r.output, Catch::Contains("profile of the training steps"));
  REQUIRE(rep["epochs_detail"].size() == 2);
  for (const auto& e : rep["epochs_detail"]) {
    CHECK(e["steps"].as<int>() == 3);
    CHECK(e["eval_auc"].as<double>() > 0.0);
  }
}

TEST_CASE("report compares finished runs per scaling rule and batch size", "[train]") {
  ScratchDir tmp("train-cli-report");
  const std::string cfg = write_config(tmp, "rep");
  const std::string quick = " --no-progress --set train.epochs=1 --set train.max_steps_per_epoch=2";
  for (const char* run : {"a --set train.batch_size=1024", "b --set train.batch_size=512",
                          "c --set train.batch_size=512 --set scaling.rule=linear --set cowclip.enabled=false"})
    REQUIRE(run_ctrtrain("--config " + cfg + quick + " --set output.dir=" + (tmp / "runs") + "/" + run).exit_code == 0);
  auto r = run_ctrtrain("report " + (tmp / "runs/a") + " " + (tmp / "runs/b") + " " + (tmp / "runs/c") +
                        " --output " + (tmp / "summary.md"));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("### scaling rule: cowclip (deepfm, 1 epoch, CowClip on (code bound), all_rows "
                                       "embedding update, mean loss, init 0.01)") &&
                           Catch::Contains("### scaling rule: linear (deepfm, 1 epoch, CowClip off, all_rows embedding "
                                           "update"));
  // Each table says what its runs share beyond the header: widths, base values, data.
  CHECK_THAT(r.output, Catch::Contains("; base lr ") && Catch::Contains(" at batch ") && Catch::Contains("; data "));
  // Within a table, rows go by batch size: the 512 run precedes the 1024 run and is the 1.00x base.
  const size_t at512 = r.output.find("| 512 | deepfm |"), at1024 = r.output.find("| 1024 | deepfm |");
  REQUIRE(at512 != std::string::npos);
  REQUIRE(at1024 != std::string::npos);
  CHECK(at512 < at1024);
  CHECK_THAT(r.output.substr(at512, at1024 - at512), Catch::Contains("| 1.00x |"));
  // Runs that differ in more than the batch size are never put in one table.
  auto d = run_ctrtrain("--config " + cfg + quick + " --set train.batch_size=512 --set optimizer.loss_reduction=sum "
                        "--set output.dir=" + (tmp / "runs/d"));
  REQUIRE(d.exit_code == 0);
  auto split = run_ctrtrain("report " + (tmp / "runs/b") + " " + (tmp / "runs/d"));
  REQUIRE(split.exit_code == 0);
  CHECK_THAT(split.output, Catch::Contains("mean loss, init 0.01)") && Catch::Contains("sum loss, init 0.01)"));
  // Nor runs of different epoch counts or models (docs/training.md): their speed-ups would mean nothing.
  for (const char* other : {"e --set train.epochs=2", "f --set model.type=wdl"})
    REQUIRE(run_ctrtrain("--config " + cfg + quick + " --set train.batch_size=1024 --set output.dir=" + (tmp / "runs") +
                         "/" + other).exit_code == 0);
  for (const char* other : {"e", "f"}) {
    CAPTURE(other);
    auto apart = run_ctrtrain("report " + (tmp / "runs/b") + " " + (tmp / "runs") + "/" + other);
    REQUIRE(apart.exit_code == 0);
    size_t tables = 0;
    for (size_t at = apart.output.find("### "); at != std::string::npos; at = apart.output.find("### ", at + 1)) ++tables;
    CHECK(tables == 2);
  }
  CHECK(read_file(tmp / "summary.md") == r.output);
  auto bad = run_ctrtrain("report " + (tmp / "runs"));
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.output, Catch::Contains("no report.json"));
}

TEST_CASE("print-config shows the resolved values and exits", "[train]") {
  ScratchDir tmp("train-cli-print");
  const std::string cfg = write_config(tmp, "print");
  auto r = run_ctrtrain("--config " + cfg + " --print-config --set train.batch_size=131072 "
                        "--set scaling.base_batch_size=1024 --set optimizer.lr=8e-4 --set optimizer.l2=1e-5");
  REQUIRE(r.exit_code == 0);
  const YAML::Node y = YAML::Load(r.output);
  CHECK(y["resolved"]["lr"].as<double>() == Approx(9.0510e-3).epsilon(1e-4));
  CHECK(y["resolved"]["l2"].as<double>() == Approx(1.28e-3));
  CHECK_FALSE(fs::exists(tmp / "runs/print"));
}

TEST_CASE("training errors are clear and exit non-zero", "[train]") {
  ScratchDir tmp("train-cli-errors");
  const std::string cfg = write_config(tmp, "err");
  SECTION("unknown key names the closest one") {
    auto r = run_ctrtrain("--config " + cfg + " --set optimizer.lr_embd=1");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("optimizer.lr_embed"));
  }
  SECTION("missing dataset") {
    auto r = run_ctrtrain("--config " + cfg + " --set data.path=" + (tmp / "none") + " --no-progress");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Catch::Contains("meta.json"));
  }
  SECTION("device cuda: trains on the GPU where one is visible, else a usage error saying what to do") {
    auto r = run_ctrtrain("--config " + cfg + " --set train.device=cuda --no-progress");
    if (r.exit_code == 0) {
      CHECK_THAT(r.output, Catch::Contains("cuda ("));
    } else {
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.output, Catch::Contains("train.device") && Catch::Contains("cpu"));
    }
  }
  SECTION("precision tf32 on the CPU is a usage error") {
    auto r = run_ctrtrain("--config " + cfg + " --set train.device=cpu --set train.precision=tf32 --no-progress");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("train.precision"));
  }
  SECTION("divergence stops with the step and a suggestion") {
    auto r = run_ctrtrain("--config " + cfg + " --set optimizer.lr=1e30 --set optimizer.warmup_epochs=0 "
                          "--set cowclip.enabled=false --no-progress");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Catch::Contains("diverged") && Catch::Contains("step") && Catch::Contains("lr"));
  }
  SECTION("a run that does not fit train.memory_limit stops before allocating, naming what would make it fit") {
    auto r = run_ctrtrain("--config " + cfg + " --set train.memory_limit=64K --no-progress");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Catch::Contains("train.memory_limit allows 64.0 KiB") && Catch::Contains("embedding table [") &&
                             Catch::Contains("--max-vocab N") && Catch::Contains("--min-count N") &&
                             Catch::Contains("model.embedding_dim") && Catch::Contains("data.cache: none"));
    CHECK_FALSE(std::filesystem::exists(tmp / "runs/err"));
  }
  SECTION("train.memory_limit that is not a size is a usage error") {
    auto r = run_ctrtrain("--config " + cfg + " --set train.memory_limit=8X --no-progress");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("train.memory_limit") && Catch::Contains("512M"));
  }
  SECTION("no config at all") {
    auto r = run_ctrtrain("--print-config");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("--config"));
  }
}

TEST_CASE("inspect --dim sizes the embedding table as the training run's memory plan does", "[train]") {
  ScratchDir tmp("train-cli-memory-plan");
  const std::string cfg = write_config(tmp, "plan");
  auto run = run_ctrtrain("--config " + cfg + " --set train.epochs=1 --no-progress");
  REQUIRE(run.exit_code == 0);
  // "memory planned: 1.2 MiB: embedding table [R, 4] fp32 X, linear table [R] fp32 Y, ..."
  const size_t at = run.output.find("embedding table [");
  REQUIRE(at != std::string::npos);
  const std::string rest = run.output.substr(at);
  const std::string rows = rest.substr(17, rest.find(',') - 17);
  const size_t fp32 = rest.find("fp32 ") + 5;
  const std::string table_bytes = rest.substr(fp32, rest.find(',', fp32) - fp32);
  auto inspect = run_ctrtrain("inspect " + (dataset_dir() / "data") + " --dim 4,16 --precision fp32");
  REQUIRE(inspect.exit_code == 0);
  INFO(inspect.output);
  CHECK_THAT(inspect.output, Catch::Contains("embedding tables of " + rows + " rows"));
  // The dim-4 row: its table column is the training plan's table.
  const size_t row = inspect.output.find("\n       4 ");
  REQUIRE(row != std::string::npos);
  CHECK_THAT(inspect.output.substr(row, 40), Catch::Contains(table_bytes));
  auto bad = run_ctrtrain("inspect " + (dataset_dir() / "data") + " --precision fp16");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("--dim"));
}

TEST_CASE("data.cache: auto streams from disk when train.memory_limit leaves no room to cache the data", "[train]") {
  ScratchDir tmp("train-cli-cache-room");
  const std::string cfg = write_config(tmp, "room");
  auto first = run_ctrtrain("--config " + cfg + " --set train.epochs=1 --set output.dir=" + (tmp / "free") +
                            " --no-progress");
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.output, Catch::Contains("data.cache host:"));
  // "memory planned: 19.4 MiB: ...": three significant digits, so within 0.3% of the plan.
  const size_t at = first.output.find("memory planned: ") + 16;
  const std::optional<uint64_t> planned = ctr::parse_byte_size(first.output.substr(at, first.output.find(':', at) - at));
  REQUIRE(planned);
  // The dataset's splits: 8000 rows of 4 x (1 + 13 + 26) bytes = 1.28 MB, more than 0.7 MB of room.
  const uint64_t limit = *planned + *planned / 200 + (700 << 10);
  auto streamed = run_ctrtrain("--config " + cfg + " --set train.epochs=1 --set train.memory_limit=" +
                               std::to_string(limit) + " --set output.dir=" + (tmp / "streamed") + " --no-progress");
  INFO(streamed.output);
  REQUIRE(streamed.exit_code == 0);
  CHECK_THAT(streamed.output, Catch::Contains("data.cache none: train batches from the streaming reader"));
  CHECK(std::filesystem::exists(tmp / "streamed/report.json"));
  auto cached = run_ctrtrain("--config " + cfg + " --set train.epochs=1 --set train.memory_limit=" +
                             std::to_string(limit + (4 << 20)) + " --set output.dir=" + (tmp / "cached") +
                             " --no-progress");
  REQUIRE(cached.exit_code == 0);
  CHECK_THAT(cached.output, Catch::Contains("data.cache host:"));
}

TEST_CASE("shipped configs parse and resolve to the paper's values", "[train]") {
  const fs::path configs = fs::path(CTR_TEST_DATA_DIR) / "../../configs";
  // docs/cowclip.md section 5: Criteo DeepFM lr and lambda at each batch size.
  const std::vector<std::tuple<std::string, double, double>> criteo = {
      {"1k", 8e-4, 1e-5},       {"2k", 11.31e-4, 2e-5},   {"4k", 16e-4, 4e-5},     {"8k", 22.62e-4, 8e-5},
      {"16k", 32e-4, 16e-5},    {"32k", 45.25e-4, 32e-5}, {"64k", 64e-4, 64e-5},   {"128k", 90.50e-4, 128e-5}};
  for (const auto& [tag, lr, l2] : criteo) {
    auto r = run_ctrtrain("--config " + (configs / ("criteo_" + tag + ".yaml")).string() + " --print-config");
    INFO("criteo_" << tag);
    REQUIRE(r.exit_code == 0);
    const YAML::Node y = YAML::Load(r.output);
    CHECK(y["resolved"]["lr"].as<double>() == Approx(lr).epsilon(1e-3));
    CHECK(y["resolved"]["l2"].as<double>() == Approx(l2));
    CHECK(y["resolved"]["lr_embed"].as<double>() == Approx(1e-4));
  }
  const std::vector<std::tuple<std::string, double, double, double>> avazu = {
      {"1k", 1e-4, 1e-5, 1e-3},     {"2k", 1.41e-4, 2e-5, 1e-3},  {"4k", 2e-4, 4e-5, 1e-4},
      {"8k", 2.83e-4, 8e-5, 1e-4},  {"16k", 4e-4, 16e-5, 1e-4},   {"32k", 5.66e-4, 32e-5, 1e-4},
      {"64k", 8e-4, 64e-5, 1e-4},   {"128k", 16e-4, 96e-5, 1e-4}};
  for (const auto& [tag, lr, l2, zeta] : avazu) {
    auto r = run_ctrtrain("--config " + (configs / ("avazu_" + tag + ".yaml")).string() + " --print-config");
    INFO("avazu_" << tag);
    REQUIRE(r.exit_code == 0);
    const YAML::Node y = YAML::Load(r.output);
    CHECK(y["resolved"]["lr"].as<double>() == Approx(lr));
    CHECK(y["resolved"]["l2"].as<double>() == Approx(l2));
    CHECK(y["cowclip"]["zeta"].as<double>() == Approx(zeta));
  }
  for (const char* m : {"lr", "fm", "wdl", "deepfm", "dcn", "dcnv2", "dlrm"}) {
    auto r = run_ctrtrain("--config " + (configs / "models" / (std::string(m) + ".yaml")).string() + " --print-config");
    INFO(m);
    REQUIRE(r.exit_code == 0);
    CHECK(YAML::Load(r.output)["model"]["type"].as<std::string>() == m);
  }
  for (const char* other : {"quickstart.yaml", "ci_regression.yaml", "paper_cpu.yaml", "model_compare.yaml"}) {
    INFO(other);
    CHECK(run_ctrtrain("--config " + (configs / other).string() + " --print-config").exit_code == 0);
  }
  // No shipped config fixes output.dir: the run goes to runs/NAME under the current directory, so
  // --set name=... (the README's example) picks the directory too.
  for (const auto& e : fs::recursive_directory_iterator(configs)) {
    if (e.path().extension() != ".yaml") continue;
    INFO(e.path());
    CHECK_THAT(read_file(e.path().string()), !Catch::Contains("dir:"));
  }
  auto named = run_ctrtrain("--config " + (configs / "criteo_8k.yaml").string() + " --set name=c16k --print-config");
  REQUIRE(named.exit_code == 0);
  CHECK(YAML::Load(named.output)["output"]["dir"].as<std::string>() == (fs::current_path() / "runs/c16k").string());
}

TEST_CASE("a run that fails before its first checkpoint leaves no run directory behind", "[train]") {
  ScratchDir tmp("train-cli-failed-dir");
  const std::string cfg = write_config(tmp, "doomed");
  // The dataset's train shard is damaged: the set-up passes (meta.json is fine) and the run
  // directory exists by the time the shard's checksum fails.
  fs::copy(dataset_dir() / "data", tmp / "bad", fs::copy_options::recursive);
  size_t damaged = 0;
  for (const auto& e : fs::directory_iterator(tmp / "bad/train")) {
    const std::string p = e.path().string();
    std::string bytes = read_file(p);
    for (size_t i = bytes.size() / 3; i < bytes.size() / 3 + 64 && i < bytes.size(); ++i) bytes[i] = char(~bytes[i]);
    write_file(p, bytes);
    ++damaged;
  }
  REQUIRE(damaged > 0);
  auto r = run_ctrtrain("--config " + cfg + " --no-progress --set train.epochs=1 --set output.dir=" + (tmp / "fails") +
                        " --set data.path=" + (tmp / "bad"));
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_FALSE(fs::exists(tmp / "fails"));
  // A directory that was there before the run stays (only what this run created is removed).
  fs::create_directories(tmp / "kept");
  write_file(tmp / "kept/notes.txt", "mine\n");
  r = run_ctrtrain("--config " + cfg + " --no-progress --set train.epochs=1 --set output.dir=" + (tmp / "kept") +
                   " --set data.path=" + (tmp / "bad"));
  CHECK(r.exit_code == 1);
  CHECK(read_file(tmp / "kept/notes.txt") == "mine\n");
}

TEST_CASE("train.time_limit_seconds stops after the epoch that reaches it and says so", "[train]") {
  ScratchDir tmp("train-cli-time-limit");
  const std::string cfg = write_config(tmp, "boxed");
  // Any epoch takes longer than a microsecond: the run must stop after its first of three.
  auto r = run_ctrtrain("--config " + cfg + " --no-progress --set train.epochs=3 --set train.time_limit_seconds=1e-6 "
                        "--set output.checkpoint=final");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("train.time_limit_seconds 1e-06: stopping after epoch 1 of 3"));
  const YAML::Node rep = report_of(tmp, "boxed");
  CHECK(rep["epochs_detail"].size() == 1);
  CHECK(rep["train"]["time_limit_reached"].as<bool>());
  CHECK(rep["train"]["first_step_seconds"].as<double>() > 0);
  // The last epoch run is checkpointed (policy final), so the run can go on with a larger limit.
  auto resumed = run_ctrtrain("--resume " + (tmp / "runs/boxed") + " --no-progress --set train.time_limit_seconds=0");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  const YAML::Node done = report_of(tmp, "boxed");
  CHECK(done["epochs_detail"].size() == 3);
  CHECK_FALSE(done["train"]["time_limit_reached"].as<bool>());
}

TEST_CASE("bench times each point on the loaded split and rejects a malformed point", "[train]") {
  ScratchDir tmp("train-cli-bench");
  const std::string cfg = write_config(tmp, "bench");
  auto r = run_ctrtrain("bench --config " + cfg + " --points lr@256,deepfm@512 --warmup 2 --steps 3 "
                        "--breakdown-steps 1 --output " + (tmp / "bench.json"));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  const YAML::Node b = YAML::Load(read_file(tmp / "bench.json"));
  REQUIRE(b["points"].size() == 2);
  CHECK(b["points"][0]["model"].as<std::string>() == "lr");
  CHECK(b["points"][1]["batch_size"].as<int>() == 512);
  CHECK(b["points"][1]["timed_steps"].as<int>() == 3);
  CHECK(b["points"][1]["samples_per_sec"].as<double>() > 0);
  for (const char* bad : {"deepfm@0", "deepfm", "xgboost@512", "deepfm@512,", "deepfm@99999999"}) {
    auto e = run_ctrtrain("bench --config " + cfg + " --points '" + bad + "'");
    CHECK(e.exit_code == 2);
    CHECK_THAT(e.output, Catch::Contains("is not MODEL@BATCH"));
  }
}
