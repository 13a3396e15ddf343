// run_preprocess: option checks, pass 0 (line count, seq split only), pass 1 (parse; vocabulary
// and dense statistics; parsed rows to a spill file), pass 2 (spilled rows to final ids and
// shards; with --vocab-from there is no pass 1 and pass 2 parses the text itself), then vocab
// files and meta.json, all inside a staging directory renamed into place only when complete.
#include "preprocess/preprocess.h"

#include "io/byte_source.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <numeric>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/progress.h"
#include "core/thread_pool.h"
#include "core/stopwatch.h"
#include "ctr/version.h"
#include "preprocess/bad_rows.h"
#include "preprocess/chunk_feeder.h"
#include "preprocess/packed_values.h"
#include "preprocess/row_spill.h"
#include "preprocess/split_assigner.h"
#include "preprocess/split_shard_writer.h"
#include "preprocess/vocab_io.h"
#include "shard/shard_reader.h"

namespace ctr {

double resolved_test_ratio(const PreprocessOptions& o) {
  if (o.test_ratio >= 0) return o.test_ratio;
  if (o.split == SplitMode::day) return 0;  // set by the files, not by a ratio
  if (o.split == SplitMode::seq) return 1.0 / 7.0;
  const PublicDataset* known = public_dataset_with_schema(o.schema);
  return known ? known->default_test_ratio : 0.1;
}

namespace {

// The options' schema may come from anywhere (the CLI loads it, tests build it): check it once.
Schema checked_schema(Schema s) {
  check_and_index(s, "the input schema");
  return s;
}

// meta.json's options.split.
const char* split_name(const PreprocessOptions& o) {
  switch (o.split) {
    case SplitMode::rand: return "rand";
    case SplitMode::seq: return "seq";
    case SplitMode::day: return o.valid_day_half ? "day-valid-half" : "day";
  }
  return "?";
}

// N of a file named day_N (day_N.gz, ...), or -1: what tells a shell glob's text order
// (day_10 before day_2) from day order.
long day_number(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  if (name.rfind("day_", 0) != 0) return -1;
  const size_t end = name.find_first_not_of("0123456789", 4);
  if (end == 4 || (end != std::string::npos && name[end] != '.')) return -1;
  return std::stol(name.substr(4, std::min<size_t>(end, 12) - 4));
}

void validate_day_split(const PreprocessOptions& o) {
  if (o.valid_day_half && o.split != SplitMode::day)
    throw UsageError("--valid-day-half splits the last day of --split day; add --split day");
  if (o.split != SplitMode::day) return;
  if (o.inputs.size() < 2)
    throw UsageError(fmt::format("--split day takes each input as a day and the last as the test day, so it needs "
                                 "at least 2 inputs (got {})",
                                 o.inputs.size()));
  if (o.test_ratio >= 0 || o.valid_ratio > 0)
    throw UsageError("--split day takes its splits from the files (the last is test; --valid-day-half halves it), "
                     "so --test-ratio and --valid-ratio cannot be combined with it");
  if (o.valid_day_half && ByteSource::is_stream(o.inputs.back()))
    throw UsageError(fmt::format("--valid-day-half counts the last day's lines first, so its input '{}' must be a "
                                 "file, not a pipe",
                                 o.inputs.back()));
  for (size_t i = 1; i < o.inputs.size(); ++i) {
    const long a = day_number(o.inputs[i - 1]), b = day_number(o.inputs[i]);
    if (a >= 0 && b >= 0 && b <= a)
      throw UsageError(fmt::format("--split day: input {} ('{}') comes after '{}', but is not a later day (a shell "
                                   "glob sorts day_10 before day_2); list the days in order, e.g. with "
                                   "$(ls DIR/day_* | sort -V)",
                                   i + 1, o.inputs[i], o.inputs[i - 1]));
  }
}

void validate(const PreprocessOptions& o) {
  if (o.inputs.empty()) throw UsageError("preprocess: no --input files given");
  for (const auto& in : o.inputs)
    if (!std::filesystem::is_regular_file(in) && !ByteSource::is_stream(in))
      throw UsageError(fmt::format("--input '{}': no such file (a file, or a pipe such as /dev/stdin)", in));
  if (o.output.empty()) throw UsageError("preprocess: --output is required");
  const double r = resolved_test_ratio(o);
  if (!(r >= 0.0 && r <= 1.0))
    throw UsageError(fmt::format("--test-ratio {} is out of range (expected 0..1)", o.test_ratio));
  if (!(o.valid_ratio >= 0.0 && o.valid_ratio <= 1.0))
    throw UsageError(fmt::format("--valid-ratio {} is out of range (expected 0..1)", o.valid_ratio));
  if (r + o.valid_ratio > 1.0 + 1e-12)
    throw UsageError(fmt::format("--test-ratio {:g} plus --valid-ratio {:g} is over 1, which leaves no rows to "
                                 "train on; lower one of them",
                                 r, o.valid_ratio));
  if (o.min_count < 1) throw UsageError("--min-count must be at least 1");
  // Ids are 32-bit and the OOV id takes the last one.
  if (o.max_vocab > 0xfffffffeu) throw UsageError(fmt::format("--max-vocab {} is over 2^32 - 2", o.max_vocab));
  if (o.shard_rows < 1) throw UsageError("--shard-rows must be at least 1");
  if (o.threads < 0) throw UsageError("--threads must be 0 (all) or positive");
  validate_day_split(o);
}

// Where pass 1 and pass 2 send their chunk-level failures: with `fail`, the first bad row in
// file order stops the run with its location.
void apply_policy(const BadRowTally& t, BadRowPolicy policy) {
  if (policy == BadRowPolicy::fail && t.has_first)
    throw Error(t.first + " (to skip such rows instead, pass --on-bad-row skip)");
}

// The good rows of one chunk, parsed: the text is parsed here (pass 1, or pass 2 with
// --vocab-from), then the values go to the tables field by field so that table probes can be
// prefetched.
struct ParsedChunk {
  BadRowTally bad;
  bool complete = true;  // false: stopped at a bad row (fail policy)
  SpilledRows rows;      // everything but the ids, which the caller fills
  PackedValues values;   // [num_cat][rows]; long values are views into the chunk's bytes
};

// Parses every data line of a chunk. Bad rows are recorded in `bad`; with the `fail` policy the
// first one ends the chunk (complete = false).
ParsedChunk parse_chunk(const InputChunk& c, const RowParser& parser, BadRowPolicy policy,
                        const SplitAssigner& split) {
  ParsedChunk p;
  SpilledRows& r = p.rows;
  const size_t nd = parser.schema().num_dense(), nc = parser.schema().num_cat();
  p.values.reset(nc, c.lines.num_lines);
  r.dense.reserve(c.lines.num_lines * nd);
  ParsedRow row;
  parser.init_row(row);
  ParseFailure fail;
  const char* at = c.lines.bytes.data();
  const char* end = at + c.lines.bytes.size();
  uint64_t line = c.lines.first_line;
  uint64_t global = c.first_data_index, in_file = c.first_file_data_index;
  if (c.starts_with_header) {
    at = static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at))) + 1;
    ++line;
  }
  for (; at < end; ++line, ++global, ++in_file) {
    const char* nl = static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at)));
    if (parser.parse(at, nl, row, fail)) {
      const size_t i = r.labels.size();
      r.split.push_back(split.split_of(global, c.file_index, in_file));
      r.labels.push_back(static_cast<uint8_t>(row.label));
      r.dense.insert(r.dense.end(), row.dense.begin(), row.dense.end());
      for (size_t f = 0; f < nc; ++f) {
        if (row.in_unquoted(row.cat[f])) p.values.set_copy(f, i, row.cat[f]);
        else p.values.set(f, i, row.cat[f], end);
      }
    } else {
      p.bad.record(*c.path, line, fail, parser);
      if (policy == BadRowPolicy::fail) {
        p.complete = false;
        break;
      }
    }
    at = nl + 1;
  }
  r.rows = r.labels.size();
  r.ids.resize(r.rows * nc);
  return p;
}

