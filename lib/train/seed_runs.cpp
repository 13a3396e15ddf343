// ctrtrain --seeds: the per-seed runs and their seeds.json / seeds.md (see seed_runs.h).
#include "train/seed_runs.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/json_writer.h"
#include "ctr/version.h"
#include "train/seed_stats.h"

namespace fs = std::filesystem;

namespace ctr {

namespace {

// One figure of every run, NaN where a run lacks it (a split it did not have).
template <class F>
SampleStats stats_of(const std::vector<RunSummary>& runs, F field) {
  std::vector<double> v;
  for (const RunSummary& r : runs) v.push_back(field(r));
  return sample_stats(v);
}

struct Figures {
  SampleStats test_auc, test_logloss, valid_auc, valid_logloss, train_seconds;
};

Figures figures_of(const std::vector<RunSummary>& runs) {
  return {stats_of(runs, [](const RunSummary& r) { return r.auc; }),
          stats_of(runs, [](const RunSummary& r) { return r.logloss; }),
          stats_of(runs, [](const RunSummary& r) { return r.valid_auc; }),
          stats_of(runs, [](const RunSummary& r) { return r.valid_logloss; }),
          stats_of(runs, [](const RunSummary& r) { return r.train_seconds; })};
}

std::string seed_list(const std::vector<RunSummary>& runs, const char* sep) {
  std::string s;
  for (const RunSummary& r : runs) s += (s.empty() ? "" : sep) + std::to_string(r.seed);
  return s;
}

std::string number(double v, int decimals) { return std::isnan(v) ? "n/a" : fmt::format("{:.{}f}", v, decimals); }

void write_stats(JsonWriter& j, const std::string& key, const SampleStats& s) {
  j.begin_object(key).value("n", static_cast<uint64_t>(s.n)).value("mean", s.mean).value("sd", s.sd);
  j.value("half_width", s.half_width).value("ci_low", s.ci_low).value("ci_high", s.ci_high);
  j.value("min", s.min).value("max", s.max).end_object();
}

void write_split(JsonWriter& j, const std::string& key, double auc, double logloss) {
  if (std::isnan(auc) && std::isnan(logloss)) return;  // the run had no such split
  j.begin_object(key).value("auc", auc).value("logloss", logloss).end_object();
}

// A markdown row of the aggregate table; nothing for a figure no run has.
std::string stats_row(const std::string& label, const SampleStats& s, int decimals) {
  if (s.n == 0) return "";
  const std::string ci =
      s.has_interval() ? fmt::format("[{}, {}]", number(s.ci_low, decimals), number(s.ci_high, decimals)) : "n/a";
  return fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", label, s.n, number(s.mean, decimals),
                     number(s.sd, decimals), ci, number(s.min, decimals), number(s.max, decimals));
}

// "AUC 0.80123 ± 0.00042 (95% CI [a, b], 3 seeds)  logloss 0.44567 ± 0.00010 (95% CI [c, d])"
std::string split_summary(const std::string& split, const SampleStats& auc, const SampleStats& logloss) {
  auto with_spread = [](const SampleStats& s) {
    return fmt::format("{:.5f} ± {:.5f} (95% CI [{:.5f}, {:.5f}]", s.mean, s.sd, s.ci_low, s.ci_high);
  };
  if (!auc.has_interval())
    return fmt::format("{} AUC {:.5f} ({} seed: no sd or 95% CI)  logloss {:.5f}", split, auc.mean, auc.n,
                       logloss.mean);
  return fmt::format("{} AUC {}, {} seeds)  logloss {})", split, with_spread(auc), auc.n, with_spread(logloss));
}

// Without --force, a sequence never mixes its runs with an earlier one's; with it, the earlier
// aggregate goes first, so a sequence that fails part-way leaves no seeds.json of other runs.
void prepare_seeds_dir(const std::string& dir, const std::vector<uint64_t>& seeds, bool force) {
  const char* const aggregates[] = {"seeds.json", "seeds.md"};
  if (!force) {
    for (const char* f : aggregates)
      if (fs::exists(fs::path(dir) / f))
        throw UsageError(
            fmt::format("output.dir {} already holds an earlier --seeds run ({} exists); pass --force "
                        "to replace it, or choose another output.dir / name",
                        dir, f));
    for (uint64_t s : seeds) {
      const std::string d = seed_run_dir(dir, s);
      std::error_code e;
      if (fs::exists(d) && !(fs::is_directory(d) && fs::is_empty(d, e)))
        throw UsageError(
            fmt::format("{} (seed {}) already exists and is not empty; pass --force to replace its "
                        "run, or choose another output.dir / name",
                        d, s));
    }
  }
  std::error_code ec;
  for (const char* f : aggregates) fs::remove(fs::path(dir) / f, ec);
}

// One seed's run, read back from its report.json. Errors gain the seed and what is kept.
RunSummary train_seed(const TrainConfig& base, const std::vector<uint64_t>& seeds, size_t i,
                      const std::vector<RunSummary>& done, const TrainOptions& opts) {
  const std::string where = fmt::format("--seeds: seed {} ({} of {})", seeds[i], i + 1, seeds.size());
  std::string kept = "; no seed had finished";
  if (!done.empty()) {
    kept = "; the sequence stops here, the finished seeds' runs stay:";
    for (const RunSummary& r : done) kept += " " + r.dir;
  }
  spdlog::info("{} -> {}", where, seed_run_dir(base.output.dir, seeds[i]));
  try {
    return read_run_summary(run_training(seed_config(base, seeds[i]), opts).run_dir);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}{}", where, e.what(), kept));
  } catch (const Interrupted& e) {
    throw Interrupted(fmt::format("{}: {}{}", where, e.what(), kept), e.signal());
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}{}", where, e.what(), kept));
  } catch (...) {
    spdlog::error("{} failed{}", where, kept);
    throw;
  }
}

}  // namespace

