// End-to-end tests of the ctrtrain binary: exit codes, messages, and the
// synth -> preprocess -> inspect --verify pipeline, including corruption detection.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "support/test_util.h"

using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
namespace fs = std::filesystem;

namespace {
// Flips one byte in the middle of a file.
void corrupt_byte(const std::string& path, double where) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  auto size = static_cast<std::streamoff>(f.tellg());
  std::streamoff pos = static_cast<std::streamoff>(size * where);
  f.seekg(pos);
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(pos);
  f.write(&c, 1);
}
}  // namespace

TEST_CASE("train is also a subcommand, misspelled flags and commands get a suggestion, --help shows no noise",
          "[cli]") {
  const std::string config = ctr::test::source_dir() + "/configs/quickstart.yaml";
  auto root = run_ctrtrain("--config " + config + " --print-config --set train.epochs=2");
  auto sub = run_ctrtrain("train --config " + config + " --print-config --set train.epochs=2");
  REQUIRE(root.exit_code == 0);
  CHECK(sub.exit_code == 0);
  CHECK(sub.output == root.output);
  auto none = run_ctrtrain("train");
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.output, Catch::Contains("--config FILE is required"));

  auto flag = run_ctrtrain("--confg " + config);
  CHECK(flag.exit_code == 2);
  CHECK_THAT(flag.output, Catch::Contains("(did you mean '--config'?)"));
  auto sub_flag = run_ctrtrain("synth --dataset criteo --rows 10 --output x --seeed 3");
  CHECK(sub_flag.exit_code == 2);
  CHECK_THAT(sub_flag.output, Catch::Contains("(did you mean '--seed'?)"));
  auto command = run_ctrtrain("preproces --input x");
  CHECK(command.exit_code == 2);
  CHECK_THAT(command.output, Catch::Contains("(did you mean 'preprocess'?)"));
  CHECK_THAT(run_ctrtrain("--zzzzzz").output, !Catch::Contains("did you mean"));

  for (const char* c : {"synth", "preprocess", "report", "bench", "train", "eval", "predict", "inspect"}) {
    CAPTURE(c);
    const std::string help = run_ctrtrain(std::string(c) + " --help").output;
    CHECK_THAT(help, !Catch::Contains("=-1") && !Catch::Contains("=[]"));
  }
  // synth's --rows has a value in the code that only a given --rows replaces: help must not show it as a default.
  const std::string synth_help = run_ctrtrain("synth --help").output;
  CHECK_THAT(synth_help, Catch::Contains("--rows UINT:INT in [1, 1099511627776]") && !Catch::Contains("--rows UINT:INT=") &&
                             Catch::Contains("--days UINT:INT in [1, 366]"));
}

TEST_CASE("version, help and usage errors", "[cli]") {
  auto v = run_ctrtrain("--version");
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.output, Catch::Contains("ctrtrain 0.") && Catch::Contains("CUDA support:"));
  auto h = run_ctrtrain("--help");
  CHECK(h.exit_code == 0);
  CHECK_THAT(h.output, Catch::Contains("preprocess") && Catch::Contains("synth") && Catch::Contains("inspect"));
  CHECK(run_ctrtrain("frobnicate").exit_code == 2);
  CHECK(run_ctrtrain("preprocess --input x").exit_code == 2);
  auto bad_enum = run_ctrtrain("preprocess --dataset kaggle --input x --output y");
  CHECK(bad_enum.exit_code == 2);
  CHECK_THAT(bad_enum.output, Catch::Contains("criteo"));
}

