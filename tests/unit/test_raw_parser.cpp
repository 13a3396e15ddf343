// Unit tests for RowParser: every bad-row kind, CRLF, missing values, Avazu header.
#include <catch2/catch.hpp>

#include <deque>
#include <string>

#include "core/error.h"
#include "dataset/public_datasets.h"
#include "preprocess/raw_parser.h"

using namespace ctr;

namespace {
std::string criteo_line(const std::string& label = "1", const std::string& i1 = "5",
                        const std::string& c1 = "05db9164") {
  std::string s = label + "\t" + i1;
  for (int i = 2; i <= 13; ++i) s += "\t" + std::to_string(i);
  s += "\t" + c1;
  for (int i = 2; i <= 26; ++i) s += "\tabcdef" + std::to_string(10 + i);
  return s;
}
// The parsed row's values are views into the line, so each line is kept alive for the whole test
// (callers pass temporaries such as criteo_line()).
bool parse(const RowParser& p, const std::string& line, ParsedRow& row, ParseFailure& f) {
  static std::deque<std::string> kept;
  const std::string& text = kept.emplace_back(line);
  return p.parse(text.data(), text.data() + text.size(), row, f);
}
}  // namespace

TEST_CASE("criteo rows parse, with missing values and CRLF", "[parser]") {
  RowParser p(public_dataset(DatasetKind::criteo).schema);
  ParsedRow row;
  p.init_row(row);
  ParseFailure f;
  SECTION("plain") {
    REQUIRE(parse(p, criteo_line(), row, f));
    CHECK(row.label == 1);
    CHECK(row.dense[0] == 5);
    CHECK(row.cat[0] == "05db9164");
    CHECK(row.cat[25] == "abcdef36");
  }
  SECTION("missing dense and categorical") {
    REQUIRE(parse(p, criteo_line("0", "", ""), row, f));
    CHECK(row.dense[0] == 0);
    CHECK(row.cat[0].empty());
  }
  SECTION("negative dense") {
    REQUIRE(parse(p, criteo_line("0", "-3"), row, f));
    CHECK(row.dense[0] == -3);
  }
  SECTION("CRLF") {
    REQUIRE(parse(p, criteo_line() + "\r", row, f));
    CHECK(row.cat[25] == "abcdef36");
  }
}

TEST_CASE("criteo bad rows are classified", "[parser]") {
  RowParser p(public_dataset(DatasetKind::criteo).schema);
  ParsedRow row;
  p.init_row(row);
  ParseFailure f;
  SECTION("column count") {
    REQUIRE_FALSE(parse(p, criteo_line() + "\textra", row, f));
    CHECK(f.kind == BadRowKind::column_count);
    CHECK(p.describe(f).find("found 41") != std::string::npos);
    REQUIRE_FALSE(parse(p, "", row, f));
    CHECK(f.kind == BadRowKind::column_count);
  }
  SECTION("label") {
    REQUIRE_FALSE(parse(p, criteo_line("2"), row, f));
    CHECK(f.kind == BadRowKind::bad_label);
    REQUIRE_FALSE(parse(p, criteo_line(""), row, f));
    CHECK(f.kind == BadRowKind::bad_label);
  }
  SECTION("non-integer dense") {
    REQUIRE_FALSE(parse(p, criteo_line("1", "1.5"), row, f));
    CHECK(f.kind == BadRowKind::bad_dense);
    CHECK(p.describe(f).find("I1") != std::string::npos);
    REQUIRE_FALSE(parse(p, criteo_line("1", "12345678901234567890"), row, f));
    CHECK(f.kind == BadRowKind::bad_dense);
  }
  SECTION("over-long field") {
    REQUIRE_FALSE(parse(p, criteo_line("1", "1", std::string(65, 'a')), row, f));
    CHECK(f.kind == BadRowKind::field_too_long);
    REQUIRE(parse(p, criteo_line("1", "1", std::string(64, 'a')), row, f));
  }
  SECTION("invalid bytes") {
    REQUIRE_FALSE(parse(p, criteo_line("1", "1", "ab\x01" "cd"), row, f));
    CHECK(f.kind == BadRowKind::invalid_bytes);
    REQUIRE_FALSE(parse(p, criteo_line("1", "1", "caf\xc3\xa9"), row, f));
    CHECK(f.kind == BadRowKind::invalid_bytes);
    CHECK(p.describe(f).find("0xc3") != std::string::npos);
    // In the last value, which the vectorised splitter scans in its scalar tail.
    std::string tail_bad = criteo_line();
    tail_bad.back() = '\x7f';
    REQUIRE_FALSE(parse(p, tail_bad, row, f));
    CHECK(f.kind == BadRowKind::invalid_bytes);
    CHECK(p.describe(f).find("C26") != std::string::npos);
    // A tab inside the first 16 bytes is a separator, never an invalid byte.
    REQUIRE(parse(p, criteo_line("0", "1"), row, f));
  }
}

TEST_CASE("avazu rows and header", "[parser]") {
  RowParser p(public_dataset(DatasetKind::avazu).schema);
  ParsedRow row;
  p.init_row(row);
  ParseFailure f;
  std::string good =
      "1000009418151094273,0,14102100,1005,0,1fbe01fe,f3845767,28905ebd,ecad2386,7801e8d9,"
      "07d7df22,a99f214a,ddd2926e,44956a24,1,2,15706,320,50,1722,0,35,-1,79";
  REQUIRE(parse(p, good, row, f));
  CHECK(row.label == 0);
  CHECK(row.cat.size() == 22);
  CHECK(row.cat[0] == "14102100");
  CHECK(row.cat[21] == "79");
  REQUIRE_FALSE(parse(p, good + ",x", row, f));
  CHECK(f.kind == BadRowKind::column_count);

  std::string header =
      "id,click,hour,C1,banner_pos,site_id,site_domain,site_category,app_id,app_domain,"
      "app_category,device_id,device_ip,device_model,device_type,device_conn_type,C14,C15,C16,"
      "C17,C18,C19,C20,C21";
  CHECK_NOTHROW(p.check_header("a.csv", header));
  CHECK_NOTHROW(p.check_header("a.csv", header + "\r"));
  CHECK_THROWS_WITH(p.check_header("a.csv", good), Catch::Contains("a.csv:1: header is"));
}

