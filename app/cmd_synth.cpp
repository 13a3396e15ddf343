// `ctrtrain synth`: CLI options -> SynthOptions, then one file or a directory of day files.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "app/cli_checks.h"
#include "app/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stopwatch.h"
#include "io/byte_sink.h"
#include "synth/synth.h"
#include "synth/synth_files.h"

namespace ctr::app {

namespace {

struct SynthArgs {
  std::string dataset, output, compress;
  SynthOptions opts;
  SynthDaysOptions days;
};

void log_done(const SynthArgs& a, const SynthStats& s, Compression c, double secs) {
  spdlog::info("synth {}: {} rows, {:.2f}% positive, {:.1f} MB of text ({}), {:.1f} s, {:.0f} rows/s -> {}", a.dataset,
               s.rows, 100.0 * double(s.positives) / double(s.rows), double(s.bytes) / 1e6, compression_name(c), secs,
               secs > 0 ? double(s.rows) / secs : 0.0, a.output);
}

// One file (--rows), or with --days a directory of day files (gzip unless --compress says else).
void run_synth(SynthArgs a, bool by_day) {
  SynthOptions o = a.opts;
  o.dataset = parse_dataset_kind(a.dataset);
  const auto t0 = std::chrono::steady_clock::now();
  if (by_day) {
    a.days.dir = a.output;
    a.days.compression = a.compress.empty() ? Compression::gzip : parse_compression(a.compress);
    log_done(a, synth_days(o, a.days), a.days.compression, seconds_since(t0));
    return;
  }
  if (o.dataset == DatasetKind::criteo1tb)
    throw UsageError("synth --dataset criteo1tb writes day files: give --days N and --rows-per-day N (and a directory "
                     "as --output), as the real dataset's day_0 ... day_23");
  const Compression by_name = compression_from_extension(a.output);
  const Compression c = a.compress.empty() ? by_name : parse_compression(a.compress);
  if (!a.compress.empty() && by_name != Compression::none && by_name != c)
    throw UsageError(fmt::format("--compress {} contradicts the extension of --output '{}' (drop one)",
                                 a.compress, a.output));
  log_done(a, synth_to_file(o, a.output, c), c, seconds_since(t0));
}

}  // namespace

Command add_synth_command(CLI::App& root) {
  auto a = std::make_shared<SynthArgs>();
  CLI::App* c = root.add_subcommand("synth", "Write synthetic Criteo, Criteo 1TB or Avazu-shaped data in the raw format");
  c->add_option("--dataset", a->dataset, "Raw format and schema to imitate")->required()->check(CLI::IsMember({"criteo", "avazu", "criteo1tb"}));
  auto* rows = c->add_option("--rows", a->opts.rows, "Rows to write, into one file")->check(whole_number(1, uint64_t{1} << 40));
  auto* days = c->add_option("--days", a->days.days, "Write a log of this many days instead: OUTPUT/day_0.gz ... (as Criteo 1TB)")->check(whole_number(1, 366));
  auto* per_day = c->add_option("--rows-per-day", a->days.rows_per_day, "Rows in each day file (with --days)")->check(whole_number(1, uint64_t{1} << 36));
  c->add_option("--daily-drift", a->opts.daily_drift, "Share of each field's rarer values whose popularity moves per day (with --days)")->check(finite_range(0, 1));
  c->add_option("--output", a->output, "Output file (--rows) or directory (--days)")->required();
  c->add_option("--seed", a->opts.seed, "Seed: the same seed gives the same bytes");
  c->add_option("--vocab-scale", a->opts.vocab_scale, "Per-field cardinalities are the real ones times this (at least 2 values per field; at most 100)")->check(positive_real(100));
  c->add_option("--threads", a->opts.threads, "Generation threads (0 = all cores); the bytes do not depend on it")->check(thread_count());
  c->add_option("--compress,--compression", a->compress, "none, gz or zst (default: from the extension of --output; gz for --days)")->check(CLI::IsMember({"none", "gz", "zst"}));
  rows->excludes(days);
  per_day->needs(days);
  days->needs(per_day);
  return {c, [a, rows, days] {
            if (!rows->count() && !days->count())
              throw UsageError("synth: give --rows N (one file) or --days N --rows-per-day N (a directory of day files)");
            run_synth(*a, days->count() > 0);
          }};
}

}  // namespace ctr::app
