// End-to-end tests of damaged datasets through the ctrtrain binary: `inspect --verify`,
// `inspect --lookup`, training and predict each fail with exit code 1 and a message naming the
// file and what is wrong (never an internal check, a NaN loss or a wrong value), and a
// dataset of an older format still works, with a warning.
#include <catch2/catch.hpp>

#include <filesystem>
#include <limits>
#include <string>

#include "dataset/dataset_meta.h"
#include "io/byte_sink.h"
#include "io/byte_source.h"
#include "shard/shard_reader.h"
#include "shard/shard_writer.h"
#include "support/test_util.h"

using Catch::Matchers::Contains;
using ctr::test::read_file;
using ctr::test::run_ctrtrain;
using ctr::test::ScratchDir;
using ctr::test::write_file;
namespace fs = std::filesystem;

namespace {

// One small synthetic Criteo-shaped dataset for the whole file; each test damages a copy.
const ScratchDir& source_dir() {
  static ScratchDir dir("inspect-verify-data");
  static bool made = false;
  if (!made) {
    REQUIRE(
        run_ctrtrain("synth --dataset criteo --rows 4000 --vocab-scale 0.0005 --seed 3 --output " + (dir / "raw.txt"))
            .exit_code == 0);
    REQUIRE(run_ctrtrain("preprocess --quiet --dataset criteo --input " + (dir / "raw.txt") + " --output " +
                         (dir / "data") + " --shard-rows 1000")
                .exit_code == 0);
    made = true;
  }
  return dir;
}

std::string copy_dataset(const ScratchDir& tmp, const std::string& name) {
  fs::copy(source_dir() / "data", tmp / name, fs::copy_options::recursive);
  return tmp / name;
}

std::string train_args(const ScratchDir& tmp, const std::string& data, const std::string& name) {
  const std::string cfg = tmp / (name + ".yaml");
  write_file(cfg, "name: " + name + "\ndata: {path: " + data + "}\n" +
                      "model: {type: deepfm, embedding_dim: 4, hidden: [8]}\n" +
                      "train: {batch_size: 256, epochs: 1, seed: 7, threads: 2}\n" +
                      "optimizer: {lr: 1e-3, lr_embed: 1e-3, l2: 1e-5}\n" + "output: {dir: " + (tmp / name) + "}\n");
  return "--config " + cfg + " --no-progress";
}

void set_value_after(std::string& text, const std::string& anchor, const std::string& key, const std::string& value) {
  const size_t a = text.find(anchor);
  REQUIRE(a != std::string::npos);
  size_t v = text.find("\"" + key + "\": ", a) + key.size() + 4;
  if (text[v] == '"') ++v;
  text.replace(v, text.find_first_of("\",\n", v) - v, value);
}

uint64_t number_after(const std::string& text, const std::string& anchor, const std::string& key) {
  const size_t v = text.find("\"" + key + "\": ", text.find(anchor)) + key.size() + 4;
  return std::stoull(text.substr(v));
}

template <class Edit>
void edit_meta(const std::string& dir, Edit edit, bool reseal = true) {
  std::string text = read_file(dir + "/meta.json");
  edit(text);
  write_file(dir + "/meta.json", reseal ? ctr::reseal_meta_json(text) : text);
}

// Rewrites shard `rel` with `change` applied to its rows, and records the new file in
// meta.json (resealed): a dataset whose checksums all agree, holding a wrong value.
template <class Change>
void rewrite_shard(const std::string& dir, const std::string& rel, Change change) {
  const std::string path = dir + "/" + rel;
  ctr::RowBlock rows;
  {
    const ctr::ShardReader r(path);
    rows = ctr::RowBlock(r.num_dense(), r.num_cat());
    ctr::RowBlock g;
    for (size_t i = 0; i < r.num_groups(); ++i) {
      r.read_group(i, g);
      rows.append(g, 0, g.rows());
    }
  }
  change(rows);
  {
    ctr::ShardWriter w(path, static_cast<uint32_t>(rows.num_dense), static_cast<uint32_t>(rows.num_cat));
    w.write(rows, 0, rows.rows());
    w.finish();
  }
  const ctr::ShardReader r(path);
  edit_meta(dir, [&](std::string& t) {
    set_value_after(t, "\"" + rel + "\"", "bytes", std::to_string(r.file_size()));
    set_value_after(t, "\"" + rel + "\"", "checksum", fmt::format("{:08x}", r.header_crc()));
  });
}

// Exit code 1, with the message, and none of what a hidden failure would look like.
void check_fails(const ctr::test::CommandResult& r, const std::string& message) {
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Contains(message));
  CHECK_THAT(r.output, !Contains("ctrtrain bug") && !Contains("diverged") && !Contains("internal"));
}

}  // namespace

