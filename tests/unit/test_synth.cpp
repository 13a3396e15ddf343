// Unit tests for the synthetic data generator: value shapes, determinism, cardinality bounds,
// positive rates, compressed outputs, and that the teacher's labels carry signal.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "io/byte_source.h"
#include "synth/synth.h"
#include "synth/synth_schema.h"
#include "support/test_util.h"

using namespace ctr;

namespace {

class StringSink : public ByteSink {
 public:
  void write(const char* d, size_t n) override { text.append(d, n); }
  void close() override {}
  std::string text;
};

std::string synth(DatasetKind kind, uint64_t rows, uint64_t seed = 1, double scale = 1.0) {
  SynthOptions o;
  o.dataset = kind;
  o.rows = rows;
  o.seed = seed;
  o.vocab_scale = scale;
  StringSink s;
  SynthStats st = synth_write(o, s);
  CHECK(st.rows == rows);
  CHECK(st.bytes == s.text.size());
  return s.text;
}

bool is_hex8(const std::string& s) {
  if (s.size() != 8) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_int(const std::string& s) {
  size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

}  // namespace

TEST_CASE("criteo rows have the raw shape", "[synth]") {
  auto rows = ctr::test::split_table(synth(DatasetKind::criteo, 20000), '\t', false);
  REQUIRE(rows.size() == 20000);
  size_t missing_i12 = 0, missing_c22 = 0;
  for (const auto& r : rows) {
    REQUIRE(r.size() == 40);
    REQUIRE((r[0] == "0" || r[0] == "1"));
    for (int d = 1; d <= 13; ++d) REQUIRE((r[d].empty() || is_int(r[d])));
    for (int c = 14; c < 40; ++c) REQUIRE((r[c].empty() || is_hex8(r[c])));
    missing_i12 += r[12].empty();
    missing_c22 += r[14 + 21].empty();
  }
  CHECK(missing_i12 / 20000.0 == Approx(0.77).margin(0.02));
  CHECK(missing_c22 / 20000.0 == Approx(0.76).margin(0.02));
}

TEST_CASE("avazu rows have the header and the raw shape", "[synth]") {
  std::string text = synth(DatasetKind::avazu, 5000);
  CHECK(text.rfind("id,click,hour,C1,banner_pos,site_id,", 0) == 0);
  auto rows = ctr::test::split_table(text, ',', true);
  REQUIRE(rows.size() == 5000);
  std::set<std::string> hours;
  for (const auto& r : rows) {
    REQUIRE(r.size() == 24);
    REQUIRE(is_int(r[0]));
    REQUIRE((r[1] == "0" || r[1] == "1"));
    REQUIRE(r[2].size() == 8);
    REQUIRE(r[2].rfind("1410", 0) == 0);
    hours.insert(r[2]);
    REQUIRE(is_hex8(r[5]));   // site_id
    REQUIRE(is_hex8(r[11]));  // device_id
    REQUIRE(is_int(r[16]));   // C14
  }
  CHECK(hours.size() > 200);
  CHECK(hours.size() <= 240);
  CHECK(*hours.begin() >= "14102100");
  CHECK(*hours.rbegin() <= "14103023");
}

TEST_CASE("the same seed gives the same bytes; another seed other bytes", "[synth]") {
  for (auto kind : {DatasetKind::criteo, DatasetKind::avazu}) {
    std::string a = synth(kind, 3000, 5), b = synth(kind, 3000, 5), c = synth(kind, 3000, 6);
    CHECK(a == b);
    CHECK(a != c);
  }
}

TEST_CASE("distinct values stay within the scaled cardinality; small fields are covered", "[synth]") {
  const double scale = 0.001;
  auto rows = ctr::test::split_table(synth(DatasetKind::criteo, 200000, 2, scale), '\t', false);
  SynthOptions o;
  o.vocab_scale = scale;
  SynthSchema s = make_synth_schema(o);
  for (size_t f = 0; f < 26; ++f) {
    std::set<std::string> seen;
    for (const auto& r : rows) seen.insert(r[14 + f]);
    INFO("field C" << f + 1);
    CHECK(seen.size() <= s.cat[f].cardinality);
    if (s.cat[f].cardinality <= 30) CHECK(seen.size() == s.cat[f].cardinality);
  }
  CHECK(s.cat[8].cardinality == 2);  // C9: 3 real values * 0.001 -> the floor of 2
  CHECK_THROWS_AS(make_synth_schema([] { SynthOptions x; x.vocab_scale = 0; return x; }()), UsageError);
}

TEST_CASE("positive rates match the real datasets", "[synth]") {
  auto criteo = ctr::test::split_table(synth(DatasetKind::criteo, 100000, 3), '\t', false);
  double pos = 0;
  for (const auto& r : criteo) pos += r[0] == "1";
  CHECK(pos / criteo.size() == Approx(0.2562).margin(0.01));
  auto avazu = ctr::test::split_table(synth(DatasetKind::avazu, 100000, 3), ',', true);
  pos = 0;
  for (const auto& r : avazu) pos += r[1] == "1";
  CHECK(pos / avazu.size() == Approx(0.1698).margin(0.01));
}

TEST_CASE("labels depend on the ids: the teacher's signal is there", "[synth]") {
  auto rows = ctr::test::split_table(synth(DatasetKind::criteo, 200000, 4, 0.01), '\t', false);
  double overall = 0;
  for (const auto& r : rows) overall += r[0] == "1";
  overall /= rows.size();
  // For each field, per-value positive rates against pure binomial noise: mean squared z-score
  // is about 1 when labels ignore the field, and far above 1 when the field carries signal.
  int fields_with_signal = 0;
  for (size_t f = 0; f < 26; ++f) {
    std::map<std::string, std::pair<double, double>> by_value;
    for (const auto& r : rows) {
      auto& v = by_value[r[14 + f]];
      v.first += r[0] == "1";
      v.second += 1;
    }
    double z2 = 0;
    int n = 0;
    for (const auto& [value, c] : by_value)
      if (c.second >= 500) {
        double z = (c.first / c.second - overall) / std::sqrt(overall * (1 - overall) / c.second);
        z2 += z * z;
        ++n;
      }
    if (n >= 3 && z2 / n > 4) ++fields_with_signal;
  }
  CHECK(fields_with_signal >= 15);
}

TEST_CASE("gz and zst outputs decompress to the plain bytes", "[synth]") {
  ctr::test::ScratchDir tmp("synth-compress");
  std::string plain = synth(DatasetKind::criteo, 5000, 9);
  SynthOptions o;
  o.rows = 5000;
  o.seed = 9;
  for (auto c : {Compression::gzip, Compression::zstd}) {
    std::string path = tmp / (std::string("out.") + compression_name(c));
    auto sink = ByteSink::create(path, c);
    synth_write(o, *sink);
    sink->close();
    auto src = ByteSource::open(path);
    CHECK(src->compression() == c);
    std::string back;
    char buf[65536];
    size_t n;
    while ((n = src->read(buf, sizeof buf)) > 0) back.append(buf, n);
    CHECK(back == plain);
  }
}
