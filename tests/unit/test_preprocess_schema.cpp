// Tests of run_preprocess with schemas: a user's layout (header, quoting, missing values, an
// ignored column, per-column transforms) against figures counted independently, the built-in
// layouts' output unchanged byte for byte, and the errors a wrong layout gets.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "preprocess/preprocess.h"
#include "preprocess/vocab_io.h"
#include "reader/dataset_split.h"
#include "shard/shard_reader.h"
#include "support/test_util.h"

using namespace ctr;
using Catch::Matchers::Contains;
using ctr::test::error_of;
using ctr::test::ScratchDir;
namespace fs = std::filesystem;

namespace {

std::string clicks_schema_file() { return ctr::test::source_dir() + "/configs/schemas/example_clicks.yaml"; }

PreprocessOptions options(const Schema& schema, const std::string& input, const std::string& out) {
  PreprocessOptions o;
  o.schema = schema;
  o.inputs = {input};
  o.output = out;
  o.progress = false;
  o.threads = 2;
  return o;
}

// CRC32 over every output file but meta.json, in path order: path, then contents.
uint32_t output_crc(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != "meta.json") files.push_back(fs::relative(e.path(), dir).string());
  std::sort(files.begin(), files.end());
  uLong crc = crc32(0, nullptr, 0);
  for (const std::string& f : files) {
    const std::string bytes = ctr::test::read_file(dir + "/" + f);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(f.data()), static_cast<uInt>(f.size()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size()));
  }
  return static_cast<uint32_t>(crc);
}

RowBlock train_rows(const std::string& dir, const DatasetMeta& m) {
  RowBlock all(m.dense_fields.size(), m.cat_fields.size());
  for (const auto& p : split_shard_paths(dir, m, "train")) {
    ShardReader r(p);
    RowBlock g;
    for (size_t i = 0; i < r.num_groups(); ++i) {
      r.read_group(i, g);
      all.append(g, 0, g.rows());
    }
  }
  return all;
}

}  // namespace

TEST_CASE("the built-in layouts give the same bytes as before schemas existed", "[preprocess][schema]") {
  // The CRCs were taken from ctrtrain 517d28d (before schemas) on the same inputs and options,
  // with the same rule in Python's zlib: the shards and vocabulary files are unchanged.
  ScratchDir tmp("pp-golden");
  const DatasetMeta criteo = run_preprocess(options(public_dataset(DatasetKind::criteo).schema,
                                                    ctr::test::data_file("criteo_sample.txt"), tmp / "criteo"))
                                 .meta;
  CHECK(output_crc(tmp / "criteo") == 0xfadcc9e4u);
  const DatasetMeta avazu = run_preprocess(options(public_dataset(DatasetKind::avazu).schema,
                                                   ctr::test::data_file("avazu_sample.csv"), tmp / "avazu"))
                                .meta;
  CHECK(output_crc(tmp / "avazu") == 0x08deb16bu);
  CHECK(criteo.schema.name == "criteo");
  CHECK(criteo.test.rows == 16);  // Criteo's default test ratio, 0.1
  CHECK(avazu.test.rows == 18);   // Avazu's, 0.2
}

