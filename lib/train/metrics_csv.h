// metrics.csv of a run: one row per periodic train-loss report ("train") and per epoch ("epoch").
// Columns are documented in docs/training.md.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "train/run_record.h"

namespace ctr {

class MetricsCsv {
 public:
  // Creates PATH with its header; when resuming after epoch `keep_epochs`, keeps the existing
  // rows of epochs <= keep_epochs and drops the rest (an interrupted epoch's rows).
  MetricsCsv(const std::string& path, bool resume, uint64_t keep_epochs);
  ~MetricsCsv();
  MetricsCsv(const MetricsCsv&) = delete;
  MetricsCsv& operator=(const MetricsCsv&) = delete;

  void train_row(uint64_t epoch, uint64_t step, uint64_t samples, double loss, double clipped_fraction, double lr,
                 double seconds);
  void epoch_row(const EpochRecord& e, uint64_t step, uint64_t samples);

  static const char* header();

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

}  // namespace ctr
