// The CUDA embedding kernels at production scale and on their 64-bit index paths, against the CPU backend; tagged [large] (up to 55 GB of GPU memory) so compute-sanitizer runs can exclude them with "~[large]".
//
// GPU memory each test case needs on the GPU machine (139 GB GPU, 128 GB host):
//   embedding_reduce at Criteo scale                 < 1 GB GPU, ~1 GB host
//   embedding_gather of more than 2^32 values         18.3 GB GPU, < 1 GB host
//   embedding_reduce over more than 2^32 cells        36.6 GB GPU, ~4 GB host
//   dense table_update of more than 2^32 values       54.6 GB GPU, ~1 GB host
//   table_update with 150000 unique rows              < 1 GB
// All of them together (ctest -j) stay within the GPU's memory.
//
// Which paths. cuda_embedding.cu instantiates its grid-stride kernels on a 32-bit index type while
// the index space is below 2^31 (fits_u32) and on size_t above it: gather over batch*fields*(dim/V)
// packs, the light reduce over U*(dim+1) (unique row, column) cells, the flat dense Adam pass over
// table_rows*dim values. Each 64-bit case below goes past 2^32, not only 2^31: between the two an
// unsigned 32-bit index still happens to work, so only past 2^32 would a wrong threshold show.
// Such arrays are too big to mirror on the host, so their values are a hash of the element index:
// the device copy is uploaded in chunks, and the CPU reference is run on the sampled part only
// (a sub-batch holding every occurrence of the sampled rows, a sub-table of the sampled rows), which
// gives exactly the values the CPU would compute on the whole array.
//
// Tolerances, as in test_cuda_ops.cpp: gather, unique rows, counts and clipped-row counts exact;
// summed gradients within 1e-5 * (|cpu| + sum of |terms|) (fp32 sums in another order); Adam's m
// within 1e-5 * (|m| + |m0|), v within 3e-5 * |v|, w within 1e-5 * (|w| + |w - w0| + lr_t).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "backend/cpu_ops.h"
#include "core/hash.h"
#include "core/rng.h"
#include "dataset/public_datasets.h"
#include "cuda/cuda_ops.h"
#include "support/backend_compare.h"
#include "support/embedding_rows.h"
#include "support/op_results.h"

using ctr::test::table_update_clipped;

using namespace ctr;
using ctr::cuda::CudaOps;
using ctr::test::check_bits;
using ctr::test::check_close;
using ctr::test::table_params;
using ctr::test::HostUniqueRows;

namespace {

constexpr double kRtol = 1e-5;
constexpr double kRtolV = 3e-5;
constexpr size_t kTwo31 = size_t(1) << 31, kTwo32 = size_t(1) << 32;

// ------------------------------------------------------------------------------ hashed values

// A uniform value in [lo, hi) for element i of stream `stream`: any element of a huge array can be
// rebuilt on the host without holding the array.
float hashed(uint64_t stream, uint64_t i, double lo = -1, double hi = 1) {
  return float(lo + (hi - lo) * to_unit(mix64(mix64(stream) + i * 0x9e3779b97f4a7c15ULL)));
}

// Fills dev[0, n) with value(i), through a 256 MB host staging buffer.
template <class F>
void upload_generated(MemorySpace& mem, float* dev, size_t n, F value) {
  constexpr size_t kChunk = size_t(1) << 26;
  std::vector<float> host(std::min(n, kChunk));
  for (size_t first = 0; first < n; first += kChunk) {
    const size_t len = std::min(kChunk, n - first);
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < len; ++k) host[k] = value(first + k);
    mem.to_device(dev + first, host.data(), len * sizeof(float));
  }
}

template <class T>
std::vector<T> download_range(MemorySpace& mem, const T* dev, size_t first, size_t n) {
  std::vector<T> host(n);
  if (n) mem.to_host(host.data(), dev + first, n * sizeof(T));
  return host;
}

template <class T>
Buffer<T> upload(MemorySpace& mem, const std::vector<T>& host) {
  Buffer<T> b(mem, host.size());
  if (!host.empty()) b.upload(host.data(), host.size());
  return b;
}

