// GPU ROC AUC and log loss (cuda_metrics.h), twinned with metrics/auc.cpp and metrics/logloss.cpp.
//
// AUC: validate and key the scores; radix-sort (key, label); reduce each run of equal keys to
// (negatives << 32) | positives; an inclusive scan of those packed words gives, per run, the
// negatives below it; 2U = sum over runs of pos * (2 * negatives below + negatives tied). Every
// step before the final division is exact integer arithmetic, so 2U, P and N are the very integers
// the CPU's merge pass computes, and the division below is the CPU's expression on the host:
// the AUC is bit-identical to ctr::roc_auc.
#include "cuda/cuda_metrics.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cub/block/block_reduce.cuh>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_reduce.cuh>
#include <cub/device/device_scan.cuh>
#include <cuda/std/functional>
#include <thrust/iterator/transform_iterator.h>

#include "core/error.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_reduce.cuh"

namespace ctr::cuda {
namespace {

constexpr int kThreads = 256;
// Grid-stride loops cover any n; more blocks than this only add scheduling overhead.
constexpr size_t kMaxBlocks = 8192;
constexpr unsigned kFullMask = 0xffffffffu;
constexpr unsigned long long kNone = ~0ull;
constexpr unsigned long long kLow32 = 0xffffffffull;
// One negative or one positive as a packed (negatives << 32) | positives count. Sums of these
// cannot carry from the low half into the high one while n < 2^32.
constexpr unsigned long long kOneNegative = 1ull << 32, kOnePositive = 1ull;

int grid_for(size_t n) {
  return static_cast<int>(std::max<size_t>(1, std::min(kMaxBlocks, (n + kThreads - 1) / kThreads)));
}

// metrics/auc.cpp's order_key: a uint32 whose unsigned order is the float's numeric order, with
// -0.0 and +0.0 on the same key so they tie.
__device__ __forceinline__ uint32_t order_key(float score) {
  uint32_t b = __float_as_uint(score);
  if ((b << 1) == 0) b = 0;
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

struct PackedCount {
  __host__ __device__ unsigned long long operator()(uint8_t positive) const {
    return positive ? kOnePositive : kOneNegative;
  }
};

__global__ void init_words_kernel(MetricsWords* w) {
  w->bad_label = kNone;
  w->nan_score = kNone;
  w->totals = 0;
  w->u2 = 0;
  w->logloss_sum = 0.0;
  w->num_runs = 0;
}

// keys[i] = order_key(probs[i]), positive[i] = labels[i] == 1, and the smallest index of a
// non-binary label and of a NaN score. Every lane of a warp runs every iteration (the loop bound
// is per block), so a warp's bad lanes are found with one ballot: its lowest set lane holds the
// warp's smallest bad index, and only that lane issues the atomicMin.
__global__ void __launch_bounds__(kThreads)
    prepare_kernel(const float* probs, const float* labels, size_t n, uint32_t* keys, uint8_t* positive,
                   MetricsWords* w) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  const unsigned lane = threadIdx.x % 32;
  for (size_t base = size_t(blockIdx.x) * blockDim.x; base < n; base += stride) {
    const size_t i = base + threadIdx.x;
    bool bad_label = false, nan_score = false;
    if (i < n) {
      const float y = labels[i], p = probs[i];
      bad_label = !(y == 0.0f || y == 1.0f);
      nan_score = isnan(p);
      keys[i] = order_key(p);
      positive[i] = y == 1.0f;
    }
    const unsigned bad_labels = __ballot_sync(kFullMask, bad_label);
    const unsigned nan_scores = __ballot_sync(kFullMask, nan_score);
    if (bad_labels != 0 && lane == unsigned(__ffs(bad_labels) - 1)) atomicMin(&w->bad_label, (unsigned long long)i);
    if (nan_scores != 0 && lane == unsigned(__ffs(nan_scores) - 1)) atomicMin(&w->nan_score, (unsigned long long)i);
  }
}

// cum[r] = the packed counts of runs 0..r (inclusive scan). Adds run r's
// pos_r * (2 * negatives below + neg_r) into w->u2 and stores the totals. Integer addition is
// exact in any order, so the atomics cannot make the sum depend on timing; 2U <= n^2 / 2 fits.
__global__ void __launch_bounds__(kThreads) u2_kernel(const unsigned long long* cum, MetricsWords* w) {
  using BlockReduce = cub::BlockReduce<unsigned long long, kThreads>;
  __shared__ typename BlockReduce::TempStorage temp;
  const size_t runs = static_cast<size_t>(w->num_runs);
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  unsigned long long acc = 0;
  for (size_t r = size_t(blockIdx.x) * blockDim.x + threadIdx.x; r < runs; r += stride) {
    const unsigned long long below = r ? cum[r - 1] : 0, run = cum[r] - below;
    acc += (run & kLow32) * (2 * (below >> 32) + (run >> 32));
    if (r == runs - 1) w->totals = cum[r];
  }
  acc = BlockReduce(temp).Sum(acc);
  if (threadIdx.x == 0 && acc != 0) atomicAdd(&w->u2, acc);
}

// The CPU's messages (metrics/auc.cpp), checked in its order after the one read-back.
[[noreturn]] void throw_bad_label(cudaStream_t s, const float* labels, size_t i, MetricsScratch& scratch) {
  CTR_CUDA_CHECK(cudaMemcpyAsync(&scratch.host->label, labels + i, sizeof(float), cudaMemcpyDeviceToHost, s));
  CTR_WAIT_FOR_STREAM(s);
  throw Error(fmt::format("AUC: label {} is {} (labels must be 0 or 1)", i, scratch.host->label));
}

// roc_auc's checks in its order, then the results from the words the device computed. Once they
// pass, log_loss's own (n == 0, a bad label, a NaN probability) cannot fail, so its messages never
// show through CpuOps::auc_logloss either.
void finish_auc_logloss(cudaStream_t s, const float* labels, size_t n, const MetricsWords w,
                        MetricsScratch& scratch, double* auc, double* logloss) {
  if (w.bad_label != kNone) throw_bad_label(s, labels, static_cast<size_t>(w.bad_label), scratch);
  const size_t npos = static_cast<size_t>(w.totals & kLow32), nneg = static_cast<size_t>(w.totals >> 32);
  CTR_CHECK(npos + nneg == n, "AUC: {} positives and {} negatives counted for {} examples", npos, nneg, n);
  if (npos == 0 || npos == n)
    throw Error(fmt::format(
        "AUC is undefined: only one class is present (all {} labels are {}); it needs both 0 and 1", n,
        npos == 0 ? 0 : 1));
  if (w.nan_score != kNone)
    throw Error(fmt::format("AUC: score {} is NaN (the model's predictions diverged?)", w.nan_score));

  // The CPU's expression, operand for operand, on the same integers: the same bits.
  const uint64_t u2 = w.u2;
  *auc = static_cast<double>(u2) / (2.0 * static_cast<double>(npos) * static_cast<double>(nneg));
  *logloss = w.logloss_sum / static_cast<double>(n);
}

}  // namespace

MetricsScratch::MetricsScratch() {
  // The members are constructed by now, so their destructors run if this throws.
  CTR_CUDA_CHECK(cudaMallocHost(&host, sizeof(Host)));
}

MetricsScratch::~MetricsScratch() {
  // Errors here cannot be acted upon: the scratch is being torn down.
  if (host) cudaFreeHost(host);
}

void auc_logloss(cudaStream_t s, const float* probs, const float* labels, size_t n, MetricsScratch& scratch,
                 double* auc, double* logloss) {
  // roc_auc checks the labels first, but with n == 0 there are none to be wrong.
  if (n == 0)
    throw Error(
        "AUC is undefined: there are no examples (n = 0); it needs labels of both classes, not "
        "only one class or none");
  // The CPU's own limit is 2^32 - 1 (2U must fit a uint64); CUB's int item count is the lower one.
  if (n > size_t(INT_MAX))
    throw Error(fmt::format("AUC: {} examples are more than the supported 2^31 - 1 on the GPU", n));
  const int items = static_cast<int>(n);

  uint32_t* keys = scratch.keys.ensure(n);
  uint32_t* keys_alt = scratch.keys_alt.ensure(n);
  uint8_t* positive = scratch.positive.ensure(n);
  uint8_t* positive_alt = scratch.positive_alt.ensure(n);
  unsigned long long* runs = scratch.runs.ensure(n);
  MetricsWords* words = scratch.words.ensure(1);
  const auto plus = ::cuda::std::plus<unsigned long long>{};
  using Counts = thrust::transform_iterator<PackedCount, const uint8_t*, unsigned long long>;

  // One CUB temporary buffer serves all three algorithms. The size queries get DoubleBuffers of
  // their own, so the sort below starts from a known selector whatever a query does to them.
  size_t sort_bytes = 0, reduce_bytes = 0, scan_bytes = 0;
  {
    cub::DoubleBuffer<uint32_t> k(keys, keys_alt);
    cub::DoubleBuffer<uint8_t> v(positive, positive_alt);
    CTR_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, k, v, items, 0, 32, s));
    CTR_CUDA_CHECK(cub::DeviceReduce::ReduceByKey(nullptr, reduce_bytes, keys, keys_alt,
                                                  Counts(positive, PackedCount()), runs, &words->num_runs, plus,
                                                  items, s));
    CTR_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, scan_bytes, runs, runs, items, s));
  }
  void* temp = scratch.cub_temp.ensure(std::max({sort_bytes, reduce_bytes, scan_bytes, size_t(1)}));

  init_words_kernel<<<1, 1, 0, s>>>(words);
  CTR_CUDA_CHECK_LAUNCH();
  prepare_kernel<<<grid_for(n), kThreads, 0, s>>>(probs, labels, n, keys, positive, words);
  CTR_CUDA_CHECK_LAUNCH();

  cub::DoubleBuffer<uint32_t> sorted_keys(keys, keys_alt);
  cub::DoubleBuffer<uint8_t> sorted_positive(positive, positive_alt);
  size_t temp_bytes = scratch.cub_temp.size();
  CTR_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp, temp_bytes, sorted_keys, sorted_positive, items, 0, 32, s));
  // The scan below runs over all n entries, since the number of runs is known only on the device;
  // zeroing keeps the entries past it defined (they do not affect the runs before them).
  CTR_CUDA_CHECK(cudaMemsetAsync(runs, 0, n * sizeof(unsigned long long), s));
  temp_bytes = scratch.cub_temp.size();
  CTR_CUDA_CHECK(cub::DeviceReduce::ReduceByKey(temp, temp_bytes, sorted_keys.Current(), sorted_keys.Alternate(),
                                                Counts(sorted_positive.Current(), PackedCount()), runs,
                                                &words->num_runs, plus, items, s));
  temp_bytes = scratch.cub_temp.size();
  CTR_CUDA_CHECK(cub::DeviceScan::InclusiveSum(temp, temp_bytes, runs, runs, items, s));
  u2_kernel<<<grid_for(n), kThreads, 0, s>>>(runs, words);
  CTR_CUDA_CHECK_LAUNCH();

  // metrics/logloss.cpp's clipping and terms: the clamp happens in double, on the float widened.
  constexpr double kEps = 1e-7;  // log_loss's default eps
  const double lo = kEps, hi = 1.0 - kEps;
  device_sum(
      s, n,
      [probs, labels, lo, hi] __device__(size_t i) -> double {
        const double v = probs[i];
        const double p = v < lo ? lo : (hi < v ? hi : v);  // std::clamp(v, lo, hi), NaN passed through
        return labels[i] == 1.0f ? -log(p) : -log(1.0 - p);
      },
      scratch.sums, &words->logloss_sum);

  CTR_CUDA_CHECK(cudaMemcpyAsync(&scratch.host->words, words, sizeof(MetricsWords), cudaMemcpyDeviceToHost, s));
  CTR_WAIT_FOR_STREAM(s);
  finish_auc_logloss(s, labels, n, scratch.host->words, scratch, auc, logloss);
}

}  // namespace ctr::cuda
