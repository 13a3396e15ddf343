// Unit tests for multi-day synthetic logs (synth --days): the Criteo 1TB cardinalities, day files
// that do not depend on the thread count, day 0 equal to a single file, and the daily drift.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "core/error.h"
#include "preprocess/preprocess.h"
#include "synth/synth_files.h"
#include "synth/synth_schema.h"
#include "support/test_util.h"

using namespace ctr;
using ctr::test::read_file;
using ctr::test::ScratchDir;

namespace {

SynthOptions options(DatasetKind kind, double scale, double drift = 0.02) {
  SynthOptions o;
  o.dataset = kind;
  o.seed = 5;
  o.vocab_scale = scale;
  o.daily_drift = drift;
  o.threads = 2;
  return o;
}

SynthDaysOptions days(const std::string& dir, uint64_t n, uint64_t rows, Compression c = Compression::none) {
  SynthDaysOptions d;
  d.days = n;
  d.rows_per_day = rows;
  d.dir = dir;
  d.compression = c;
  return d;
}

// Distinct values of column `col` (tab-separated text) and how often each occurs.
std::map<std::string, int> column_counts(const std::string& text, size_t col) {
  std::map<std::string, int> counts;
  for (const auto& row : ctr::test::split_table(text, '\t', false)) ++counts[row.at(col)];
  return counts;
}

double jaccard(const std::map<std::string, int>& a, const std::map<std::string, int>& b) {
  size_t both = 0;
  for (const auto& kv : a) both += b.count(kv.first);
  return double(both) / double(a.size() + b.size() - both);
}

}  // namespace

TEST_CASE("criteo1tb: the 1TB's per-field cardinalities, scaled, in Criteo's layout", "[synth]") {
  const PublicDataset& tb = public_dataset(DatasetKind::criteo1tb);
  CHECK(tb.schema == public_dataset(DatasetKind::criteo).schema);
  uint64_t total = 0;
  for (uint64_t c : tb.reference_cardinalities) total += c;
  CHECK(total == 177944275);  // docs/cowclip.md 7.4
  const SynthSchema s = make_synth_schema(options(DatasetKind::criteo1tb, 1e-4));
  CHECK(s.cat[19].cardinality == 4894);  // C20: 48,937,457
  CHECK(s.cat[0].cardinality == 4583);   // C1: 45,833,188
  CHECK(s.cat[5].cardinality == 2);      // C6: 3, at least 2
  CHECK_THROWS_AS(make_synth_schema(options(DatasetKind::criteo1tb, 50)), UsageError);  // 2.4G values in C20
}

TEST_CASE("day files: day 0 is the single file, and no file depends on the thread count", "[synth]") {
  ScratchDir tmp("synth-days");
  SynthOptions o = options(DatasetKind::criteo1tb, 1e-4);
  synth_days(o, days(tmp / "two", 3, 3000));
  o.threads = 1;
  const SynthStats total = synth_days(o, days(tmp / "one", 3, 3000));
  CHECK(total.rows == 9000);
  for (int d = 0; d < 3; ++d) {
    const std::string name = "/day_" + std::to_string(d);
    CHECK(read_file(tmp / "one" + name) == read_file(tmp / "two" + name));
  }
  CHECK(read_file(tmp / "one/day_0") != read_file(tmp / "one/day_1"));
  o.dataset = DatasetKind::criteo;  // the same layout and facts but the cardinalities
  o.rows = 3000;
  synth_to_file(o, tmp / "single.txt", Compression::none);
  SynthOptions c = options(DatasetKind::criteo, 1e-4);
  c.threads = 1;
  synth_days(c, days(tmp / "kaggle", 1, 3000));
  CHECK(read_file(tmp / "single.txt") == read_file(tmp / "kaggle/day_0"));
  CHECK_FALSE(std::filesystem::exists(tmp / "single.txt.tmp"));
}

TEST_CASE("daily drift: frequent values stay, rarer ones come and go", "[synth]") {
  ScratchDir tmp("synth-drift");
  synth_days(options(DatasetKind::criteo1tb, 2e-4, 0.05), days(tmp / "drift", 11, 20000));
  synth_days(options(DatasetKind::criteo1tb, 2e-4, 0.0), days(tmp / "still", 11, 20000));
  const size_t c1 = 1 + 13;  // C1's column: 45.8M values at full scale, 9,167 here
  const auto d0 = column_counts(read_file(tmp / "drift/day_0"), c1);
  const auto d10 = column_counts(read_file(tmp / "drift/day_10"), c1);
  const auto s10 = column_counts(read_file(tmp / "still/day_10"), c1);
  CHECK(column_counts(read_file(tmp / "still/day_0"), c1) == d0);  // day 0 drifts by nothing
  // Without drift, day 10 draws its values from the same distribution; with 5% a day, half the
  // rarer values have moved.
  const double same = jaccard(d0, s10), moved = jaccard(d0, d10);
  INFO("jaccard without drift " << same << ", with " << moved);
  CHECK(moved < same - 0.05);
  // The most frequent value is the same every day.
  auto top = [](const std::map<std::string, int>& m) {
    return std::max_element(m.begin(), m.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
  };
  CHECK(top(d0) == top(d10));
}

TEST_CASE("day files preprocess with the Criteo schema, gzip as the real ones", "[synth][preprocess]") {
  ScratchDir tmp("synth-days-pp");
  synth_days(options(DatasetKind::criteo1tb, 1e-4), days(tmp / "raw", 3, 2000, Compression::gzip));
  PreprocessOptions p;
  for (int d = 0; d < 3; ++d) p.inputs.push_back(synth_day_path(tmp / "raw", d, Compression::gzip));
  CHECK(p.inputs[2] == tmp / "raw/day_2.gz");
  p.output = tmp / "data";
  p.progress = false;
  p.threads = 2;
  const DatasetMeta m = run_preprocess(p).meta;
  CHECK(m.total_rows() == 6000);
  CHECK(m.dataset == "criteo");
  CHECK(m.inputs.at(0).compression == "gzip");
}