// Rows `rows` of a [*, dim] device array, copied out through embedding_gather (exact; checked at scale
// below), so a few hundred thousand scattered rows cost one download.
std::vector<float> gather_rows(Ops<float>& ops, const float* table, const std::vector<uint32_t>& rows, size_t dim) {
  MemorySpace& mem = ops.memory();
  Buffer<uint32_t> idx = upload(mem, rows);
  Buffer<float> out(mem, rows.size() * dim);
  ops.embedding_gather(table, idx.data(), rows.size(), 1, dim, out.data(), dim);
  return download_range<float>(mem, out.data(), 0, out.size());
}

std::vector<float> abs_of(std::vector<float> v) {
  for (auto& x : v) x = std::fabs(x);
  return v;
}

// Sorted, distinct: u in [0, 64), the last `tail`, `around` values either side of each of `marks`,
// and `random` uniform ones, all below n.
std::vector<size_t> sample_indices(size_t n, size_t tail, const std::vector<size_t>& marks, size_t around,
                                   size_t random, uint64_t seed) {
  std::set<size_t> s;
  for (size_t i = 0; i < std::min<size_t>(64, n); ++i) s.insert(i);
  for (size_t i = n - std::min(tail, n); i < n; ++i) s.insert(i);
  for (size_t m : marks)
    for (size_t i = m > around ? m - around : 0; i < std::min(n, m + around); ++i) s.insert(i);
  Rng rng(seed);
  for (size_t k = 0; k < random; ++k) s.insert(size_t(rng.uniform(n)));
  return std::vector<size_t>(s.begin(), s.end());
}

// --------------------------------------------------------------------------------- embedding ids

std::vector<uint32_t> criteo_vocab() {
  std::vector<uint32_t> v;
  for (uint64_t c : public_dataset(DatasetKind::criteo).reference_cardinalities) v.push_back(uint32_t(c));
  return v;
}

uint32_t field_offset(const std::vector<uint32_t>& vocab, size_t f) {
  uint32_t off = 0;
  for (size_t i = 0; i < f; ++i) off += vocab[i];
  return off;
}

struct Planted {
  uint32_t row, count;
};

// Gives the top ids of field f exactly these occurrence counts: distinct random samples take each
// planted row, and every other sample holding one is moved to the field's id 0.
std::vector<Planted> plant_counts(std::vector<uint32_t>& rows_idx, size_t batch, const std::vector<uint32_t>& vocab,
                                  size_t f, const std::vector<uint32_t>& counts, uint64_t seed) {
  const size_t fields = vocab.size();
  const uint32_t off = field_offset(vocab, f);
  std::vector<uint32_t> samples(batch);
  for (size_t b = 0; b < batch; ++b) samples[b] = uint32_t(b);
  Rng rng(seed);
  shuffle_range(samples.begin(), samples.end(), rng);
  std::vector<Planted> planted;
  std::vector<char> taken(batch, 0);
  size_t next = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    const Planted p{off + vocab[f] - 1 - uint32_t(k), counts[k]};
    REQUIRE(next + p.count <= batch);
    for (uint32_t c = 0; c < p.count; ++c, ++next) {
      rows_idx[size_t(samples[next]) * fields + f] = p.row;
      taken[samples[next]] = 1;
    }
    planted.push_back(p);
  }
  for (size_t b = 0; b < batch; ++b)
    if (!taken[b] && rows_idx[b * fields + f] > off + vocab[f] - 1 - counts.size()) rows_idx[b * fields + f] = off;
  return planted;
}

// The reduce of one batch on one backend, downloaded.
HostUniqueRows reduce_on(Ops<float>& ops, const EmbeddingReduceParams& p, const std::vector<uint32_t>& rows_idx,
                         const std::vector<float>& d_emb, const std::vector<float>& d_lin) {
  MemorySpace& mem = ops.memory();
  Buffer<uint32_t> idx = upload(mem, rows_idx);
  Buffer<float> de = upload(mem, d_emb), dl = upload(mem, d_lin);
  UniqueRows<float> u(mem, p.batch * p.fields, p.dim);
  const size_t count = ops.embedding_reduce(p, idx.data(), de.data(), dl.data(), u);
  CHECK(u.count == count);
  return ctr::test::download_unique_rows(u, p.dim);
}

size_t max_count(const HostUniqueRows& r) {
  return r.counts.empty() ? 0 : *std::max_element(r.counts.begin(), r.counts.end());
}

}  // namespace