constexpr size_t kPrefetchDistance = 16;  // rows ahead; enough to cover a memory miss

// Calls fn(i, key) for rows 0..n-1 of field f in order, having prefetched each key's table slot
// kPrefetchDistance rows ahead: tables far larger than the cache make every probe a memory
// miss, and a few prefetches in flight hide most of that latency.
template <class Fn>
void for_each_key(const PackedValues& values, size_t f, size_t n, const FieldVocab& vocab, Fn fn) {
  constexpr size_t kRing = 32;  // > kPrefetchDistance, a power of 2
  VocabKey ring[kRing];
  for (size_t i = 0; i < std::min(n, kPrefetchDistance); ++i) {
    ring[i] = values.key(f, i);
    vocab.prefetch(ring[i].hash);
  }
  for (size_t i = 0; i < n; ++i) {
    if (i + kPrefetchDistance < n) {
      VocabKey& ahead = ring[(i + kPrefetchDistance) % kRing];
      ahead = values.key(f, i + kPrefetchDistance);
      vocab.prefetch(ahead.hash);
    }
    fn(i, ring[i % kRing]);
  }
}

struct CountResult {
  BadRowTally bad;
  DenseStats stats;
  SpillRecord spill;  // the rows with provisional ids, encoded by the worker
};

struct EncodeResult {
  BadRowTally bad;
  std::vector<ColumnBlock> blocks;  // [kNumSplits], field-major, as row groups store them
};

