// ModelSelection: which evaluation of a run is its best, and when train.early_stopping ends the
// run. It sees only the sequence of evaluations, so a resumed run replays its record into it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "config/train_config.h"

namespace ctr {

class ModelSelection {
 public:
  explicit ModelSelection(const EarlyStoppingConfig& es) : es_(es) {}

  // Feeds the next evaluation; true when it is the best so far (by more than min_delta).
  bool observe(double auc, double logloss) {
    const double score = es_.metric == StopMetric::auc ? auc : -logloss;  // higher is better
    const bool better = !has_best_ || score > best_score_ + es_.min_delta;
    if (better) {
      has_best_ = true;
      best_score_ = score;
      best_index_ = seen_;
    }
    ++seen_;
    return better;
  }
  // Early stopping is on and `patience` evaluations in a row have not improved on the best.
  bool should_stop() const { return es_.enabled && has_best_ && seen_ - 1 - best_index_ >= size_t(es_.patience); }
  bool has_best() const { return has_best_; }
  size_t best_index() const { return best_index_; }  // into the evaluations fed so far

 private:
  EarlyStoppingConfig es_;
  bool has_best_ = false;
  double best_score_ = 0;
  size_t best_index_ = 0, seen_ = 0;
};

}  // namespace ctr
