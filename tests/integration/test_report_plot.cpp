// `ctrtrain report --plot` end to end on a handcrafted run directory (report.json with calibration
// bins, a metrics.csv with columns and row kinds beyond today's), and its errors.
#include <zlib.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "support/test_util.h"

using Catch::Contains;
using ctr::test::read_file;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
namespace fs = std::filesystem;

namespace {

uint32_t be32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(s[at + i]);
  return v;
}

// A PNG whose chunks all have the right CRC, an 8-bit RGB IHDR, and an IDAT that inflates to the
// image size; returns {width, height}.
std::pair<uint32_t, uint32_t> check_png(const std::string& path) {
  INFO(path);
  REQUIRE(fs::is_regular_file(path));
  const std::string f = read_file(path);
  REQUIRE(f.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) == 0);
  std::string idat, last;
  uint32_t w = 0, h = 0;
  for (size_t at = 8; at + 12 <= f.size();) {
    const uint32_t len = be32(f, at);
    REQUIRE(at + 12 + len <= f.size());
    last = f.substr(at + 4, 4);
    CHECK(be32(f, at + 8 + len) == crc32(0L, reinterpret_cast<const Bytef*>(f.data() + at + 4), 4 + len));
    if (last == "IHDR") {
      w = be32(f, at + 8), h = be32(f, at + 12);
      CHECK(f[at + 16] == 8);  // bit depth
      CHECK(f[at + 17] == 2);  // RGB
    }
    if (last == "IDAT") idat += f.substr(at + 8, len);
    at += 12 + len;
  }
  CHECK(last == "IEND");
  std::string raw((uLongf{w} * 3 + 1) * h, '\0');
  uLongf size = raw.size();
  CHECK(uncompress(reinterpret_cast<Bytef*>(raw.data()), &size, reinterpret_cast<const Bytef*>(idat.data()),
                   idat.size()) == Z_OK);
  CHECK(size == raw.size());
  return {w, h};
}

std::string calibration_json(double shift) {
  std::string bins;
  for (int b = 0; b < 20; ++b) {
    const uint64_t rows = b < 12 ? 1000 - 80 * b : 0;  // the top bins empty, as on Criteo
    const double pred = 0.05 * b + 0.025;
    bins += fmt::format(R"({}{{"lower": {}, "upper": {}, "rows": {}, "mean_prediction": {}, "observed_ctr": {}}})",
                        b ? ", " : "", 0.05 * b, 0.05 * (b + 1), rows, rows ? pred : 0.0,
                        rows ? pred * (1 - shift) + shift * 0.25 : 0.0);
  }
  return fmt::format(R"({{"mean_prediction": 0.2, "observed_ctr": 0.21, "ratio": 0.952, "ece": {}, "bins": [{}]}})",
                     shift / 10, bins);
}

// report.json as training writes it (runs/quickstart's, shortened), with calibration bins.
std::string report_json() {
  return R"j({"name": "plotme", "model": "deepfm", "device": "cpu (2 threads)", "batch_size": 4096, "epochs": 2,
  "seed": 1234, "parameters": 462526,
  "hyperparameters": {"lr": 0.0016, "lr_embed": 0.0001, "l2": 4e-05, "scaling_rule": "cowclip",
    "base_batch_size": 1024, "scale": 4, "base_lr": 0.0008, "base_lr_embed": 0.0001, "base_l2": 1e-05,
    "warmup_epochs": 1, "init_stddev": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-07,
    "cowclip": {"enabled": true, "r": 1, "zeta": 1e-05, "bound_mode": "code"}, "clip_global_norm": 0,
    "embedding_update": "all_rows", "loss_reduction": "mean", "embedding_dim": 10, "hidden": [200, 200],
    "cross_layers": 3, "cross_l2": 1e-05, "bottom_hidden": [64]},
  "data": {"path": "/data/x", "dataset": "criteo", "train_rows": 179998, "test_rows": 20002, "vocab_sizes": [3]},
  "epochs_detail": [
    {"epoch": 1, "train_loss": 0.62, "test_auc": 0.6, "test_logloss": 0.56, "seconds": 1.0, "samples_per_sec": 180000,
     "eval_seconds": 0.04, "clipped_fraction": 0.001, "lr": 0.0016, "steps": 44, "input_wait_seconds": 0.01,
     "first_step_seconds": 0.04},
    {"epoch": 2, "train_loss": 0.56, "test_auc": 0.656, "test_logloss": 0.5385, "seconds": 1.0,
     "samples_per_sec": 180000, "eval_seconds": 0.05, "clipped_fraction": 0.001, "lr": 0.0016, "steps": 44,
     "input_wait_seconds": 0.01, "first_step_seconds": 0}],
  "test": {"auc": 0.656, "logloss": 0.5385, "calibration": )j" +
         calibration_json(0.2) + R"j(},
  "valid": {"auc": 0.66, "logloss": 0.53, "calibration": )j" +
         calibration_json(0.4) + R"j(},
  "train": {"seconds": 2.0, "samples": 359996, "steps": 88, "samples_per_sec": 180000},
  "cowclip": {"clipped_fraction": 0.0012, "clipped_pairs": 1, "id_pairs": 1000}, "ctrtrain_version": "0.1.0"})j";
}

