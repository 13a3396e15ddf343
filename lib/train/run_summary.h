// RunSummary: the figures that compare training runs (batch size, scaling rule, resolved
// hyper-parameters, test AUC/logloss, time), read back from a run directory's report.json, and
// the per-rule table `ctrtrain report` prints.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ctr {

struct RunSummary {
  std::string dir, name, model, rule, bound_mode, embedding_update, loss_reduction;
  std::string data_path, dataset;
  std::string commit, host, started_at;  // "" in reports written before they were recorded
  std::string architecture;  // "embedding_dim 10, hidden [400, 400, 400], ..." as the report gives it
  double base_lr = 0, base_lr_embed = 0, base_l2 = 0;
  uint64_t base_batch_size = 0;
  bool cowclip = false;
  uint64_t batch_size = 0, epochs = 0, seed = 0;
  uint64_t epochs_done = 0;
  double lr = 0, lr_embed = 0, l2 = 0, init_stddev = 0;
  // Of the model the run handed over; NaN for a split the run did not have.
  double auc = 0, logloss = 0;              // test
  double valid_auc = 0, valid_logloss = 0;
  std::string selection_split;             // valid | test | none
  uint64_t selected_step = 0;
  bool stopped_early = false;
  double train_seconds = 0, samples_per_sec = 0;
  double clipped_fraction = 0;
};

// Throws ctr::Error naming the file (and the key) when DIR has no readable report.json.
RunSummary read_run_summary(const std::string& run_dir);

// Markdown: one table per group of runs that differ in the batch size only (rule, model and its
// widths, epochs, data, base hyper-parameters, CowClip and the rest of the setup), rows by batch
// size, with each run's speed-up in train seconds over the smallest batch of the same table.
std::string summary_markdown(std::vector<RunSummary> runs);

// One row per run, in the given order, with a header: every field above, plain numbers, no lists
// (docs/training.md, "report.csv").
std::string summary_csv(const std::vector<RunSummary>& runs);

}  // namespace ctr
