// End-to-end tests of `ctrtrain export --format onnx` and scripts/onnx_predict.py: for every model
// type on Criteo and Avazu rows (missing values, unseen values, negative and out-of-range dense
// values, gzip and zstd input), the ONNX model passes onnx.checker and onnxruntime's probabilities
// equal `ctrtrain predict`'s to 1e-5; and bad input fails clearly, leaving nothing behind.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "support/test_util.h"

using ctr::test::read_file;
using ctr::test::run_command;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
using ctr::test::write_file;
namespace fs = std::filesystem;

namespace {

const char* const kModels[] = {"lr", "fm", "wdl", "deepfm", "dcn", "dcnv2", "dlrm"};

std::string python() { return CTR_TEST_PYTHON; }

// Without the test venv's onnxruntime and onnx, say why and exit 77: CTest reports the case as
// skipped (SKIP_RETURN_CODE). Called before a case creates anything.
void require_onnxruntime() {
  static const bool ok = run_command(python() + " -c 'import onnxruntime, onnx, numpy'").exit_code == 0;
  if (ok) return;
  std::printf("SKIPPED: %s cannot import onnxruntime, onnx and numpy; run scripts/setup.sh to make .venv-test\n",
              python().c_str());
  std::fflush(stdout);
  std::exit(77);
}

std::string script(const std::string& name) { return ctr::test::source_dir() + "/scripts/" + name; }

std::vector<double> read_probabilities(const std::string& path) {
  std::vector<double> v;
  for (const auto& row : ctr::test::split_table(read_file(path), '\t', false)) v.push_back(std::stod(row.at(0)));
  return v;
}

// A small dataset made from the first `train_lines` lines of a tests/data sample.
std::string make_dataset(const ScratchDir& tmp, const std::string& dataset, const std::string& sample,
                         size_t train_lines, const std::string& extra = "") {
  const std::string text = read_file(ctr::test::data_file(sample));
  size_t end = 0;
  for (size_t i = 0; i < train_lines; ++i) end = text.find('\n', end) + 1;
  write_file(tmp / ("train_" + dataset + ".txt"), text.substr(0, end));
  const std::string dir = tmp / ("data_" + dataset);
  auto p =
      run_ctrtrain("preprocess --quiet --dataset " + dataset + " --input " + (tmp / ("train_" + dataset + ".txt")) +
                   " --output " + dir + " --test-ratio 0.2 --split seq " + extra);
  INFO(p.output);
  REQUIRE(p.exit_code == 0);
  return dir;
}

// Trains `model` on `data` for a few epochs with a large init, so every part moves the logit.
std::string train(const ScratchDir& tmp, const std::string& name, const std::string& model, const std::string& data) {
  const std::string cfg = tmp / (name + ".yaml");
  write_file(cfg, "name: " + name + "\ndata: {path: " + data + "}\n" + "model: {type: " + model +
                      ", embedding_dim: 4, hidden: [8, 4], cross_layers: 2, " + "bottom_hidden: [6]}\n" +
                      "train: {batch_size: 16, epochs: 2, seed: 11, threads: 1}\n" +
                      "optimizer: {lr: 1e-2, lr_embed: 1e-2, l2: 1e-5, warmup_epochs: 0, init_stddev: 0.3}\n" +
                      "scaling: {rule: none, base_batch_size: 16}\n" + "output: {dir: " + (tmp / ("runs/" + name)) +
                      "}\n");
  auto r = run_ctrtrain("--config " + cfg + " --no-progress --quiet");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return tmp / ("runs/" + name + "/checkpoint.ckpt");
}

// `ctrtrain predict` and onnx_predict.py on the same raw file; every probability within 1e-5.
void check_same_predictions(const ScratchDir& tmp, const std::string& ckpt, const std::string& model_dir,
                            const std::string& raw) {
  auto p = run_ctrtrain("predict --quiet --threads 1 --checkpoint " + ckpt + " --data " + raw + " --output " +
                        (tmp / "ctr.txt"));
  INFO(p.output);
  REQUIRE(p.exit_code == 0);
  auto o = run_command(python() + " " + script("onnx_predict.py") + " --model " + model_dir + " --input " + raw +
                       " --output " + (tmp / "onnx.txt") + " --batch-size 7");
  INFO(o.output);
  REQUIRE(o.exit_code == 0);
  const std::vector<double> want = read_probabilities(tmp / "ctr.txt"), got = read_probabilities(tmp / "onnx.txt");
  REQUIRE(got.size() == want.size());
  double worst = 0, spread = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    worst = std::max(worst, std::fabs(got[i] - want[i]));
    spread = std::max(spread, std::fabs(want[i] - want[0]));
  }
  INFO("largest difference " << worst << " over " << want.size() << " rows");
  CHECK(worst <= 1e-5);
  CHECK(spread > 1e-4);  // the rows do get different probabilities: the comparison means something
}