// metrics.csv as training writes it now (valid_* columns, `eval` rows mid-epoch, a `final` row),
// plus a column and a row kind nobody knows yet: the plots read by name and skip what they do not use.
std::string metrics_csv() {
  std::string s =
      "kind,epoch,step,samples,train_loss,valid_auc,valid_logloss,test_auc,test_logloss,clipped_fraction,lr,"
      "seconds,samples_per_sec,gpu_memory\n";
  for (int e = 1; e <= 2; ++e) {
    for (int k = 1; k <= 22; ++k) {
      const int step = (e - 1) * 44 + 2 * k;
      s += fmt::format("train,{},{},{},{},,,,,{},0.0016,{},180000,\n", e, step, 8192 * k,
                       0.69 - 0.002 * step + 0.004 * (k % 3), 0.0005 * (k % 5), 0.05 * k);
      if (k == 11)
        s += fmt::format("eval,{},{},90112,,{},{},,,,,,,12\n", e, step, 0.6 + 0.05 * e - 0.02, 0.55 - 0.01 * e);
    }
    s += fmt::format("epoch,{},{},179998,{},{},{},{},{},0.001,0.0016,1.0,180000,\n", e, e * 44, 0.62 - 0.06 * e,
                     0.61 + 0.05 * e, 0.56 - 0.02 * e, 0.6 + 0.05 * e, 0.57 - 0.02 * e);
  }
  return s + "final,2,88,,,0.71,0.52,0.7,0.53,,,,,\ncheckpoint,2,88,,,,,,,,,,,\n";
}

void make_run(const std::string& dir) {
  fs::create_directories(dir);
  ctr::test::write_file(dir + "/report.json", report_json());
  ctr::test::write_file(dir + "/metrics.csv", metrics_csv());
}

}  // namespace

TEST_CASE("report --plot writes valid PNGs for a run and prints their paths", "[report][plot]") {
  ScratchDir tmp("report-plot");
  const std::string run = tmp / "run";
  make_run(run);
  const auto r = run_ctrtrain("report --plot " + run);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  for (const char* name : {"loss", "auc", "clipped", "calibration"}) {
    const std::string png = run + "/plots/" + name + ".png";
    CHECK_THAT(r.output, Contains(png));
    const auto [w, h] = check_png(png);
    CHECK(w == 1000);
    CHECK(h == 640);
  }
  CHECK_THAT(r.output, !Contains("### scaling rule"));  // --plot replaces the table

  // The plain table is unchanged by the plots and the new report.json keys.
  const auto table = run_ctrtrain("report " + run);
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.output, Contains("### scaling rule: cowclip") && Contains("| 4096 | deepfm |"));
  CHECK_THAT(table.output, !Contains(".png"));
}

TEST_CASE("report --plot-dir puts the plots elsewhere, a folder per run when there are several", "[report][plot]") {
  ScratchDir tmp("report-plot-dir");
  make_run(tmp / "a/1024");
  make_run(tmp / "b/1024");
  const auto one = run_ctrtrain("report --plot --plot-dir " + (tmp / "one") + " " + (tmp / "a/1024"));
  INFO(one.output);
  REQUIRE(one.exit_code == 0);
  check_png(tmp / "one/auc.png");
  CHECK_FALSE(fs::exists(tmp / "a/1024/plots"));

  // Relative run paths, so the folder names are predictable: a/1024 -> a_1024.
  const auto two = run_ctrtrain("report --plot --plot-dir " + (tmp / "two") + " " + (tmp / "a/1024") + " " +
                                (tmp / "b/1024") + " --output " + (tmp / "t.md"));
  REQUIRE(two.exit_code == 0);
  const std::string a = fs::path(tmp / "a/1024").relative_path().string(),
                    b = fs::path(tmp / "b/1024").relative_path().string();
  auto flat = [](std::string s) {
    for (char& c : s)
      if (c == '/') c = '_';
    return "_" + s;
  };
  check_png(tmp / ("two/" + flat(a) + "/loss.png"));
  check_png(tmp / ("two/" + flat(b) + "/calibration.png"));
  CHECK_THAT(read_file(tmp / "t.md"), Contains("| 4096 | deepfm |"));  // --output still writes the table
}

TEST_CASE("report --plot errors: no metrics.csv, a damaged one, --plot-dir alone", "[report][plot]") {
  ScratchDir tmp("report-plot-err");
  const std::string run = tmp / "run";
  fs::create_directories(run);
  ctr::test::write_file(run + "/report.json", report_json());
  const auto none = run_ctrtrain("report --plot " + run);
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.output, Contains(run + ": no metrics.csv") && Contains("not a run directory"));
  CHECK_FALSE(fs::exists(run + "/plots"));

  ctr::test::write_file(run + "/metrics.csv", "kind,epoch,step,train_loss\ntrain,1,2,0.6\ntrain,1,4,zero\n");
  const auto bad = run_ctrtrain("report --plot " + run);
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.output, Contains("metrics.csv:3: column 'train_loss' holds 'zero'"));

  const auto usage = run_ctrtrain("report --plot-dir " + (tmp / "p") + " " + run);
  CHECK(usage.exit_code == 2);
  CHECK_THAT(usage.output, Contains("needs --plot"));
}
