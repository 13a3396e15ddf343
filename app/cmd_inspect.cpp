// `ctrtrain inspect`: prints a dataset's meta (or a shard's header) and, with --verify, checks
// every block of every shard (checksums, and each value against its meaning) and the
// vocabulary files; exits non-zero on any corruption.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <set>

#include "app/cli_checks.h"
#include "app/commands.h"
#include "core/byte_size.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "core/progress.h"
#include "core/thread_pool.h"
#include "dataset/dataset_meta.h"
#include "preprocess/vocab_io.h"
#include "reader/dataset_split.h"
#include "shard/shard_reader.h"
#include "train/memory_plan.h"

namespace ctr::app {

namespace {

struct InspectArgs {
  std::string path;
  bool verify = false;
  std::vector<std::string> lookups;  // FIELD=ID
  int threads = 0;
  std::vector<size_t> dims;          // embedding dims to size the tables at
  std::string precision = "fp32";    // fp32 | fp16 | bf16
};

// The embedding tables' memory at each --dim, by the formula training's plan is checked against
// (train/memory_plan.h): the table, the linear table of models with a linear part, Adam's m and v.
void print_table_memory(const DatasetMeta& m, const InspectArgs& a) {
  uint64_t rows = 0;
  for (uint64_t v : m.vocab_sizes) rows += v;
  const size_t value_bytes = a.precision == "fp32" ? 4 : 2;
  std::printf("memory      embedding tables of %llu rows and their Adam moments (m, v) at %s%s\n",
              static_cast<unsigned long long>(rows), a.precision.c_str(),
              a.precision == "fp32" ? "" : " (ctrtrain itself trains fp32)");
  std::printf("  %6s %12s %12s %12s %12s\n", "dim", "table", "linear", "Adam m+v", "total");
  for (size_t dim : a.dims) {
    const TableMemory t = table_memory(rows, dim, /*linear=*/true, value_bytes);
    std::printf("  %6zu %12s %12s %12s %12s\n", dim, format_bytes(t.table).c_str(), format_bytes(t.linear).c_str(),
                format_bytes(t.moments).c_str(), format_bytes(t.total()).c_str());
  }
  std::printf("  (dlrm has no linear table: subtract it and its third of the moments; training adds "
              "the network, activations and batch buffers, and logs the whole plan)\n");
}

void print_meta(const std::string& dir, const DatasetMeta& m) {
  uint64_t vocab = 0;
  for (auto v : m.vocab_sizes) vocab += v;
  const uint64_t rows = m.total_rows(), pos = m.train.positives + m.valid.positives + m.test.positives;
  std::printf("dataset     %s (format %d%s, written by %s)\n", m.dataset.c_str(), m.format_version,
              m.checked() ? "" : ", unchecked: no checksums", m.created_by.c_str());
  std::printf("directory   %s\n", dir.c_str());
  const Schema& sc = m.schema;
  const std::string sep = sc.separator == '\t' ? "tab" : fmt::format("'{}'", sc.separator);
  std::printf("schema      %s: %zu columns (label '%s', %zu dense, %zu categorical), %s-separated, %s%s\n",
              sc.name.c_str(), sc.columns.size(), sc.label_name().c_str(), sc.num_dense(), sc.num_cat(), sep.c_str(),
              sc.header ? "header line" : "no header", sc.quote ? fmt::format(", quote {}", sc.quote).c_str() : "");
  std::printf("rows        %llu total, %.2f%% positive\n", static_cast<unsigned long long>(rows),
              rows ? 100.0 * pos / rows : 0.0);
  for (const char* name : kSplitNames) {
    const SplitInfo& s = m.split(name);
    uint64_t bytes = 0;
    for (const auto& rel : s.shards) bytes += file_size_of((std::filesystem::path(dir) / rel).string());
    std::printf("  %-5s     %llu rows, %.2f%% positive, %zu shard(s), %.1f MB\n", name,
                static_cast<unsigned long long>(s.rows), 100.0 * s.positive_rate(), s.shards.size(), bytes / 1e6);
  }
  std::printf("split       %s, test ratio %.4g, valid ratio %.4g, seed %llu\n", m.options.split.c_str(),
              m.options.test_ratio, m.options.valid_ratio, static_cast<unsigned long long>(m.options.seed));
  const std::string cap = m.options.max_vocab ? fmt::format("; at most {} per field", m.options.max_vocab) : "";
  std::printf("vocabulary  %llu ids over %zu fields (min count %llu%s; one OOV id per field)%s%s\n",
              static_cast<unsigned long long>(vocab), m.cat_fields.size(),
              static_cast<unsigned long long>(m.options.min_count), cap.c_str(),
              m.options.vocab_from.empty() ? "" : ", from ", m.options.vocab_from.c_str());
  std::printf("  %-18s %12s %12s\n", "field", "vocab_size", "distinct");
  for (size_t f = 0; f < m.cat_fields.size(); ++f)
    std::printf("  %-18s %12llu %12llu\n", m.cat_fields[f].c_str(),
                static_cast<unsigned long long>(m.vocab_sizes[f]),
                static_cast<unsigned long long>(m.distinct_values[f]));
  if (!m.dense_fields.empty()) {
    const std::vector<DenseTransform> transforms = m.dense_transforms();
    std::printf("dense       %zu fields\n", m.dense_fields.size());
    std::printf("  %-18s %9s %14s %14s\n", "field", "transform", "min", "max");
    for (size_t d = 0; d < m.dense_fields.size(); ++d)
      std::printf("  %-18s %9s %14.6g %14.6g\n", m.dense_fields[d].c_str(), dense_transform_name(transforms[d]),
                  m.dense_stats.min[d], m.dense_stats.max[d]);
  }
  std::printf("bad rows    %llu skipped (policy %s)", static_cast<unsigned long long>(m.bad_rows_total()),
              m.options.on_bad_row.c_str());
  for (const auto& kv : m.bad_rows)
    if (kv.second) std::printf(", %s %llu", kv.first.c_str(), static_cast<unsigned long long>(kv.second));
  std::printf("\ninputs\n");
  for (const auto& in : m.inputs)
    std::printf("  %s (%.1f MB, %s, %llu lines)\n", in.path.c_str(), in.bytes / 1e6, in.compression.c_str(),
                static_cast<unsigned long long>(in.lines));
}

struct ShardJob {
  std::string split;
  size_t index;
  std::future<ShardVerifyResult> result;
};

// Every shard of every split decoding on the pool: its header against meta.json, then every
// row group, label, dense value and id.
std::vector<ShardJob> start_shard_jobs(const std::string& dir, const DatasetMeta& m, ThreadPool& pool) {
  std::vector<ShardJob> jobs;
  for (const char* name : kSplitNames)
    for (size_t i = 0; i < m.split(name).shards.size(); ++i)
      jobs.push_back({name, i, pool.submit([&dir, &m, name, i] { return verify_dataset_shard(dir, m, name, i); })});
  return jobs;
}

// Verifies every shard (in parallel) and the vocabulary; prints one line per problem.
// Returns the number of problems found.
size_t verify_dataset(const std::string& dir, const DatasetMeta& m, int threads) {
  ThreadPool pool(threads);
  size_t problems = 0;
  const auto report = [&problems](const std::string& what) {
    std::printf("CORRUPT  %s\n", what.c_str());
    ++problems;
  };
  for (const char* name : kSplitNames) {
    try {
      check_split_rows(dir, m, name);
    } catch (const Error& e) {
      report(e.what());
    }
  }
  std::vector<ShardJob> jobs = start_shard_jobs(dir, m, pool);
  uint64_t rows = 0;
  std::map<std::string, uint64_t> positives;
  std::set<std::string> failed;  // splits with a shard that failed: their positives are unknown
  for (auto& j : jobs) {
    try {
      const ShardVerifyResult r = j.result.get();
      rows += r.rows;
      positives[j.split] += r.positives;
    } catch (const Error& e) {
      report(e.what());
      failed.insert(j.split);
    }
  }
  for (const char* name : kSplitNames)
    if (!failed.count(name) && positives[name] != m.split(name).positives)
      report(fmt::format("{}: the {} split's shards hold {} positives, meta.json says {}", dir, name, positives[name],
                         m.split(name).positives));
  try {
    load_vocab_dir(dir, m, pool);
  } catch (const Error& e) {
    report(e.what());
  }
  if (problems == 0)
    std::printf(
        "verify: OK (%zu shards, %llu rows: every checksum matches, labels are 0/1, dense values finite, ids "
        "within their vocabularies; %zu vocabulary files consistent)%s\n",
        jobs.size(), static_cast<unsigned long long>(rows), m.cat_fields.size(),
        m.checked() ? "" : " [format without checksums: re-run ctrtrain preprocess for the full checks]");
  return problems;
}

void inspect_shard_file(const InspectArgs& a) {
  ShardReader r(a.path);
  std::printf(
      "shard       %s\nformat      version %u, header checksum %08x\nrows        %llu in %zu row groups\n"
      "schema      %u dense, %u categorical\n",
      a.path.c_str(), r.version(), r.header_crc(), static_cast<unsigned long long>(r.num_rows()), r.num_groups(),
      r.num_dense(), r.num_cat());
  if (r.has_field_stats()) {
    std::string ids;
    for (uint32_t id : r.max_ids()) ids += (ids.empty() ? "" : " ") + std::to_string(id);
    std::printf("largest ids %s\nnon-finite  %llu dense values\n", ids.c_str(),
                static_cast<unsigned long long>(r.nonfinite_dense()));
  }
  if (a.verify) {
    ShardVerifyResult v = verify_shard(r);
    std::printf("verify: OK (%zu row groups, %llu rows, %llu positives, every checksum matches)\n", v.groups,
                static_cast<unsigned long long>(v.rows), static_cast<unsigned long long>(v.positives));
  }
}

void run_lookups(const InspectArgs& a, const DatasetMeta& m) {
  for (const auto& q : a.lookups) {
    size_t eq = q.find('=');
    uint64_t id = 0;
    try {
      if (eq == std::string::npos) throw std::invalid_argument("no '='");
      size_t used = 0;
      id = std::stoull(q.substr(eq + 1), &used);
      if (used != q.size() - eq - 1) throw std::invalid_argument("trailing characters");
    } catch (const std::exception&) {
      throw UsageError(fmt::format("--lookup '{}': expected FIELD=ID, e.g. C3=42", q));
    }
    std::string value;
    bool known = lookup_vocab_value(a.path, m, q.substr(0, eq), id, value);
    std::printf("%s -> %s\n", q.c_str(), known ? ("'" + value + "'" + (value.empty() ? " (missing)" : "")).c_str()
                                               : value.c_str());
  }
}

}  // namespace

Command add_inspect_command(CLI::App& root) {
  auto a = std::make_shared<InspectArgs>();
  CLI::App* c = root.add_subcommand("inspect", "Show a preprocessed dataset (or one .ctrs shard); --verify checks every block");
  c->add_option("path", a->path, "Dataset directory written by `ctrtrain preprocess`, or a .ctrs file")->required();
  c->add_flag("--verify", a->verify,
              "Decode every block of every shard; check every checksum, and every value against meta.json");
  c->add_option("--lookup", a->lookups, "Map an id back to its raw value: FIELD=ID (repeatable)");
  c->add_option("--threads", a->threads, "Verification threads (0 = all)")->check(thread_count());
  c->add_option("--dim", a->dims, "Also show the memory of the embedding tables and their Adam state at these "
                                  "embedding dims (comma-separated)")
      ->delimiter(',')
      ->check(CLI::Range(size_t(1), size_t(4096)));
  c->add_option("--precision", a->precision, "Value width for --dim: fp32, fp16 or bf16")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}))
      ->needs("--dim");
  auto run = [a] {
    if (std::filesystem::is_regular_file(a->path)) {
      inspect_shard_file(*a);
      return;
    }
    DatasetMeta m = read_meta(a->path);
    if (!a->lookups.empty()) {
      run_lookups(*a, m);
      return;
    }
    print_meta(a->path, m);
    if (!a->dims.empty()) print_table_memory(m, *a);
    if (a->verify) {
      size_t problems = verify_dataset(a->path, m, a->threads);
      if (problems)
        throw Error(fmt::format("verify: {} problem(s) found in {}; the dataset is corrupt: re-run "
                                "ctrtrain preprocess", problems, a->path));
    }
  };
  return {c, run};
}

}  // namespace ctr::app