void check_onnx_model(const std::string& model_dir, const std::string& expect_inputs) {
  const std::string code =
      "import onnx, sys\n"
      "path = sys.argv[1] + '/model.onnx'\n"
      "onnx.checker.check_model(path, full_check=True)\n"
      "m = onnx.load(path)\n"
      "dims = lambda v: ','.join(d.dim_param or str(d.dim_value) for d in v.type.tensor_type.shape.dim)\n"
      "t = lambda v: onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type)\n"
      "print(' '.join(f'{v.name}:{t(v)}:{dims(v)}' for v in m.graph.input), '->',\n"
      "      ' '.join(f'{v.name}:{t(v)}:{dims(v)}' for v in m.graph.output), 'opset', m.opset_import[0].version)\n";
  write_file(model_dir + "/../check.py", code);
  auto c = run_command(python() + " " + model_dir + "/../check.py " + model_dir);
  INFO(c.output);
  REQUIRE(c.exit_code == 0);
  CHECK_THAT(c.output, Catch::Contains(expect_inputs + " -> probability:FLOAT:N logit:FLOAT:N opset 17"));
}

// Raw Criteo rows beyond the sample: every value missing, negative and out-of-range dense values,
// unseen categorical values, a CRLF line ending.
std::string extra_criteo_rows() {
  std::string all_missing = "0" + std::string(39, '\t') + "\n";
  std::string odd = "1\t-3\t-1\t99999999\t0\t-100\t5\t\t\t7\t\t\t\t123456789012";
  for (int c = 0; c < 26; ++c) odd += c % 3 == 0 ? "\tunseen" + std::to_string(c) : (c % 3 == 1 ? "\t" : "\t68fd1e64");
  return all_missing + odd + "\n" + odd + "\r\n";
}

std::string extra_avazu_rows() {
  std::string missing = "1,0";
  for (int c = 0; c < 22; ++c) missing += ",";
  std::string unseen = "2,1";
  for (int c = 0; c < 22; ++c) unseen += ",x" + std::to_string(c);
  return missing + "\n" + unseen + "\r\n";
}

}  // namespace

TEST_CASE("export to ONNX: every model type matches ctrtrain predict on raw Criteo rows", "[export]") {
  require_onnxruntime();
  ScratchDir tmp("onnx-criteo");
  const std::string data = make_dataset(tmp, "criteo", "criteo_sample.txt", 150);
  // The whole sample (its last 50 rows bring values the vocabulary has not seen) plus the odd rows.
  write_file(tmp / "raw.txt", read_file(ctr::test::data_file("criteo_sample.txt")) + extra_criteo_rows());
  for (const char* model : kModels) {
    INFO("model " << model);
    const std::string ckpt = train(tmp, std::string("c_") + model, model, data);
    const std::string out = tmp / (std::string("export_") + model);
    auto e = run_ctrtrain("export --checkpoint " + ckpt + " --format onnx --output " + out);
    INFO(e.output);
    REQUIRE(e.exit_code == 0);
    for (const char* f : {"model.onnx", "features.json", "vocab/C1.tsv", "vocab/C26.tsv"})
      CHECK(fs::exists(out + "/" + f));
    CHECK_FALSE(fs::exists(out + "/model.onnx.data"));
    check_onnx_model(out, "ids:INT64:N,26 dense:FLOAT:N,13");
    check_same_predictions(tmp, ckpt, out, tmp / "raw.txt");
  }
}