TEST_CASE("inspect --verify passes a freshly preprocessed dataset", "[inspect]") {
  const std::string dir = source_dir() / "data";
  auto r = run_ctrtrain("inspect " + dir + " --verify");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Contains("(format 4, written by") && Contains("verify: OK (5 shards, 4000 rows"));
  auto shard = run_ctrtrain("inspect " + dir + "/train/part-00000.ctrs --verify");
  CHECK(shard.exit_code == 0);
  CHECK_THAT(shard.output, Contains("format      version 2, header checksum ") && Contains("non-finite  0"));
  auto lookup = run_ctrtrain("inspect " + dir + " --lookup C4=1");
  CHECK(lookup.exit_code == 0);
  CHECK_THAT(lookup.output, Contains("C4=1 -> '"));
}

TEST_CASE("an edited meta.json fails inspect and training on its checksum", "[inspect]") {
  ScratchDir tmp("inspect-verify-edited");
  const std::string dir = copy_dataset(tmp, "d");
  edit_meta(
      dir, [](std::string& t) { set_value_after(t, "{", "total_vocab_size", "7"); }, false);
  check_fails(run_ctrtrain("inspect " + dir + " --verify"), dir + "/meta.json: checksum mismatch");
  check_fails(run_ctrtrain(train_args(tmp, dir, "run")), dir + "/meta.json: checksum mismatch");
  CHECK_FALSE(fs::exists(tmp / "run"));
}

TEST_CASE("a resealed meta.json with a wrong row count fails before training starts", "[inspect]") {
  ScratchDir tmp("inspect-verify-rows");
  const std::string dir = copy_dataset(tmp, "d");
  edit_meta(dir, [](std::string& t) {
    set_value_after(t, "\"rows\": {", "train", std::to_string(number_after(t, "\"rows\": {", "train") + 100));
  });
  check_fails(run_ctrtrain("inspect " + dir + " --verify"), "the train split's row counts disagree");
  check_fails(run_ctrtrain(train_args(tmp, dir, "run")), "the train split's row counts disagree");
}

TEST_CASE("a resealed meta.json with a wrong positive count fails inspect --verify", "[inspect]") {
  ScratchDir tmp("inspect-verify-positives");
  const std::string dir = copy_dataset(tmp, "d");
  uint64_t positives = 0;
  edit_meta(dir, [&](std::string& t) {
    positives = number_after(t, "\"splits\"", "positives");
    set_value_after(t, "\"splits\"", "positives", std::to_string(positives + 1));
  });
  check_fails(run_ctrtrain("inspect " + dir + " --verify"),
              fmt::format("the train split's shards hold {} positives, meta.json says {}", positives, positives + 1));
}

TEST_CASE("swapped shards fail inspect --verify and training", "[inspect]") {
  ScratchDir tmp("inspect-verify-swapped");
  const std::string dir = copy_dataset(tmp, "d");
  fs::rename(dir + "/train/part-00000.ctrs", tmp / "x.ctrs");
  fs::rename(dir + "/train/part-00001.ctrs", dir + "/train/part-00000.ctrs");
  fs::rename(tmp / "x.ctrs", dir + "/train/part-00001.ctrs");
  const auto v = run_ctrtrain("inspect " + dir + " --verify");
  check_fails(v, "so shards were swapped");
  CHECK_THAT(v.output, Contains("verify: 2 problem(s) found"));
  check_fails(run_ctrtrain(train_args(tmp, dir, "run")), dir + "/train/part-00000.ctrs: this is not train shard 0");
}

