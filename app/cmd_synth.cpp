// `ctrtrain synth`: CLI options -> SynthOptions; writes FILE.tmp and renames it when complete.
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

namespace ctr::app {

namespace {

struct SynthArgs {
  std::string dataset, output, compress;
  SynthOptions opts;
};

void run_synth(const SynthArgs& a) {
  SynthOptions o = a.opts;
  o.dataset = parse_dataset_kind(a.dataset);
  Compression by_name = compression_from_extension(a.output);
  Compression c = a.compress.empty() ? by_name : parse_compression(a.compress);
  if (!a.compress.empty() && by_name != Compression::none && by_name != c)
    throw UsageError(fmt::format("--compress {} contradicts the extension of --output '{}' (drop one)",
                                 a.compress, a.output));
  auto parent = std::filesystem::path(a.output).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);

  auto t0 = std::chrono::steady_clock::now();
  // A regular file is written as FILE.tmp and renamed when complete, so a killed run never
  // leaves a complete-looking file; a device or pipe (/dev/null, a FIFO) is written directly.
  std::error_code ec;
  bool special = std::filesystem::exists(a.output, ec) && !std::filesystem::is_regular_file(a.output, ec);
  std::string target = special ? a.output : a.output + ".tmp";
  SynthStats s;
  try {
    auto sink = ByteSink::create(target, c);
    s = synth_write(o, *sink);
    sink->close();
  } catch (...) {
    if (!special) std::filesystem::remove(target, ec);
    throw;
  }
  if (!special) {
    std::filesystem::rename(target, a.output, ec);
    if (ec) throw Error(fmt::format("{}: cannot rename {} into place: {}", a.output, target, ec.message()));
  }
  double secs = seconds_since(t0);
  spdlog::info("synth {}: {} rows, {:.2f}% positive, {:.1f} MB of text ({}), {:.1f} s, {:.0f} rows/s -> {}", a.dataset,
               s.rows, 100.0 * double(s.positives) / double(s.rows), double(s.bytes) / 1e6, compression_name(c), secs,
               secs > 0 ? double(s.rows) / secs : 0.0, a.output);
}

}  // namespace

Command add_synth_command(CLI::App& root) {
  auto a = std::make_shared<SynthArgs>();
  CLI::App* c = root.add_subcommand("synth", "Write synthetic Criteo/Avazu-shaped data in the raw format");
  c->add_option("--dataset", a->dataset, "Raw format and schema to imitate")->required()->check(CLI::IsMember({"criteo", "avazu"}));
  c->add_option("--rows", a->opts.rows, "Rows to write")->required()->check(whole_number(1, uint64_t{1} << 40));
  c->add_option("--output", a->output, "Output file")->required();
  c->add_option("--seed", a->opts.seed, "Seed: the same seed gives the same bytes");
  c->add_option("--vocab-scale", a->opts.vocab_scale, "Per-field cardinalities are the real ones times this (at least 2 values per field; at most 100)")->check(positive_real(100));
  c->add_option("--threads", a->opts.threads, "Generation threads (0 = all cores); the bytes do not depend on it")->check(thread_count());
  c->add_option("--compress", a->compress, "none, gz or zst (default: from the extension of --output)")->check(CLI::IsMember({"none", "gz", "zst"}));
  return {c, [a] { run_synth(*a); }};
}

}  // namespace ctr::app
