// CUDA embedding kernels (cuda_embedding.h), written to reproduce backend/cpu_embedding.cpp value for value.
#include "cuda/cuda_embedding.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_run_length_encode.cuh>
#include <cub/device/device_scan.cuh>

#include "backend/optimizer_math.h"
#include "core/error.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_reduce.cuh"

namespace ctr::cuda {
namespace {

constexpr int kThreads = 256;
// Grid-stride loops cover any n; more blocks than this only add scheduling overhead.
constexpr size_t kMaxBlocks = 8192;
constexpr unsigned kFullMask = 0xffffffffu;

// A unique row with more occurrences than this is summed by a whole block instead of one thread
// per column: small-vocabulary fields put tens of thousands of a large batch's ids on one row,
// and a single thread walking them all would stall the step on load latency.
constexpr uint32_t kHeavyCount = 256;
constexpr int kHeavyThreads = 1024;
// Heavy rows are few (at most B*F / (kHeavyCount + 1)); past this many, each block takes several.
constexpr size_t kMaxHeavyBlocks = 512;
// Loads issued ahead of the in-order additions of an occurrence run, so a thread keeps several
// memory requests in flight without changing the summation order.
constexpr int kSumUnroll = 8;

int grid_for(size_t n) {
  return static_cast<int>(std::max<size_t>(1, std::min(kMaxBlocks, (n + kThreads - 1) / kThreads)));
}

// 32-bit index math is much cheaper than 64-bit division; it is safe while i + grid stride
// cannot wrap, which n < 2^31 guarantees (the stride is at most kMaxBlocks * kThreads).
bool fits_u32(size_t n) { return n < (size_t(1) << 31); }

bool aligned(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// V consecutive floats moved as one 4V-byte access (ld/st.global.v2/v4 when V is 2 or 4).
template <int V>
struct alignas(sizeof(float) * V) Pack {
  float f[V];
};

// The access goes through CUDA's own vector types: nvcc may split a plain aggregate copy of a
// Pack into scalar accesses.
template <int V>
struct VecOf;
template <>
struct VecOf<1> {
  using type = float;
};
template <>
struct VecOf<2> {
  using type = float2;
};
template <>
struct VecOf<4> {
  using type = float4;
};

template <int V>
__device__ __forceinline__ Pack<V> load_pack(const float* p) {
  using Vec = typename VecOf<V>::type;
  const Vec x = *reinterpret_cast<const Vec*>(p);
  Pack<V> r;
  memcpy(&r, &x, sizeof r);
  return r;
}

template <int V>
__device__ __forceinline__ void store_pack(float* p, const Pack<V>& x) {
  using Vec = typename VecOf<V>::type;
  Vec y;
  memcpy(&y, &x, sizeof y);
  *reinterpret_cast<Vec*>(p) = y;
}

// Every lane of the (full) warp calls this; lane 0 adds the warp's total to *counter. One atomic
// per warp keeps a table-wide count from serialising on a single address.
__device__ __forceinline__ void add_warp_count(unsigned long long local, unsigned long long* counter) {
  for (int off = 16; off > 0; off /= 2) local += __shfl_down_sync(kFullMask, local, off);
  if (threadIdx.x % 32 == 0 && local != 0) atomicAdd(counter, local);
}

// ------------------------------------------------------------------------------------------ gather

template <int V, class I>
__global__ void gather_kernel(const float* __restrict__ table, const uint32_t* __restrict__ rows_idx, I total,
                              I packs_per_row, I fields, size_t dim, float* __restrict__ out, size_t out_stride) {
  const I stride = I(gridDim.x) * blockDim.x;
  for (I i = I(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const I bf = i / packs_per_row, j = i - bf * packs_per_row;
    const I b = bf / fields, f = bf - b * fields;
    const float* src = table + size_t(rows_idx[bf]) * dim + size_t(j) * V;
    float* dst = out + size_t(b) * out_stride + size_t(f) * dim + size_t(j) * V;
    using Vec = typename VecOf<V>::type;
    // __stwb: an ordinary store, but one nvcc keeps as a single vector access.
    __stwb(reinterpret_cast<Vec*>(dst), __ldg(reinterpret_cast<const Vec*>(src)));
  }
}

template <int V>
void launch_gather(cudaStream_t s, const float* table, const uint32_t* rows_idx, size_t batch, size_t fields,
                   size_t dim, float* out, size_t out_stride) {
  const size_t packs = dim / V, total = batch * fields * packs;
  if (fits_u32(total))
    gather_kernel<V, uint32_t><<<grid_for(total), kThreads, 0, s>>>(
        table, rows_idx, uint32_t(total), uint32_t(packs), uint32_t(fields), dim, out, out_stride);
  else
    gather_kernel<V, size_t><<<grid_for(total), kThreads, 0, s>>>(table, rows_idx, total, packs, fields, dim, out,
                                                                   out_stride);
  CTR_CUDA_CHECK_LAUNCH();
}

// ------------------------------------------------------------------------------------------ reduce

// Where the gradient of one occurrence comes from: column col < dim of the embedding gradient,
// or (col == dim) the sample's linear gradient, which every field's linear row receives.
struct ReduceSource {
  const float* d_emb;
  const float* d_linear;
  size_t grad_stride;
  uint32_t fields, dim;
};

__device__ __forceinline__ float occurrence_term(const ReduceSource& s, uint32_t occ, uint32_t col) {
  const uint32_t b = occ / s.fields, f = occ - b * s.fields;
  return col < s.dim ? __ldg(s.d_emb + size_t(b) * s.grad_stride + size_t(f) * s.dim + col) : __ldg(s.d_linear + b);
}

// Sum of column col over the sorted occurrences [k, end), added in their (ascending) order as the
// CPU does; the loads run ahead of the additions.
__device__ float run_sum(const ReduceSource& s, const uint32_t* __restrict__ sorted_occ, uint32_t k, uint32_t end,
                         uint32_t col) {
  float acc = 0.0f;
  for (; k + kSumUnroll <= end; k += kSumUnroll) {
    float x[kSumUnroll];
#pragma unroll
    for (int j = 0; j < kSumUnroll; ++j) x[j] = occurrence_term(s, __ldg(sorted_occ + k + j), col);
#pragma unroll
    for (int j = 0; j < kSumUnroll; ++j) acc = __fadd_rn(acc, x[j]);
  }
  for (; k < end; ++k) acc = __fadd_rn(acc, occurrence_term(s, __ldg(sorted_occ + k), col));
  return acc;
}

__device__ __forceinline__ void store_sum(const ReduceSource& s, size_t u, uint32_t col, float sum, float* grad_embed,
                                          float* grad_linear) {
  if (col < s.dim)
    grad_embed[u * s.dim + col] = sum;
  else
    grad_linear[u] = sum;
}

// occ[i] = i (the radix sort's values), and the largest row outside the table into *bad_row: the
// CPU rejects such a batch, and a row past the table would send table_update out of bounds.
__global__ void occurrence_index_kernel(const uint32_t* __restrict__ rows_idx, uint32_t n,
                                        unsigned long long table_rows, uint32_t* __restrict__ occ,
                                        uint32_t* bad_row) {
  const uint32_t stride = gridDim.x * blockDim.x;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    occ[i] = i;
    const uint32_t r = rows_idx[i];
    if (r >= table_rows) atomicMax(bad_row, r);
  }
}

// One thread per (unique row, column), columns 0..dim (dim: the linear gradient), for rows with
// at most kHeavyCount occurrences: a sequential sum in occurrence order, the CPU's bits exactly.
// Heavier rows are listed for reduce_heavy_kernel. Launched over the capacity B*F rows; the
// threads past U (read on the device, so the host need not wait for it) do nothing.
template <class I>
__global__ void reduce_light_kernel(ReduceSource src, const uint32_t* __restrict__ sorted_occ,
                                    const uint32_t* __restrict__ run_start, const uint32_t* __restrict__ counts,
                                    const uint32_t* unique, uint32_t* heavy_rows, uint32_t* num_heavy,
                                    float* __restrict__ grad_embed, float* __restrict__ grad_linear) {
  const I width = I(src.dim) + 1;
  const I limit = I(*unique) * width;
  const I stride = I(gridDim.x) * blockDim.x;
  for (I i = I(blockIdx.x) * blockDim.x + threadIdx.x; i < limit; i += stride) {
    const I u = i / width;
    const uint32_t col = uint32_t(i - u * width);
    const uint32_t cnt = counts[u];
    if (cnt > kHeavyCount) {
      if (col == 0) heavy_rows[atomicAdd(num_heavy, 1u)] = uint32_t(u);
      continue;
    }
    const uint32_t begin = run_start[u];
    store_sum(src, u, col, run_sum(src, sorted_occ, begin, begin + cnt, col), grad_embed, grad_linear);
  }
}

// A block per heavy row: the block's threads form `chunks` groups of `cols` column lanes; each
// lane sums one contiguous chunk of the row's occurrences in order, and the chunk sums are then
// added in chunk order. A fixed partition, so the result is the same on every run; it differs
// from the CPU's single sequential sum only in rounding order. The order in which heavy rows were
// listed (atomic) does not matter: each row's sum depends on that row alone.
__global__ void __launch_bounds__(kHeavyThreads)
    reduce_heavy_kernel(ReduceSource src, const uint32_t* __restrict__ sorted_occ,
                        const uint32_t* __restrict__ run_start, const uint32_t* __restrict__ counts,
                        const uint32_t* heavy_rows, const uint32_t* num_heavy, float* __restrict__ grad_embed,
                        float* __restrict__ grad_linear) {
  __shared__ float partial[kHeavyThreads];
  const uint32_t width = src.dim + 1;
  const uint32_t cols = min(width, uint32_t(kHeavyThreads)), chunks = kHeavyThreads / cols;
  const uint32_t lane = threadIdx.x % cols, chunk = threadIdx.x / cols;
  const uint32_t heavy = *num_heavy;
  for (uint32_t h = blockIdx.x; h < heavy; h += gridDim.x) {  // uniform over the block
    const uint32_t u = heavy_rows[h], begin = run_start[u], cnt = counts[u];
    const uint32_t len = (cnt + chunks - 1) / chunks;
    for (uint32_t c0 = 0; c0 < width; c0 += cols) {
      const uint32_t col = c0 + lane;
      float acc = 0.0f;
      if (chunk < chunks && col < width) {
        const uint32_t lo = min(cnt, chunk * len), hi = min(cnt, lo + len);
        acc = run_sum(src, sorted_occ, begin + lo, begin + hi, col);
      }
      partial[threadIdx.x] = acc;
      __syncthreads();
      if (chunk == 0 && col < width) {
        float total = 0.0f;
        for (uint32_t c = 0; c < chunks; ++c) total = __fadd_rn(total, partial[c * cols + lane]);
        store_sum(src, u, col, total, grad_embed, grad_linear);
      }
      __syncthreads();  // partial is rewritten by the next column group or row
    }
  }
}

// ------------------------------------------------------------------------------------------ update

// A thread per unique row of the batch (batch-rows mode, and the present rows of a flat all-rows step).
__global__ void unique_rows_update_kernel(RowUpdateCoeffs<float> a, float* table, float* m, float* v,
                                          const uint32_t* rows, const uint32_t* counts, const float* grad,
                                          size_t unique, unsigned long long* clipped) {
  unsigned long long local = 0;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t u = size_t(blockIdx.x) * blockDim.x + threadIdx.x; u < unique; u += stride) {
    const size_t off = size_t(rows[u]) * a.dim;
    local += update_row(a, table + off, m + off, v + off, grad + u * a.dim, counts[u]);
  }
  if (clipped) add_warp_count(local, clipped);
}

// A thread per table row (all-rows mode when CowClip can cut an absent row's L2 gradient); slot maps
// a row to its unique index, -1 when absent (slot nullptr: no row is present).
__global__ void all_rows_update_kernel(RowUpdateCoeffs<float> a, float* table, float* m, float* v, const int32_t* slot,
                                       const uint32_t* counts, const float* grad, size_t table_rows,
                                       unsigned long long* clipped) {
  unsigned long long local = 0;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t r = size_t(blockIdx.x) * blockDim.x + threadIdx.x; r < table_rows; r += stride) {
    const int32_t u = slot ? slot[r] : -1;
    const size_t off = r * a.dim;
    const bool cut = update_row(a, table + off, m + off, v + off, u >= 0 ? grad + size_t(u) * a.dim : nullptr,
                                u >= 0 ? counts[u] : 1u);
    if (u >= 0) local += cut;  // the statistic is over (id present in the batch, step) pairs
  }
  if (clipped) add_warp_count(local, clipped);
}

struct FlatArgs {
  AdamCoeffs<float> adam;
  float two_l2, scale;
};

// cpu::adam_flat over the values [first + j*V, first + (j+1)*V), j < count, of a table whose rows
// are dim wide, leaving the values of present rows (slot >= 0) to the per-row kernel. Values of
// one pack may belong to two rows, so presence is decided value by value; a pack is stored back
// whole (present values unchanged) since the per-row kernel runs after this one on the stream.
template <int V, class I>
__global__ void absent_rows_adam_kernel(float* __restrict__ w, float* __restrict__ m, float* __restrict__ v,
                                        const int32_t* __restrict__ slot, I first, I count, I dim, FlatArgs a) {
  const I stride = I(gridDim.x) * blockDim.x;
  for (I j = I(blockIdx.x) * blockDim.x + threadIdx.x; j < count; j += stride) {
    const I i = first + j * V;
    bool present[V];
    bool all_present = slot != nullptr;
    if (slot) {
      I r = i / dim, rem = i - r * dim;
#pragma unroll
      for (int k = 0; k < V; ++k) {
        present[k] = slot[r] >= 0;
        all_present = all_present && present[k];
        if (++rem == dim) {
          rem = 0;
          ++r;
        }
      }
    } else {
#pragma unroll
      for (int k = 0; k < V; ++k) present[k] = false;
    }
    if (all_present) continue;
    Pack<V> wp = load_pack<V>(w + i), mp = load_pack<V>(m + i), vp = load_pack<V>(v + i);
#pragma unroll
    for (int k = 0; k < V; ++k)
      if (!present[k]) {
        a.adam.apply(l2_only(wp.f[k], a.two_l2, a.scale), wp.f[k], mp.f[k], vp.f[k]);
      }
    store_pack<V>(w + i, wp);
    store_pack<V>(m + i, mp);
    store_pack<V>(v + i, vp);
  }
}

template <int V, class I>
void launch_absent_rows(cudaStream_t s, float* w, float* m, float* v, const int32_t* slot, I first, I count, I dim,
                        const FlatArgs& a) {
  if (count == 0) return;
  absent_rows_adam_kernel<V, I><<<grid_for(count), kThreads, 0, s>>>(w, m, v, slot, first, count, dim, a);
  CTR_CUDA_CHECK_LAUNCH();
}

// The flat pass over all total = table_rows * dim values, in 16- or 8-byte packs when w, m and v
// all allow it (the table is one contiguous array, so only the base alignment matters), with the
// last total % V values done one by one.
template <class I>
void absent_rows_adam(cudaStream_t s, float* w, float* m, float* v, const int32_t* slot, I total, I dim,
                      const FlatArgs& a) {
  auto all_aligned = [&](size_t bytes) { return aligned(w, bytes) && aligned(m, bytes) && aligned(v, bytes); };
  const I vec = all_aligned(16) ? 4 : all_aligned(8) ? 2 : 1;
  const I packs = total / vec;
  if (vec == 4)
    launch_absent_rows<4, I>(s, w, m, v, slot, I(0), packs, dim, a);
  else if (vec == 2)
    launch_absent_rows<2, I>(s, w, m, v, slot, I(0), packs, dim, a);
  const I done = vec == 1 ? I(0) : packs * vec;
  launch_absent_rows<1, I>(s, w, m, v, slot, done, total - done, dim, a);
}

// ------------------------------------------------------------------------------------- slot map

__global__ void scatter_slots_kernel(int32_t* slot, const uint32_t* rows, uint32_t unique, bool set) {
  const uint32_t stride = gridDim.x * blockDim.x;
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < unique; u += stride)
    slot[rows[u]] = set ? int32_t(u) : -1;
}

