// CudaResidentSplit (data.cache: device, and auto on a GPU) against CpuResidentSplit: the same appends give bit-identical gathered batches in every order, and bad appends fail cleanly.
//
// Every gathered batch is compared bit for bit (labels, dense values, rows_idx) with the CPU split's
// and with the rows built by hand from the appended host batches through order(first + b), so a
// wrong device evaluation of the permutation, a wrong append offset or a wrong field offset fails
// even where both splits would agree. The output batch is filled with sentinels before each gather:
// rows past `count` must keep them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backend/cpu_ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "cuda/cuda_ops.h"
#include "cuda/cuda_resident_split.h"
#include "reader/host_batch.h"
#include "support/backend_compare.h"

using namespace ctr;
using ctr::cuda::CudaOps;
using ctr::test::check_bits;

namespace {

// A one-id field, and a last field so large that its global rows pass 2^31: a row index held in a
// signed 32-bit int anywhere on the way would turn negative.
const std::vector<uint64_t> kVocab = {7, 1, 1000, 31, 3000000000ull};
constexpr size_t kFields = 5;
constexpr size_t kBatch = 1000;     // DeviceBatch capacity, so the window of one gather
constexpr size_t kHostRows = 4096;  // HostBatch capacity: the largest append

std::vector<uint64_t> offsets_of(const std::vector<uint64_t>& vocab) {
  std::vector<uint64_t> off = {0};
  for (uint64_t v : vocab) off.push_back(off.back() + v);
  return off;
}

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

// What a split holds, in file order, built on the host from the appended batches.
struct Rows {
  size_t num_dense = 0;
  std::vector<float> labels, dense;
  std::vector<uint32_t> rows_idx;
  size_t size() const { return labels.size(); }
};

// `rows` random rows. Dense values include -0, +0 and a subnormal, which only a bit-exact copy keeps
// apart; every id of field 4 is at least kHighId, so its global rows lie above 2^31.
constexpr uint64_t kHighId = 2200000000ull;

void fill_host(HostBatch& h, size_t rows, uint64_t seed) {
  Rng rng(seed);
  h.rows = rows;
  const size_t nd = h.num_dense();
  const float special[] = {-0.0f, 0.0f, from_bits(0x00000123u), 1e30f};
  for (size_t b = 0; b < rows; ++b) {
    h.labels[b] = rng.unit() < 0.3 ? 1.0f : 0.0f;
    for (size_t j = 0; j < nd; ++j)
      h.dense[b * nd + j] = rng.unit() < 0.1 ? special[rng.uniform(4)] : float(rng.unit() * 4 - 1);
    for (size_t f = 0; f < kFields; ++f) {
      const uint64_t v = kVocab[f];
      h.cat[b * kFields + f] = uint32_t(f == 4 ? kHighId + rng.uniform(v - kHighId) : rng.uniform(v));
    }
  }
}

void append_expected(const HostBatch& h, const std::vector<uint64_t>& off, Rows& all) {
  const size_t nd = h.num_dense();
  all.labels.insert(all.labels.end(), h.labels, h.labels + h.rows);
  all.dense.insert(all.dense.end(), h.dense, h.dense + h.rows * nd);
  for (size_t b = 0; b < h.rows; ++b)
    for (size_t f = 0; f < kFields; ++f) all.rows_idx.push_back(uint32_t(off[f] + h.cat[b * kFields + f]));
}

// The CPU's split and the GPU's, fed the same batches, with the rows they should hold.
struct SplitPair {
  CpuOps<float> cpu;
  CudaOps gpu;
  std::unique_ptr<ResidentSplit<float>> c, g;
  std::vector<uint64_t> off = offsets_of(kVocab);
  Rows all;
  SplitPair(uint64_t capacity, size_t nd) {
    c = cpu.make_resident_split(capacity, nd, kFields);
    g = gpu.make_resident_split(capacity, nd, kFields);
    all.num_dense = nd;
  }
  void append(const HostBatch& h) {
    c->append(h, off.data());
    g->append(h, off.data());
    append_expected(h, off, all);
  }
};

// A gathered batch over the whole capacity: what gather wrote and the sentinels after it.
Rows download_all(const DeviceBatch<float>& d) {
  Rows r;
  r.num_dense = d.num_dense;
  r.labels.resize(d.capacity);
  r.dense.resize(d.capacity * d.num_dense);
  r.rows_idx.resize(d.capacity * d.num_fields);
  d.labels.download(r.labels.data(), r.labels.size());
  if (!r.dense.empty()) d.dense.download(r.dense.data(), r.dense.size());
  d.rows_idx.download(r.rows_idx.data(), r.rows_idx.size());
  return r;
}

const float kSentinel = from_bits(0x7FC5A5A5u);  // a NaN no split holds
const uint32_t kSentinelRow = 0xA5A5A5A5u;

void poison(DeviceBatch<float>& d) {
  const std::vector<float> f(d.capacity * std::max<size_t>(d.num_dense, 1), kSentinel);
  const std::vector<uint32_t> u(d.capacity * d.num_fields, kSentinelRow);
  d.labels.upload(f.data(), d.capacity);
  if (d.num_dense) d.dense.upload(f.data(), d.capacity * d.num_dense);
  d.rows_idx.upload(u.data(), u.size());
  d.rows = 12345;  // gather must set it
}

// The batch gather(order, first, count) must produce: rows order(first + b) of `all`, then sentinels.
Rows expected_window(const Rows& all, const IndexPermutation& order, uint64_t first, size_t count) {
  const size_t nd = all.num_dense;
  Rows r;
  r.num_dense = nd;
  r.labels.assign(kBatch, kSentinel);
  r.dense.assign(kBatch * nd, kSentinel);
  r.rows_idx.assign(kBatch * kFields, kSentinelRow);
  for (size_t b = 0; b < count; ++b) {
    const uint64_t src = order(first + b);
    r.labels[b] = all.labels[src];
    for (size_t j = 0; j < nd; ++j) r.dense[b * nd + j] = all.dense[src * nd + j];
    for (size_t f = 0; f < kFields; ++f) r.rows_idx[b * kFields + f] = all.rows_idx[src * kFields + f];
  }
  return r;
}

void check_rows(const std::string& what, const Rows& got, const Rows& want) {
  check_bits(what + ": labels", got.labels, want.labels);
  check_bits(what + ": dense", got.dense, want.dense);
  check_bits(what + ": rows_idx", got.rows_idx, want.rows_idx);
}

struct Window {
  uint64_t first;
  size_t count;
};

// Every batch of an epoch (the last one partial unless n divides evenly), then single rows at both
// ends, a window straddling two batches, and the empty window at the end.
std::vector<Window> windows_for(uint64_t n) {
  std::vector<Window> w;
  for (uint64_t f = 0; f < n; f += kBatch) w.push_back({f, size_t(std::min<uint64_t>(kBatch, n - f))});
  w.push_back({0, 1});
  w.push_back({n - 1, 1});
  if (n >= kBatch / 2 + 7 + kBatch) w.push_back({kBatch / 2 + 7, kBatch});
  w.push_back({n, 0});
  return w;
}

// Gathers every window of `order` from both splits; both must match the hand-built rows bit for bit.
void check_order(SplitPair& s, const IndexPermutation& order, const std::string& name) {
  const size_t nd = s.all.num_dense;
  DeviceBatch<float> bc(s.cpu.memory(), kBatch, nd, kFields), bg(s.gpu.memory(), kBatch, nd, kFields);
  for (const Window& w : windows_for(s.all.size())) {
    const std::string what = name + " window [" + std::to_string(w.first) + ", +" + std::to_string(w.count) + ")";
    poison(bc);
    poison(bg);
    s.c->gather(order, w.first, w.count, bc);
    s.g->gather(order, w.first, w.count, bg);
    CHECK(bg.rows == w.count);
    CHECK(bc.rows == w.count);
    const Rows want = expected_window(s.all, order, w.first, w.count);
    const Rows got = download_all(bg);
    check_rows(what + " cuda vs by hand", got, want);
    check_rows(what + " cuda vs cpu split", got, download_all(bc));
  }
}

// The shuffled orders must really move rows: otherwise they would test nothing file order does not.
void require_shuffles(const IndexPermutation& order) {
  std::vector<uint64_t> seen(order.n);
  size_t moved = 0;
  for (uint64_t i = 0; i < order.n; ++i) moved += (seen[i] = order(i)) != i;
  std::sort(seen.begin(), seen.end());
  size_t misplaced = 0;  // a permutation holds every row once
  for (uint64_t i = 0; i < order.n; ++i) misplaced += seen[i] != i;
  INFO("rows moved by the shuffle: " << moved << " of " << order.n << "; not a permutation at " << misplaced);
  REQUIRE(misplaced == 0);
  REQUIRE(moved > order.n / 2);
}

}  // namespace