namespace {
// A layout unlike the built-ins: ';'-separated, quoted values, a header, columns in any order.
Schema quoted_schema() {
  return parse_schema_text("name: q\nseparator: ';'\nheader: true\nquote: '\"'\ncolumns:\n"
                           "  - {name: city, type: categorical}\n  - {name: n, type: dense}\n"
                           "  - {name: skip, type: ignore}\n  - {name: y, type: label}\n"
                           "  - {name: ad, type: categorical}\n",
                           "q.yaml");
}
}  // namespace

TEST_CASE("schema layouts: columns by type wherever they are, ignored columns unchecked", "[parser]") {
  RowParser p(quoted_schema());
  ParsedRow row;
  p.init_row(row);
  ParseFailure f;
  REQUIRE(parse(p, "Paris;12;\x01anything\xff;1;ad7", row, f));
  CHECK(row.label == 1);
  CHECK(row.dense[0] == 12);
  CHECK(row.cat[0] == "Paris");
  CHECK(row.cat[1] == "ad7");
  REQUIRE(parse(p, ";;;0;", row, f));  // every value missing but the label
  CHECK(row.dense[0] == 0);
  CHECK(row.cat[0].empty());
  REQUIRE_FALSE(parse(p, "Paris;12;x;1", row, f));
  CHECK(f.kind == BadRowKind::column_count);
  CHECK(p.describe(f) == "found 4 ';'-separated columns (expected 5)");
  REQUIRE_FALSE(parse(p, "Paris;12;x;yes;ad", row, f));
  CHECK(p.describe(f) == "column 4 (y): label 'yes' (expected 0 or 1)");
}

TEST_CASE("quoted values: separators and doubled quotes inside, bad quoting classified", "[parser]") {
  RowParser p(quoted_schema());
  ParsedRow row;
  p.init_row(row);
  ParseFailure f;
  SECTION("a separator inside quotes") {
    REQUIRE(parse(p, "\"Saint-Denis; Nord\";\"3\";\"x;y\";\"0\";\"\"", row, f));
    CHECK(row.cat[0] == "Saint-Denis; Nord");
    CHECK(row.dense[0] == 3);
    CHECK(row.label == 0);
    CHECK(row.cat[1].empty());
    CHECK_FALSE(row.in_unquoted(row.cat[0]));  // no rewrite needed: a view into the line
  }
  SECTION("doubled quotes stand for one, in the row's own buffer") {
    REQUIRE(parse(p, "\"say \"\"hi\"\"\";1;;1;\"\"\"\"", row, f));
    CHECK(row.cat[0] == "say \"hi\"");
    CHECK(row.cat[1] == "\"");
    CHECK(row.in_unquoted(row.cat[0]));
    CHECK(row.in_unquoted(row.cat[1]));
  }
  SECTION("a quote inside an unquoted value is taken as it is") {
    REQUIRE(parse(p, "ab\"c;1;;1;d", row, f));
    CHECK(row.cat[0] == "ab\"c");
  }
  SECTION("not closed") {
    REQUIRE_FALSE(parse(p, "\"Paris;1;;1;ad", row, f));
    CHECK(f.kind == BadRowKind::bad_quoting);
    CHECK_THAT(p.describe(f), Catch::Contains("column 1 (city): quoted value") &&
                                  Catch::Contains("is not closed before the end of the line"));
  }
  SECTION("text after the closing quote") {
    REQUIRE_FALSE(parse(p, "Paris;1;;1;\"ad\"7", row, f));
    CHECK(f.kind == BadRowKind::bad_quoting);
    CHECK_THAT(p.describe(f), Catch::Contains("column 5 (ad): text after the closing quote") &&
                                  Catch::Contains("write a quote inside a quoted value as \"\""));
  }
  SECTION("a quoted value is checked like any other") {
    REQUIRE_FALSE(parse(p, "\"" + std::string(65, 'a') + "\";1;;1;ad", row, f));
    CHECK(f.kind == BadRowKind::field_too_long);
    REQUIRE_FALSE(parse(p, "\"a\tb\";1;;1;ad", row, f));
    CHECK(f.kind == BadRowKind::invalid_bytes);
    REQUIRE_FALSE(parse(p, "a;\"1.5\";;1;ad", row, f));
    CHECK(f.kind == BadRowKind::bad_dense);
  }
}

TEST_CASE("a schema's header: names in order, quoted or not", "[parser]") {
  RowParser p(quoted_schema());
  CHECK(p.has_header());
  CHECK_NOTHROW(p.check_header("q.csv", "city;n;skip;y;ad"));
  CHECK_NOTHROW(p.check_header("q.csv", "\"city\";n;\"skip\";y;ad\r"));
  CHECK_THROWS_WITH(p.check_header("q.csv", "city;n;y;skip;ad"),
                    Catch::Contains("q.csv:1: header is 'city;n;y;skip;ad' (expected 'city;n;skip;y;ad', the "
                                    "columns of schema q in order"));
  CHECK_THROWS_WITH(p.check_header("q.csv", "\"city;n;skip;y;ad"), Catch::Contains("q.csv:1: header is"));
}