TEST_CASE("preprocess: real sample end to end, bad input, existing output", "[cli]") {
  ScratchDir tmp("cli-pp");
  std::string sample = ctr::test::data_file("criteo_sample.txt");
  auto ok = run_ctrtrain("preprocess --quiet --dataset criteo --input " + sample + " --output " + (tmp / "d"));
  REQUIRE(ok.exit_code == 0);
  CHECK_THAT(ok.output, Catch::Contains("200 data lines"));
  CHECK(fs::exists(tmp / "d/meta.json"));

  auto again = run_ctrtrain("preprocess --quiet --dataset criteo --input " + sample + " --output " + (tmp / "d"));
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.output, Catch::Contains("already exists") && Catch::Contains("--force"));

  ctr::test::write_file(tmp / "bad.txt", ctr::test::read_file(sample).substr(0, 2000) + "\n1\t2\n");
  auto bad = run_ctrtrain("preprocess --quiet --dataset criteo --input " + (tmp / "bad.txt") + " --output " + (tmp / "e"));
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.output, Catch::Contains("bad.txt:") && Catch::Contains("expected 40"));
  CHECK_FALSE(fs::exists(tmp / "e"));

  auto lookup = run_ctrtrain("inspect " + (tmp / "d") + " --lookup C9=0 --lookup C9=2");
  CHECK(lookup.exit_code == 0);
  CHECK_THAT(lookup.output, Catch::Contains("C9=2 -> <out of vocabulary>"));
  CHECK(run_ctrtrain("inspect " + (tmp / "d") + " --lookup C99=1").exit_code == 2);
  CHECK(run_ctrtrain("inspect " + (tmp / "nowhere")).exit_code == 1);
}

TEST_CASE("preprocess --schema: your own layout through inspect, training and predict", "[cli][schema]") {
  ScratchDir tmp("cli-schema");
  const std::string schema = ctr::test::source_dir() + "/configs/schemas/example_clicks.yaml";
  const std::string sample = ctr::test::data_file("clicks_sample.csv");
  auto pp = run_ctrtrain("preprocess --quiet --schema " + schema + " --input " + sample + " --output " + (tmp / "d"));
  REQUIRE(pp.exit_code == 0);
  CHECK_THAT(pp.output, Catch::Contains("preprocessed clicks: 300 data lines"));
  auto verify = run_ctrtrain("inspect --verify " + (tmp / "d"));
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.output, Catch::Contains("schema      clicks: 7 columns (label 'clicked', 2 dense, 3 categorical), ','-separated, header line, quote \"") &&
                                Catch::Contains("price_cents              log"));
  ctr::test::write_file(tmp / "run.yaml", "data: {path: " + (tmp / "d") +
                                              "}\nmodel: {type: deepfm, embedding_dim: 4, hidden: [8]}\n"
                                              "train: {batch_size: 64, epochs: 1, seed: 1, threads: 1}\n"
                                              "eval: {group_by: user}\noutput: {dir: " + (tmp / "run") + "}\n");
  auto train = run_ctrtrain("--config " + (tmp / "run.yaml") + " --quiet --no-progress");
  REQUIRE(train.exit_code == 0);
  auto predict = run_ctrtrain("predict --quiet --checkpoint " + (tmp / "run/checkpoint.ckpt") + " --data " + sample +
                              " --output " + (tmp / "p.txt"));
  REQUIRE(predict.exit_code == 0);
  CHECK(ctr::test::split_table(ctr::test::read_file(tmp / "p.txt"), ' ', false).size() == 300);

  auto neither = run_ctrtrain("preprocess --input " + sample + " --output " + (tmp / "e"));
  CHECK(neither.exit_code == 2);
  CHECK_THAT(neither.output, Catch::Contains("--dataset criteo, --dataset avazu, or --schema FILE"));
  CHECK(run_ctrtrain("preprocess --dataset criteo --schema " + schema + " --input " + sample + " --output " + (tmp / "e"))
            .exit_code == 2);
  ctr::test::write_file(tmp / "bad.yaml", "name: t\nseparator: ','\ncolumns:\n  - {name: y, type: lable}\n");
  auto bad = run_ctrtrain("preprocess --schema " + (tmp / "bad.yaml") + " --input " + sample + " --output " + (tmp / "e"));
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("bad.yaml:4: columns[0].type: 'lable' is not a column type"));
  auto wrong = run_ctrtrain("preprocess --quiet --dataset avazu --input " + sample + " --output " + (tmp / "e"));
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.output, Catch::Contains("clicks_sample.csv:1: header is") && Catch::Contains("schema avazu"));
  CHECK_FALSE(fs::exists(tmp / "e"));
}