// Where pass 1 spills the parsed rows of its unit `unit` (below): inside the staging directory,
// so a failed run leaves nothing behind and a finished one has deleted them before the rename.
std::string spill_path(const std::string& staging_dir, size_t unit) {
  return (std::filesystem::path(staging_dir) / fmt::format("rows.{}.spill", unit)).string();
}

// A spilled record and the file it came from, for messages.
struct SpillItem {
  SpillRecord record;
  const std::string* path = nullptr;
};

// Hands pass 2 the records of the spill files, file after file, and keeps the progress line moving.
class SpillFeeder {
 public:
  using Item = SpillItem;
  SpillFeeder(const std::vector<std::string>& paths, ProgressLine* progress) : paths_(paths), progress_(progress) {
    for (const std::string& p : paths_) total_bytes_ += file_size_of(p);
  }
  bool next(SpillItem& out) {
    for (;;) {
      if (!reader_) {
        if (file_ == paths_.size()) return false;
        reader_ = std::make_unique<RowSpillReader>(paths_[file_]);
      }
      if (reader_->next(out.record)) break;
      bytes_before_ += reader_->file_bytes();
      reader_.reset();
      ++file_;
    }
    out.path = &paths_[file_];
    rows_ += out.record.rows;
    if (progress_) progress_->update(rows_, bytes_before_ + reader_->bytes_read(), total_bytes_);
    return true;
  }
  uint64_t rows() const { return rows_; }
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  const std::vector<std::string>& paths_;
  ProgressLine* progress_;
  std::unique_ptr<RowSpillReader> reader_;
  size_t file_ = 0;
  uint64_t rows_ = 0, bytes_before_ = 0, total_bytes_ = 0;
};

// Pass 1 works in units of consecutive input files, each unit on a lane of its own with its own
// spill: units run at once, and their results are combined in unit order afterwards. A unit is
// one file with the day split, whose rows' splits depend only on their file and line in it; the
// other splits number the lines over all inputs, so there all files form one unit.
struct CountUnit {
  size_t first_file = 0, end_file = 0;
  std::string spill;
  BadRowTally bad;
  DenseStats stats;
  std::vector<InputFileInfo> files;
  uint64_t lines = 0;
  std::exception_ptr error;
};

class Preprocessor {
 public:
  explicit Preprocessor(const PreprocessOptions& o)
      : o_(o), schema_(checked_schema(o.schema)), parser_(schema_), pool_(o.threads),
        max_inflight_(static_cast<size_t>(pool_.size()) * 2 + 2) {}

  PreprocessSummary run();

