// Unit tests of the batch readers (streaming and in-memory): coverage of every row, drop_last,
// seeded determinism across thread counts, file order, error propagation, shutdown, batch
// lifetime and the host allocator hook.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <numeric>

#include "core/error.h"
#include "reader/batch_reader.h"
#include "shard/shard_layout.h"
#include "shard/shard_writer.h"
#include "support/test_util.h"

using Catch::Matchers::Contains;
using ctr::BatchPtr;
using ctr::BatchReader;
using ctr::BatchReaderOptions;

namespace {

constexpr size_t kDense = 2, kCat = 3;

// Every row is derived from its id (its position in file order across all shards), and cat
// field 0 is the id itself, so a test can tell exactly which rows came out and that each row
// arrived intact.
float label_of(uint32_t id) { return id % 3 == 0 ? 1.0f : 0.0f; }
float dense_of(uint32_t id, size_t f) { return static_cast<float>(id) + 0.25f * static_cast<float>(f); }
uint32_t cat_of(uint32_t id, size_t f) { return f == 0 ? id : id * 31 + static_cast<uint32_t>(f); }

ctr::RowBlock rows_from(uint32_t first_id, size_t rows, size_t nd = kDense, size_t nc = kCat) {
  ctr::RowBlock b(nd, nc);
  for (uint32_t id = first_id; id < first_id + rows; ++id) {
    b.labels.push_back(label_of(id));
    for (size_t f = 0; f < nd; ++f) b.dense.push_back(dense_of(id, f));
    for (size_t f = 0; f < nc; ++f) b.cat.push_back(cat_of(id, f));
  }
  return b;
}

// Writes one shard per entry of `shard_rows`, cut into row groups of `group_rows` (the last
// group of a shard may be shorter); ids continue from shard to shard.
std::vector<std::string> make_shards(const ctr::test::ScratchDir& dir, const std::vector<size_t>& shard_rows,
                                     size_t group_rows) {
  std::vector<std::string> paths;
  uint32_t next_id = 0;
  for (size_t s = 0; s < shard_rows.size(); ++s) {
    paths.push_back(dir / ("part-" + std::to_string(s) + ".ctrs"));
    ctr::RowBlock block = rows_from(next_id, shard_rows[s]);
    ctr::ShardWriter w(paths.back(), kDense, kCat);
    for (size_t begin = 0; begin < block.rows(); begin += group_rows) {
      w.write(block, begin, std::min(group_rows, block.rows() - begin));
    }
    w.finish();
    next_id += static_cast<uint32_t>(shard_rows[s]);
  }
  return paths;
}

// Flips a byte inside the shard's first row group (its label chunk); the header and index stay
// valid, so the shard opens and the damage shows only when the group is decoded.
void corrupt_first_group(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  REQUIRE(f);
  const long at = ctr::shard_layout::kHeaderSize + ctr::shard_layout::kGroupHeaderSize + 3;
  std::fseek(f, at, SEEK_SET);
  const int c = std::fgetc(f);
  std::fseek(f, at, SEEK_SET);
  std::fputc(c ^ 0x5a, f);
  std::fclose(f);
}

std::unique_ptr<BatchReader> open_reader(const std::string& kind, const std::vector<std::string>& paths,
                                         const BatchReaderOptions& opts) {
  return kind == "streaming" ? ctr::open_streaming_reader(paths, opts) : ctr::open_memory_reader(paths, opts);
}

struct EpochRead {
  std::vector<uint32_t> ids;          // in delivery order
  std::vector<size_t> batch_rows;
  bool rows_intact = true;            // every row's label/dense/cat matched its id
};

bool row_intact(const ctr::HostBatch& b, size_t i) {
  const uint32_t id = b.cat[i * kCat];
  bool ok = b.labels[i] == label_of(id);
  for (size_t f = 0; f < kDense; ++f) ok = ok && b.dense[i * kDense + f] == dense_of(id, f);
  for (size_t f = 0; f < kCat; ++f) ok = ok && b.cat[i * kCat + f] == cat_of(id, f);
  return ok;
}

void collect(const ctr::HostBatch& b, EpochRead& out) {
  out.batch_rows.push_back(b.rows);
  for (size_t i = 0; i < b.rows; ++i) {
    out.ids.push_back(b.cat[i * kCat]);
    out.rows_intact = out.rows_intact && row_intact(b, i);
  }
}

EpochRead read_epoch(BatchReader& reader, uint64_t epoch) {
  reader.start_epoch(epoch);
  EpochRead out;
  while (BatchPtr b = reader.next()) collect(*b, out);
  return out;
}

std::vector<uint32_t> iota_ids(size_t n) {
  std::vector<uint32_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0u);
  return ids;
}