TEST_CASE("cuda resident split: appends of 0 to 4096 rows gather bit-identically to the CPU split in file and shuffled order", "[cuda][resident]") {
  const size_t nd = GENERATE(size_t(0), size_t(13));
  CAPTURE(nd);
  const size_t sizes[] = {1, 0, 3, 777, 2500, 4096};  // below, at and above the batch size; one empty
  size_t capacity = 0;
  for (size_t n : sizes) capacity += n;
  SplitPair s(capacity, nd);
  REQUIRE(dynamic_cast<cuda::CudaResidentSplit*>(s.g.get()) != nullptr);
  HostBatch host(kHostRows, nd, kFields, default_host_allocator());
  for (size_t i = 0; i < 3; ++i) {
    fill_host(host, sizes[i], 100 + i);
    s.append(host);
  }
  // A gather between appends sees the rows so far; later appends must not disturb them.
  REQUIRE(s.g->rows() == 4);
  check_order(s, IndexPermutation::file_order(4), "after 3 appends, file order");
  check_order(s, IndexPermutation::shuffled(4, 7, 0), "after 3 appends, shuffled(4, 7, 0)");
  for (size_t i = 3; i < 6; ++i) {
    fill_host(host, sizes[i], 100 + i);
    s.append(host);
  }
  const uint64_t n = capacity;
  REQUIRE(s.g->rows() == n);
  REQUIRE(s.c->rows() == n);
  check_order(s, IndexPermutation::file_order(n), "file order");
  const uint64_t keys[][2] = {{1, 0}, {1, 1}, {987654321, 41}};  // (seed, epoch): epochs and seeds differ
  for (const auto& k : keys) {
    const IndexPermutation order = IndexPermutation::shuffled(n, k[0], k[1]);
    require_shuffles(order);
    check_order(s, order, "shuffled(n, " + std::to_string(k[0]) + ", " + std::to_string(k[1]) + ")");
  }
}

