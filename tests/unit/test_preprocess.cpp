// Tests of run_preprocess on real samples and crafted inputs: exact vocabularies, id -> value
// round trips, bad-row policies, determinism, --vocab-from, compressed inputs, splits.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <sstream>

#include "core/error.h"
#include "io/byte_sink.h"
#include "preprocess/preprocess.h"
#include "preprocess/vocab_io.h"
#include "reader/dataset_split.h"
#include "shard/shard_reader.h"
#include "support/test_util.h"

using namespace ctr;
using ctr::test::ScratchDir;
namespace fs = std::filesystem;

namespace {

PreprocessOptions options(DatasetKind kind, std::vector<std::string> inputs, std::string out) {
  PreprocessOptions o;
  o.schema = public_dataset(kind).schema;
  o.inputs = std::move(inputs);
  o.output = std::move(out);
  o.progress = false;
  o.threads = 2;
  return o;
}

RowBlock read_split(const std::string& dir, const DatasetMeta& m, const std::string& split) {
  RowBlock all(m.dense_fields.size(), m.cat_fields.size());
  for (const auto& p : split_shard_paths(dir, m, split)) {
    ShardReader r(p);
    RowBlock g;
    for (size_t i = 0; i < r.num_groups(); ++i) {
      r.read_group(i, g);
      all.append(g, 0, g.rows());
    }
  }
  return all;
}

std::string sample_lines(size_t n) {
  std::istringstream in(ctr::test::read_file(ctr::test::data_file("criteo_sample.txt")));
  std::string line, out;
  for (size_t i = 0; i < n && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

}  // namespace

TEST_CASE("criteo sample: exact vocabularies, ids map back to raw values", "[preprocess]") {
  ScratchDir tmp("pp-criteo");
  PreprocessOptions o = options(DatasetKind::criteo, {ctr::test::data_file("criteo_sample.txt")}, tmp / "out");
  o.test_ratio = 0;  // everything in train, in file order, so rows line up with the raw file
  PreprocessSummary s = run_preprocess(o);
  const DatasetMeta& m = s.meta;
  const std::vector<uint64_t> expected = {27, 92, 172, 157, 12, 7, 183, 19, 2, 142, 173, 170, 166,
                                          14, 170, 168, 9, 127, 44, 4, 169, 6, 10, 125, 20, 90};
  CHECK(m.distinct_values == expected);
  for (size_t f = 0; f < expected.size(); ++f) CHECK(m.vocab_sizes[f] == expected[f] + 1);
  CHECK(m.train.rows == 200);
  CHECK(m.train.positives == 49);
  CHECK(m.test.rows == 0);
  CHECK(m.dense_stats.min[1] == -1);
  CHECK(m.dense_stats.max[4] == 507333);

  // meta.json round trip
  DatasetMeta back = read_meta(tmp / "out");
  CHECK(back.vocab_sizes == m.vocab_sizes);
  CHECK(back.train.shards == m.train.shards);

  ThreadPool pool(2);
  std::vector<FieldVocab> vocab = load_vocab_dir(tmp / "out", back, pool);
  RowBlock rows = read_split(tmp / "out", back, "train");
  auto raw = ctr::test::split_table(ctr::test::read_file(ctr::test::data_file("criteo_sample.txt")), '\t', false);
  REQUIRE(rows.rows() == raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    CHECK(rows.labels[i] == std::stof(raw[i][0]));
    for (size_t d = 0; d < 13; ++d) {
      double x = raw[i][1 + d].empty() ? 0.0 : std::stod(raw[i][1 + d]);
      double lo = m.dense_stats.min[d], hi = m.dense_stats.max[d];
      CHECK(rows.dense[i * 13 + d] == Approx(hi > lo ? (x - lo) / (hi - lo) : 0.0).margin(1e-6));
    }
    for (size_t f = 0; f < 26; ++f) {
      uint32_t id = rows.cat[i * 26 + f];
      REQUIRE(id < back.oov_id(f));
      std::string value;
      REQUIRE(lookup_vocab_value(tmp / "out", back, back.cat_fields[f], id, value));
      CHECK(value == raw[i][14 + f]);
      CHECK(vocab[f].id_of(VocabKey::of(raw[i][14 + f])) == id);  // and the loaded vocabulary agrees
    }
  }
  std::string value;
  CHECK(lookup_vocab_value(tmp / "out", back, "C9", 1, value));
  CHECK(!value.empty());
}

TEST_CASE("avazu sample: exact vocabularies and labels", "[preprocess]") {
  ScratchDir tmp("pp-avazu");
  PreprocessOptions o = options(DatasetKind::avazu, {ctr::test::data_file("avazu_sample.csv")}, tmp / "out");
  o.test_ratio = 0;
  DatasetMeta m = run_preprocess(o).meta;
  const std::vector<uint64_t> expected = {1, 3, 2, 22, 21, 7, 19, 6, 6, 11, 98, 72, 3, 3, 39, 2, 2, 25, 3, 10, 18, 12};
  CHECK(m.distinct_values == expected);
  CHECK(m.train.rows == 100);
  CHECK(m.train.positives == 20);
  CHECK(m.dense_fields.empty());
  RowBlock rows = read_split(tmp / "out", m, "train");
  auto raw = ctr::test::split_table(ctr::test::read_file(ctr::test::data_file("avazu_sample.csv")), ',', true);
  for (size_t i = 0; i < raw.size(); ++i)
    for (size_t f = 0; f < 22; ++f) {
      std::string value;
      REQUIRE(lookup_vocab_value(tmp / "out", m, m.cat_fields[f], rows.cat[i * 22 + f], value));
      CHECK(value == raw[i][2 + f]);
    }
}

TEST_CASE("bad rows: fail stops with FILE:LINE and leaves no output, skip counts per kind", "[preprocess]") {
  ScratchDir tmp("pp-bad");
  std::string good = sample_lines(20);
  std::string bad_label = "7" + sample_lines(1).substr(1);
  std::string short_row = "1\t2\t3\n";
  std::string bad_dense = "1\tx" + sample_lines(1).substr(sample_lines(1).find('\t', 2));
  std::string long_field = sample_lines(1);
  long_field.insert(long_field.rfind('\t') + 1, std::string(70, 'f'));
  std::string bad_byte = sample_lines(1);
  bad_byte.insert(bad_byte.rfind('\t') + 1, "\x7f");
  std::string input = good + bad_label + short_row + bad_dense + long_field + bad_byte + good;
  ctr::test::write_file(tmp / "bad.txt", input);

  SECTION("fail") {
    PreprocessOptions o = options(DatasetKind::criteo, {tmp / "bad.txt"}, tmp / "out");
    CHECK_THROWS_WITH(run_preprocess(o), Catch::Contains("bad.txt:21: column 1 (label): label '7'") &&
                                             Catch::Contains("--on-bad-row skip"));
    CHECK_FALSE(fs::exists(tmp / "out"));
    for (const auto& e : fs::directory_iterator(tmp.path()))  // no staging leftovers either
      CHECK(e.path().filename().string().find("out") == std::string::npos);
  }
  SECTION("skip") {
    PreprocessOptions o = options(DatasetKind::criteo, {tmp / "bad.txt"}, tmp / "out");
    o.on_bad_row = BadRowPolicy::skip;
    DatasetMeta m = run_preprocess(o).meta;
    CHECK(m.train.rows + m.test.rows == 40);
    std::map<std::string, uint64_t> bad(m.bad_rows.begin(), m.bad_rows.end());
    CHECK(bad["bad_label"] == 1);
    CHECK(bad["column_count"] == 1);
    CHECK(bad["bad_dense"] == 1);
    CHECK(bad["field_too_long"] == 1);
    CHECK(bad["invalid_bytes"] == 1);
    CHECK(m.bad_rows_total() == 5);
    CHECK(read_meta(tmp / "out").bad_rows_total() == 5);
  }
}

TEST_CASE("same seed gives identical shards, whatever the thread count", "[preprocess]") {
  ScratchDir tmp("pp-determinism");
  std::string input;
  for (int i = 0; i < 120; ++i) input += sample_lines(200);  // 24000 rows, 6 MB: two 4 MB chunks
  ctr::test::write_file(tmp / "in.txt", input);
  auto run = [&](const std::string& out, int threads, uint64_t seed) {
    PreprocessOptions o = options(DatasetKind::criteo, {tmp / "in.txt"}, tmp / out);
    o.threads = threads;
    o.seed = seed;
    o.shard_rows = 1000;
    o.group_rows = 300;
    return run_preprocess(o).meta;
  };
  DatasetMeta a = run("a", 1, 7), b = run("b", 4, 7), c = run("c", 2, 8);
  REQUIRE(a.train.shards == b.train.shards);
  CHECK(a.train.shards.size() == (a.train.rows + 999) / 1000);
  for (const auto& rel : a.train.shards)
    CHECK(ctr::test::read_file(tmp / ("a/" + rel)) == ctr::test::read_file(tmp / ("b/" + rel)));
  CHECK(ctr::test::read_file(tmp / "a/meta.json") == ctr::test::read_file(tmp / "b/meta.json"));
  for (const auto& e : fs::recursive_directory_iterator(tmp / "a"))  // pass 1's row spill is gone
    CHECK(e.path().filename().string().find("spill") == std::string::npos);
  CHECK(a.test.rows != c.test.rows);  // another seed, another split (24000 rows: equal is ~0.5% likely)
}

TEST_CASE("vocab-from keeps ids, unseen values map to OOV", "[preprocess]") {
  ScratchDir tmp("pp-vocab-from");
  ctr::test::write_file(tmp / "first.txt", sample_lines(100));
  std::string all = sample_lines(200);
  ctr::test::write_file(tmp / "all.txt", all);
  PreprocessOptions o = options(DatasetKind::criteo, {tmp / "first.txt"}, tmp / "base");
  o.test_ratio = 0;
  DatasetMeta base = run_preprocess(o).meta;
  PreprocessOptions o2 = options(DatasetKind::criteo, {tmp / "all.txt"}, tmp / "enc");
  o2.test_ratio = 0;
  o2.vocab_from = tmp / "base";
  DatasetMeta enc = run_preprocess(o2).meta;
  CHECK(enc.vocab_sizes == base.vocab_sizes);
  CHECK(enc.dense_stats.max == base.dense_stats.max);
  CHECK(enc.options.vocab_from == tmp / "base");

  RowBlock b = read_split(tmp / "base", base, "train");
  RowBlock e = read_split(tmp / "enc", enc, "train");
  REQUIRE(e.rows() == 200);
  for (size_t i = 0; i < b.cat.size(); ++i) REQUIRE(e.cat[i] == b.cat[i]);  // first 100 rows: same ids
  size_t oov = 0;
  for (size_t i = 100 * 26; i < e.cat.size(); ++i) oov += e.cat[i] == enc.oov_id(i % 26);
  CHECK(oov > 100);  // the second half has many values the first half never saw
  // The new directory is self-contained: it can serve as --vocab-from itself.
  ThreadPool pool(1);
  CHECK(load_vocab_dir(tmp / "enc", enc, pool).size() == 26);
}

TEST_CASE("values longer than 8 bytes go through counting, the spill, the vocabulary and --vocab-from", "[preprocess]") {
  // Values of up to 8 bytes travel as one packed word; longer ones take another path at every
  // stage (a side list while counting, the table's arena, the sort's tie-break, the vocabulary
  // file, loading it back). Real Criteo values are all 8 bytes, so make some long ones: C1 gets
  // 7 values of 12 bytes, C3 values of 9 to 64 bytes, some sharing their first 8 bytes with a
  // short value in the same field.
  ScratchDir tmp("pp-long");
  auto raw = ctr::test::split_table(sample_lines(200), '\t', false);
  std::string text;
  for (size_t i = 0; i < raw.size(); ++i) {
    raw[i][14] = "long-value-" + std::to_string(i % 7);
    if (i % 3 == 0) raw[i][16] = "abcdefgh" + std::string(1 + i % 57, 'x');
    if (i % 3 == 1) raw[i][16] = "abcdefgh";
    for (size_t c = 0; c < raw[i].size(); ++c) text += (c ? "\t" : "") + raw[i][c];
    text += "\n";
  }
  ctr::test::write_file(tmp / "long.txt", text);
  PreprocessOptions o = options(DatasetKind::criteo, {tmp / "long.txt"}, tmp / "out");
  o.test_ratio = 0;
  const DatasetMeta m = run_preprocess(o).meta;
  CHECK(m.distinct_values[0] == 7);

  ThreadPool pool(2);
  std::vector<FieldVocab> vocab = load_vocab_dir(tmp / "out", m, pool);
  RowBlock rows = read_split(tmp / "out", m, "train");
  REQUIRE(rows.rows() == raw.size());
  for (size_t i = 0; i < raw.size(); ++i)
    for (size_t f : {0, 2}) {
      const uint32_t id = rows.cat[i * 26 + f];
      std::string value;
      REQUIRE(lookup_vocab_value(tmp / "out", m, m.cat_fields[f], id, value));
      CHECK(value == raw[i][14 + f]);
      CHECK(vocab[f].id_of(VocabKey::of(raw[i][14 + f])) == id);
    }
  CHECK(rows.cat[0 * 26 + 0] < rows.cat[1 * 26 + 0]);  // "long-value-0" < "long-value-1": byte order

  PreprocessOptions o2 = options(DatasetKind::criteo, {tmp / "long.txt"}, tmp / "enc");
  o2.test_ratio = 0;
  o2.vocab_from = tmp / "out";
  const DatasetMeta enc = run_preprocess(o2).meta;
  CHECK(read_split(tmp / "enc", enc, "train").cat == rows.cat);
}

TEST_CASE("gz and zst inputs, CRLF and a missing final newline give the same shards", "[preprocess]") {
  ScratchDir tmp("pp-formats");
  std::string text = sample_lines(200);
  ctr::test::write_file(tmp / "plain.txt", text);
  for (auto [name, c] : {std::pair<const char*, Compression>{"in.gz", Compression::gzip}, {"in.zst", Compression::zstd}}) {
    auto sink = ByteSink::create(tmp / name, c);
    sink->write(text.data(), text.size());
    sink->close();
  }
  std::string crlf;
  for (char ch : text) crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
  crlf.resize(crlf.size() - 2);  // no final newline
  ctr::test::write_file(tmp / "crlf.txt", crlf);

  auto shard_bytes = [&](const std::string& input, const std::string& out) {
    PreprocessOptions o = options(DatasetKind::criteo, {tmp / input}, tmp / out);
    DatasetMeta m = run_preprocess(o).meta;
    std::string all;
    for (const auto& p : split_shard_paths(tmp / out, m, "train")) all += ctr::test::read_file(p);
    return all;
  };
  std::string ref = shard_bytes("plain.txt", "p");
  CHECK(shard_bytes("in.gz", "g") == ref);
  CHECK(shard_bytes("in.zst", "z") == ref);
  CHECK(shard_bytes("crlf.txt", "c") == ref);
  CHECK(read_meta(tmp / "g").inputs.at(0).compression == "gzip");
}

TEST_CASE("splits: seq puts the last rows in test, min-count maps rare values to OOV", "[preprocess]") {
  ScratchDir tmp("pp-split");
  ctr::test::write_file(tmp / "in.txt", sample_lines(200));
  SECTION("seq") {
    PreprocessOptions o = options(DatasetKind::criteo, {tmp / "in.txt"}, tmp / "out");
    o.split = SplitMode::seq;
    DatasetMeta m = run_preprocess(o).meta;
    CHECK(m.test.rows == 29);  // round(200 / 7)
    CHECK(m.train.rows == 171);
    PreprocessOptions all = options(DatasetKind::criteo, {tmp / "in.txt"}, tmp / "all");
    all.test_ratio = 0;
    DatasetMeta ma = run_preprocess(all).meta;
    RowBlock test = read_split(tmp / "out", m, "test"), every = read_split(tmp / "all", ma, "train");
    for (size_t i = 0; i < test.cat.size(); ++i) REQUIRE(test.cat[i] == every.cat[171 * 26 + i]);
  }
  SECTION("seq with a valid split: train, then valid, then test, in file order") {
    PreprocessOptions o = options(DatasetKind::criteo, {tmp / "in.txt"}, tmp / "out");
    o.split = SplitMode::seq;
    o.test_ratio = 0.2;
    o.valid_ratio = 0.1;
    DatasetMeta m = run_preprocess(o).meta;
    CHECK(m.train.rows == 140);
    CHECK(m.valid.rows == 20);
    CHECK(m.test.rows == 40);
    CHECK(m.options.valid_ratio == 0.1);
    CHECK(read_meta(tmp / "out").valid.rows == 20);
    PreprocessOptions all = options(DatasetKind::criteo, {tmp / "in.txt"}, tmp / "all");
    all.test_ratio = 0;
    DatasetMeta ma = run_preprocess(all).meta;
    RowBlock valid = read_split(tmp / "out", m, "valid"), every = read_split(tmp / "all", ma, "train");
    for (size_t i = 0; i < valid.cat.size(); ++i) REQUIRE(valid.cat[i] == every.cat[140 * 26 + i]);
  }
  SECTION("rand with a valid split keeps the test rows a run without one has") {
    PreprocessOptions o = options(DatasetKind::criteo, {tmp / "in.txt"}, tmp / "out");
    o.test_ratio = 0.3;
    PreprocessOptions v = options(DatasetKind::criteo, {tmp / "in.txt"}, tmp / "v");
    v.test_ratio = 0.3;
    v.valid_ratio = 0.3;
    DatasetMeta m = run_preprocess(o).meta, mv = run_preprocess(v).meta;
    CHECK(mv.test.rows == m.test.rows);
    CHECK(mv.valid.rows > 35);
    CHECK(mv.valid.rows < 85);
    CHECK(mv.train.rows + mv.valid.rows == m.train.rows);
    CHECK(read_split(tmp / "out", m, "test").cat == read_split(tmp / "v", mv, "test").cat);
  }
  SECTION("rand ratio") {
    PreprocessOptions o = options(DatasetKind::criteo, {tmp / "in.txt"}, tmp / "out");
    o.test_ratio = 0.5;
    DatasetMeta m = run_preprocess(o).meta;
    CHECK(m.test.rows > 70);
    CHECK(m.test.rows < 130);
  }
  SECTION("min-count") {
    PreprocessOptions o = options(DatasetKind::criteo, {tmp / "in.txt"}, tmp / "out");
    o.min_count = 2;
    o.test_ratio = 0;
    DatasetMeta m = run_preprocess(o).meta;
    CHECK(m.vocab_sizes[8] == 3);        // C9: both values are frequent
    CHECK(m.vocab_sizes[2] < 172 + 1);   // C3: many singletons fall to OOV
    CHECK(m.distinct_values[2] == 172);
  }
}

TEST_CASE("options and outputs are checked", "[preprocess]") {
  ScratchDir tmp("pp-options");
  ctr::test::write_file(tmp / "in.txt", sample_lines(10));
  PreprocessOptions o = options(DatasetKind::criteo, {tmp / "in.txt"}, tmp / "out");
  run_preprocess(o);
  CHECK_THROWS_AS(run_preprocess(o), UsageError);  // exists
  o.overwrite = true;
  CHECK_NOTHROW(run_preprocess(o));
  PreprocessOptions missing = options(DatasetKind::criteo, {tmp / "nope.txt"}, tmp / "o2");
  CHECK_THROWS_WITH(run_preprocess(missing), Catch::Contains("nope.txt"));
  PreprocessOptions wrong = options(DatasetKind::avazu, {tmp / "in.txt"}, tmp / "o3");
  CHECK_THROWS_WITH(run_preprocess(wrong), Catch::Contains("in.txt:1: header is"));
  CHECK_FALSE(fs::exists(tmp / "o3"));
}
