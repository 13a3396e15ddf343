// Group AUC (gAUC): the exact AUC of each group (user, ad, ...), averaged with impression weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace ctr {

struct GaucResult {
  // sum over used groups of rows_g * AUC_g / rows_used; empty when no group has both classes
  // (then the metric is undefined, not 0.5: callers report "n/a", never a NaN).
  std::optional<double> gauc;
  uint64_t groups_used = 0;     // groups holding both a 0 and a 1 label
  uint64_t groups_skipped = 0;  // groups holding one class only (their AUC is undefined)
  uint64_t rows_used = 0;       // rows of the used groups: the weights' sum
  uint64_t rows_total = 0;      // n

  // The value, or ctr::Error("gAUC is undefined: none of the N groups has both classes ...").
  double value() const;
};

// gAUC as FuxiCTR and DeepCTR define it: per group the exact ROC AUC of roc_auc (metrics/auc.h:
// the Mann-Whitney statistic, tied scores count 1/2, -0 ties +0), weighted by the group's rows;
// groups of one class are skipped. groups[i] is row i's group key; rows need not be sorted by
// group. labels must be 0 or 1 and probs must not be NaN (ctr::Error naming the index).
// Deterministic; O(n log n) time, 16 bytes of scratch per row. n == 0 gives an empty result.
GaucResult grouped_auc(const float* probs, const float* labels, const uint64_t* groups, size_t n);
GaucResult grouped_auc(const float* probs, const float* labels, const uint32_t* groups, size_t n);

}  // namespace ctr