TEST_CASE("a schema of your own: header, quotes, missing values, per-column transforms", "[preprocess][schema]") {
  ScratchDir tmp("pp-clicks");
  PreprocessOptions o = options(load_schema_file(clicks_schema_file()), ctr::test::data_file("clicks_sample.csv"), tmp / "out");
  o.test_ratio = 0;  // every row in train, in file order
  const DatasetMeta m = run_preprocess(o).meta;
  // Counted independently with Python's csv module (tests/data/README.md).
  CHECK(m.dataset == "clicks");
  CHECK(m.train.rows == 300);
  CHECK(m.train.positives == 50);
  CHECK(m.cat_fields == std::vector<std::string>{"user", "ad", "city"});
  CHECK(m.distinct_values == std::vector<uint64_t>{61, 42, 6});
  CHECK(m.dense_fields == std::vector<std::string>{"price_cents", "position"});
  CHECK(m.dense_stats.min == std::vector<double>{0, 0});
  CHECK(m.dense_stats.max == std::vector<double>{49827, 10});
  // The schema's own transform for price_cents, --dense-transform's default for position.
  CHECK(m.dense_transforms() == std::vector<DenseTransform>{DenseTransform::log, DenseTransform::minmax});

  const DatasetMeta back = read_meta(tmp / "out");
  CHECK(back.schema == m.schema);
  const RowBlock rows = train_rows(tmp / "out", back);
  REQUIRE(rows.rows() == 300);
  auto value_of = [&](size_t row, size_t field) {
    std::string v;
    REQUIRE(lookup_vocab_value(tmp / "out", back, back.cat_fields[field], rows.cat[row * 3 + field], v));
    return v;
  };
  // Line 2: 100000,0,32080,3,u042,ad28,"Saint-Denis, Nord"
  CHECK(value_of(0, 2) == "Saint-Denis, Nord");
  CHECK(rows.dense[0] == Approx(std::log1p(32080.0)));
  CHECK(rows.dense[1] == Approx(3.0 / 10.0));
  // Line 7: 100005,1,34908,9,u050,"ad ""big"" sale","Nice"
  CHECK(rows.labels[5] == 1);
  CHECK(value_of(5, 1) == "ad \"big\" sale");
  CHECK(value_of(5, 2) == "Nice");
  // Line 23: 100021,0,,,u022,"ad ""big"" sale",Lyon (missing dense values count as 0)
  CHECK(rows.dense[21 * 2] == 0.0f);
  CHECK(rows.cat[21 * 3 + 1] == rows.cat[5 * 3 + 1]);
  // Line 38: 100036,0,12371,8,"",ad19,Lyon (a quoted empty value is the missing value)
  CHECK(value_of(36, 0).empty());
}

TEST_CASE("a file that is not in the schema's layout gets FILE:LINE and what was expected", "[preprocess][schema]") {
  ScratchDir tmp("pp-schema-bad");
  const Schema clicks = load_schema_file(clicks_schema_file());
  const std::string header = "event_id,clicked,price_cents,position,user,ad,city\n";
  SECTION("a header in another order") {
    ctr::test::write_file(tmp / "in.csv", "event_id,clicked,position,price_cents,user,ad,city\n1,0,2,3,u,a,c\n");
    CHECK_THAT(error_of([&] { run_preprocess(options(clicks, tmp / "in.csv", tmp / "out")); }),
               Contains("in.csv:1: header is 'event_id,clicked,position,price_cents,user,ad,city' (expected "
                        "'event_id,clicked,price_cents,position,user,ad,city', the columns of schema clicks"));
  }
  SECTION("a row with a column missing") {
    ctr::test::write_file(tmp / "in.csv", header + "1,0,2,3,u,a,c\n2,1,5,u,a,c\n");
    CHECK_THAT(error_of([&] { run_preprocess(options(clicks, tmp / "in.csv", tmp / "out")); }),
               Contains("in.csv:3: found 6 comma-separated columns (expected 7)") && Contains("--on-bad-row skip"));
    CHECK_FALSE(fs::exists(tmp / "out"));
  }
  SECTION("quoting gone wrong, skipped and counted") {
    ctr::test::write_file(tmp / "in.csv", header + "1,0,2,3,u,a,c\n2,1,5,4,\"u,a,c\n3,0,1,1,u,\"a\"b,c\n");
    PreprocessOptions o = options(clicks, tmp / "in.csv", tmp / "out");
    o.on_bad_row = BadRowPolicy::skip;
    const DatasetMeta m = run_preprocess(o).meta;
    CHECK(m.total_rows() == 1);
    const auto bad = std::find(m.bad_rows.begin(), m.bad_rows.end(), std::make_pair(std::string("bad_quoting"), uint64_t{2}));
    CHECK(bad != m.bad_rows.end());
  }
  SECTION("--vocab-from a dataset of another schema") {
    run_preprocess(options(public_dataset(DatasetKind::criteo).schema, ctr::test::data_file("criteo_sample.txt"),
                           tmp / "criteo"));
    PreprocessOptions o = options(clicks, ctr::test::data_file("clicks_sample.csv"), tmp / "out");
    o.vocab_from = tmp / "criteo";
    CHECK_THAT(error_of([&] { run_preprocess(o); }),
               Contains("holds a dataset of schema criteo (40 columns), but the input's schema is clicks (7 columns)"));
  }
}