std::vector<uint64_t> parse_seed_list(const std::string& text) {
  const std::string example = "e.g. --seeds 1,2,3";
  if (text.find_first_not_of(" \t") == std::string::npos)
    throw UsageError(fmt::format("--seeds: the list is empty; give one or more seeds, {}", example));
  std::vector<uint64_t> seeds;
  std::set<uint64_t> seen;
  size_t start = 0;
  for (size_t k = 1;; ++k) {
    const size_t end = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) throw UsageError(fmt::format("--seeds {}: entry {} is empty; {}", text, k, example));
    if (item.find_first_not_of("0123456789") != std::string::npos)
      throw UsageError(fmt::format("--seeds {}: '{}' is not a non-negative integer; {}", text, item, example));
    errno = 0;
    const unsigned long long v = std::strtoull(item.c_str(), nullptr, 10);
    if (errno == ERANGE)
      throw UsageError(fmt::format("--seeds {}: '{}' does not fit in 64 bits (train.seed)", text, item));
    if (!seen.insert(v).second)
      throw UsageError(fmt::format("--seeds {}: seed {} is given twice; each seed runs once", text, v));
    seeds.push_back(v);
    if (end == text.size()) return seeds;
    start = end + 1;
  }
}

std::string seed_run_dir(const std::string& base_dir, uint64_t seed) {
  return (fs::path(base_dir) / ("seed-" + std::to_string(seed))).string();
}

TrainConfig seed_config(const TrainConfig& base, uint64_t seed) {
  TrainConfig c = base;
  c.train.seed = seed;
  c.output.dir = seed_run_dir(base.output.dir, seed);
  c.name = base.name + "-s" + std::to_string(seed);
  return c;
}

std::string seeds_json(const std::string& name, const std::string& dir, const std::vector<RunSummary>& runs) {
  const Figures f = figures_of(runs);
  JsonWriter j;
  j.begin_object().value("name", name).value("output_dir", dir);
  std::vector<uint64_t> seeds;
  for (const RunSummary& r : runs) seeds.push_back(r.seed);
  j.array("seeds", seeds);
  j.begin_array("runs");
  for (const RunSummary& r : runs) {
    j.begin_object().value("seed", r.seed).value("name", r.name).value("dir", r.dir);
    write_split(j, "valid", r.valid_auc, r.valid_logloss);
    write_split(j, "test", r.auc, r.logloss);
    j.value("train_seconds", r.train_seconds).value("epochs_done", r.epochs_done).end_object();
  }
  j.end_array();
  j.begin_object("aggregate").value("n", static_cast<uint64_t>(runs.size())).value("confidence", 0.95);
  j.value("t", runs.size() >= 2 ? t_quantile_975(runs.size() - 1) : std::nan(""));
  j.value("interval", runs.size() >= 2 ? "mean -/+ t(0.975, n-1) * sd / sqrt(n), sd with divisor n-1"
                                       : "none: one seed has no standard deviation or interval");
  if (f.valid_auc.n + f.valid_logloss.n > 0) {
    j.begin_object("valid");
    write_stats(j, "auc", f.valid_auc);
    write_stats(j, "logloss", f.valid_logloss);
    j.end_object();
  }
  if (f.test_auc.n + f.test_logloss.n > 0) {
    j.begin_object("test");
    write_stats(j, "auc", f.test_auc);
    write_stats(j, "logloss", f.test_logloss);
    j.end_object();
  }
  write_stats(j, "train_seconds", f.train_seconds);
  j.end_object();
  j.value("ctrtrain_version", CTR_VERSION).end_object();
  return j.str();
}

