// Unit tests for FieldVocab: counting, sorted ids, min-count OOV, growth, provisional ids,
// loading by id.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "preprocess/field_vocab.h"
#include "preprocess/vocab_io.h"

using namespace ctr;

namespace {
void add(FieldVocab& v, const std::string& s, bool train = true) { v.add(VocabKey::of(s), train); }
uint32_t id(const FieldVocab& v, const std::string& s) { return v.id_of(VocabKey::of(s)); }
// finalize(), returning the lines it emits, in id order: the vocabulary file's (value, count).
std::vector<std::pair<std::string, uint64_t>> finalize(FieldVocab& v) {
  std::vector<std::pair<std::string, uint64_t>> lines;
  v.finalize([&](std::string_view value, uint64_t count) { lines.emplace_back(value, count); });
  return lines;
}
}  // namespace

TEST_CASE("ids follow byte order of the values, missing is id 0", "[vocab]") {
  FieldVocab v;
  for (const char* s : {"b", "a", "", "c", "a", "b", "a"}) add(v, s);
  const auto lines = finalize(v);
  CHECK(v.distinct() == 4);
  CHECK(v.vocab_size() == 5);
  CHECK(id(v, "") == 0);
  CHECK(id(v, "a") == 1);
  CHECK(id(v, "b") == 2);
  CHECK(id(v, "c") == 3);
  CHECK(id(v, "never seen") == v.oov_id());
  REQUIRE(lines.size() == 4);
  CHECK(lines[1].second == 3);
  CHECK(lines[3].first == "c");
}

TEST_CASE("min_count counts the train split only", "[vocab]") {
  FieldVocab v(2);
  add(v, "x"); add(v, "x");                 // 2 train
  add(v, "y"); add(v, "y", false);          // 1 train + 1 test
  add(v, "z", false); add(v, "z", false);   // test only
  v.finalize();
  CHECK(v.vocab_size() == 2);
  CHECK(id(v, "x") == 0);
  CHECK(id(v, "y") == v.oov_id());
  CHECK(id(v, "z") == v.oov_id());
  CHECK(v.distinct() == 3);
}

TEST_CASE("many values survive table growth", "[vocab]") {
  FieldVocab v;
  const int n = 200000;
  for (int i = 0; i < n; ++i) add(v, std::to_string(i * 7919));
  for (int i = 0; i < n; i += 2) add(v, std::to_string(i * 7919));
  const auto lines = finalize(v);
  REQUIRE(v.distinct() == static_cast<uint64_t>(n));
  for (int i = 0; i < n; i += 997) {
    uint32_t k = id(v, std::to_string(i * 7919));
    REQUIRE(k < v.oov_id());
    CHECK(lines[k].first == std::to_string(i * 7919));
    CHECK(lines[k].second == (i % 2 == 0 ? 2u : 1u));
  }
}

TEST_CASE("provisional ids are first-seen ranks and map to the final ids", "[vocab]") {
  SECTION("small, with min_count dropping values to OOV") {
    FieldVocab v(2);
    std::vector<uint32_t> got;
    for (const char* s : {"m", "b", "m", "", "z", "b", "m"}) got.push_back(v.add(VocabKey::of(s), true));
    CHECK(got == std::vector<uint32_t>{0, 1, 0, 2, 3, 1, 0});
    v.finalize();  // kept: "b" (2), "m" (3) -> ids 0, 1; "" and "z" -> OOV 2
    const uint32_t* final_of = v.final_id_of_provisional();
    CHECK(final_of[0] == id(v, "m"));
    CHECK(final_of[1] == id(v, "b"));
    CHECK(final_of[2] == v.oov_id());
    CHECK(final_of[3] == v.oov_id());
    CHECK(id(v, "b") == 0);
    CHECK(id(v, "m") == 1);
  }
  SECTION("through table growth, agreeing with id_of for every value") {
    FieldVocab v;
    const int n = 100000;
    auto value = [](int i) { return std::to_string(int64_t{i} * 31337); };
    for (int i = 0; i < n; ++i) REQUIRE(v.add(VocabKey::of(value(i)), true) == static_cast<uint32_t>(i));
    for (int i = n - 1; i >= 0; i -= 3) REQUIRE(v.add(VocabKey::of(value(i)), true) == static_cast<uint32_t>(i));
    v.finalize();
    for (int i = 0; i < n; ++i) REQUIRE(v.final_id_of_provisional()[i] == id(v, value(i)));
  }
}

