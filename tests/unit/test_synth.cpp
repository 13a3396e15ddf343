// Unit tests for the synthetic data generator: value shapes, determinism, cardinality bounds,
// positive rates, compressed outputs, and that the teacher's labels carry learnable signal.
#include <catch2/catch.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "io/byte_source.h"
#include "synth/row_sampler.h"
#include "synth/synth.h"
#include "synth/synth_schema.h"
#include "synth/teacher.h"
#include "synth/text_format.h"
#include "support/test_util.h"

using namespace ctr;

namespace {

class StringSink : public ByteSink {
 public:
  void write(const char* d, size_t n) override { text.append(d, n); }
  void close() override {}
  std::string text;
};

SynthOptions options(DatasetKind kind, uint64_t rows, uint64_t seed = 1, double scale = 1.0) {
  SynthOptions o;
  o.dataset = kind;
  o.rows = rows;
  o.seed = seed;
  o.vocab_scale = scale;
  return o;
}

std::string synth(const SynthOptions& o) {
  StringSink s;
  SynthStats st = synth_write(o, s);
  CHECK(st.rows == o.rows);
  CHECK(st.bytes == s.text.size());
  return s.text;
}

using Table = std::vector<std::vector<std::string>>;

Table criteo_table(uint64_t rows, uint64_t seed = 1, double scale = 1.0) {
  return ctr::test::split_table(synth(options(DatasetKind::criteo, rows, seed, scale)), '\t', false);
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

double positive_rate(const Table& rows, size_t label_col) {
  double pos = 0;
  for (const auto& r : rows) pos += r[label_col] == "1";
  return pos / rows.size();
}

// The teacher's own logit against labels drawn from it, as synth_write draws them.
double teacher_auc(DatasetKind kind, int rows) {
  SynthSchema schema = make_synth_schema(options(kind, rows));
  Teacher teacher(schema, 1);
  RowSampler sampler(schema);
  SynthRow row = sampler.make_row();
  Rng rng(42);
  std::vector<std::pair<double, int>> scored;
  for (int i = 0; i < rows; ++i) {
    sampler.draw(rng, row);
    double z = teacher.logit(row);
    scored.emplace_back(z, rng.unit() < 1.0 / (1.0 + std::exp(-z)));
  }
  std::sort(scored.begin(), scored.end());
  double pos = 0, neg = 0, rank_sum = 0;
  for (size_t i = 0; i < scored.size(); ++i) {
    if (scored[i].second) {
      rank_sum += i + 1;
      ++pos;
    } else {
      ++neg;
    }
  }
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

}  // namespace

TEST_CASE("hand-rolled formatting matches the obvious one", "[synth]") {
  char buf[32];
  for (uint32_t v : {0u, 9u, 10u, 0xdeadbeefu, 0x0123abcdu, 0xffffffffu})
    CHECK(std::string(buf, put_hex8(buf, v)) == fmt::format("{:08x}", v));
  for (uint64_t v : {0ull, 7ull, 10ull, 99ull, 100ull, 12345ull, 1000000ull, ULLONG_MAX})
    CHECK(std::string(buf, put_u64(buf, v)) == std::to_string(v));
  for (int64_t v : {int64_t{-1}, int64_t{-10}, int64_t{-123}, int64_t{LLONG_MIN}, int64_t{LLONG_MAX}})
    CHECK(std::string(buf, put_i64(buf, v)) == std::to_string(v));
}

TEST_CASE("criteo rows have the raw shape and the real missing rates", "[synth]") {
  auto rows = criteo_table(20000);
  REQUIRE(rows.size() == 20000);
  size_t missing_i1 = 0, missing_i12 = 0, missing_c22 = 0, missing_c19 = 0;
  std::vector<int64_t> i1;
  for (const auto& r : rows) {
    REQUIRE(r.size() == 40);
    REQUIRE((r[0] == "0" || r[0] == "1"));
    for (int d = 1; d <= 13; ++d) REQUIRE((r[d].empty() || is_int(r[d])));
    for (int c = 14; c < 40; ++c) REQUIRE((r[c].empty() || is_hex8(r[c])));
    missing_i1 += r[1].empty();
    missing_i12 += r[12].empty();
    missing_c19 += r[13 + 19].empty();
    missing_c22 += r[13 + 22].empty();
    if (!r[1].empty()) i1.push_back(std::stoll(r[1]));
  }
  CHECK(missing_i1 / 20000.0 == Approx(0.45).margin(0.02));
  CHECK(missing_i12 / 20000.0 == Approx(0.77).margin(0.02));
  CHECK(missing_c19 / 20000.0 == Approx(0.44).margin(0.02));
  CHECK(missing_c22 / 20000.0 == Approx(0.76).margin(0.02));
  // Dense counts are mostly small with a long tail, like the real I1 (median 1).
  std::sort(i1.begin(), i1.end());
  CHECK(i1[i1.size() / 2] <= 2);
  CHECK(i1.back() >= 100);
}

TEST_CASE("avazu rows have the header and the raw shape", "[synth]") {
  std::string text = synth(options(DatasetKind::avazu, 5000));
  CHECK(text.rfind("id,click,hour,C1,banner_pos,site_id,site_domain,site_category,app_id,app_domain,"
                   "app_category,device_id,device_ip,device_model,device_type,device_conn_type,"
                   "C14,C15,C16,C17,C18,C19,C20,C21\n", 0) == 0);
  auto rows = ctr::test::split_table(text, ',', true);
  REQUIRE(rows.size() == 5000);
  std::set<std::string> hours;
  for (const auto& r : rows) {
    REQUIRE(r.size() == 24);
    REQUIRE(is_int(r[0]));
    REQUIRE((r[1] == "1" || r[1] == "0"));
    REQUIRE(r[2].size() == 8);
    hours.insert(r[2]);
    for (int c = 5; c <= 13; ++c) REQUIRE(is_hex8(r[c]));  // site_id .. device_model
    for (int c : {3, 4, 14, 15}) REQUIRE(is_int(r[c]));    // C1, banner_pos, device_type, conn_type
    for (int c = 16; c < 24; ++c) REQUIRE(is_int(r[c]));   // C14 .. C21
  }
  CHECK(hours.size() == 240);  // hours are uniform: ~21 rows each
  CHECK(*hours.begin() == "14102100");
  CHECK(*hours.rbegin() == "14103023");
}

TEST_CASE("the same seed gives the same bytes, another seed other bytes", "[synth]") {
  for (auto kind : {DatasetKind::criteo, DatasetKind::avazu}) {
    std::string a = synth(options(kind, 3000, 5)), b = synth(options(kind, 3000, 5));
    std::string c = synth(options(kind, 3000, 6));
    CHECK(a == b);
    CHECK(a != c);
  }
}

TEST_CASE("the bytes do not depend on the thread count", "[synth]") {
  // Rows are generated in blocks on a thread pool; each block has its own stream, so 1, 2 and 7
  // threads must write the same file. 20000 rows span three blocks, the last one partial.
  ctr::SynthOptions o;
  o.rows = 20000;
  o.vocab_scale = 0.001;
  o.seed = 3;
  std::string first;
  for (int threads : {1, 2, 7}) {
    o.threads = threads;
    const std::string text = synth(o);
    if (first.empty()) first = text;
    CHECK(text == first);
  }
  CHECK(std::count(first.begin(), first.end(), '\n') == 20000);
}

TEST_CASE("distinct values stay within the scaled cardinality", "[synth]") {
  const double scale = 0.001;
  auto rows = criteo_table(200000, 2, scale);
  SynthSchema s = make_synth_schema(options(DatasetKind::criteo, 1, 1, scale));
  CHECK(s.cat[8].cardinality == 2);  // C9: 3 real values * 0.001 -> the floor of 2
  for (size_t f = 0; f < 26; ++f) {
    std::set<std::string> seen;
    for (const auto& r : rows) seen.insert(r[14 + f]);
    INFO("field C" << f + 1);
    CHECK(seen.size() <= s.cat[f].cardinality);
    if (s.cat[f].cardinality <= 30) CHECK(seen.size() == s.cat[f].cardinality);
  }
  CHECK(s.cat[2].cardinality == 10131);  // C3 from 10131227
}

TEST_CASE("small fields show all their real values, missing included", "[synth]") {
  auto rows = criteo_table(200000, 3);
  const PublicDataset& real = public_dataset(DatasetKind::criteo);
  int small_fields = 0;
  for (size_t f = 0; f < 26; ++f) {
    if (real.reference_cardinalities[f] > 30) continue;
    std::set<std::string> seen;
    for (const auto& r : rows) seen.insert(r[14 + f]);
    INFO("field C" << f + 1);
    CHECK(seen.size() == real.reference_cardinalities[f]);  // e.g. C9: 3, C20: 3 ids + missing
    ++small_fields;
  }
  CHECK(small_fields == 7);  // C6, C9, C14, C17, C20, C22, C23
}

TEST_CASE("bad options are usage errors", "[synth]") {
  StringSink sink;
  CHECK_THROWS_AS(synth_write(options(DatasetKind::criteo, 0), sink), UsageError);
  CHECK_THROWS_AS(synth_write(options(DatasetKind::criteo, 10, 1, 0.0), sink), UsageError);
  CHECK_THROWS_AS(synth_write(options(DatasetKind::criteo, 10, 1, -1.0), sink), UsageError);
  CHECK_THROWS_AS(synth_write(options(DatasetKind::criteo, 10, 1, std::nan("")), sink), UsageError);
}

TEST_CASE("positive rates match the real datasets", "[synth]") {
  CHECK(positive_rate(criteo_table(100000, 3), 0) == Approx(0.2562).margin(0.01));
  auto avazu = ctr::test::split_table(synth(options(DatasetKind::avazu, 100000, 3)), ',', true);
  CHECK(positive_rate(avazu, 1) == Approx(0.1698).margin(0.01));
}

TEST_CASE("labels depend on the ids: the teacher's signal is there", "[synth]") {
  auto rows = criteo_table(200000, 4, 0.01);
  double overall = positive_rate(rows, 0);
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

TEST_CASE("the teacher ranks its own labels about as well as good models rank real clicks", "[synth]") {
  double criteo = teacher_auc(DatasetKind::criteo, 100000), avazu = teacher_auc(DatasetKind::avazu, 100000);
  INFO("criteo " << criteo << ", avazu " << avazu);
  CHECK(criteo > 0.77);
  CHECK(criteo < 0.84);
  CHECK(avazu > 0.76);
  CHECK(avazu < 0.84);
}

TEST_CASE("gz and zst outputs decompress to the plain bytes", "[synth]") {
  ctr::test::ScratchDir tmp("synth-compress");
  SynthOptions o = options(DatasetKind::avazu, 5000, 9);
  std::string plain = synth(o);
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