TEST_CASE("cuda scale: embedding_reduce at Criteo scale with ids repeated thousands of times matches the CPU", "[cuda][large][embedding]") {
  // The production shape: batch 131072, Criteo's 26 fields (33.76M rows), dim 10, 13 dense columns
  // after the embeddings in the gradient. The table itself is never read by the reduce, so the full
  // vocabulary costs only the CPU's row map (135 MB).
  const std::vector<uint32_t> vocab = criteo_vocab();
  const size_t batch = 131072, fields = vocab.size(), dim = 10, stride = fields * dim + 13;
  size_t table_rows = 0;
  auto rows_idx = ctr::test::embedding_rows(batch, vocab, 4242, &table_rows, 0.2);
  // Counts on both sides of the light/heavy split (256) and of the heavy kernel's 1024-thread block.
  const auto planted =
      plant_counts(rows_idx, batch, vocab, 2, {1, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 4097}, 4243);
  EmbeddingReduceParams p;
  p.batch = batch, p.fields = fields, p.dim = dim, p.table_rows = table_rows, p.grad_stride = stride;
  std::vector<float> d_emb(batch * stride), d_lin(batch);
  for (size_t i = 0; i < d_emb.size(); ++i) d_emb[i] = hashed(1, i);
  for (size_t b = 0; b < batch; ++b) d_lin[b] = hashed(2, b);

  CpuOps<float> cpu;
  CudaOps gpu;
  const HostUniqueRows got_raw = reduce_on(gpu, p, rows_idx, d_emb, d_lin);
  const HostUniqueRows want = ctr::test::sorted_by_row(reduce_on(cpu, p, rows_idx, d_emb, d_lin), dim);
  const HostUniqueRows mag = ctr::test::sorted_by_row(reduce_on(cpu, p, rows_idx, abs_of(d_emb), abs_of(d_lin)), dim);
  {
    INFO("table rows " << table_rows << ", unique rows " << want.count << ", most occurrences of one row "
                        << max_count(want));
    REQUIRE(table_rows > 33000000);
    REQUIRE(max_count(want) > 4 * 512);  // hot ids: far past the heavy threshold
  }
  size_t not_ascending = 0;  // the CUDA order is strictly ascending by row (cuda_embedding.h)
  for (size_t i = 1; i < got_raw.count; ++i) not_ascending += !(got_raw.rows[i - 1] < got_raw.rows[i]);
  CHECK(not_ascending == 0);
  const HostUniqueRows got = ctr::test::sorted_by_row(got_raw, dim);
  ctr::test::check_unique_rows("criteo-scale reduce", got, want, mag, batch * fields, kRtol);
  for (const Planted& pl : planted) {  // exact counts, independently of the CPU
    const auto it = std::lower_bound(got.rows.begin(), got.rows.end(), pl.row);
    REQUIRE(it != got.rows.end());
    REQUIRE(*it == pl.row);
    CHECK(got.counts[size_t(it - got.rows.begin())] == pl.count);
  }
}

TEST_CASE("cuda scale: embedding_gather of more than 2^32 values takes the 64-bit index path and matches the CPU on sampled samples", "[cuda][large][embedding]") {
  // dim 1023 is odd, so one float per thread: 262144 x 17 x 1023 = 4.56e9 packs, past 2^32.
  const size_t batch = 262144, fields = 17, dim = 1023, stride = fields * dim;
  const std::vector<uint32_t> vocab(fields, 601);
  size_t table_rows = 0;
  const auto rows_idx = ctr::test::embedding_rows(batch, vocab, 51, &table_rows, 0.1);
  REQUIRE(batch * fields * dim > kTwo32);
  // Values in [0.5, 1.5): a position the kernel never wrote keeps the allocation's zero and fails.
  std::vector<float> table(table_rows * dim);
  for (size_t i = 0; i < table.size(); ++i) table[i] = hashed(3, i, 0.5, 1.5);

  CpuOps<float> cpu;
  CudaOps gpu;
  MemorySpace& mem = gpu.memory();
  Buffer<float> tg = upload(mem, table), out(mem, batch * stride);
  Buffer<uint32_t> ig = upload(mem, rows_idx);
  gpu.embedding_gather(tg.data(), ig.data(), batch, fields, dim, out.data(), stride);
  // Samples whose values sit where the flat index passes 2^31 and 2^32, and the last 4096 (all past 2^32).
  const std::vector<size_t> samples =
      sample_indices(batch, 4096, {kTwo31 / stride, kTwo32 / stride}, 4, 256, 52);
  std::vector<float> want(stride);
  size_t checked = 0;
  for (size_t b : samples) {
    cpu.embedding_gather(table.data(), rows_idx.data() + b * fields, 1, fields, dim, want.data(), stride);
    const auto got = download_range<float>(mem, out.data(), b * stride, stride);
    check_bits("gather sample " + std::to_string(b), got, want);
    checked += stride;
  }
  INFO("values compared: " << checked);
  CHECK(checked > 4096 * stride);
}