TEST_CASE("synth -> preprocess -> inspect --verify, then corruption is caught", "[cli]") {
  ScratchDir tmp("cli-pipeline");
  auto s = run_ctrtrain("synth --dataset criteo --rows 20000 --vocab-scale 0.001 --seed 3 --output " + (tmp / "raw.txt.zst"));
  REQUIRE(s.exit_code == 0);
  auto p = run_ctrtrain("preprocess --quiet --dataset criteo --input " + (tmp / "raw.txt.zst") +
                        " --output " + (tmp / "d") + " --shard-rows 5000");
  REQUIRE(p.exit_code == 0);
  auto v = run_ctrtrain("inspect " + (tmp / "d") + " --verify");
  REQUIRE(v.exit_code == 0);
  CHECK_THAT(v.output, Catch::Contains("verify: OK"));

  SECTION("a flipped byte") {
    std::string shard = tmp / "d/train/part-00001.ctrs";
    corrupt_byte(shard, 0.5);
    auto bad = run_ctrtrain("inspect " + (tmp / "d") + " --verify");
    CHECK(bad.exit_code == 1);
    CHECK_THAT(bad.output, Catch::Contains("part-00001.ctrs") && Catch::Contains("CORRUPT"));
    auto single = run_ctrtrain("inspect " + shard + " --verify");
    CHECK(single.exit_code == 1);
  }
  SECTION("a truncated shard") {
    std::string shard = tmp / "d/train/part-00002.ctrs";
    fs::resize_file(shard, fs::file_size(shard) / 2);
    auto bad = run_ctrtrain("inspect " + (tmp / "d") + " --verify");
    CHECK(bad.exit_code == 1);
    CHECK_THAT(bad.output, Catch::Contains("part-00002.ctrs"));
  }
  SECTION("a damaged vocabulary file") {
    fs::resize_file(tmp / "d/vocab/C3.tsv.zst", 10);
    auto bad = run_ctrtrain("inspect " + (tmp / "d") + " --verify");
    CHECK(bad.exit_code == 1);
    CHECK_THAT(bad.output, Catch::Contains("C3.tsv.zst"));
  }
}

TEST_CASE("synth piped into preprocess gives the shards a file gives and compressed pipes are refused", "[cli]") {
  ScratchDir tmp("cli-pipe");
  const std::string synth = std::string(CTR_BINARY) + " synth --dataset criteo --rows 3000 --vocab-scale 0.001 --seed 4";
  REQUIRE(run_ctrtrain("synth --dataset criteo --rows 3000 --vocab-scale 0.001 --seed 4 --output " +
                       (tmp / "raw.txt")).exit_code == 0);
  REQUIRE(run_ctrtrain("preprocess --quiet --dataset criteo --input " + (tmp / "raw.txt") + " --output " +
                       (tmp / "from_file")).exit_code == 0);
  auto piped = ctr::test::run_command(synth + " --output /dev/stdout | " + CTR_BINARY +
                                      " preprocess --quiet --dataset criteo --input /dev/stdin --output " +
                                      (tmp / "from_pipe"));
  INFO(piped.output);
  REQUIRE(piped.exit_code == 0);
  for (const char* f : {"train/part-00000.ctrs", "test/part-00000.ctrs", "vocab/C3.tsv.zst"})
    CHECK(ctr::test::read_file(tmp / (std::string("from_pipe/") + f)) ==
          ctr::test::read_file(tmp / (std::string("from_file/") + f)));
  // The pipe's byte count is known once it is read through, and recorded as a file's would be.
  CHECK_THAT(ctr::test::read_file(tmp / "from_pipe/meta.json"),
             Catch::Contains("\"bytes\": " + std::to_string(fs::file_size(tmp / "raw.txt"))));

  auto gz = ctr::test::run_command(synth + " --output /dev/stdout --compress gz | " + CTR_BINARY +
                                   " preprocess --quiet --dataset criteo --input /dev/stdin --output " + (tmp / "gz"));
  CHECK(gz.exit_code == 1);
  CHECK_THAT(gz.output, Catch::Contains("gzip-compressed data through a pipe") && Catch::Contains("zcat"));
}