 private:
  // Pass 0, for the seq split (every input) and --valid-day-half (the last day).
  uint64_t count_lines(const std::vector<std::string>& inputs, const std::string& why);
  SplitAssigner make_split();
  // Pass 1, then each field's ids and vocabulary file (in out_dir/vocab); returns the spill
  // files, in row order.
  std::vector<std::string> pass_count(const SplitAssigner& split, const std::string& out_dir);
  std::vector<CountUnit> count_units(const std::string& out_dir) const;
  // One unit of pass 1 (run by a lane); stops early, throwing, once `failed_unit` is below it.
  void count_unit(CountUnit& u, size_t index, const SplitAssigner& split, ProgressCounts& counts, size_t inflight,
                  const std::atomic<size_t>& failed_unit);
  void finalize_vocab(const std::string& out_dir);
  void load_vocab();
  // Pass 2 from the spill files (spills != null) or, with --vocab-from, from the text.
  void pass_encode(const SplitAssigner& split, const std::string& out_dir, const std::vector<std::string>* spills);
  CountResult count_chunk(const InputChunk& c, const SplitAssigner& split);
  EncodeResult encode_chunk(const InputChunk& c, const SplitAssigner& split) const;
  // Splits rows into train, valid and test columns, with transformed dense values. `Rows` is a
  // SpillRecordView or ParsedRows (below). `id_maps`: per field, the final id of each id the
  // rows hold (provisional ids from the spill), or null when they are final already
  // (--vocab-from).
  template <class Rows>
  EncodeResult make_columns(const Rows& r, const std::vector<const uint32_t*>* id_maps) const;
  // meta.json's record of the finished shards and vocabulary files (sizes, checksums).
  void record_files(const std::string& out_dir);
  std::unique_ptr<ProgressLine> progress(const std::string& label) const {
    return o_.progress ? std::make_unique<ProgressLine>(label) : nullptr;
  }

  const PreprocessOptions& o_;
  const Schema schema_;  // o_.schema, checked
  RowParser parser_;
  std::vector<FieldVocab> vocabs_;
  std::vector<std::mutex> vocab_locks_;
  DenseStats stats_;
  std::vector<DenseTransform> transforms_;  // [num_dense]
  std::vector<uint64_t> distinct_;
  BadRowTally bad_;                      // from whichever pass parses the text
  std::vector<InputFileInfo> inputs_;    // likewise
  DatasetMeta meta_;
  ThreadPool pool_;  // last member: destroyed first, so no task outlives the state above
  size_t max_inflight_;
};

uint64_t Preprocessor::count_lines(const std::vector<std::string>& inputs, const std::string& why) {
  auto pl = progress("preprocess pass 0/2 (count lines for " + why + ")");
  ProgressCounts counts;
  ChunkFeeder feeder(inputs, parser_, &counts);
  {
    const ProgressTicker ticker(pl.get(), counts, feeder.total_bytes());
    InputChunk c;
    while (feeder.next(c)) {}
  }
  if (pl) pl->finish(feeder.data_lines(), feeder.total_bytes());
  return feeder.data_lines();
}

SplitAssigner Preprocessor::make_split() {
  const double ratio = resolved_test_ratio(o_);
  switch (o_.split) {
    case SplitMode::seq: return SplitAssigner::sequential(ratio, o_.valid_ratio, count_lines(o_.inputs, "the seq split"));
    case SplitMode::day: {
      // The first half, rounded up, as facebookresearch/dlrm cuts day 23 (docs/preprocess.md).
      const uint64_t last = o_.valid_day_half ? count_lines({o_.inputs.back()}, "--valid-day-half") : 0;
      return SplitAssigner::by_day(o_.inputs.size(), (last + 1) / 2);
    }
    case SplitMode::rand: break;
  }
  return SplitAssigner::random(ratio, o_.valid_ratio, o_.seed);
}

CountResult Preprocessor::count_chunk(const InputChunk& c, const SplitAssigner& split) {
  ParsedChunk p = parse_chunk(c, parser_, o_.on_bad_row, split);
  CountResult r{std::move(p.bad), DenseStats(), SpillRecord()};
  if (!p.complete) return r;  // the run stops at this chunk's bad row: no point counting
  SpilledRows& rows = p.rows;
  const size_t nd = schema_.num_dense(), nc = schema_.num_cat(), n = rows.rows;
  r.stats.reset(nd);
  for (size_t i = 0; i < n; ++i)
    for (size_t d = 0; d < nd; ++d) r.stats.observe(d, static_cast<double>(rows.dense[i * nd + d]));
  // Each field's table has its own lock; start at a chunk-dependent field so workers spread out.
  for (size_t k = 0; k < nc; ++k) {
    size_t f = (k + c.lines.seq) % nc;
    FieldVocab& v = vocabs_[f];
    uint32_t* ids = rows.ids.data() + f * n;
    std::lock_guard<std::mutex> lock(vocab_locks_[f]);
    for_each_key(p.values, f, n, v, [&](size_t i, const VocabKey& key) { ids[i] = v.add(key, rows.split[i] == kTrainSplit); });
  }
  encode_spill_record(rows, nd, nc, r.spill);
  return r;
}