namespace {

// The rows of `sorted_rows` and every sample that holds one, as a sub-batch in batch order: the CPU's
// reduce of it gives each of those rows exactly its full-batch sum (the same terms, in the same order).
struct SubBatch {
  std::vector<uint32_t> rows_idx;
  std::vector<float> d_emb, d_lin;
  size_t batch = 0;
};

SubBatch sub_batch(const std::vector<uint32_t>& rows_idx, size_t fields, size_t stride,
                   const std::vector<uint32_t>& sorted_rows) {
  SubBatch s;
  const size_t batch = rows_idx.size() / fields;
  for (size_t b = 0; b < batch; ++b) {
    bool hit = false;
    for (size_t f = 0; f < fields && !hit; ++f)
      hit = std::binary_search(sorted_rows.begin(), sorted_rows.end(), rows_idx[b * fields + f]);
    if (!hit) continue;
    s.rows_idx.insert(s.rows_idx.end(), rows_idx.begin() + b * fields, rows_idx.begin() + (b + 1) * fields);
    for (size_t c = 0; c < stride; ++c) s.d_emb.push_back(hashed(4, b * stride + c));
    s.d_lin.push_back(hashed(5, b));
    ++s.batch;
  }
  return s;
}

// Distinct rows of rows_idx in ascending order with their counts: the CUDA reduce's rows and counts.
void host_unique(std::vector<uint32_t> rows, std::vector<uint32_t>* unique, std::vector<uint32_t>* counts) {
  std::sort(rows.begin(), rows.end());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == 0 || rows[i] != rows[i - 1]) {
      unique->push_back(rows[i]);
      counts->push_back(0);
    }
    ++counts->back();
  }
}

// Entries of a row-sorted reduce for the given rows (each must be there).
HostUniqueRows pick_rows(const HostUniqueRows& sorted, const std::vector<uint32_t>& rows, size_t dim) {
  HostUniqueRows r;
  r.count = rows.size();
  size_t missing = 0;
  for (uint32_t row : rows) missing += !std::binary_search(sorted.rows.begin(), sorted.rows.end(), row);
  REQUIRE(missing == 0);
  for (uint32_t row : rows) {
    const size_t k = size_t(std::lower_bound(sorted.rows.begin(), sorted.rows.end(), row) - sorted.rows.begin());
    r.rows.push_back(row);
    r.counts.push_back(sorted.counts[k]);
    r.lin.push_back(sorted.lin[k]);
    r.emb.insert(r.emb.end(), sorted.emb.begin() + k * dim, sorted.emb.begin() + (k + 1) * dim);
  }
  return r;
}

// Unique entries to compare, ascending: both ends, where the cell index u * (dim + 1) passes 2^31
// and 2^32, random ones, and every heavy one (> 256 occurrences: the block-per-row kernel).
std::vector<uint32_t> picked_entries(size_t count, const std::vector<uint32_t>& counts, size_t dim) {
  std::vector<size_t> picked = sample_indices(count, 4096, {kTwo31 / (dim + 1), kTwo32 / (dim + 1)}, 4, 256, 64);
  for (size_t k = 0; k < count; ++k)
    if (counts[k] > 256) picked.push_back(k);
  std::sort(picked.begin(), picked.end());
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  return std::vector<uint32_t>(picked.begin(), picked.end());
}

// The CPU's reduce of the sub-batch (of |gradients| when `magnitude`), at the given rows.
HostUniqueRows cpu_reduce_of(const EmbeddingReduceParams& p, const SubBatch& sb, const std::vector<uint32_t>& rows,
                             bool magnitude) {
  CpuOps<float> cpu;
  EmbeddingReduceParams q = p;
  q.batch = sb.batch;
  const HostUniqueRows r = magnitude ? reduce_on(cpu, q, sb.rows_idx, abs_of(sb.d_emb), abs_of(sb.d_lin))
                                     : reduce_on(cpu, q, sb.rows_idx, sb.d_emb, sb.d_lin);
  return pick_rows(ctr::test::sorted_by_row(r, p.dim), rows, p.dim);
}

}  // namespace

