// `ctrtrain report DIR...`: the comparison table of finished runs (per scaling rule, by batch size).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "train/run_summary.h"

namespace ctr::app {

Command add_report_command(CLI::App& root) {
  auto dirs = std::make_shared<std::vector<std::string>>();
  auto md_out = std::make_shared<std::string>();
  CLI::App* c = root.add_subcommand("report", "Compare finished runs: a table per group differing only in batch size, rows by batch size");
  c->add_option("runs", *dirs, "Run directories (each holding report.json)")->required();
  c->add_option("--output", *md_out, "Also write the tables (markdown) to this file");
  return {c, [dirs, md_out] {
            std::vector<RunSummary> runs;
            for (const auto& d : *dirs) runs.push_back(read_run_summary(d));
            const std::string md = summary_markdown(runs);
            std::printf("%s", md.c_str());
            if (!md_out->empty()) write_text_file(*md_out, md);
          }};
}

}  // namespace ctr::app