void scatter_slots(cudaStream_t s, int32_t* slot, const uint32_t* rows, size_t unique, bool set) {
  scatter_slots_kernel<<<grid_for(unique), kThreads, 0, s>>>(slot, rows, uint32_t(unique), set);
  CTR_CUDA_CHECK_LAUNCH();
}

// The row -> unique index map for all-rows mode, with rows[0..unique) claimed. The map stays all -1
// between calls (release_slots undoes exactly what this set), so it is filled only when the
// table outgrows it. nullptr when no row is present.
int32_t* claim_slots(cudaStream_t s, EmbeddingScratch& scratch, size_t table_rows, const uint32_t* rows,
                     size_t unique) {
  if (unique == 0) return nullptr;
  CTR_CHECK(unique <= size_t(INT32_MAX), "{} unique rows overflow the slot map's int32 indices", unique);
  if (scratch.slot_rows < table_rows) {
    int32_t* slot = scratch.slot.ensure(table_rows);
    CTR_CUDA_CHECK(cudaMemsetAsync(slot, 0xff, table_rows * sizeof(int32_t), s));  // all bytes 0xff: -1
    scratch.slot_rows = table_rows;
  }
  int32_t* slot = scratch.slot.data();
  scatter_slots(s, slot, rows, unique, true);
  return slot;
}