TEST_CASE("cuda scale: embedding_reduce over more than 2^32 cells takes the 64-bit index path and matches the CPU on sampled rows", "[cuda][large][embedding]") {
  // 262144 x 17 ids of 2^24-id fields, nearly all distinct: U ~ 4.4e6 unique rows x (1023 + 1)
  // columns ~ 4.5e9 cells, past 2^32. Heavy rows (> 256 occurrences) sit in the last field, so on
  // the GPU (ascending rows) their unique index is near the top too.
  const size_t batch = 262144, fields = 17, dim = 1023, stride = fields * dim, n = batch * fields;
  const std::vector<uint32_t> vocab(fields, 1u << 24);
  size_t table_rows = 0;
  auto rows_idx = ctr::test::embedding_rows(batch, vocab, 61, &table_rows);
  plant_counts(rows_idx, batch, vocab, 0, {300}, 62);
  plant_counts(rows_idx, batch, vocab, fields - 1, {257, 1025, 3000}, 63);
  EmbeddingReduceParams p;
  p.batch = batch, p.fields = fields, p.dim = dim, p.table_rows = table_rows, p.grad_stride = stride;
  std::vector<float> d_lin(batch);
  for (size_t b = 0; b < batch; ++b) d_lin[b] = hashed(5, b);

  CudaOps gpu;
  MemorySpace& mem = gpu.memory();
  Buffer<float> de(mem, batch * stride);
  upload_generated(mem, de.data(), de.size(), [](uint64_t i) { return hashed(4, i); });
  Buffer<float> dl = upload(mem, d_lin);
  Buffer<uint32_t> idx = upload(mem, rows_idx);
  UniqueRows<float> u(mem, n, dim);
  const size_t count = gpu.embedding_reduce(p, idx.data(), de.data(), dl.data(), u);
  std::vector<uint32_t> want_rows, want_counts;
  host_unique(rows_idx, &want_rows, &want_counts);
  REQUIRE(count == want_rows.size());
  INFO("unique rows " << count << ", cells " << count * (dim + 1));
  REQUIRE(count * (dim + 1) > kTwo32);
  check_bits("all unique rows (ascending)", download_range<uint32_t>(mem, u.rows.data(), 0, count), want_rows);
  check_bits("all counts", download_range<uint32_t>(mem, u.counts.data(), 0, count), want_counts);

  const std::vector<uint32_t> picked = picked_entries(count, want_counts, dim);
  HostUniqueRows got;
  got.count = picked.size();
  for (uint32_t k : picked) got.rows.push_back(want_rows[k]), got.counts.push_back(want_counts[k]);
  got.emb = gather_rows(gpu, u.grad_embed.data(), picked, dim);
  got.lin = gather_rows(gpu, u.grad_linear.data(), picked, 1);

  const SubBatch sb = sub_batch(rows_idx, fields, stride, got.rows);
  INFO("sampled rows " << picked.size() << ", sub-batch of " << sb.batch << " samples");
  const HostUniqueRows want = cpu_reduce_of(p, sb, got.rows, false), mag = cpu_reduce_of(p, sb, got.rows, true);
  check_bits("sampled counts (cpu on the sub-batch)", got.counts, want.counts);
  check_close("sampled grad_embed", got.emb, want.emb, mag.emb, kRtol);
  check_close("sampled grad_linear", got.lin, want.lin, mag.lin, kRtol);
}