std::vector<CountUnit> Preprocessor::count_units(const std::string& out_dir) const {
  std::vector<CountUnit> units;
  const size_t n = o_.inputs.size();
  for (size_t f = 0; f < n; ++f) {
    if (o_.split != SplitMode::day && f > 0) break;
    CountUnit u;
    u.first_file = f;
    u.end_file = o_.split == SplitMode::day ? f + 1 : n;
    u.spill = spill_path(out_dir, units.size());
    units.push_back(std::move(u));
  }
  return units;
}

// Thrown inside a unit that a failure in an earlier unit made pointless.
struct UnitCancelled {};

void Preprocessor::count_unit(CountUnit& u, size_t index, const SplitAssigner& split, ProgressCounts& counts,
                              size_t inflight, const std::atomic<size_t>& failed_unit) {
  RowSpillWriter spill(u.spill);
  u.stats.reset(schema_.num_dense());
  ChunkFeeder feeder(o_.inputs, parser_, &counts, u.first_file, u.end_file);
  ordered_map<CountResult>(
      feeder, pool_, inflight, [&](const InputChunk& c) { return count_chunk(c, split); },
      [&](CountResult& r) {
        if (failed_unit.load() < index) throw UnitCancelled();
        apply_policy(r.bad, o_.on_bad_row);
        u.bad.merge(r.bad);
        u.stats.merge(r.stats);
        spill.write(r.spill);
      });
  spill.close();
  u.files = feeder.files();
  u.lines = feeder.data_lines();
}

std::vector<std::string> Preprocessor::pass_count(const SplitAssigner& split, const std::string& out_dir) {
  vocabs_.clear();
  for (size_t f = 0; f < schema_.num_cat(); ++f) vocabs_.emplace_back(o_.min_count, o_.max_vocab);
  vocab_locks_ = std::vector<std::mutex>(schema_.num_cat());
  stats_.reset(schema_.num_dense());
  std::vector<CountUnit> units = count_units(out_dir);
  // As many lanes as threads (each file decodes on its own thread, so several gzip days use
  // several cores); the workers are shared, and so is the bound on chunks in flight.
  const size_t lanes = std::min(units.size(), static_cast<size_t>(pool_.size()));
  const size_t inflight = std::max<size_t>(2, max_inflight_ / lanes);
  auto pl = progress("preprocess pass 1/2 (parse, vocabulary)");
  ProgressCounts counts;
  uint64_t total_bytes = 0;
  for (const std::string& in : o_.inputs) total_bytes += ByteSource::is_stream(in) ? 0 : file_size_of(in);
  std::atomic<size_t> next_unit{0}, failed_unit{SIZE_MAX};
  auto lane = [&] {
    for (size_t k; (k = next_unit++) < units.size() && k < failed_unit.load();) {
      try {
        count_unit(units[k], k, split, counts, inflight, failed_unit);
      } catch (const UnitCancelled&) {
        return;
      } catch (...) {
        units[k].error = std::current_exception();
        for (size_t seen = failed_unit.load(); k < seen && !failed_unit.compare_exchange_weak(seen, k);) {}
        return;
      }
    }
  };
  {
    const ProgressTicker ticker(pl.get(), counts, total_bytes);
    std::vector<std::thread> threads;
    for (size_t l = 0; l < lanes; ++l) threads.emplace_back(lane);
    for (std::thread& t : threads) t.join();
  }
  // What a run over the files in order would have reported: the first failure in file order,
  // else every unit's tallies in file order.
  if (failed_unit.load() != SIZE_MAX) std::rethrow_exception(units[failed_unit.load()].error);
  inputs_.clear();
  std::vector<std::string> spills;
  uint64_t lines = 0;
  for (CountUnit& u : units) {
    bad_.merge(u.bad);
    stats_.merge(u.stats);
    inputs_.insert(inputs_.end(), u.files.begin(), u.files.end());
    lines += u.lines;
    spills.push_back(u.spill);
  }
  if (pl) pl->finish(lines, counts.bytes.load());
  finalize_vocab(out_dir);
  return spills;
}