void release_slots(cudaStream_t s, int32_t* slot, const uint32_t* rows, size_t unique) {
  if (slot) scatter_slots(s, slot, rows, unique, false);
}

}  // namespace

EmbeddingScratch::EmbeddingScratch() { CTR_CUDA_CHECK(cudaMallocHost(&host_counters, sizeof(ReduceCounters))); }

EmbeddingScratch::~EmbeddingScratch() {
  // Errors here cannot be acted upon: the scratch is being torn down.
  if (host_counters) cudaFreeHost(host_counters);
}

void embedding_gather(cudaStream_t s, const float* table, const uint32_t* rows_idx, size_t batch, size_t fields,
                      size_t dim, float* out, size_t out_stride) {
  if (batch == 0 || fields == 0 || dim == 0) return;
  auto fits = [&](size_t v) {
    return dim % v == 0 && out_stride % v == 0 && aligned(table, v * sizeof(float)) && aligned(out, v * sizeof(float));
  };
  if (fits(4))
    launch_gather<4>(s, table, rows_idx, batch, fields, dim, out, out_stride);
  else if (fits(2))
    launch_gather<2>(s, table, rows_idx, batch, fields, dim, out, out_stride);
  else
    launch_gather<1>(s, table, rows_idx, batch, fields, dim, out, out_stride);
}