namespace {

// ------------------------------------------------------------------------------------ table update

// A table by element index i = row * dim + d, rebuilt on demand: every third row tiny (|w| ~ 1e-4,
// so CowClip's lower bound is the active one), row 7 all zeros, and Adam moments with |m| <= sqrt(v)
// as real moments have, a fifth of them fresh (zero).
struct TableValues {
  uint64_t seed;
  size_t dim;
  double unit(uint64_t stream, uint64_t i) const {
    return to_unit(mix64(mix64(seed + stream) + i * 0x9e3779b97f4a7c15ULL));
  }
  bool fresh(uint64_t i) const { return unit(4, i) < 0.2; }
  float w(uint64_t i) const {
    const uint64_t r = i / dim;
    const double scale = r == 7 ? 0.0 : (r % 3 == 0 ? 1e-3 : 1.0);
    return float(0.08 * scale * (2 * unit(0, i) - 1));
  }
  float m(uint64_t i) const { return fresh(i) ? 0.0f : float(0.01 * (2 * unit(1, i) - 1)); }
  float v(uint64_t i) const {
    if (fresh(i)) return 0.0f;
    const double mm = m(i);
    return float(mm * mm * (1 + 3 * unit(2, i)) + 1e-8 * unit(3, i));
  }
};

// One batch's unique rows of the table, in shuffled order (table_update must not depend on it): the
// `must` rows, rows 0, 7, 8 and the last, then random ones. Rows 7 and 8 get a zero gradient and
// count 1 (with 2*l2 = 2r, a zero-gradient row of count 2 would sit exactly on its clip bound); the
// other counts are mostly 1-50 with 5% of 500-1500; gradient sizes span 4 decades.
struct Present {
  std::vector<uint32_t> rows, counts;
  std::vector<float> grad;
};

Present make_present(size_t table_rows, size_t dim, size_t unique, const std::vector<uint32_t>& must, uint64_t seed) {
  Rng rng(seed);
  std::set<uint32_t> chosen(must.begin(), must.end());
  chosen.insert({0u, 7u, 8u, uint32_t(table_rows - 1)});
  while (chosen.size() < unique) chosen.insert(uint32_t(rng.uniform(table_rows)));
  Present pr;
  pr.rows.assign(chosen.begin(), chosen.end());
  shuffle_range(pr.rows.begin(), pr.rows.end(), rng);
  for (uint32_t row : pr.rows) {
    const bool zero = row == 7 || row == 8;
    const uint32_t cnt = zero ? 1u
                         : rng.unit() < 0.05 ? uint32_t(500 + rng.uniform(1000))
                                             : uint32_t(1 + rng.uniform(50));
    pr.counts.push_back(cnt);
    const double amp = cnt * std::pow(10.0, -3.5 + 4 * rng.unit());
    for (size_t d = 0; d < dim; ++d) pr.grad.push_back(zero ? 0.0f : float(amp * (2 * rng.unit() - 1)));
  }
  return pr;
}

// |g| / bound for one present row, in double (CowClip as backend/cpu_embedding.cpp: code mode clips
// data + 2*l2*w to r*cnt*max(|w|, r*sqrt(d)*zeta), paper mode clips data to cnt*max(r*|w|, zeta)).
double clip_ratio(const TableUpdateParams& p, const TableValues& vals, uint32_t row, const float* data, uint32_t cnt) {
  double wsq = 0, gsq = 0;
  for (size_t d = 0; d < p.dim; ++d) {
    const double w = vals.w(uint64_t(row) * p.dim + d);
    const double g = data[d] + (p.clip.paper_bound ? 0.0 : 2 * p.l2 * w);
    wsq += w * w;
    gsq += g * g;
  }
  const double wn = std::sqrt(wsq), gn = std::sqrt(gsq), r = p.clip.r, zeta = p.clip.zeta;
  const double bound = p.clip.paper_bound ? cnt * std::max(r * wn, zeta)
                                          : r * cnt * std::max(wn, r * std::sqrt(double(p.dim)) * zeta);
  return bound > 0 ? gn / bound : (gn > 0 ? 1e300 : 0.0);
}

// Makes every present row's clip decision unambiguous (|g| / bound at least 1e-3 away from 1, so
// rounding cannot decide it and the clipped count is exact); returns how many rows get clipped.
size_t settle_clip_decisions(Present& pr, const TableUpdateParams& p, const TableValues& vals) {
  size_t clipped = 0, undecided = 0;
  for (size_t u = 0; u < pr.rows.size(); ++u) {
    float* data = &pr.grad[u * p.dim];
    double ratio = clip_ratio(p, vals, pr.rows[u], data, pr.counts[u]);
    for (int tries = 0; std::fabs(ratio - 1) < 1e-3 && tries < 10; ++tries) {
      for (size_t d = 0; d < p.dim; ++d) data[d] *= 1.25f;
      ratio = clip_ratio(p, vals, pr.rows[u], data, pr.counts[u]);
    }
    undecided += std::fabs(ratio - 1) < 1e-3;
    clipped += ratio > 1;
  }
  REQUIRE(undecided == 0);
  return clipped;
}

// The sampled rows of a table after one table_update, with their values before it.
struct TableSample {
  size_t clipped = 0;
  double grad_sq = 0;
  std::vector<float> w0, m0, v0, w, m, v;
};

std::vector<float> values_of(const TableValues& vals, const std::vector<uint32_t>& rows,
                             float (TableValues::*f)(uint64_t) const) {
  std::vector<float> out;
  out.reserve(rows.size() * vals.dim);
  for (uint32_t r : rows)
    for (size_t d = 0; d < vals.dim; ++d) out.push_back((vals.*f)(uint64_t(r) * vals.dim + d));
  return out;
}

// The CPU's update of the sub-table of `rows` (sorted; every present row among them): each row's
// update depends only on its own values, gradient and count, so these are its full-table values.
TableSample cpu_on_rows(const TableUpdateParams& p, const TableValues& vals, const Present& pr,
                        const std::vector<uint32_t>& rows, bool with_grad_sq) {
  TableSample s;
  s.w0 = values_of(vals, rows, &TableValues::w);
  s.m0 = values_of(vals, rows, &TableValues::m);
  s.v0 = values_of(vals, rows, &TableValues::v);
  s.w = s.w0, s.m = s.m0, s.v = s.v0;
  std::vector<uint32_t> local;
  size_t missing = 0;
  for (uint32_t r : pr.rows) {
    const auto it = std::lower_bound(rows.begin(), rows.end(), r);
    missing += it == rows.end() || *it != r;
    local.push_back(uint32_t(it - rows.begin()));
  }
  REQUIRE(missing == 0);
  TableUpdateParams q = p;
  q.table_rows = rows.size();
  CpuOps<float> cpu;
  if (with_grad_sq) s.grad_sq = cpu.table_grad_sum_squares(q, s.w.data(), local.data(), pr.grad.data(), local.size());
  s.clipped = table_update_clipped(cpu, q, s.w.data(), s.m.data(), s.v.data(), local.data(), pr.counts.data(), pr.grad.data(),
                               local.size());
  return s;
}

// The GPU's update of the whole table, read back at `rows`.
TableSample gpu_full_table(const TableUpdateParams& p, const TableValues& vals, const Present& pr,
                           const std::vector<uint32_t>& rows, bool with_grad_sq) {
  CudaOps gpu;
  MemorySpace& mem = gpu.memory();
  const size_t total = p.table_rows * p.dim;
  Buffer<float> w(mem, total), m(mem, total), v(mem, total);
  upload_generated(mem, w.data(), total, [&](uint64_t i) { return vals.w(i); });
  upload_generated(mem, m.data(), total, [&](uint64_t i) { return vals.m(i); });
  upload_generated(mem, v.data(), total, [&](uint64_t i) { return vals.v(i); });
  Buffer<uint32_t> ur = upload(mem, pr.rows), uc = upload(mem, pr.counts);
  Buffer<float> ug = upload(mem, pr.grad);
  TableSample s;
  if (with_grad_sq) s.grad_sq = gpu.table_grad_sum_squares(p, w.data(), ur.data(), ug.data(), pr.rows.size());
  s.clipped = table_update_clipped(gpu, p, w.data(), m.data(), v.data(), ur.data(), uc.data(), ug.data(), pr.rows.size());
  s.w = gather_rows(gpu, w.data(), rows, p.dim);
  s.m = gather_rows(gpu, m.data(), rows, p.dim);
  s.v = gather_rows(gpu, v.data(), rows, p.dim);
  return s;
}

double adam_lr_t(const AdamStep& s) {
  const double t = double(s.step);
  return s.lr * std::sqrt(1 - std::pow(s.beta2, t)) / (1 - std::pow(s.beta1, t));
}

// The Adam tolerances of the top of the file, and the clipped count exactly.
void check_table_sample(const std::string& what, const TableSample& got, const TableSample& want, const AdamStep& s) {
  INFO(what << ": clipped rows cuda " << got.clipped << ", cpu " << want.clipped);
  CHECK(got.clipped == want.clipped);
  const double lr_t = adam_lr_t(s);
  std::vector<float> w_mag(want.w.size());
  for (size_t i = 0; i < w_mag.size(); ++i) w_mag[i] = float(std::fabs(double(want.w[i]) - want.w0[i]) + lr_t);
  check_close(what + ": m", got.m, want.m, abs_of(want.m0), kRtol);
  check_close(what + ": v", got.v, want.v, {}, kRtolV);
  check_close(what + ": w", got.w, want.w, w_mag, kRtol);
}


}  // namespace