std::string seeds_markdown(const std::string& name, const std::vector<RunSummary>& runs) {
  const Figures f = figures_of(runs);
  const bool valid = f.valid_auc.n > 0;
  std::string out = fmt::format("### seeds of {}: {} run{} (seed{} {})\n\n", name, runs.size(),
                                runs.size() == 1 ? "" : "s", runs.size() == 1 ? "" : "s", seed_list(runs, ", "));
  out += fmt::format("| seed | {}test AUC | test logloss | train s | run |\n",
                     valid ? "valid AUC | valid logloss | " : "");
  out += valid ? "|---|---|---|---|---|---|---|\n" : "|---|---|---|---|---|\n";
  for (const RunSummary& r : runs)
    out += fmt::format("| {} | {}{} | {} | {:.1f} | {} |\n", r.seed,
                       valid ? number(r.valid_auc, 5) + " | " + number(r.valid_logloss, 5) + " | " : "",
                       number(r.auc, 5), number(r.logloss, 5), r.train_seconds, r.dir);
  out += "\n| figure | n | mean | sd | 95% CI of the mean | min | max |\n|---|---|---|---|---|---|---|\n";
  out += stats_row("test AUC", f.test_auc, 5) + stats_row("test logloss", f.test_logloss, 5);
  out += stats_row("valid AUC", f.valid_auc, 5) + stats_row("valid logloss", f.valid_logloss, 5);
  out += stats_row("train s", f.train_seconds, 1) + "\n";
  if (runs.size() >= 2)
    out += fmt::format(
        "sd: the sample standard deviation (divisor n - 1). 95% CI: mean ± t · sd / √n, "
        "t = t(0.975, {}) = {:.3f} (Student's t, n - 1 = {} degrees of freedom).\n",
        runs.size() - 1, t_quantile_975(runs.size() - 1), runs.size() - 1);
  else
    out += "One seed: no standard deviation and no confidence interval; they need two seeds or more.\n";
  return out;
}

std::string seeds_summary_line(const std::vector<RunSummary>& runs, const std::string& dir) {
  const Figures f = figures_of(runs);
  std::string scores;
  if (f.test_auc.n > 0) scores = split_summary("test", f.test_auc, f.test_logloss);
  if (f.valid_auc.n > 0)
    scores += (scores.empty() ? "" : "  | ") + split_summary("valid", f.valid_auc, f.valid_logloss);
  if (scores.empty()) scores = "nothing evaluated (no valid or test split)";
  return fmt::format("{}  | seeds {}, mean train {:.1f} s | {}", scores, seed_list(runs, ","), f.train_seconds.mean,
                     dir);
}

SeedsOutcome run_seeds(const TrainConfig& base, const std::vector<uint64_t>& seeds, const TrainOptions& opts) {
  CTR_CHECK(!seeds.empty(), "run_seeds without seeds");
  if (opts.resume) throw UsageError("--seeds starts fresh runs: it cannot be combined with --resume");
  SeedsOutcome out;
  out.dir = base.output.dir;
  prepare_seeds_dir(out.dir, seeds, opts.force);
  const bool existed = fs::exists(out.dir);
  try {
    for (size_t i = 0; i < seeds.size(); ++i) out.runs.push_back(train_seed(base, seeds, i, out.runs, opts));
  } catch (...) {
    // Like a single run's failed start: a base directory this sequence made, and left empty, goes.
    std::error_code ec;
    if (!existed && fs::is_empty(out.dir, ec)) fs::remove(out.dir, ec);
    throw;
  }
  out.markdown = seeds_markdown(base.name, out.runs);
  out.summary = seeds_summary_line(out.runs, out.dir);
  write_text_file((fs::path(out.dir) / "seeds.json").string(), seeds_json(base.name, out.dir, out.runs));
  write_text_file((fs::path(out.dir) / "seeds.md").string(), out.markdown);
  fmt::print("\n{}\n{}\n", out.markdown, out.summary);
  std::fflush(stdout);
  return out;
}

}  // namespace ctr