size_t embedding_reduce(cudaStream_t s, const EmbeddingReduceParams& p, const uint32_t* rows_idx,
                        const float* d_emb, const float* d_linear, UniqueRows<float>& out, EmbeddingScratch& scratch) {
  const size_t n = p.batch * p.fields;
  CTR_CHECK(p.table_rows <= (size_t(1) << 32), "a table of {} rows does not fit 32-bit row indices", p.table_rows);
  if (n == 0) {
    out.count = 0;
    return 0;
  }
  CTR_CHECK(n <= size_t(INT_MAX), "{} ids in one batch exceed CUB's int item count", n);
  CTR_CHECK(p.table_rows > 0, "{} ids cannot index a table of 0 rows", n);
  const int items = static_cast<int>(n);
  // Only the bits a row of this table can have: fewer radix passes for small tables.
  int end_bit = 1;
  while (end_bit < 32 && ((p.table_rows - 1) >> end_bit) != 0) ++end_bit;

  uint32_t* occ_index = scratch.occ_index.ensure(n);
  uint32_t* sorted_rows = scratch.sorted_rows.ensure(n);
  uint32_t* sorted_occ = scratch.sorted_occ.ensure(n);
  uint32_t* run_start = scratch.run_start.ensure(n + 1);
  ReduceCounters* counters = scratch.counters.ensure(1);
  const size_t max_heavy = n / (kHeavyCount + 1);  // counts sum to n
  uint32_t* heavy_rows = max_heavy ? scratch.heavy_rows.ensure(max_heavy) : nullptr;
  uint32_t* urows = out.rows.data();
  uint32_t* counts = out.counts.data();

  size_t sort_bytes = 0, encode_bytes = 0, scan_bytes = 0;
  CTR_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, rows_idx, sorted_rows, occ_index, sorted_occ,
                                                 items, 0, end_bit, s));
  CTR_CUDA_CHECK(
      cub::DeviceRunLengthEncode::Encode(nullptr, encode_bytes, sorted_rows, urows, counts, &counters->unique,
                                         items, s));
  CTR_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(nullptr, scan_bytes, counts, run_start, items, s));
  size_t temp_bytes = std::max({sort_bytes, encode_bytes, scan_bytes, size_t(1)});
  void* temp = scratch.cub_temp.ensure(temp_bytes);

  CTR_CUDA_CHECK(cudaMemsetAsync(counters, 0, sizeof(ReduceCounters), s));
  occurrence_index_kernel<<<grid_for(n), kThreads, 0, s>>>(rows_idx, uint32_t(n), p.table_rows, occ_index,
                                                           &counters->bad_row);
  CTR_CUDA_CHECK_LAUNCH();
  // LSD radix sort is stable: each row's occurrences stay in ascending order, as the CPU adds them.
  temp_bytes = scratch.cub_temp.size();
  CTR_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp, temp_bytes, rows_idx, sorted_rows, occ_index, sorted_occ,
                                                 items, 0, end_bit, s));
  temp_bytes = scratch.cub_temp.size();
  CTR_CUDA_CHECK(cub::DeviceRunLengthEncode::Encode(temp, temp_bytes, sorted_rows, urows, counts, &counters->unique,
                                                    items, s));
  // Past U the counts are stale, so are those run starts; nothing reads them.
  temp_bytes = scratch.cub_temp.size();
  CTR_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(temp, temp_bytes, counts, run_start, items, s));

  const ReduceSource src{d_emb, d_linear, p.grad_stride, uint32_t(p.fields), uint32_t(p.dim)};
  float* gemb = out.grad_embed.data();
  float* glin = out.grad_linear.data();
  const size_t cells = n * (p.dim + 1);
  if (fits_u32(cells))
    reduce_light_kernel<uint32_t><<<grid_for(cells), kThreads, 0, s>>>(
        src, sorted_occ, run_start, counts, &counters->unique, heavy_rows, &counters->heavy, gemb, glin);
  else
    reduce_light_kernel<size_t><<<grid_for(cells), kThreads, 0, s>>>(
        src, sorted_occ, run_start, counts, &counters->unique, heavy_rows, &counters->heavy, gemb, glin);
  CTR_CUDA_CHECK_LAUNCH();
  if (max_heavy) {
    const int blocks = static_cast<int>(std::min(max_heavy, kMaxHeavyBlocks));
    reduce_heavy_kernel<<<blocks, kHeavyThreads, 0, s>>>(src, sorted_occ, run_start, counts, heavy_rows,
                                                         &counters->heavy, gemb, glin);
    CTR_CUDA_CHECK_LAUNCH();
  }

  CTR_CUDA_CHECK(cudaMemcpyAsync(scratch.host_counters, counters, sizeof(ReduceCounters), cudaMemcpyDeviceToHost, s));
  CTR_WAIT_FOR_STREAM(s);
  const uint32_t bad_row = scratch.host_counters->bad_row;
  CTR_CHECK(bad_row == 0, "row {} outside a table of {} rows", bad_row, p.table_rows);
  const size_t u_count = scratch.host_counters->unique;
  out.count = u_count;
  return u_count;
}

