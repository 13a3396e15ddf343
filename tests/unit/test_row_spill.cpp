// Unit tests for the row spill of preprocess pass 1: records come back as written, in order, at
// every column width, and a cut-short or overwritten file is an error naming the file, never
// wrong rows.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>

#include "core/error.h"
#include "preprocess/row_spill.h"
#include "support/test_util.h"

using namespace ctr;
using ctr::test::ScratchDir;

namespace {

SpilledRows make_rows(size_t n, size_t nd, size_t nc, uint32_t salt) {
  SpilledRows r;
  r.rows = n;
  for (size_t i = 0; i < n; ++i) {
    r.split.push_back(static_cast<uint8_t>((i + salt) % 3));
    r.labels.push_back(static_cast<uint8_t>((i * 7 + salt) % 2));
    for (size_t d = 0; d < nd; ++d) r.dense.push_back(static_cast<int64_t>(i * 1000 + d) - 5000000000LL * (d % 2));
  }
  for (size_t f = 0; f < nc; ++f)
    for (size_t i = 0; i < n; ++i) r.ids.push_back(static_cast<uint32_t>(i * 31 + f + salt));
  return r;
}

void check_same(const SpilledRows& a, const SpilledRows& b) {
  CHECK(a.rows == b.rows);
  CHECK(a.split == b.split);
  CHECK(a.labels == b.labels);
  CHECK(a.dense == b.dense);
  CHECK(a.ids == b.ids);
}

// Every column of a record, through SpillRecordView (which checks the record first).
SpilledRows decoded(const SpillRecord& rec, size_t nd, size_t nc, const std::string& path) {
  SpillRecordView view(rec, nd, nc, path);
  SpilledRows r;
  r.rows = view.rows();
  for (size_t i = 0; i < r.rows; ++i) {
    r.split.push_back(view.split(i));
    r.labels.push_back(view.label(i) ? 1 : 0);
  }
  r.dense.resize(r.rows * nd);
  std::vector<int64_t> col(r.rows);
  for (size_t d = 0; d < nd; ++d) {
    view.dense(d, col.data());
    for (size_t i = 0; i < r.rows; ++i) r.dense[i * nd + d] = col[i];
  }
  r.ids.resize(r.rows * nc);
  for (size_t f = 0; f < nc; ++f) view.ids(f, r.ids.data() + f * r.rows);
  return r;
}

SpillRecord encoded(const SpilledRows& r, size_t nd, size_t nc) {
  SpillRecord rec;
  encode_spill_record(r, nd, nc, rec);
  return rec;
}

}  // namespace

TEST_CASE("row spill: every column width round-trips, at its bounds", "[preprocess]") {
  // One dense column and one id column per width, each holding that width's extreme values, so
  // a wrong width choice or a missing sign extension changes a value.
  const std::vector<std::vector<int64_t>> dense_cols = {
      {0, 1, -128, 127},
      {-129, 128, -32768, 32767},
      {-32769, 32768, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()},
      {int64_t{std::numeric_limits<int32_t>::min()} - 1, std::numeric_limits<int64_t>::min(),
       std::numeric_limits<int64_t>::max(), 7}};
  const std::vector<std::vector<uint32_t>> id_cols = {
      {0, 1, 255, 3}, {256, 65535, 0, 9}, {65536, (1u << 24) - 1, 5, 0}, {1u << 24, 0xffffffffu, 0, 1}};
  const size_t n = 4, nd = dense_cols.size(), nc = id_cols.size();
  SpilledRows r;
  r.rows = n;
  r.split = {0, 2, 1, 0};
  r.labels = {1, 1, 0, 0};
  for (size_t i = 0; i < n; ++i)
    for (size_t d = 0; d < nd; ++d) r.dense.push_back(dense_cols[d][i]);
  for (size_t f = 0; f < nc; ++f) r.ids.insert(r.ids.end(), id_cols[f].begin(), id_cols[f].end());

  const SpillRecord rec = encoded(r, nd, nc);
  // header 24, flags 4, dense (1+4)+(1+8)+(1+16)+(1+32), ids (1+4)+(1+8)+(1+12)+(1+16), padding 8
  CHECK(rec.bytes.size() == 24 + 4 + 64 + 44 + 8);
  CHECK(rec.rows == n);
  check_same(decoded(rec, nd, nc, "x.spill"), r);
}

