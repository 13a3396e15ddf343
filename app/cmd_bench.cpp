// `ctrtrain bench`: loads a config's train split into backend memory once, then times the
// training step at each requested (model, batch size) point: a line per point on stdout and,
// with --output, a JSON file (docs/benchmarks.md says what each figure means).
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/cli_checks.h"
#include "app/commands.h"
#include "config/train_config.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "core/json_writer.h"
#include "core/limits.h"
#include "core/log.h"
#include "dataset/dataset_meta.h"
#include "model/embedding_tables.h"
#include "train/backend_select.h"
#include "train/data_setup.h"
#include "train/step_bench.h"

namespace ctr::app {
namespace {

struct BenchArgs {
  std::string config, points = "deepfm@131072", output;
  std::vector<std::string> sets;
  BenchOptions opts;
};

// "deepfm@131072,lr@8192" -> (model, batch) pairs; every problem names the bad item.
std::vector<std::pair<ModelType, uint64_t>> parse_points(const std::string& text) {
  std::vector<std::pair<ModelType, uint64_t>> out;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t end = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, end - at);
    const size_t sep = item.find('@');
    ModelType m{};
    uint64_t batch = 0;
    const bool model_ok = sep != std::string::npos && parse_enum(item.substr(0, sep), m);
    const std::string digits = sep == std::string::npos ? "" : item.substr(sep + 1);
    const bool batch_ok = !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos &&
                          digits.size() < 8 && (batch = std::stoull(digits)) >= 1 && batch <= kMaxBatchSize;
    if (!model_ok || !batch_ok)
      throw UsageError(
          fmt::format("--points: '{}' is not MODEL@BATCH (MODEL one of lr, fm, wdl, deepfm, dcn, dcnv2, dlrm; "
                      "BATCH 1..{}), e.g. --points deepfm@131072,lr@8192",
                      item, kMaxBatchSize));
    out.emplace_back(m, batch);
    at = end + 1;
  }
  return out;
}

// {"device", "points": [{model, batch_size, samples_per_sec, step_ms, ..., breakdown_ms}]}
std::string results_json(const std::string& device, const BenchOptions& o, const std::vector<BenchResult>& rs) {
  JsonWriter j;
  j.begin_object().value("device", device).value("warmup_steps", o.warmup_steps);
  j.value("breakdown_steps", o.breakdown_steps).begin_array("points");
  for (const BenchResult& r : rs) {
    j.begin_object().value("model", to_string(r.model)).value("batch_size", r.batch_size);
    j.value("parameters", r.parameters).value("timed_steps", r.timed_steps);
    j.value("samples_per_sec", r.samples_per_sec).value("step_ms", 1e3 * r.timed_seconds / double(r.timed_steps));
    j.value("first_step_seconds", r.first_step_seconds).value("host_wait_ms", r.host_wait_ms);
    j.begin_object("breakdown_ms");
    j.value("input", r.input_ms).value("forward", r.forward_ms).value("backward", r.backward_ms);
    j.value("optimizer", r.optimizer_ms).end_object();
    j.end_object();
  }
  return j.end_array().end_object().str() + "\n";
}

void run_bench(const BenchArgs& a) {
  const TrainConfig cfg = load_config_file(a.config, a.sets);
  const auto points = parse_points(a.points);
  const DatasetMeta meta = read_meta(cfg.data.path);
  std::unique_ptr<Ops<float>> ops = make_backend({cfg.train.device, cfg.train.threads, cfg.train.precision});
  const LoadedSplit split = load_resident_split(cfg, meta, *ops, field_row_offsets(meta.vocab_sizes), "train");
  spdlog::info("bench: {} train rows held in {} memory, loaded in {:.1f} s; {} points", meta.train.rows,
               ops->describe(), split.load_seconds, points.size());
  std::vector<BenchResult> results;
  for (const auto& [model, batch] : points) {
    const BenchResult r = bench_point(cfg, meta, *ops, split, model, batch, a.opts);
    results.push_back(r);
    std::printf("%s@%llu: %.4g samples/s, %.3f ms/step (input %.3f, forward %.3f, backward %.3f, optimizer %.3f "
                "ms synchronised), host wait %.3f ms/step, first step %.3f s\n",
                to_string(model), static_cast<unsigned long long>(batch), r.samples_per_sec,
                1e3 * r.timed_seconds / double(r.timed_steps), r.input_ms, r.forward_ms, r.backward_ms,
                r.optimizer_ms, r.host_wait_ms, r.first_step_seconds);
    std::fflush(stdout);
    // Rewritten after every point, so a run cut short keeps what it measured.
    if (!a.output.empty()) write_text_file(a.output, results_json(ops->describe(), a.opts, results));
  }
}

}  // namespace

Command add_bench_command(CLI::App& root) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* c = root.add_subcommand(
      "bench", "Time the training step at several (model, batch size) points on data held in backend memory");
  c->add_option("--config", a->config, "Config giving the data, device, precision and the rest of the model")
      ->required();
  c->add_option("--set", a->sets, "Override a config key: --set section.key=value (repeatable)")
      ->type_name("KEY=VALUE");
  c->add_option("--points", a->points, "Comma-separated MODEL@BATCH points, timed in this order")
      ->capture_default_str();
  c->add_option("--warmup", a->opts.warmup_steps,
                "Untimed steps before the timed ones (one-time costs); at least 1, whose time is first_step_seconds")
      ->capture_default_str()
      ->check(whole_number(1, 1000000));
  c->add_option("--steps", a->opts.timed_steps, "Timed steps per point (samples/s)")
      ->capture_default_str()
      ->check(whole_number(1, 1000000));
  c->add_option("--breakdown-steps", a->opts.breakdown_steps,
                "Steps timed phase by phase, with a device wait after each phase")
      ->capture_default_str()
      ->check(whole_number(0, 1000000));
  c->add_option("--output", a->output, "Also write the results as JSON to this file, rewritten after each point");
  return {c, [a] { run_bench(*a); }};
}

}  // namespace ctr::app