TEST_CASE("export to ONNX: every model type matches ctrtrain predict on raw Avazu rows", "[export]") {
  require_onnxruntime();
  ScratchDir tmp("onnx-avazu");
  const std::string data = make_dataset(tmp, "avazu", "avazu_sample.csv", 71);  // the header and 70 rows
  write_file(tmp / "raw.csv", read_file(ctr::test::data_file("avazu_sample.csv")) + extra_avazu_rows());
  for (const char* model : kModels) {
    INFO("model " << model);
    const std::string ckpt = train(tmp, std::string("a_") + model, model, data);
    const std::string out = tmp / (std::string("export_") + model);
    auto e = run_ctrtrain("export --checkpoint " + ckpt + " --output " + out);  // onnx is the default format
    INFO(e.output);
    REQUIRE(e.exit_code == 0);
    check_onnx_model(out, "ids:INT64:N,22");  // Avazu has no dense values, so no dense input
    check_same_predictions(tmp, ckpt, out, tmp / "raw.csv");
  }
}

TEST_CASE("export to ONNX: a schema of its own, with quoted values and per-column transforms", "[export][schema]") {
  require_onnxruntime();
  ScratchDir tmp("onnx-schema");
  const std::string sample = ctr::test::data_file("clicks_sample.csv");
  const std::string text = read_file(sample);
  size_t end = 0;
  for (size_t i = 0; i < 201; ++i) end = text.find('\n', end) + 1;  // the header and 200 rows
  write_file(tmp / "train.csv", text.substr(0, end));
  const std::string data = tmp / "data";
  auto p = run_ctrtrain("preprocess --quiet --schema " + ctr::test::source_dir() +
                        "/configs/schemas/example_clicks.yaml --input " + (tmp / "train.csv") + " --output " + data);
  INFO(p.output);
  REQUIRE(p.exit_code == 0);
  for (const char* model : {"deepfm", "dlrm"}) {
    INFO("model " << model);
    const std::string ckpt = train(tmp, std::string("s_") + model, model, data);
    const std::string out = tmp / (std::string("export_") + model);
    auto e = run_ctrtrain("export --checkpoint " + ckpt + " --output " + out);
    INFO(e.output);
    REQUIRE(e.exit_code == 0);
    check_onnx_model(out, "ids:INT64:N,3 dense:FLOAT:N,2");
    CHECK_THAT(read_file(out + "/features.json"),
               Catch::Contains("\"quote\": \"\\\"\"") && Catch::Contains("\"transforms\": [\"log\", \"minmax\"]"));
    // Every row of the sample: its last 100 bring values the vocabulary has not seen.
    check_same_predictions(tmp, ckpt, out, sample);
  }
}

TEST_CASE("export to ONNX: log-transformed dense values, external weights, gzip and zstd input", "[export]") {
  require_onnxruntime();
  ScratchDir tmp("onnx-variants");
  const std::string data = make_dataset(tmp, "criteo", "criteo_sample.txt", 150, "--dense-transform log");
  write_file(tmp / "raw.txt", read_file(ctr::test::data_file("criteo_sample.txt")) + extra_criteo_rows());
  const std::string ckpt = train(tmp, "dlrm_log", "dlrm", data);
  const std::string out = tmp / "export";
  auto e = run_ctrtrain("export --checkpoint " + ckpt + " --format onnx --output " + out + " --external-data");
  INFO(e.output);
  REQUIRE(e.exit_code == 0);
  CHECK(fs::file_size(out + "/model.onnx.data") > fs::file_size(out + "/model.onnx"));
  CHECK_THAT(read_file(out + "/features.json"), Catch::Contains("\"transforms\": [\"log\", \"log\","));
  check_onnx_model(out, "ids:INT64:N,26 dense:FLOAT:N,13");
  check_same_predictions(tmp, ckpt, out, tmp / "raw.txt");
  const std::vector<double> plain = read_probabilities(tmp / "onnx.txt");

  REQUIRE(run_command("gzip -c " + (tmp / "raw.txt") + " > " + (tmp / "raw.txt.gz")).exit_code == 0);
  check_same_predictions(tmp, ckpt, out, tmp / "raw.txt.gz");
  CHECK(read_probabilities(tmp / "onnx.txt") == plain);
  if (run_command("command -v zstd").exit_code == 0) {
    REQUIRE(run_command("zstd -q -c " + (tmp / "raw.txt") + " > " + (tmp / "raw.txt.zst")).exit_code == 0);
    check_same_predictions(tmp, ckpt, out, tmp / "raw.txt.zst");
    CHECK(read_probabilities(tmp / "onnx.txt") == plain);
  } else {
    WARN("zstd is not installed: .zst input not tested");
  }

  // A malformed row stops onnx_predict.py with FILE:LINE, as it stops ctrtrain, and leaves no output.
  const std::string sample = read_file(ctr::test::data_file("criteo_sample.txt"));
  write_file(tmp / "bad.txt", sample.substr(0, sample.find("\n", 1000) + 1) + "1\tx\n");
  auto b = run_command(python() + " " + script("onnx_predict.py") + " --model " + out + " --input " +
                       (tmp / "bad.txt") + " --output " + (tmp / "bad_p.txt"));
  CHECK(b.exit_code == 1);
  CHECK_THAT(b.output, Catch::Contains("bad.txt:") && Catch::Contains("column_count"));
  CHECK_FALSE(fs::exists(tmp / "bad_p.txt"));
  CHECK_FALSE(fs::exists(tmp / "bad_p.txt.tmp"));
}

