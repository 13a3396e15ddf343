// GPU ROC AUC and log loss of a whole evaluation set (cuda_metrics.cu), with the values and errors of
// metrics/auc.h and metrics/logloss.h. Plain C++, so host code (CudaOps) can own the scratch.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "cuda/cuda_reduce.h"
#include "cuda/device_array.h"

namespace ctr::cuda {

// What the metric kernels leave on the device; read back to the host in one copy.
struct MetricsWords {
  unsigned long long bad_label;  // smallest index whose label is not 0 or 1; ~0 when none
  unsigned long long nan_score;  // smallest index whose score is NaN; ~0 when none
  unsigned long long totals;     // (negatives << 32) | positives
  unsigned long long u2;         // twice the Mann-Whitney U (exact)
  double logloss_sum;            // sum over examples of the clipped log loss
  int num_runs;                  // distinct scores
};

// Device scratch reused across evaluations (grows to the largest n, then stays): 18 bytes per
// example plus CUB's temporary storage. A call that throws leaves it usable for the next one.
struct MetricsScratch {
  // Sort double buffers: order keys of the scores and their labels (1 = positive). After the
  // sort, the buffer not holding the sorted keys receives the distinct keys.
  DeviceArray<uint32_t> keys{"metrics: score sort keys"};            // [n]
  DeviceArray<uint32_t> keys_alt{"metrics: score sort keys (alt)"};  // [n]
  DeviceArray<uint8_t> positive{"metrics: sorted labels"};           // [n]
  DeviceArray<uint8_t> positive_alt{"metrics: sorted labels (alt)"};  // [n]
  // Per distinct score: (negatives << 32) | positives, then its inclusive prefix sum in place.
  DeviceArray<unsigned long long> runs{"metrics: per-score counts"};  // [n]
  DeviceArray<unsigned char> cub_temp{"metrics: CUB temporary storage"};
  DeviceArray<MetricsWords> words{"metrics: results"};  // [1]
  SumScratch sums;  // the log loss's deterministic sum

  // Pinned host words: the results, and an offending label read back for its error message.
  struct Host {
    MetricsWords words;
    float label;
  };
  Host* host = nullptr;

  MetricsScratch();
  ~MetricsScratch();  // never throws
  MetricsScratch(const MetricsScratch&) = delete;
  MetricsScratch& operator=(const MetricsScratch&) = delete;
};

// Exact ROC AUC and mean log loss of probs[n] against labels[n], both device pointers, with the
// semantics and errors (same checks, order and messages) of ctr::roc_auc followed by ctr::log_loss,
// as CpuOps::auc_logloss calls them. The AUC is bit-identical to the CPU's; the log loss agrees
// to about 1e-15 relative (different summation order, device log). Waits for the stream and
// returns host values. n must be at most INT_MAX (CUB's item count).
void auc_logloss(cudaStream_t s, const float* probs, const float* labels, size_t n, MetricsScratch& scratch,
                 double* auc, double* logloss);

}  // namespace ctr::cuda
