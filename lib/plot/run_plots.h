// The PNG plots of a run directory (`ctrtrain report --plot`): loss, AUC and clipped share from
// metrics.csv, the reliability diagram from report.json's calibration bins.
#pragma once

#include <string>
#include <vector>

namespace ctr::plot {

// Writes OUT_DIR/loss.png, auc.png, clipped.png and calibration.png (OUT_DIR is created; empty:
// RUN_DIR/plots) and returns the paths written, in that order. A plot without data (no AUC yet,
// no calibration in report.json) is skipped with an info log. ctr::Error naming the file when
// RUN_DIR has no metrics.csv or one of its files is damaged. report.json is optional (a run still
// training has none): the titles then name the directory.
std::vector<std::string> write_run_plots(const std::string& run_dir, const std::string& out_dir = "");

}  // namespace ctr::plot