TEST_CASE("cuda resident split: appending past the capacity is a ctr::Error and the rows already held stay usable", "[cuda][resident]") {
  const size_t nd = 13, capacity = 1000;
  SplitPair s(capacity, nd);
  HostBatch host(kHostRows, nd, kFields, default_host_allocator());
  fill_host(host, 600, 200);
  s.append(host);
  fill_host(host, 401, 201);  // one row too many
  CHECK_THROWS_AS(s.g->append(host, s.off.data()), Error);
  CHECK_THROWS_AS(s.c->append(host, s.off.data()), Error);
  CHECK(s.g->rows() == 600);
  fill_host(host, 400, 202);  // exactly fills it
  s.append(host);
  REQUIRE(s.g->rows() == capacity);
  fill_host(host, 1, 203);
  CHECK_THROWS_AS(s.g->append(host, s.off.data()), Error);
  CHECK(s.g->rows() == capacity);
  fill_host(host, 0, 204);  // an empty batch still fits
  s.g->append(host, s.off.data());
  s.c->append(host, s.off.data());
  CHECK(s.g->rows() == capacity);
  {
    HostBatch other(10, nd + 1, kFields, default_host_allocator());  // another shape
    other.rows = 0;
    CHECK_THROWS_AS(s.g->append(other, s.off.data()), Error);
  }
  DeviceBatch<float> small(s.gpu.memory(), 10, nd, kFields);
  CHECK_THROWS_AS(s.g->gather(IndexPermutation::file_order(capacity), 0, 11, small), Error);      // > batch capacity
  CHECK_THROWS_AS(s.g->gather(IndexPermutation::file_order(capacity - 1), 0, 10, small), Error);  // order over other n
  CHECK_THROWS_AS(s.g->gather(IndexPermutation::file_order(capacity), capacity - 5, 10, small), Error);  // past the end
  check_order(s, IndexPermutation::file_order(capacity), "full split, file order");
  check_order(s, IndexPermutation::shuffled(capacity, 5, 2), "full split, shuffled(n, 5, 2)");
}

TEST_CASE("cuda resident split: an id outside its field's vocabulary is a ctr::Error and the split stays usable", "[cuda][resident]") {
  const size_t nd = 13;
  SplitPair s(1400, nd);
  HostBatch host(kHostRows, nd, kFields, default_host_allocator());
  fill_host(host, 500, 300);
  s.append(host);
  for (size_t f : {size_t(0), size_t(1), size_t(4)}) {  // a small field, the one-id field, the 3e9-id field
    CAPTURE(f);
    fill_host(host, 300, 310 + f);
    host.cat[250 * kFields + f] = uint32_t(kVocab[f]);  // one past the field's last id
    CHECK_THROWS_WITH(s.g->append(host, s.off.data()), Catch::Contains("vocabulary"));
    CHECK_THROWS_AS(s.g->append(host, s.off.data()), Error);
    CHECK_THROWS_AS(s.c->append(host, s.off.data()), Error);
    CHECK(s.g->rows() == 500);
  }
  fill_host(host, 900, 320);
  host.cat[899 * kFields + 4] = uint32_t(kVocab[4] - 1);  // the last valid id of the last field
  host.cat[0 * kFields + 1] = 0;
  s.append(host);
  REQUIRE(s.g->rows() == 1400);
  check_order(s, IndexPermutation::file_order(1400), "after rejected appends, file order");
  check_order(s, IndexPermutation::shuffled(1400, 3, 9), "after rejected appends, shuffled(n, 3, 9)");
}
