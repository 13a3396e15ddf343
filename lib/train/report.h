// report.json of a run (keys documented in docs/training.md) and the one-line summary.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/train_config.h"
#include "dataset/dataset_meta.h"
#include "train/eval_detail.h"
#include "train/run_record.h"

namespace ctr {

// The model a run hands over, and its scores: report.json's valid and test, metrics.csv's final row.
struct FinalModel {
  uint64_t epoch = 0, step = 0;          // the epoch and step it was trained to
  bool best_restored = false;            // early stopping put back the best evaluation's weights
  std::optional<SplitScore> valid, test; // absent for a split the run has not got
  std::optional<EvalDetail> valid_detail, test_detail;
};

struct ReportInputs {
  const TrainConfig* cfg = nullptr;
  ResolvedHyper hyper;
  const DatasetMeta* meta = nullptr;
  std::string device;        // e.g. "cpu (16 threads)"
  uint64_t parameters = 0;   // model parameter count
  const RunRecord* record = nullptr;
  const FinalModel* final_model = nullptr;
  size_t best_index = 0;                // into record->evals: the best evaluation (when there is one)
  std::chrono::system_clock::time_point started_at;
  std::vector<double> profile_seconds;  // per Phase (backend/profiling_ops.h) when train.profile; else empty
};

std::string report_json(const ReportInputs& in);
// "test AUC 0.80123  logloss 0.44567  | 10 epochs, 45.8M samples in 1:23 (552k samples/s) | runs/x",
// with the valid scores first when there is a valid split, and "nothing evaluated" when neither is.
std::string summary_line(const RunRecord& record, const FinalModel& final_model, const std::string& run_dir);

}  // namespace ctr