TEST_CASE("row spill: records round-trip in order, damage is reported", "[preprocess]") {
  ScratchDir tmp("row-spill");
  const std::string path = tmp / "rows.spill";
  const size_t nd = 13, nc = 26;
  const SpilledRows a = make_rows(1000, nd, nc, 1), empty = make_rows(0, nd, nc, 0), b = make_rows(7, nd, nc, 9);
  uint64_t bytes = 0;
  {
    RowSpillWriter w(path);
    for (const auto* r : {&a, &empty, &b}) w.write(encoded(*r, nd, nc));
    w.close();
    bytes = w.bytes();
  }
  REQUIRE(std::filesystem::file_size(path) == bytes);
  // Record a: dense columns alternate 4 bytes (up to 999,012) and 8 (about -5e9); ids reach
  // 1000*31+26 and take 2 bytes. Record b: 2-byte and 8-byte dense columns, 1-byte ids. Per
  // record: header 24, padding 8, a width byte per column.
  const uint64_t a_bytes = 24 + 8 + nd + nc + 1000 * (1 + 7 * 4 + 6 * 8 + nc * 2);
  const uint64_t empty_bytes = 24 + 8 + nd + nc;
  const uint64_t b_bytes = 24 + 8 + nd + nc + 7 * (1 + 7 * 2 + 6 * 8 + nc * 1);
  CHECK(bytes == a_bytes + empty_bytes + b_bytes);

  SECTION("read back") {
    RowSpillReader r(path);
    CHECK(r.file_bytes() == bytes);
    SpillRecord rec;
    for (const auto* want : {&a, &empty, &b}) {
      REQUIRE(r.next(rec));
      CHECK(rec.rows == want->rows);
      check_same(decoded(rec, nd, nc, path), *want);
    }
    CHECK_FALSE(r.next(rec));
    CHECK(r.bytes_read() == bytes);
  }
  SECTION("a cut-short file") {
    std::filesystem::resize_file(path, bytes - 5);
    RowSpillReader r(path);
    SpillRecord rec;
    REQUIRE(r.next(rec));
    REQUIRE(r.next(rec));
    CHECK_THROWS_WITH([&] { r.next(rec); }(), Catch::Contains(path) && Catch::Contains("ends early"));
  }
  SECTION("an overwritten record header") {
    std::string text = ctr::test::read_file(path);
    text[0] = 'x';
    ctr::test::write_file(path, text);
    RowSpillReader r(path);
    SpillRecord rec;
    CHECK_THROWS_WITH([&] { r.next(rec); }(), Catch::Contains(path) && Catch::Contains("damaged record header"));
  }
  SECTION("an overwritten width or flags byte is caught before any column is read") {
    const size_t flags_at = 24, first_width_at = 24 + 1000;
    for (size_t at : {flags_at, first_width_at}) {
      std::string text = ctr::test::read_file(path);
      text[at] = 9;
      ctr::test::write_file(path, text);
      RowSpillReader r(path);
      SpillRecord rec;
      REQUIRE(r.next(rec));
      CHECK_THROWS_WITH(SpillRecordView(rec, nd, nc, path),
                        Catch::Contains(path) && Catch::Contains("damaged record at byte 0"));
    }
  }
  SECTION("records whose arrays disagree with the row count are a bug, caught before writing") {
    SpilledRows bad = make_rows(3, nd, nc, 0);
    bad.ids.pop_back();
    SpillRecord rec;
    CHECK_THROWS_AS(encode_spill_record(bad, nd, nc, rec), Error);
  }
  SECTION("an unwritable place is an error naming it") {
    CHECK_THROWS_WITH([&] { RowSpillWriter w(tmp / "no/such/dir/rows.spill"); }(),
                      Catch::Contains("no/such/dir/rows.spill") && Catch::Contains("cannot create"));
  }
}