TEST_CASE("an id beyond its vocabulary fails inspect --verify with the row and training with the shard", "[inspect]") {
  ScratchDir tmp("inspect-verify-ids");
  const std::string dir = copy_dataset(tmp, "d");
  const uint64_t vocab = ctr::read_meta(dir).vocab_sizes[5];
  rewrite_shard(dir, "train/part-00002.ctrs", [&](ctr::RowBlock& rows) { rows.cat[17 * 26 + 5] = uint32_t(vocab); });
  check_fails(run_ctrtrain("inspect " + dir + " --verify"),
              "train/part-00002.ctrs: row group 0, row 17: field C6 holds id " + std::to_string(vocab));
  check_fails(run_ctrtrain(train_args(tmp, dir, "run")), "train/part-00002.ctrs: field C6 holds ids up to");
}

TEST_CASE("NaN dense values fail inspect, training and predict, not as a diverged loss", "[inspect]") {
  ScratchDir tmp("inspect-verify-nan");
  REQUIRE(run_ctrtrain(train_args(tmp, source_dir() / "data", "good")).exit_code == 0);
  const std::string ckpt = tmp / "good/checkpoint.ckpt";
  REQUIRE(fs::exists(ckpt));
  const std::string dir = copy_dataset(tmp, "d");
  for (const char* rel : {"train/part-00001.ctrs", "test/part-00000.ctrs"})
    rewrite_shard(dir, rel, [](ctr::RowBlock& rows) { rows.dense[40 * 13 + 2] = std::nanf(""); });
  check_fails(run_ctrtrain("inspect " + dir + " --verify"), "train/part-00001.ctrs: row group 0 (rows 0..");
  check_fails(run_ctrtrain("inspect " + dir + "/test/part-00000.ctrs --verify"),
              "dense chunk: row 40, dense field 2 (0-based) holds nan");
  check_fails(run_ctrtrain(train_args(tmp, dir, "run")), "NaN or infinite dense values");
  check_fails(run_ctrtrain("predict --checkpoint " + ckpt + " --data " + dir + " --output " + (tmp / "p.txt")),
              "test/part-00000.ctrs: the shard holds 1 NaN or infinite dense values");
  CHECK_FALSE(fs::exists(tmp / "p.txt"));
}

TEST_CASE("a vocabulary file with a line dropped fails --lookup and --verify", "[inspect]") {
  ScratchDir tmp("inspect-verify-vocab");
  const std::string dir = copy_dataset(tmp, "d");
  const std::string c4 = dir + "/vocab/C4.tsv.zst";
  std::string text;
  {
    auto src = ctr::ByteSource::open(c4);
    char buf[4096];
    while (size_t n = src->read(buf, sizeof buf)) text.append(buf, n);
  }
  auto sink = ctr::ByteSink::create(c4, ctr::Compression::zstd, 1);
  const std::string rest = text.substr(text.find('\n') + 1);
  sink->write(rest.data(), rest.size());
  sink->close();
  const auto lookup = run_ctrtrain("inspect " + dir + " --lookup C4=1");
  check_fails(lookup, c4 + ": ");
  CHECK_THAT(lookup.output, !Contains("C4=1 ->"));
  check_fails(run_ctrtrain("inspect " + dir + " --verify"), c4 + ": ");
}

TEST_CASE("a dataset of format 2 still inspects and verifies, with a warning that it is unchecked", "[inspect]") {
  ScratchDir tmp("inspect-verify-legacy");
  const std::string dir = copy_dataset(tmp, "d");
  edit_meta(
      dir, [](std::string& t) { t.replace(t.find("\"format_version\": 4"), 19, "\"format_version\": 2"); }, false);
  auto r = run_ctrtrain("inspect " + dir + " --verify");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Contains("is unchecked: it has no checksums") && Contains("re-run ctrtrain preprocess to get "
                                                                                 "the checks"));
  CHECK_THAT(r.output, Contains("(format 2, unchecked: no checksums") && Contains("verify: OK"));
  // What needs no checksum is still checked: a split's rows against its shards', before training.
  edit_meta(
      dir,
      [](std::string& t) {
        set_value_after(t, "\"splits\"", "rows", std::to_string(number_after(t, "\"splits\"", "rows") + 100));
      },
      false);
  check_fails(run_ctrtrain(train_args(tmp, dir, "run")), "meta.json: the train split has");
}