TEST_CASE("cuda scale: table_update with 150000 unique rows in one batch matches the CPU in all-rows and batch-rows mode with CowClip", "[cuda][large][table]") {
  struct Mode {
    bool dense;
    int clip_mode;      // 1: the authors' code bound, 2: the paper's bound
    bool absent_clip;   // code bound with 2*l2 > r: absent rows go through the per-row clip kernel
  };
  const Mode mode = GENERATE(Mode{true, 1, false}, Mode{true, 2, false}, Mode{true, 1, true}, Mode{false, 1, false},
                             Mode{false, 2, false});
  const size_t dim = GENERATE(size_t(10), size_t(1));  // the embedding table and the linear table
  CAPTURE(mode.dense, mode.clip_mode, mode.absent_clip, dim);
  const size_t rows = 1000003, unique = 150000;
  const TableValues vals{7100 + dim, dim};
  TableUpdateParams p = table_params(rows, dim, mode.dense, mode.clip_mode);
  if (mode.absent_clip) p.l2 = 0.05, p.clip.r = 0.05;
  Present pr = make_present(rows, dim, unique, {}, 7200 + dim);
  const size_t will_clip = settle_clip_decisions(pr, p, vals);
  INFO("rows CowClip will cut: " << will_clip << " of " << unique);
  REQUIRE(will_clip > 0);
  REQUIRE(will_clip < unique);
  std::vector<uint32_t> all(rows);
  for (size_t r = 0; r < rows; ++r) all[r] = uint32_t(r);
  const TableSample want = cpu_on_rows(p, vals, pr, all, true), got = gpu_full_table(p, vals, pr, all, true);
  check_table_sample("150000 unique rows", got, want, p.adam);
  CHECK(want.clipped == will_clip);
  {
    INFO("table_grad_sum_squares cuda " << got.grad_sq << ", cpu " << want.grad_sq);
    CHECK(std::fabs(got.grad_sq - want.grad_sq) <= kRtol * want.grad_sq);
  }
  if (!mode.dense) {  // rows absent from the batch keep their exact bits
    std::vector<char> present(rows, 0);
    for (uint32_t r : pr.rows) present[r] = 1;
    std::vector<float> got_absent, want_absent;
    for (size_t i = 0; i < rows * dim; ++i)
      if (!present[i / dim]) {
        got_absent.insert(got_absent.end(), {got.w[i], got.m[i], got.v[i]});
        want_absent.insert(want_absent.end(), {want.w0[i], want.m0[i], want.v0[i]});
      }
    check_bits("absent rows after a batch-rows update", got_absent, want_absent);
  }
}

