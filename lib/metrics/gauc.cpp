// gAUC by sorting (group, score) pairs once, then one counting pass per group (see gauc.h).
#include "metrics/gauc.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"

namespace ctr {

namespace {

struct Row {
  uint64_t group;
  float score;
  uint32_t positive;
};

// Twice the Mann-Whitney U of one group whose rows are sorted by score: each positive beats the
// negatives below it and half-beats the tied ones. Integer, so exact, as in roc_auc. Float ==
// makes -0 and +0 one score, which is what roc_auc's order key does.
uint64_t twice_u(const Row* r, size_t n) {
  uint64_t u2 = 0, neg_below = 0;
  for (size_t i = 0; i < n;) {
    size_t end = i, pos = 0;
    while (end < n && r[end].score == r[i].score) pos += r[end++].positive;
    const uint64_t neg = (end - i) - pos;
    u2 += pos * (2 * neg_below + neg);
    neg_below += neg;
    i = end;
  }
  return u2;
}

template <class Key>
std::vector<Row> sorted_rows(const float* probs, const float* labels, const Key* groups, size_t n) {
  std::vector<Row> rows(n);
  for (size_t i = 0; i < n; ++i) {
    if (labels[i] != 0.0f && labels[i] != 1.0f)
      throw Error(fmt::format("gAUC: label {} is {} (labels must be 0 or 1)", i, labels[i]));
    if (std::isnan(probs[i])) throw Error(fmt::format("gAUC: score {} is NaN (the model's predictions diverged?)", i));
    rows[i] = {uint64_t{groups[i]}, probs[i], labels[i] == 1.0f ? 1u : 0u};
  }
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return a.group != b.group ? a.group < b.group : a.score < b.score; });
  return rows;
}

template <class Key>
GaucResult grouped_auc_impl(const float* probs, const float* labels, const Key* groups, size_t n) {
  // A group's 2U is at most size^2 / 2, which must fit in a uint64 (as in roc_auc).
  if (n > UINT32_MAX) throw Error(fmt::format("gAUC: {} examples are more than the supported 2^32 - 1", n));
  const std::vector<Row> rows = sorted_rows(probs, labels, groups, n);
  GaucResult r;
  r.rows_total = n;
  double weighted = 0;  // sum of rows_g * AUC_g, in group order: deterministic
  for (size_t i = 0; i < n;) {
    size_t end = i;
    uint64_t pos = 0;
    for (; end < n && rows[end].group == rows[i].group; ++end) pos += rows[end].positive;
    const uint64_t size = end - i, neg = size - pos;
    if (pos == 0 || neg == 0) {
      ++r.groups_skipped;
    } else {
      ++r.groups_used;
      r.rows_used += size;
      const double auc =
          static_cast<double>(twice_u(&rows[i], size)) / (2.0 * static_cast<double>(pos) * static_cast<double>(neg));
      weighted += static_cast<double>(size) * auc;
    }
    i = end;
  }
  if (r.groups_used > 0) r.gauc = weighted / static_cast<double>(r.rows_used);
  return r;
}

}  // namespace

double GaucResult::value() const {
  if (gauc) return *gauc;
  throw Error(
      fmt::format("gAUC is undefined: none of the {} groups ({} rows) has both classes; it needs at least one group "
                  "with a click and a non-click (group by a coarser key, or evaluate on more rows)",
                  groups_skipped, rows_total));
}

GaucResult grouped_auc(const float* probs, const float* labels, const uint64_t* groups, size_t n) {
  return grouped_auc_impl(probs, labels, groups, n);
}

GaucResult grouped_auc(const float* probs, const float* labels, const uint32_t* groups, size_t n) {
  return grouped_auc_impl(probs, labels, groups, n);
}

}  // namespace ctr
