// Unit tests for the row spill of preprocess pass 1: records come back as written, in order, and
// a cut-short or overwritten file is an error naming the file, never wrong rows.
#include <catch2/catch.hpp>

#include <filesystem>
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
    r.is_test.push_back(static_cast<uint8_t>((i + salt) % 3 == 0));
    r.labels.push_back(static_cast<uint8_t>((i * 7 + salt) % 2));
    for (size_t d = 0; d < nd; ++d) r.dense.push_back(static_cast<int64_t>(i * 1000 + d) - 5000000000LL * (d % 2));
    for (size_t f = 0; f < nc; ++f) r.ids.push_back(static_cast<uint32_t>(i * 31 + f + salt));
  }
  return r;
}

void check_same(const SpilledRows& a, const SpilledRows& b) {
  CHECK(a.rows == b.rows);
  CHECK(a.is_test == b.is_test);
  CHECK(a.labels == b.labels);
  CHECK(a.dense == b.dense);
  CHECK(a.ids == b.ids);
}

}  // namespace

TEST_CASE("row spill: records round-trip in order, damage is reported", "[preprocess]") {
  ScratchDir tmp("row-spill");
  const std::string path = tmp / "rows.spill";
  const size_t nd = 13, nc = 26;
  const SpilledRows a = make_rows(1000, nd, nc, 1), empty = make_rows(0, nd, nc, 0), b = make_rows(7, nd, nc, 9);
  uint64_t bytes = 0;
  {
    RowSpillWriter w(path, nd, nc);
    for (const auto* r : {&a, &empty, &b}) w.write(*r);
    w.close();
    bytes = w.bytes();
  }
  REQUIRE(std::filesystem::file_size(path) == bytes);
  CHECK(bytes == 3 * 16 + (1000 + 7) * (2 + 8 * nd + 4 * nc));

  SECTION("read back") {
    RowSpillReader r(path, nd, nc);
    CHECK(r.file_bytes() == bytes);
    SpilledRows got;
    for (const auto* want : {&a, &empty, &b}) {
      REQUIRE(r.next(got));
      check_same(got, *want);
    }
    CHECK_FALSE(r.next(got));
    CHECK(r.bytes_read() == bytes);
  }
  SECTION("a cut-short file") {
    std::filesystem::resize_file(path, bytes - 5);
    RowSpillReader r(path, nd, nc);
    SpilledRows got;
    REQUIRE(r.next(got));
    REQUIRE(r.next(got));
    CHECK_THROWS_WITH([&] { r.next(got); }(), Catch::Contains(path) && Catch::Contains("ends early"));
  }
  SECTION("an overwritten record header") {
    std::string text = ctr::test::read_file(path);
    text[0] = 'x';
    ctr::test::write_file(path, text);
    RowSpillReader r(path, nd, nc);
    SpilledRows got;
    CHECK_THROWS_WITH([&] { r.next(got); }(), Catch::Contains(path) && Catch::Contains("damaged record header"));
  }
  SECTION("records whose arrays disagree with the row count are a bug, caught before writing") {
    RowSpillWriter w(tmp / "bad.spill", nd, nc);
    SpilledRows bad = make_rows(3, nd, nc, 0);
    bad.ids.pop_back();
    CHECK_THROWS_AS([&] { w.write(bad); }(), Error);
  }
  SECTION("an unwritable place is an error naming it") {
    CHECK_THROWS_WITH([&] { RowSpillWriter w(tmp / "no/such/dir/rows.spill", nd, nc); }(),
                      Catch::Contains("no/such/dir/rows.spill") && Catch::Contains("cannot create"));
  }
}