void Preprocessor::finalize_vocab(const std::string& out_dir) {
  // Finalizing sorts each field's values, which puts them in the vocabulary file's order: write
  // the file right there. Fields run in parallel, biggest first: started in field order, a big
  // field that came last kept one core busy alone at the end.
  std::filesystem::create_directories(std::filesystem::path(out_dir) / "vocab");
  std::vector<size_t> order(vocabs_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [this](size_t a, size_t b) { return vocabs_[a].distinct() > vocabs_[b].distinct(); });
  std::vector<std::future<void>> done;
  for (const size_t f : order) {
    done.push_back(pool_.submit([this, f, &out_dir] {
      VocabFileWriter file(vocab_file_path(out_dir, schema_.cat_names[f]));
      vocabs_[f].finalize([&file](std::string_view value, uint64_t count) { file.add(value, count); });
      file.close();
    }));
  }
  for (auto& d : done) d.wait();  // every task ends before any error propagates
  for (auto& d : done) d.get();
  distinct_.clear();
  for (const auto& v : vocabs_) distinct_.push_back(v.distinct());
  transforms_ = dense_transforms(with_dense_transforms(schema_, o_.dense_transform));
}

void Preprocessor::load_vocab() {
  DatasetMeta src = read_meta(o_.vocab_from);
  if (!same_layout(src.schema, schema_))
    throw UsageError(fmt::format("--vocab-from '{}' holds a dataset of schema {} ({} columns), but the input's "
                                 "schema is {} ({} columns); give the --dataset or --schema that dataset was made "
                                 "with",
                                 o_.vocab_from, src.schema.name, src.schema.columns.size(), schema_.name,
                                 schema_.columns.size()));
  vocabs_ = load_vocab_dir(o_.vocab_from, src, pool_);
  stats_ = src.dense_stats;
  transforms_ = src.dense_transforms();
  distinct_ = src.distinct_values;
}

// Parsed rows (the --vocab-from path) read the way make_columns reads a spill record.
struct ParsedRows {
  const SpilledRows& r;
  size_t num_dense;
  size_t rows() const { return r.rows; }
  bool label(size_t i) const { return r.labels[i] != 0; }
  uint8_t split(size_t i) const { return r.split[i]; }
  void dense(size_t d, int64_t* out) const {
    for (size_t i = 0; i < r.rows; ++i) out[i] = r.dense[i * num_dense + d];
  }
  void ids(size_t f, uint32_t* out) const { std::copy_n(r.ids.data() + f * r.rows, r.rows, out); }
};

template <class Rows>
EncodeResult Preprocessor::make_columns(const Rows& r, const std::vector<const uint32_t*>* id_maps) const {
  const size_t nd = schema_.num_dense(), nc = schema_.num_cat(), n = r.rows();
  // Each row's split and place within it; then every column is decoded into a buffer that stays
  // in cache and written out in one pass.
  UninitVector<uint8_t> split(n);
  UninitVector<uint32_t> at(n);
  size_t rows[kNumSplits] = {0, 0, 0};
  for (size_t i = 0; i < n; ++i) {
    split[i] = r.split(i);
    at[i] = static_cast<uint32_t>(rows[split[i]]++);
  }
  EncodeResult out;
  for (size_t s = 0; s < kNumSplits; ++s) {
    out.blocks.emplace_back(nd, nc, rows[s]);
    out.blocks.back().rows = rows[s];
  }
  std::vector<ColumnBlock>& b = out.blocks;
  uint8_t* labels[kNumSplits] = {b[0].labels.data(), b[1].labels.data(), b[2].labels.data()};
  for (size_t i = 0; i < n; ++i) labels[split[i]][at[i]] = r.label(i) ? 1 : 0;
  UninitVector<int64_t> raw(n);
  for (size_t d = 0; d < nd; ++d) {
    r.dense(d, raw.data());
    float* col[kNumSplits] = {b[0].dense_col(d), b[1].dense_col(d), b[2].dense_col(d)};
    for (size_t i = 0; i < n; ++i)
      col[split[i]][at[i]] = transform_dense(transforms_[d], static_cast<double>(raw[i]), stats_.min[d], stats_.max[d]);
  }
  UninitVector<uint32_t> ids(n);
  for (size_t f = 0; f < nc; ++f) {
    r.ids(f, ids.data());
    uint32_t* col[kNumSplits] = {b[0].cat_col(f), b[1].cat_col(f), b[2].cat_col(f)};
    if (!id_maps) {
      for (size_t i = 0; i < n; ++i) col[split[i]][at[i]] = ids[i];
      continue;
    }
    const uint32_t* final_of = (*id_maps)[f];  // a random-access table: prefetched
    for (size_t i = 0; i < n; ++i) {
      if (i + kPrefetchDistance < n) __builtin_prefetch(final_of + ids[i + kPrefetchDistance]);
      col[split[i]][at[i]] = final_of[ids[i]];
    }
  }
  return out;
}