// Checks that one epoch delivers each of the `total` rows exactly once, in full batches but
// possibly the last, and that rows_per_epoch() agrees.
void require_each_row_once(BatchReader& reader, uint64_t epoch, size_t total, size_t batch) {
  EpochRead e = read_epoch(reader, epoch);
  REQUIRE(e.rows_intact);
  REQUIRE(reader.rows_per_epoch() == total);
  std::vector<uint32_t> sorted = e.ids;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(sorted == iota_ids(total));
  REQUIRE(e.batch_rows.size() == (total + batch - 1) / batch);
  for (size_t i = 0; i + 1 < e.batch_rows.size(); ++i) REQUIRE(e.batch_rows[i] == batch);
}

// Counts what goes through it, to prove the reader allocates batch memory only through it.
class CountingAllocator : public ctr::HostAllocator {
 public:
  void* allocate(size_t bytes) override {
    ++allocations;
    return ctr::default_host_allocator().allocate(bytes);
  }
  void deallocate(void* p, size_t bytes) override {
    ++deallocations;
    ctr::default_host_allocator().deallocate(p, bytes);
  }
  const char* name() const override { return "counting"; }
  std::atomic<int> allocations{0}, deallocations{0};
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("readers deliver every row exactly once per epoch", "[reader]") {
  const std::string kind = GENERATE(as<std::string>{}, "streaming", "memory");
  ctr::test::ScratchDir dir("reader-once");
  const auto paths = make_shards(dir, {100, 37, 64}, 7);  // odd groups, shards of uneven size
  const size_t total = 201;
  BatchReaderOptions o;
  o.seed = 11;
  o.threads = 2;

  SECTION(kind + ", batch 1") { o.batch_size = 1; }
  SECTION(kind + ", batch 3") { o.batch_size = 3; }
  SECTION(kind + ", batch 1000 (larger than the dataset)") { o.batch_size = 1000; }
  SECTION(kind + ", batch 64, shuffle buffer smaller than a group") {
    o.batch_size = 64;
    o.shuffle_buffer_rows = 5;
  }
  SECTION(kind + ", batch 10, no shuffle buffer") {
    o.batch_size = 10;
    o.shuffle_buffer_rows = 0;
  }
  SECTION(kind + ", batch 16, file order") {
    o.batch_size = 16;
    o.shuffle = false;
  }
  auto reader = open_reader(kind, paths, o);
  REQUIRE(reader->num_dense() == kDense);
  REQUIRE(reader->num_cat() == kCat);
  require_each_row_once(*reader, 0, total, o.batch_size);
  require_each_row_once(*reader, 1, total, o.batch_size);
}

TEST_CASE("drop_last keeps or drops the final partial batch", "[reader]") {
  const std::string kind = GENERATE(as<std::string>{}, "streaming", "memory");
  ctr::test::ScratchDir dir("reader-droplast");
  const auto paths = make_shards(dir, {120, 81}, 50);
  BatchReaderOptions o;
  o.batch_size = 16;

  SECTION(kind + ": kept") {
    auto reader = open_reader(kind, paths, o);
    EpochRead e = read_epoch(*reader, 0);
    REQUIRE(reader->rows_per_epoch() == 201);
    REQUIRE(e.ids.size() == 201);
    REQUIRE(e.batch_rows.size() == 13);
    REQUIRE(e.batch_rows.back() == 9);
  }
  SECTION(kind + ": dropped") {
    o.drop_last = true;
    auto reader = open_reader(kind, paths, o);
    for (uint64_t epoch = 0; epoch < 2; ++epoch) {
      EpochRead e = read_epoch(*reader, epoch);
      REQUIRE(reader->rows_per_epoch() == 192);
      REQUIRE(e.ids.size() == 192);
      REQUIRE(e.batch_rows == std::vector<size_t>(12, 16));
      std::sort(e.ids.begin(), e.ids.end());
      REQUIRE(std::adjacent_find(e.ids.begin(), e.ids.end()) == e.ids.end());
    }
  }
  SECTION(kind + ": dropped, but the dataset is whole batches") {
    o.drop_last = true;
    o.batch_size = 67;
    auto reader = open_reader(kind, paths, o);
    REQUIRE(reader->rows_per_epoch() == 201);
    REQUIRE(read_epoch(*reader, 0).batch_rows == std::vector<size_t>(3, 67));
  }
  SECTION(kind + ": dropped, batch larger than the dataset") {
    o.drop_last = true;
    o.batch_size = 1000;
    auto reader = open_reader(kind, paths, o);
    REQUIRE(reader->rows_per_epoch() == 0);
    REQUIRE(read_epoch(*reader, 0).ids.empty());
  }
}

TEST_CASE("shuffling is seeded, per epoch, and independent of the thread count", "[reader]") {
  const std::string kind = GENERATE(as<std::string>{}, "streaming", "memory");
  ctr::test::ScratchDir dir("reader-seed");
  const auto paths = make_shards(dir, {300, 300, 150}, 64);
  BatchReaderOptions o;
  o.batch_size = 20;
  o.seed = 5;
  o.shuffle_buffer_rows = 100;  // smaller than the data: exercises the exchange path
  o.threads = 1;
  const std::vector<uint32_t> base = read_epoch(*open_reader(kind, paths, o), 0).ids;

  SECTION(kind + ": same seed, same sequence") {
    REQUIRE(read_epoch(*open_reader(kind, paths, o), 0).ids == base);
  }
  SECTION(kind + ": 4 threads give the 1-thread sequence") {
    o.threads = 4;
    auto reader = open_reader(kind, paths, o);
    REQUIRE(read_epoch(*reader, 0).ids == base);
    o.threads = 1;
    REQUIRE(read_epoch(*reader, 3).ids == read_epoch(*open_reader(kind, paths, o), 3).ids);
  }
  SECTION(kind + ": another seed, another order") {
    o.seed = 6;
    REQUIRE(read_epoch(*open_reader(kind, paths, o), 0).ids != base);
  }
  SECTION(kind + ": another epoch, another order; an epoch's order does not depend on the ones before") {
    auto reader = open_reader(kind, paths, o);
    const auto e1 = read_epoch(*reader, 1).ids;
    REQUIRE(e1 != base);
    REQUIRE(read_epoch(*reader, 0).ids == base);
    REQUIRE(read_epoch(*reader, 1).ids == e1);
  }
  SECTION(kind + ": the shuffle mixes rows across the whole dataset") {
    const std::vector<uint32_t> first(base.begin(), base.begin() + 20);
    REQUIRE(first != iota_ids(20));
    // With a buffer as large as the data, rows from every shard show up within the first 100.
    o.shuffle_buffer_rows = 1u << 20;
    const auto full = read_epoch(*open_reader(kind, paths, o), 0).ids;
    REQUIRE(std::any_of(full.begin(), full.begin() + 100, [](uint32_t id) { return id < 300; }));
    REQUIRE(std::any_of(full.begin(), full.begin() + 100, [](uint32_t id) { return id >= 300 && id < 600; }));
    REQUIRE(std::any_of(full.begin(), full.begin() + 100, [](uint32_t id) { return id >= 600; }));
  }
}

TEST_CASE("shuffle=false gives exact file order, shards in the given order", "[reader]") {
  const std::string kind = GENERATE(as<std::string>{}, "streaming", "memory");
  ctr::test::ScratchDir dir("reader-order");
  auto paths = make_shards(dir, {50, 30, 41}, 9);
  BatchReaderOptions o;
  o.batch_size = 8;
  o.shuffle = false;
  o.threads = 4;

  SECTION(kind + ": as written") {
    auto reader = open_reader(kind, paths, o);
    REQUIRE(read_epoch(*reader, 0).ids == iota_ids(121));
    REQUIRE(read_epoch(*reader, 7).ids == iota_ids(121));
  }
  SECTION(kind + ": shards listed in reverse") {
    std::reverse(paths.begin(), paths.end());
    std::vector<uint32_t> expected;
    for (uint32_t id = 80; id < 121; ++id) expected.push_back(id);
    for (uint32_t id = 50; id < 80; ++id) expected.push_back(id);
    for (uint32_t id = 0; id < 50; ++id) expected.push_back(id);
    REQUIRE(read_epoch(*open_reader(kind, paths, o), 0).ids == expected);
  }
}

TEST_CASE("start_epoch mid-epoch discards the rest of the previous epoch", "[reader]") {
  const std::string kind = GENERATE(as<std::string>{}, "streaming", "memory");
  ctr::test::ScratchDir dir("reader-restart");
  const auto paths = make_shards(dir, {2000, 2000}, 100);
  BatchReaderOptions o;
  o.batch_size = 32;
  o.queue_batches = 2;
  o.shuffle_buffer_rows = 500;
  auto reader = open_reader(kind, paths, o);
  reader->start_epoch(0);
  for (int i = 0; i < 3; ++i) REQUIRE(reader->next() != nullptr);
  const EpochRead e1 = read_epoch(*reader, 1);
  REQUIRE(e1.rows_intact);
  REQUIRE(e1.ids == read_epoch(*open_reader(kind, paths, o), 1).ids);
}

TEST_CASE("the streaming reader rethrows a corrupt shard's error from next()", "[reader]") {
  ctr::test::ScratchDir dir("reader-corrupt");
  const auto paths = make_shards(dir, {100, 100}, 25);
  corrupt_first_group(paths[1]);
  BatchReaderOptions o;
  o.batch_size = 10;
  o.threads = 2;
  SECTION("shuffled") {}
  SECTION("file order: the batches before the bad group arrive first") { o.shuffle = false; }
  auto reader = ctr::open_streaming_reader(paths, o);
  reader->start_epoch(0);
  size_t rows = 0;
  auto drain = [&] {
    while (BatchPtr b = reader->next()) rows += b->rows;
  };
  REQUIRE_THROWS_WITH(drain(), Contains(paths[1]));
  REQUIRE_THROWS_AS(reader->next(), ctr::Error);  // the error stays until the next epoch
  if (!o.shuffle) REQUIRE(rows == 100);
  reader->start_epoch(1);
  REQUIRE_THROWS_WITH(drain(), Contains(paths[1]));
}

TEST_CASE("the memory reader reports a corrupt shard when it loads", "[reader]") {
  ctr::test::ScratchDir dir("reader-corrupt-mem");
  const auto paths = make_shards(dir, {100, 100}, 25);
  corrupt_first_group(paths[0]);
  BatchReaderOptions o;
  o.threads = 2;
  REQUIRE_THROWS_WITH(ctr::open_memory_reader(paths, o), Contains(paths[0]));
}

TEST_CASE("destroying a reader mid-epoch returns promptly", "[reader]") {
  const std::string kind = GENERATE(as<std::string>{}, "streaming", "memory");
  ctr::test::ScratchDir dir("reader-destroy");
  const auto paths = make_shards(dir, {20000, 20000}, 1000);
  BatchReaderOptions o;
  o.batch_size = 16;
  o.queue_batches = 2;
  o.threads = 2;
  auto reader = open_reader(kind, paths, o);

  SECTION(kind + ": after one batch") {
    reader->start_epoch(0);
    REQUIRE(reader->next() != nullptr);
  }
  SECTION(kind + ": right after start_epoch") { reader->start_epoch(0); }
  SECTION(kind + ": before any epoch") {}
  const auto t0 = std::chrono::steady_clock::now();
  reader.reset();
  REQUIRE(seconds_since(t0) < 1.0);
}

TEST_CASE("batches stay valid after the reader is gone, and holding them all never blocks", "[reader]") {
  const std::string kind = GENERATE(as<std::string>{}, "streaming", "memory");
  ctr::test::ScratchDir dir("reader-hold");
  const auto paths = make_shards(dir, {300, 200}, 40);
  BatchReaderOptions o;
  o.batch_size = 7;
  o.queue_batches = 2;
  CountingAllocator alloc;
  o.allocator = &alloc;
  std::vector<BatchPtr> held;
  {
    auto reader = open_reader(kind, paths, o);
    reader->start_epoch(0);
    while (BatchPtr b = reader->next()) held.push_back(b);  // far more than the pool's size
    reader->start_epoch(1);
    REQUIRE(reader->next() != nullptr);
  }
  EpochRead e;
  for (const BatchPtr& b : held) collect(*b, e);
  REQUIRE(e.rows_intact);
  std::sort(e.ids.begin(), e.ids.end());
  REQUIRE(e.ids == iota_ids(500));
  REQUIRE(alloc.deallocations < alloc.allocations);
  held.clear();
  REQUIRE(alloc.deallocations == alloc.allocations);
}

TEST_CASE("batch memory comes from the HostAllocator and is recycled", "[reader]") {
  const std::string kind = GENERATE(as<std::string>{}, "streaming", "memory");
  ctr::test::ScratchDir dir("reader-alloc");
  const auto paths = make_shards(dir, {400, 400}, 64);
  CountingAllocator alloc;
  BatchReaderOptions o;
  o.batch_size = 5;
  o.queue_batches = 3;
  o.threads = 2;
  o.allocator = &alloc;
  {
    auto reader = open_reader(kind, paths, o);
    for (uint64_t epoch = 0; epoch < 4; ++epoch) REQUIRE(read_epoch(*reader, epoch).rows_intact);
    // 320 batches went by, but the pool stays at the size documented in batch_reader.h for a
    // consumer holding one batch at a time (H = 1).
    const int bound = kind == "streaming" ? 3 + 1 + 1 : 3 + 1;
    REQUIRE(alloc.allocations > 0);
    REQUIRE(alloc.allocations <= bound);
  }
  REQUIRE(alloc.deallocations == alloc.allocations);
}

TEST_CASE("readers reject bad options and mismatched shards", "[reader]") {
  const std::string kind = GENERATE(as<std::string>{}, "streaming", "memory");
  ctr::test::ScratchDir dir("reader-bad");
  const auto paths = make_shards(dir, {10}, 4);
  BatchReaderOptions o;

  SECTION(kind + ": batch size 0") {
    o.batch_size = 0;
    REQUIRE_THROWS_AS(open_reader(kind, paths, o), ctr::UsageError);
    REQUIRE_THROWS_WITH(open_reader(kind, paths, o), Contains("between 1 and 1048576"));
  }
  SECTION(kind + ": batch size 2^20 + 1") {
    o.batch_size = (1u << 20) + 1;
    REQUIRE_THROWS_AS(open_reader(kind, paths, o), ctr::UsageError);
    REQUIRE_THROWS_WITH(open_reader(kind, paths, o), Contains("between 1 and 1048576"));
  }
  SECTION(kind + ": batch size 2^20 is allowed") {
    o.batch_size = 1u << 20;
    auto reader = open_reader(kind, paths, o);
    REQUIRE(read_epoch(*reader, 0).batch_rows == std::vector<size_t>{10});
  }
  SECTION(kind + ": no shards") { REQUIRE_THROWS_AS(open_reader(kind, {}, o), ctr::UsageError); }
  SECTION(kind + ": an empty queue") {
    o.queue_batches = 0;
    REQUIRE_THROWS_AS(open_reader(kind, paths, o), ctr::UsageError);
  }
  SECTION(kind + ": shards with different field counts") {
    const std::string other = dir / "other.ctrs";
    ctr::RowBlock block = rows_from(0, 5, kDense + 1, kCat);
    ctr::ShardWriter w(other, kDense + 1, kCat);
    w.write(block, 0, 5);
    w.finish();
    REQUIRE_THROWS_AS(open_reader(kind, {paths[0], other}, o), ctr::Error);
    REQUIRE_THROWS_WITH(open_reader(kind, {paths[0], other}, o), Contains(other));
  }
}

TEST_CASE("readers report the time the consumer waited in next()", "[reader]") {
  const std::string kind = GENERATE(as<std::string>{}, "streaming", "memory");
  ctr::test::ScratchDir dir("reader-wait");
  const auto paths = make_shards(dir, {500}, 50);
  BatchReaderOptions o;
  o.batch_size = 50;
  auto reader = open_reader(kind, paths, o);
  REQUIRE(reader->input_wait_seconds() == 0.0);
  read_epoch(*reader, 0);
  REQUIRE(reader->input_wait_seconds() > 0.0);
}
