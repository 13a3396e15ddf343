// Tests of preprocess --split day (each input a day, the last one test) and --valid-day-half
// (MLPerf's halves of the last day): exact row counts and order, thread independence, and the
// option errors.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "preprocess/preprocess.h"
#include "reader/dataset_split.h"
#include "shard/shard_reader.h"
#include "synth/synth_files.h"
#include "support/test_util.h"

using namespace ctr;
using Catch::Matchers::Contains;
using ctr::test::error_of;
using ctr::test::ScratchDir;

namespace {

// Three day files of 1000, 1000 and 1001 rows (the last odd, so its halves differ by one).
std::vector<std::string> make_days(const ScratchDir& tmp) {
  SynthOptions o;
  o.dataset = DatasetKind::criteo1tb;
  o.vocab_scale = 1e-4;
  o.threads = 2;
  std::vector<std::string> paths;
  for (uint64_t d = 0; d < 3; ++d) {
    o.day = d;
    o.rows = d == 2 ? 1001 : 1000;
    paths.push_back(synth_day_path(tmp / "raw", d, Compression::gzip));
    synth_to_file(o, paths.back(), Compression::gzip);
  }
  return paths;
}

PreprocessOptions day_options(const std::vector<std::string>& inputs, const std::string& out, bool half) {
  PreprocessOptions p;
  p.inputs = inputs;
  p.output = out;
  p.split = SplitMode::day;
  p.valid_day_half = half;
  p.progress = false;
  p.threads = 2;
  return p;
}

// The labels of a split, in row order.
std::vector<float> labels(const std::string& dir, const DatasetMeta& m, const std::string& split) {
  std::vector<float> out;
  for (const auto& p : split_shard_paths(dir, m, split)) {
    ShardReader r(p);
    RowBlock g;
    for (size_t i = 0; i < r.num_groups(); ++i) {
      r.read_group(i, g);
      out.insert(out.end(), g.labels.begin(), g.labels.end());
    }
  }
  return out;
}

// The labels of a raw file, in order.
std::vector<float> raw_labels(const std::string& text) {
  std::vector<float> out;
  for (const auto& row : ctr::test::split_table(text, '\t', false)) out.push_back(row.at(0) == "1" ? 1.0f : 0.0f);
  return out;
}

}  // namespace

TEST_CASE("split by day: every day but the last is train, the last is test, in file order", "[preprocess]") {
  ScratchDir tmp("pp-days");
  const auto days = make_days(tmp);
  const DatasetMeta m = run_preprocess(day_options(days, tmp / "out", false)).meta;
  CHECK(m.train.rows == 2000);
  CHECK(m.valid.rows == 0);
  CHECK(m.test.rows == 1001);
  CHECK(m.options.split == "day");
  CHECK(m.options.test_ratio == Approx(1001.0 / 3001.0));
  SynthOptions o;
  o.dataset = DatasetKind::criteo1tb;
  o.vocab_scale = 1e-4;
  o.day = 2;
  o.rows = 1001;
  synth_to_file(o, tmp / "day2.txt", Compression::none);
  CHECK(labels(tmp / "out", m, "test") == raw_labels(ctr::test::read_file(tmp / "day2.txt")));
}

TEST_CASE("valid day half: the last day's first half (rounded up) is valid, the rest test", "[preprocess]") {
  ScratchDir tmp("pp-days-half");
  const auto days = make_days(tmp);
  const DatasetMeta m = run_preprocess(day_options(days, tmp / "out", true)).meta;
  CHECK(m.train.rows == 2000);
  CHECK(m.valid.rows == 501);
  CHECK(m.test.rows == 500);
  CHECK(m.options.split == "day-valid-half");
  SynthOptions o;
  o.dataset = DatasetKind::criteo1tb;
  o.vocab_scale = 1e-4;
  o.day = 2;
  o.rows = 1001;
  synth_to_file(o, tmp / "day2.txt", Compression::none);
  const std::vector<float> last = raw_labels(ctr::test::read_file(tmp / "day2.txt"));
  CHECK(labels(tmp / "out", m, "valid") == std::vector<float>(last.begin(), last.begin() + 501));
  CHECK(labels(tmp / "out", m, "test") == std::vector<float>(last.begin() + 501, last.end()));
  // The same bytes on one thread.
  PreprocessOptions one = day_options(days, tmp / "one", true);
  one.threads = 1;
  run_preprocess(one);
  for (const char* split : {"train", "valid", "test"})
    for (const auto& p : split_shard_paths(tmp / "out", m, split)) {
      const std::string rel = std::filesystem::relative(p, tmp / "out").string();
      CHECK(ctr::test::read_file(p) == ctr::test::read_file(tmp / "one" + "/" + rel));
    }
}