TEST_CASE("loading by id keeps the listed order and rejects duplicates", "[vocab]") {
  FieldVocab v;
  v.add_with_id(VocabKey::of("zz"), 5);
  v.add_with_id(VocabKey::of("aa"), 3);
  CHECK_THROWS_AS(v.add_with_id(VocabKey::of("zz"), 1), Error);
  v.finish_loading();
  CHECK(id(v, "zz") == 0);
  CHECK(id(v, "aa") == 1);
  CHECK(id(v, "mm") == 2);
  CHECK(v.vocab_size() == 3);
}

TEST_CASE("values longer than 8 bytes sort and look up beside short ones with the same prefix", "[vocab]") {
  // The table compares values of <= 8 bytes as one word and keeps longer ones in an arena; the
  // sort compares 8-byte prefixes first. These share prefixes across both kinds.
  const std::vector<std::string> values = {"abcdefghi", "abcdefgh", "abcdefg", "abcdefgha",
                                           "abcdefghij-long-value", "", "b", "abcdefghi "};
  SECTION("counting and finalize") {
    FieldVocab v;
    for (int rep = 0; rep < 2; ++rep)
      for (size_t i = 0; i < values.size(); ++i) REQUIRE(v.add(VocabKey::of(values[i]), true) == i);
    const auto lines = finalize(v);
    std::vector<std::string> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(lines.size() == sorted.size());
    for (size_t k = 0; k < sorted.size(); ++k) {
      CHECK(lines[k].first == sorted[k]);
      CHECK(lines[k].second == 2);
      CHECK(id(v, sorted[k]) == k);
    }
    CHECK(id(v, "abcdefghijk") == v.oov_id());
    CHECK(id(v, "abcdef") == v.oov_id());
  }
  SECTION("min_count over long values") {
    FieldVocab v(2);
    add(v, "a-long-value-1"); add(v, "a-long-value-1");
    add(v, "a-long-value-2");
    add(v, "short"); add(v, "short");
    v.finalize();
    CHECK(v.vocab_size() == 3);
    CHECK(id(v, "a-long-value-1") == 0);
    CHECK(id(v, "short") == 1);
    CHECK(id(v, "a-long-value-2") == v.oov_id());
  }
  SECTION("loading rejects a repeated long value") {
    FieldVocab v;
    v.add_with_id(VocabKey::of("a-long-value-1"), 1);
    CHECK_THROWS_WITH(v.add_with_id(VocabKey::of("a-long-value-1"), 1), Catch::Contains("a-long-value-1"));
  }
}

TEST_CASE("ids follow byte order for many values, shared prefixes and mixed lengths", "[vocab]") {
  // finalize() buckets values by the first prefix bits that vary, then sorts each bucket; these
  // families make that bit range start at different places and mix in values over 8 bytes.
  const std::vector<std::string> families = {"", "14102", "ffffffff", "a", "0000000000"};
  for (const std::string& family : families) {
    SECTION("prefix '" + family + "'") {
      FieldVocab v;
      std::vector<std::string> values;
      uint64_t x = 12345;
      for (int i = 0; i < 20000; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        std::string s = family + std::to_string(x >> (33 + (x >> 60)));  // suffixes of 1 to 10 digits
        values.push_back(s);
        add(v, s);
      }
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
      const auto lines = finalize(v);
      REQUIRE(lines.size() == values.size());
      for (size_t k = 0; k < values.size(); ++k) REQUIRE(lines[k].first == values[k]);
      for (size_t k = 0; k < values.size(); k += 97) CHECK(id(v, values[k]) == k);
    }
  }
}