TEST_CASE("log levels: info lines on stderr by default, --quiet hides them, a bad level is a usage error", "[cli]") {
  ScratchDir tmp("cli-log-level");
  const std::string synth = "synth --dataset criteo --rows 100 --vocab-scale 0.001 --output " + (tmp / "s.txt");
  // Only stderr is kept: the synth line is a log line, not a result.
  // run_command merges stderr into what it captures: the braces keep only the inner stderr.
  auto plain = ctr::test::run_command("{ " + std::string(CTR_BINARY) + " " + synth + " 2>&1 >/dev/null; }");
  CHECK(plain.exit_code == 0);
  CHECK_THAT(plain.output, Catch::Contains("synth criteo: 100 rows"));
  auto quiet = ctr::test::run_command("{ " + std::string(CTR_BINARY) + " --quiet " + synth + " 2>&1 >/dev/null; }");
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.output.empty());
  // A root option after the subcommand falls through to the root.
  auto after =
      ctr::test::run_command("{ " + std::string(CTR_BINARY) + " " + synth + " --log-level warn 2>&1 >/dev/null; }");
  CHECK(after.exit_code == 0);
  CHECK(after.output.empty());
  auto bad = run_ctrtrain("--log-level loud " + synth);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("--log-level loud: expected trace, debug, info, warn, error or off"));
  for (const char* two : {"--quiet --verbose ", "--quiet --log-level debug ", "--log-level warn --verbose "}) {
    auto both = run_ctrtrain(std::string(two) + synth);
    CHECK(both.exit_code == 2);
    CHECK_THAT(both.output, Catch::Contains("give one of them"));
  }
  // Root-only options are not taken after a subcommand (no silent fallthrough).
  auto stray = run_ctrtrain(synth + " --set train.epochs=2");
  CHECK(stray.exit_code == 2);
}

TEST_CASE("every numeric option refuses NaN, infinity, negative, zero and absurd values, naming itself", "[cli]") {
  const std::string in = " --input " + ctr::test::data_file("criteo_sample.txt");
  // Each command line, with the option under test last; what it must refuse.
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"preprocess --dataset criteo --output x" + in + " --test-ratio", {"nan", "inf", "-0.1", "1.5", "1e999"}},
      {"preprocess --dataset criteo --output x" + in + " --valid-ratio", {"nan", "-inf", "-1", "2"}},
      {"preprocess --dataset criteo --output x" + in + " --min-count", {"0", "-1", "nan", "1e3", "99999999999999999999"}},
      {"preprocess --dataset criteo --output x" + in + " --shard-rows", {"0", "-5", "nan", "8589934592"}},
      {"preprocess --dataset criteo --output x" + in + " --threads", {"-1", "nan", "100000"}},
      {"synth --dataset criteo --output x --rows", {"0", "-1", "nan", "inf", "1e6", "18446744073709551616"}},
      {"synth --dataset criteo --output x --rows 10 --vocab-scale", {"0", "-1", "nan", "inf", "1000"}},
      {"synth --dataset criteo --output x --rows 10 --threads", {"-1", "1e9"}},
      {"eval --checkpoint c --data d --batch-size", {"0", "nan", "-3", "999999999999"}},
      {"eval --checkpoint c --data d --threads", {"-1", "5000"}},
      {"predict --checkpoint c --data d --output o --batch-size", {"0", "inf"}},
      {"predict --checkpoint c --data d --output o --threads", {"nan"}},
      {"inspect d --threads", {"-2", "nan", "99999"}},
      {"bench --config c --warmup", {"0", "nan", "10000000"}},
      {"bench --config c --steps", {"0", "-1"}},
  };
  for (const auto& [cmd, bad_values] : cases) {
    const std::string option = cmd.substr(cmd.rfind(' ') + 1);
    for (const std::string& v : bad_values) {
      INFO("ctrtrain " << cmd << " " << v);
      const auto r = run_ctrtrain(cmd + " " + v);
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.output, Catch::Contains(option) && Catch::Contains("expected"));
      CHECK_FALSE(fs::exists("x"));
    }
  }
}