EncodeResult Preprocessor::encode_chunk(const InputChunk& c, const SplitAssigner& split) const {
  ParsedChunk p = parse_chunk(c, parser_, o_.on_bad_row, split);
  const size_t nc = schema_.num_cat(), n = p.rows.rows;
  UninitVector<uint32_t>& ids = p.rows.ids;  // here the loaded vocabulary's final ids
  for (size_t f = 0; f < nc; ++f) {
    const FieldVocab& v = vocabs_[f];
    uint32_t* field_ids = ids.data() + f * n;
    for_each_key(p.values, f, n, v, [&](size_t i, const VocabKey& key) { field_ids[i] = v.id_of(key); });
  }
  EncodeResult r = make_columns(ParsedRows{p.rows, schema_.num_dense()}, nullptr);
  r.bad = std::move(p.bad);
  return r;
}

void Preprocessor::pass_encode(const SplitAssigner& split, const std::string& out_dir,
                               const std::vector<std::string>* spills) {
  SplitShardWriterOptions so;
  so.dataset_dir = out_dir;
  so.num_dense = schema_.num_dense();
  so.num_cat = schema_.num_cat();
  so.shard_rows = o_.shard_rows;
  so.group_rows = o_.group_rows;
  so.max_pending_groups = max_inflight_;
  std::vector<std::unique_ptr<SplitShardWriter>> writers;
  for (const char* name : kSplitNames) {
    so.split = name;
    writers.push_back(std::make_unique<SplitShardWriter>(so, pool_));
  }

  auto pl = progress("preprocess pass 2/2 (encode shards)");
  auto consume = [&](EncodeResult& r) {
    apply_policy(r.bad, o_.on_bad_row);
    bad_.merge(r.bad);
    for (size_t s = 0; s < kNumSplits; ++s) writers[s]->append(r.blocks[s]);
  };
  if (spills) {
    SpillFeeder feeder(*spills, pl.get());
    std::vector<const uint32_t*> final_ids;
    for (const auto& v : vocabs_) final_ids.push_back(v.final_id_of_provisional());
    ordered_map<EncodeResult>(
        feeder, pool_, max_inflight_,
        [&](const SpillItem& item) {
          return make_columns(SpillRecordView(item.record, schema_.num_dense(), schema_.num_cat(), *item.path),
                              &final_ids);
        },
        consume);
    if (pl) pl->finish(feeder.rows(), feeder.total_bytes());
  } else {
    ProgressCounts counts;
    ChunkFeeder feeder(o_.inputs, parser_, &counts);
    {
      const ProgressTicker ticker(pl.get(), counts, feeder.total_bytes());
      ordered_map<EncodeResult>(
          feeder, pool_, max_inflight_, [&](const InputChunk& c) { return encode_chunk(c, split); }, consume);
    }
    if (pl) pl->finish(feeder.data_lines(), feeder.total_bytes());
    inputs_ = feeder.files();
  }
  for (auto& w : writers) w->finish();
  meta_.train = writers[kTrainSplit]->info();
  meta_.valid = writers[kValidSplit]->info();
  meta_.test = writers[kTestSplit]->info();
  meta_.inputs = inputs_;
  for (int k = 0; k < kNumBadRowKinds; ++k)
    meta_.bad_rows.emplace_back(bad_row_kind_name(static_cast<BadRowKind>(k)), bad_.counts[k]);
}

