// Unit tests for FieldVocab: counting, sorted ids, min-count OOV, growth, loading by id.
#include <catch2/catch.hpp>

#include <string>

#include "core/error.h"
#include "preprocess/field_vocab.h"
#include "preprocess/vocab_io.h"

using namespace ctr;

namespace {
void add(FieldVocab& v, const std::string& s, bool train = true) { v.add(s, vocab_hash(s), train); }
uint32_t id(const FieldVocab& v, const std::string& s) { return v.id_of(s, vocab_hash(s)); }
}  // namespace

TEST_CASE("ids follow byte order of the values; missing is id 0", "[vocab]") {
  FieldVocab v;
  for (const char* s : {"b", "a", "", "c", "a", "b", "a"}) add(v, s);
  v.finalize(1);
  CHECK(v.distinct() == 4);
  CHECK(v.vocab_size() == 5);
  CHECK(id(v, "") == 0);
  CHECK(id(v, "a") == 1);
  CHECK(id(v, "b") == 2);
  CHECK(id(v, "c") == 3);
  CHECK(id(v, "never seen") == v.oov_id());
  CHECK(v.count_of(1) == 3);
  CHECK(v.value_of(3) == "c");
}

TEST_CASE("min_count counts the train split only", "[vocab]") {
  FieldVocab v;
  add(v, "x"); add(v, "x");                 // 2 train
  add(v, "y"); add(v, "y", false);          // 1 train + 1 test
  add(v, "z", false); add(v, "z", false);   // test only
  v.finalize(2);
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
  v.finalize(1);
  REQUIRE(v.distinct() == static_cast<uint64_t>(n));
  for (int i = 0; i < n; i += 997) {
    uint32_t k = id(v, std::to_string(i * 7919));
    REQUIRE(k < v.oov_id());
    CHECK(v.value_of(k) == std::to_string(i * 7919));
    CHECK(v.count_of(k) == (i % 2 == 0 ? 2u : 1u));
  }
}

TEST_CASE("loading by id keeps the listed order and rejects duplicates", "[vocab]") {
  FieldVocab v;
  v.add_with_id("zz", vocab_hash("zz"), 5);
  v.add_with_id("aa", vocab_hash("aa"), 3);
  CHECK_THROWS_AS(v.add_with_id("zz", vocab_hash("zz"), 1), Error);
  v.finish_loading();
  CHECK(id(v, "zz") == 0);
  CHECK(id(v, "aa") == 1);
  CHECK(id(v, "mm") == 2);
  CHECK(v.vocab_size() == 3);
}
