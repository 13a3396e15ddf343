// Unit tests for the CPU resident split (data.cache: device on the CPU backend): rows land where
// they belong, every epoch visits every row once in a seed-determined order, and bad input fails.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "backend/cpu_ops.h"
#include "core/error.h"
#include "reader/host_batch.h"

using namespace ctr;

namespace {

constexpr size_t kDense = 2, kFields = 3;
const std::vector<uint64_t> kOffsets{0, 5, 105, 112};  // vocabularies of 5, 100 and 7 ids

// Row r carries label r % 2, dense values (r, -r) and ids (r % 5, r % 100, r % 7).
void fill(HostBatch& h, uint64_t first_row, size_t rows) {
  h.rows = rows;
  for (size_t b = 0; b < rows; ++b) {
    const uint64_t r = first_row + b;
    h.labels[b] = float(r % 2);
    h.dense[b * kDense] = float(r);
    h.dense[b * kDense + 1] = -float(r);
    h.cat[b * kFields] = uint32_t(r % 5);
    h.cat[b * kFields + 1] = uint32_t(r % 100);
    h.cat[b * kFields + 2] = uint32_t(r % 7);
  }
}

}  // namespace

TEST_CASE("CPU resident split: appended rows are gathered back in any order", "[unit][resident]") {
  CpuOps<float> ops(2);
  const uint64_t n = 1003;
  auto split = ops.make_resident_split(n, kDense, kFields);
  HostBatch h(600, kDense, kFields, default_host_allocator());
  fill(h, 0, 600);
  split->append(h, kOffsets.data());
  fill(h, 600, 403);
  split->append(h, kOffsets.data());
  REQUIRE(split->rows() == n);

  DeviceBatch<float> batch(ops.memory(), 256, kDense, kFields);
  SECTION("file order returns the rows as appended, ids as global table rows") {
    const IndexPermutation order = IndexPermutation::file_order(n);
    split->gather(order, 1000, 3, batch);
    REQUIRE(batch.rows == 3);
    for (size_t b = 0; b < 3; ++b) {
      const uint64_t r = 1000 + b;
      CHECK(batch.labels.data()[b] == float(r % 2));
      CHECK(batch.dense.data()[b * kDense] == float(r));
      CHECK(batch.dense.data()[b * kDense + 1] == -float(r));
      CHECK(batch.rows_idx.data()[b * kFields] == r % 5);
      CHECK(batch.rows_idx.data()[b * kFields + 1] == 5 + r % 100);
      CHECK(batch.rows_idx.data()[b * kFields + 2] == 105 + r % 7);
    }
  }
  SECTION("a shuffled epoch visits every row once, the same way for the same seed and epoch") {
    auto epoch_rows = [&](uint64_t seed, uint64_t epoch) {
      const IndexPermutation order = IndexPermutation::shuffled(n, seed, epoch);
      std::vector<uint64_t> seen;
      for (uint64_t first = 0; first < n; first += 256) {
        const size_t count = size_t(std::min<uint64_t>(256, n - first));
        split->gather(order, first, count, batch);
        for (size_t b = 0; b < count; ++b) {
          const uint64_t r = uint64_t(batch.dense.data()[b * kDense]);
          CHECK(batch.rows_idx.data()[b * kFields + 1] == 5 + r % 100);  // the row's columns stay together
          seen.push_back(r);
        }
      }
      return seen;
    };
    const auto a = epoch_rows(9, 0);
    auto sorted = a;
    std::sort(sorted.begin(), sorted.end());
    for (uint64_t r = 0; r < n; ++r) REQUIRE(sorted[r] == r);
    CHECK(epoch_rows(9, 0) == a);
    CHECK(epoch_rows(9, 1) != a);
  }
  SECTION("more rows than announced, or a gather past the end, are errors") {
    fill(h, 0, 1);
    CHECK_THROWS_AS(split->append(h, kOffsets.data()), Error);
    CHECK_THROWS_AS(split->gather(IndexPermutation::file_order(n), n - 2, 3, batch), Error);
  }
}

TEST_CASE("CPU resident split: an id outside its vocabulary is rejected with the row and field", "[unit][resident]") {
  CpuOps<float> ops(1);
  auto split = ops.make_resident_split(10, kDense, kFields);
  HostBatch h(10, kDense, kFields, default_host_allocator());
  fill(h, 0, 10);
  h.cat[4 * kFields + 2] = 7;  // field 2 has 7 ids: 0..6
  CHECK_THROWS_WITH(split->append(h, kOffsets.data()),
                    Catch::Contains("batch row 4") && Catch::Contains("field 2") && Catch::Contains("vocabulary of 7"));
}