// Read back from the files once they are complete: a shard's header and index (two small
// reads), and each vocabulary file whole, in parallel, which also checks what was just written.
// With --vocab-from the files are byte copies of the source's, whose record (checked when it was
// loaded) is taken instead: predict on a raw file goes through here, and big vocabularies take
// a while to read.
void Preprocessor::record_files(const std::string& out_dir) {
  for (SplitInfo* s : {&meta_.train, &meta_.valid, &meta_.test}) {
    s->shard_bytes.clear();
    s->shard_checksums.clear();
    for (const auto& rel : s->shards) {
      const ShardReader shard((std::filesystem::path(out_dir) / rel).string());
      s->shard_bytes.push_back(shard.file_size());
      s->shard_checksums.push_back(shard.header_crc());
    }
  }
  if (!o_.vocab_from.empty()) {
    DatasetMeta src = read_meta(o_.vocab_from);
    if (src.checked()) {
      meta_.vocab_files = std::move(src.vocab_files);
      return;
    }
  }
  std::vector<std::future<VocabFileInfo>> files;
  for (size_t f = 0; f < schema_.num_cat(); ++f)
    files.push_back(pool_.submit(
        [this, f, &out_dir] { return vocab_file_info(out_dir, schema_.cat_names[f], meta_.vocab_sizes[f]); }));
  for (auto& file : files) file.wait();  // every task ends before any error propagates
  meta_.vocab_files.clear();
  for (auto& file : files) meta_.vocab_files.push_back(file.get());
}

PreprocessSummary Preprocessor::run() {
  auto t0 = std::chrono::steady_clock::now();
  validate(o_);
  std::error_code ec;
  if (!o_.vocab_from.empty() && std::filesystem::exists(o_.output) &&
      std::filesystem::equivalent(o_.vocab_from, o_.output, ec))
    throw UsageError("--vocab-from and --output must be different directories");
  StagingDir out(o_.output, o_.overwrite);

  const SplitAssigner split = make_split();
  if (o_.vocab_from.empty()) {
    const std::vector<std::string> spills = pass_count(split, out.path());
    pass_encode(split, out.path(), &spills);
    for (const std::string& f : spills) std::filesystem::remove(f);
  } else {
    load_vocab();
    pass_encode(split, out.path(), nullptr);
  }

  if (meta_.total_rows() == 0)
    throw Error(fmt::format("no usable rows in the input ({} bad rows skipped); check --dataset "
                            "and the files", meta_.bad_rows_total()));

  if (!o_.vocab_from.empty()) {  // otherwise pass 1 wrote them
    std::filesystem::create_directories(std::filesystem::path(out.path()) / "vocab");
    for (const auto& f : schema_.cat_names)
      std::filesystem::copy_file(vocab_file_path(o_.vocab_from, f), vocab_file_path(out.path(), f));
  }

  meta_.dataset = schema_.name;
  meta_.schema = schema_;
  for (size_t d = 0; d < schema_.num_dense(); ++d) meta_.schema.columns[schema_.dense_columns[d]].transform = transforms_[d];
  meta_.created_by = std::string("ctrtrain ") + CTR_VERSION;
  meta_.dense_fields = schema_.dense_names;
  meta_.cat_fields = schema_.cat_names;
  for (const auto& v : vocabs_) meta_.vocab_sizes.push_back(v.vocab_size());
  meta_.distinct_values = distinct_;
  meta_.dense_stats = stats_;
  // The day split records the shares its files gave.
  const bool by_day = o_.split == SplitMode::day;
  const double total = static_cast<double>(meta_.total_rows());
  const double ratio = by_day ? static_cast<double>(meta_.test.rows) / total : resolved_test_ratio(o_);
  const double valid = by_day ? static_cast<double>(meta_.valid.rows) / total : o_.valid_ratio;
  meta_.options = {split_name(o_), ratio, valid, o_.min_count, o_.max_vocab, o_.seed, o_.shard_rows,
                   o_.on_bad_row == BadRowPolicy::fail ? "fail" : "skip", o_.vocab_from};
  record_files(out.path());
  write_text_file((std::filesystem::path(out.path()) / "meta.json").string(), meta_to_json(meta_));
  out.commit();

  PreprocessSummary s;
  s.meta = meta_;
  s.seconds = seconds_since(t0);
  for (const auto& f : meta_.inputs) {
    s.input_bytes += f.bytes;
    s.lines += f.lines;
  }
  return s;
}

}  // namespace

PreprocessSummary run_preprocess(const PreprocessOptions& opts) { return Preprocessor(opts).run(); }

}  // namespace ctr