void table_update(cudaStream_t s, const TableUpdateParams& p, float* table, float* m, float* v,
                  const uint32_t* rows, const uint32_t* counts, const float* grad, size_t unique,
                  uint64_t* clipped_rows, EmbeddingScratch& scratch) {
  static_assert(sizeof(uint64_t) == sizeof(unsigned long long), "the clipped counter is added to as a 64-bit word");
  const size_t dim = p.dim;
  const RowUpdateCoeffs<float> args = RowUpdateCoeffs<float>::from(p);
  // Only rows present in the batch count, and only CowClip clips; the kernels add to the caller's
  // counter in device memory, so nothing is read back here.
  unsigned long long* clipped =
      p.clip.enabled && unique > 0 ? reinterpret_cast<unsigned long long*>(clipped_rows) : nullptr;

  if (!p.update_all_rows) {
    if (unique == 0) return;
    unique_rows_update_kernel<<<grid_for(unique), kThreads, 0, s>>>(args, table, m, v, rows, counts, grad, unique,
                                                                    clipped);
    CTR_CUDA_CHECK_LAUNCH();
    return;
  }

  if (p.table_rows == 0) return;
  int32_t* slot = claim_slots(s, scratch, p.table_rows, rows, unique);
  // Rows absent from the batch get g = 2*lambda*w. When CowClip cannot cut that, they are one
  // flat elementwise pass: the bandwidth-bound bulk of an all-rows step.
  if (absent_rows_unclipped(p)) {
    const FlatArgs flat{args.adam, args.two_l2, args.scale};
    const size_t total = p.table_rows * dim;
    if (fits_u32(total))
      absent_rows_adam<uint32_t>(s, table, m, v, slot, uint32_t(total), uint32_t(dim), flat);
    else
      absent_rows_adam<size_t>(s, table, m, v, slot, total, dim, flat);
    if (unique) {
      unique_rows_update_kernel<<<grid_for(unique), kThreads, 0, s>>>(args, table, m, v, rows, counts, grad, unique,
                                                                      clipped);
      CTR_CUDA_CHECK_LAUNCH();
    }
  } else {
    all_rows_update_kernel<<<grid_for(p.table_rows), kThreads, 0, s>>>(args, table, m, v, slot, counts, grad,
                                                                       p.table_rows, clipped);
    CTR_CUDA_CHECK_LAUNCH();
  }
  release_slots(s, slot, rows, unique);
}