TEST_CASE("export errors are clear, exit non-zero and leave nothing behind", "[export]") {
  static const ScratchDir shared("onnx-errors-data");  // one dataset and checkpoint for every section
  static const std::string data = make_dataset(shared, "criteo", "criteo_sample.txt", 100);
  static const std::string ckpt = train(shared, "lr", "lr", data);
  ScratchDir tmp("onnx-errors");
  // Whatever fails, the directory holds only what the test made: no output, no staging directory.
  auto entries = [&] {
    std::vector<std::string> names;
    for (const auto& p : fs::directory_iterator(tmp.path())) names.push_back(p.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> before = entries();

  SECTION("a missing checkpoint") {
    auto r = run_ctrtrain("export --checkpoint " + (tmp / "nope.ckpt") + " --format onnx --output " + (tmp / "out"));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("--checkpoint") && Catch::Contains("nope.ckpt: no such file"));
  }
  SECTION("a file that is not a checkpoint") {
    write_file(tmp / "junk.ckpt", "not a checkpoint");
    auto r = run_ctrtrain("export --checkpoint " + (tmp / "junk.ckpt") + " --output " + (tmp / "out"));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Catch::Contains("junk.ckpt"));
    fs::remove(tmp / "junk.ckpt");
  }
  SECTION("an unknown format") {
    auto r = run_ctrtrain("export --checkpoint " + ckpt + " --format tflite --output " + (tmp / "out"));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("--format tflite: unknown export format (expected onnx)"));
  }
  SECTION("an output that cannot be created") {
    write_file(tmp / "a_file", "x");
    auto r = run_ctrtrain("export --checkpoint " + ckpt + " --output " + (tmp / "a_file/out"));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Catch::Contains("a_file/out"));
    fs::remove(tmp / "a_file");
  }
  SECTION("an existing output needs --force, which replaces it") {
    fs::create_directories(tmp / "out");
    write_file(tmp / "out/keep.txt", "mine");
    auto r = run_ctrtrain("export --checkpoint " + ckpt + " --output " + (tmp / "out"));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("already exists") && Catch::Contains("--force"));
    CHECK(read_file(tmp / "out/keep.txt") == "mine");
    auto f = run_ctrtrain("export --checkpoint " + ckpt + " --output " + (tmp / "out") + " --force");
    INFO(f.output);
    CHECK(f.exit_code == 0);
    CHECK(fs::exists(tmp / "out/model.onnx"));
    CHECK_FALSE(fs::exists(tmp / "out/keep.txt"));
    fs::remove_all(tmp / "out");
  }
  SECTION("a checkpoint whose dataset (the vocabulary) is gone") {
    fs::rename(data, data + ".moved");
    auto r = run_ctrtrain("export --checkpoint " + ckpt + " --output " + (tmp / "out"));
    fs::rename(data + ".moved", data);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output,
               Catch::Contains("lr/checkpoint.ckpt") && Catch::Contains("vocabulary") && Catch::Contains("meta.json"));
  }
  CHECK(entries() == before);
}