TEST_CASE("cuda scale: a dense table_update of more than 2^32 values takes the 64-bit index path and matches the CPU on sampled rows", "[cuda][large][table]") {
  // 440000001 rows x 10 = 4.4e9 values: the flat Adam pass over absent rows runs past 2^32, and
  // total % 4 == 2, so its scalar tail after the float4 packs starts past 2^32 as well. The paper
  // bound keeps absent rows on that flat pass; the 200000 present rows are clipped row by row.
  const size_t rows = 440000001, dim = 10, total = rows * dim;
  REQUIRE(total > kTwo32);
  REQUIRE(total % 4 == 2);
  const TableValues vals{7300, dim};
  const TableUpdateParams p = table_params(rows, dim, true, 2);
  const std::vector<size_t> marks = {kTwo31 / dim, kTwo32 / dim};
  std::vector<uint32_t> must;
  for (size_t m : marks) must.insert(must.end(), {uint32_t(m - 1), uint32_t(m), uint32_t(m + 1)});
  Present pr = make_present(rows, dim, 200000, must, 7301);
  const size_t will_clip = settle_clip_decisions(pr, p, vals);
  REQUIRE(will_clip > 0);
  REQUIRE(will_clip < pr.rows.size());
  // Absent rows at both ends, either side of the rows where the value index passes 2^31 and 2^32,
  // and random ones, with every present row.
  std::set<uint32_t> sampled(pr.rows.begin(), pr.rows.end());
  for (size_t r : sample_indices(rows, 1000, marks, 100, 5000, 7302)) sampled.insert(uint32_t(r));
  const std::vector<uint32_t> sample(sampled.begin(), sampled.end());
  INFO("rows compared: " << sample.size());
  const TableSample got = gpu_full_table(p, vals, pr, sample, false);
  const TableSample want = cpu_on_rows(p, vals, pr, sample, false);
  check_table_sample("table of 4.4e9 values", got, want, p.adam);
  CHECK(want.clipped == will_clip);
}