double table_grad_sum_squares(cudaStream_t s, const TableUpdateParams& p, const float* table, const uint32_t* rows,
                              const float* grad, size_t unique, EmbeddingScratch& scratch, SumScratch& sums) {
  const uint32_t dim = static_cast<uint32_t>(p.dim);
  const float two_l2 = static_cast<float>(2 * p.l2);
  if (dim == 0) return 0.0;
  if (!p.update_all_rows) {
    if (unique == 0) return 0.0;
    return sum_to_host(
        s, unique,
        [=] __device__(size_t u) -> double {
          return row_grad_sq(table + size_t(rows[u]) * dim, grad + u * dim, dim, two_l2);
        },
        sums);
  }
  if (p.table_rows == 0) return 0.0;
  int32_t* slot = claim_slots(s, scratch, p.table_rows, rows, unique);
  device_sum(
      s, p.table_rows,
      [=] __device__(size_t r) -> double {
        const int32_t u = slot ? slot[r] : -1;
        return row_grad_sq(table + r * dim, u >= 0 ? grad + size_t(u) * dim : nullptr, dim, two_l2);
      },
      sums, sums.result());
  // Queued before the wait, so the map is clean again whatever happens to the read.
  release_slots(s, slot, rows, unique);
  return sums.read(sums.result(), s);
}

}  // namespace ctr::cuda
