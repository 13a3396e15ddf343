// `ctrtrain preprocess`: CLI options -> PreprocessOptions, then a short summary on stdout.
#include <cstdio>

#include "app/cli_checks.h"
#include "app/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "preprocess/preprocess.h"

namespace ctr::app {

namespace {

struct PreprocessArgs {
  std::string dataset, schema_file, split = "rand", dense_transform = "minmax", on_bad_row = "fail";
  PreprocessOptions opts;
};

void print_summary(const PreprocessSummary& s) {
  const DatasetMeta& m = s.meta;
  uint64_t vocab = 0;
  for (auto v : m.vocab_sizes) vocab += v;
  std::printf("preprocessed %s: %llu data lines from %zu file(s), %.1f MB, in %.1f s (%.0f rows/s, %.1f MB/s)\n",
              m.dataset.c_str(), static_cast<unsigned long long>(s.lines), m.inputs.size(),
              s.input_bytes / 1e6, s.seconds, s.seconds > 0 ? s.lines / s.seconds : 0.0,
              s.seconds > 0 ? s.input_bytes / 1e6 / s.seconds : 0.0);
  auto split = [](const char* name, const SplitInfo& si) {
    std::printf("  %-5s %12llu rows, %.2f%% positive, %zu shard(s)\n", name,
                static_cast<unsigned long long>(si.rows), 100.0 * si.positive_rate(), si.shards.size());
  };
  for (const char* name : kSplitNames) split(name, m.split(name));
  std::printf("  vocabulary: %zu fields, %s ids in total (one OOV id per field included)\n",
              m.cat_fields.size(), format_count(vocab).c_str());
  std::printf("  bad rows skipped: %llu", static_cast<unsigned long long>(m.bad_rows_total()));
  for (const auto& kv : m.bad_rows)
    if (kv.second) std::printf(", %s %llu", kv.first.c_str(), static_cast<unsigned long long>(kv.second));
  std::printf("\n");
}

}  // namespace

Command add_preprocess_command(CLI::App& root) {
  auto a = std::make_shared<PreprocessArgs>();
  CLI::App* c = root.add_subcommand("preprocess", "Raw files (Criteo, Avazu or your own schema) -> vocabulary, train/valid/test shards and meta.json");
  auto* dataset = c->add_option("--dataset", a->dataset, "Raw format of the input: a built-in schema")->check(CLI::IsMember({"criteo", "avazu"}));
  auto* schema = c->add_option("--schema", a->schema_file, "Raw format of the input: a schema file (docs/schema.md)");
  dataset->excludes(schema);
  c->add_option("--input", a->opts.inputs, "Input files (plain, .gz or .zst), read in order")->required()->expected(1, -1);
  c->add_option("--output", a->opts.output, "Output directory (created atomically)")->required();
  c->add_option("--split", a->split, "rand: seeded random test rows; seq: the last rows in file order; day: each input a day, the last one test")->check(CLI::IsMember({"rand", "seq", "day"}));
  c->add_flag("--valid-day-half", a->opts.valid_day_half, "With --split day: the last day's first half is valid, its second half test (MLPerf's day 23)");
  c->add_option("--test-ratio", a->opts.test_ratio, "Test fraction (default for rand: 0.2 Avazu, 0.1 otherwise; for seq: 1/7)")
      ->check(finite_range(0, 1))
      ->default_str("");  // unset is a sentinel (-1): the dataset's default, which the text gives
  c->add_option("--valid-ratio", a->opts.valid_ratio,
                "Validation fraction, taken beside the test rows (rand: random rows; seq: the rows just before test)")
      ->check(finite_range(0, 1));
  auto* min_count = c->add_option("--min-count", a->opts.min_count, "Values seen fewer times in train map to the field's OOV id (1 keeps all)")->check(whole_number(1, uint64_t{1} << 40));
  auto* max_vocab = c->add_option("--max-vocab", a->opts.max_vocab, "Per field, keep only the N values most frequent in train (ties: the smaller value); the rest map to OOV")->check(whole_number(1, 0xfffffffeu));
  auto* dense = c->add_option("--dense-transform", a->dense_transform, "minmax (reference), log (DLRM) or none, for dense columns whose schema sets none")->check(CLI::IsMember({"minmax", "log", "none"}));
  c->add_option("--seed", a->opts.seed, "Seed of the rand split");
  c->add_option("--shard-rows", a->opts.shard_rows, "Rows per shard file")->check(whole_number(1, uint64_t{1} << 32));
  c->add_option("--threads", a->opts.threads, "Worker threads (0 = all)")->check(thread_count());
  c->add_option("--on-bad-row", a->on_bad_row, "fail: stop at the first bad row; skip: count and skip")->check(CLI::IsMember({"fail", "skip"}));
  auto* vocab_from = c->add_option("--vocab-from", a->opts.vocab_from, "Reuse the vocabulary and dense statistics of an existing output directory");
  c->add_flag("--force", a->opts.overwrite, "Replace the output directory if it exists");

  auto run = [a, dataset, schema, min_count, max_vocab, dense, vocab_from] {
    if (!dataset->count() && !schema->count())
      throw UsageError("preprocess: say how the input is laid out: --dataset criteo, --dataset avazu, or --schema "
                       "FILE for your own (docs/schema.md)");
    if (vocab_from->count() && (min_count->count() || max_vocab->count() || dense->count()))
      throw UsageError("--vocab-from reuses the vocabulary and dense statistics of that directory, "
                       "so --min-count, --max-vocab and --dense-transform cannot be combined with it");
    PreprocessOptions o = a->opts;
    o.schema = schema->count() ? load_schema_file(a->schema_file) : public_dataset(parse_dataset_kind(a->dataset)).schema;
    o.split = a->split == "seq" ? SplitMode::seq : a->split == "day" ? SplitMode::day : SplitMode::rand;
    o.dense_transform = parse_dense_transform(a->dense_transform);
    o.on_bad_row = a->on_bad_row == "skip" ? BadRowPolicy::skip : BadRowPolicy::fail;
    o.progress = info_logging();  // `--quiet` (a root option) hides it
    print_summary(run_preprocess(o));
  };
  return {c, run};
}

}  // namespace ctr::app
