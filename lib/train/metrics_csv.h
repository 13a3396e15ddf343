// metrics.csv of a run: one row per periodic train-loss report ("train"), per mid-epoch
// evaluation ("eval"), per epoch ("epoch"), and one for the model the run hands over ("final").
// Columns are documented in docs/training.md.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "train/run_record.h"

namespace ctr {

class MetricsCsv {
 public:
  // Creates PATH with its header; when resuming from step `keep_steps`, keeps the existing rows
  // of steps <= keep_steps and drops the rest (what the run did after its checkpoint, and the
  // final row). `eval_split` ("valid" | "test" | "") is the columns evaluations fill.
  MetricsCsv(const std::string& path, bool resume, uint64_t keep_steps, std::string eval_split);
  ~MetricsCsv();
  MetricsCsv(const MetricsCsv&) = delete;
  MetricsCsv& operator=(const MetricsCsv&) = delete;

  void train_row(uint64_t epoch, uint64_t step, uint64_t samples, double loss, double clipped_fraction, double lr,
                 double seconds);
  void eval_row(const EvalRecord& e, uint64_t samples);
  void epoch_row(const EpochRecord& e, uint64_t step, uint64_t samples);
  // The model the run hands over: its step, and its scores on each split that was evaluated.
  void final_row(uint64_t epoch, uint64_t step, const std::optional<SplitScore>& valid,
                 const std::optional<SplitScore>& test);

  static const char* header();

 private:
  // ",auc,logloss,," or ",,,auc,logloss": the valid and test cells for an evaluation of eval_split_.
  std::string eval_cells(double auc, double logloss) const;
  void write(const std::string& line);

  std::string path_, eval_split_;
  std::FILE* f_ = nullptr;
};

}  // namespace ctr
