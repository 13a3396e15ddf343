// `ctrtrain report DIR...`: the comparison table of finished runs (per scaling rule, by batch size),
// or with --plot each run's PNG plots (loss, AUC, clipped share, calibration).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "plot/run_plots.h"
#include "train/run_summary.h"

namespace ctr::app {

namespace {

struct ReportOptions {
  std::vector<std::string> dirs;
  std::string md_out, csv_out, plot_dir;
  bool plot = false;
};

// With one run, --plot-dir holds its plots; with several, a folder per run named after the run's
// path ("runs/sweep/cowclip/1024" -> runs_sweep_cowclip_1024), so runs with the same last folder
// name do not overwrite each other.
std::string plot_dir_for(const ReportOptions& o, const std::string& run) {
  if (o.plot_dir.empty()) return "";
  if (o.dirs.size() == 1) return o.plot_dir;
  std::string name = std::filesystem::path(run).lexically_normal().string();
  while (!name.empty() && name.back() == '/') name.pop_back();
  for (char& c : name)
    if (c == '/') c = '_';
  return (std::filesystem::path(o.plot_dir) / name).string();
}

void run_report(const ReportOptions& o) {
  if (o.plot) {
    for (const auto& d : o.dirs)
      for (const std::string& path : plot::write_run_plots(d, plot_dir_for(o, d))) std::printf("%s\n", path.c_str());
    if (o.md_out.empty() && o.csv_out.empty()) return;
  }
  std::vector<RunSummary> runs;
  for (const auto& d : o.dirs) runs.push_back(read_run_summary(d));
  if (!o.csv_out.empty()) write_text_file(o.csv_out, summary_csv(runs));
  const std::string md = summary_markdown(runs);
  if (!o.plot) std::printf("%s", md.c_str());
  if (!o.md_out.empty()) write_text_file(o.md_out, md);
}

}  // namespace

Command add_report_command(CLI::App& root) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* c = root.add_subcommand(
      "report", "Compare finished runs: a table per group differing only in batch size, rows by batch size");
  c->add_option("runs", o->dirs, "Run directories (each holding report.json; with --plot, metrics.csv)")->required();
  c->add_option("--output", o->md_out, "Also write the tables (markdown) to this file");
  c->add_option("--csv", o->csv_out, "Also write one flat CSV row per run, in the given order, to this file (for pandas)");
  c->add_flag("--plot", o->plot,
              "Instead of the table, write each run's plots (loss, auc, clipped, calibration .png) into RUN/plots and "
              "print their paths");
  c->add_option("--plot-dir", o->plot_dir,
                "With --plot: write the plots here instead (one run), or into a folder per run under it (several)");
  return {c, [o] {
            if (!o->plot_dir.empty() && !o->plot)
              throw UsageError("report: --plot-dir " + o->plot_dir + " needs --plot (it says where the plots go)");
            run_report(*o);
          }};
}

}  // namespace ctr::app
