// Exact ROC AUC over a whole evaluation set, fast enough to run on Criteo's test split every epoch.
#pragma once

#include <cstddef>

namespace ctr {

// Exact ROC AUC: the Mann-Whitney statistic with tied scores counted 1/2, i.e. sklearn's
// roc_auc_score. labels must be 0 or 1 and scores must not be NaN (ctr::Error otherwise, naming
// the index). Throws ctr::Error("AUC is undefined: ... only one class ...") when n == 0 or all
// labels are equal. Deterministic; O(n) time (radix sort), 8 bytes of scratch per example.
double roc_auc(const float* scores, const float* labels, size_t n);

}  // namespace ctr