TEST_CASE("split by day refuses what it cannot split", "[preprocess]") {
  ScratchDir tmp("pp-days-bad");
  const auto days = make_days(tmp);
  CHECK_THAT(error_of([&] { run_preprocess(day_options({days[0]}, tmp / "o", false)); }),
             Contains("needs at least 2 inputs (got 1)"));
  PreprocessOptions ratio = day_options(days, tmp / "o", false);
  ratio.test_ratio = 0.1;
  CHECK_THAT(error_of([&] { run_preprocess(ratio); }), Contains("--test-ratio and --valid-ratio cannot be combined"));
  PreprocessOptions half = day_options(days, tmp / "o", true);
  half.split = SplitMode::seq;
  CHECK_THAT(error_of([&] { run_preprocess(half); }), Contains("--valid-day-half splits the last day of --split day"));
  // What `ls day_*` gives for 11 days: day_10 before day_2.
  std::filesystem::copy_file(days[2], tmp / "raw/day_10.gz");
  CHECK_THAT(error_of([&] {
               run_preprocess(day_options({days[0], days[1], tmp / "raw/day_10.gz", days[2]}, tmp / "o", false));
             }),
             Contains("input 4 ('" + days[2] + "') comes after '" + (tmp / "raw/day_10.gz") + "', but is not a later day"));
  CHECK_FALSE(std::filesystem::exists(tmp / "o"));
}

namespace {

// Every file of a dataset directory, by relative path, with its bytes.
std::map<std::string, std::string> dataset_files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      out[std::filesystem::relative(e.path(), dir).string()] = ctr::test::read_file(e.path().string());
  return out;
}

// Four days of 30000 rows (about 7 MB of text each: two 4 MiB chunks), plain text, so that a
// bad line can be put in.
std::vector<std::string> make_big_days(const ScratchDir& tmp) {
  SynthOptions o;
  o.dataset = DatasetKind::criteo1tb;
  o.vocab_scale = 1e-3;
  o.threads = 2;
  o.rows = 30000;
  std::vector<std::string> paths;
  for (uint64_t d = 0; d < 4; ++d) {
    o.day = d;
    paths.push_back(tmp / ("big/day_" + std::to_string(d)));
    std::filesystem::create_directories(tmp / "big");
    synth_to_file(o, paths.back(), Compression::none);
  }
  return paths;
}

// Replaces line `line` (1-based) of `path` with a row that has too few columns.
void break_line(const std::string& path, size_t line) {
  std::string text = ctr::test::read_file(path);
  size_t at = 0;
  for (size_t i = 1; i < line; ++i) at = text.find('\n', at) + 1;
  const size_t end = text.find('\n', at);
  text.replace(at, end - at, "1\t2\t3");
  ctr::test::write_file(path, text);
}

}  // namespace

TEST_CASE("day files are counted on parallel lanes, and the output is the same on any number of threads",
          "[preprocess]") {
  ScratchDir tmp("pp-days-lanes");
  const auto days = make_big_days(tmp);
  std::map<std::string, std::string> first;
  for (int threads : {1, 2, 3, 5}) {
    INFO(threads << " threads");
    PreprocessOptions o = day_options(days, tmp / ("out" + std::to_string(threads)), true);
    o.threads = threads;
    o.min_count = 2;
    const DatasetMeta m = run_preprocess(o).meta;
    CHECK(m.train.rows == 90000);
    CHECK(m.valid.rows == 15000);
    REQUIRE(m.inputs.size() == 4);
    CHECK(m.inputs[3].lines == 30000);
    const auto files = dataset_files(tmp / ("out" + std::to_string(threads)));
    for (const auto& [name, bytes] : files) CHECK(name.find("spill") == std::string::npos);
    if (first.empty()) first = files;
    else CHECK(files == first);
  }
}

TEST_CASE("bad rows on parallel lanes are reported as a run in file order would", "[preprocess]") {
  ScratchDir tmp("pp-days-lanes-bad");
  const auto days = make_big_days(tmp);
  break_line(days[1], 20000);
  break_line(days[3], 10);
  break_line(days[3], 29000);
  for (int threads : {1, 4}) {
    INFO(threads << " threads");
    PreprocessOptions fail = day_options(days, tmp / "fail", false);
    fail.threads = threads;
    // day_3's line 10 is likely read first with 4 lanes; day_1's line 20000 comes first in order.
    CHECK_THAT(error_of([&] { run_preprocess(fail); }), Contains(days[1] + ":20000:"));
    CHECK_FALSE(std::filesystem::exists(tmp / "fail"));
    PreprocessOptions skip = day_options(days, tmp / ("skip" + std::to_string(threads)), false);
    skip.threads = threads;
    skip.on_bad_row = BadRowPolicy::skip;
    const DatasetMeta m = run_preprocess(skip).meta;
    CHECK(m.bad_rows_total() == 3);
    CHECK(m.train.rows == 90000 - 1);
    CHECK(m.test.rows == 30000 - 2);
  }
  CHECK(dataset_files(tmp / "skip1") == dataset_files(tmp / "skip4"));
}
