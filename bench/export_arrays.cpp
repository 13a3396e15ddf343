// ctr_bench_export_arrays: dumps a preprocessed dataset as raw arrays for bench/torch_deepfm_cowclip.py.
//
// Python cannot read .ctrs shards without a zstd module, so this tool decodes both splits with
// the project's batch reader in file order (shuffle off) and writes, under OUT_DIR:
//   {train,test}_labels.f32  [N]     float32
//   {train,test}_dense.f32   [N, Nd] float32, row-major (already transformed, as training sees it)
//   {train,test}_cat.u32     [N, F]  uint32, row-major, per-field ids as stored (0 .. vocab_size-1)
//   meta.json                {"train_rows", "test_rows", "num_dense", "num_fields", "vocab_sizes", ...}
// All little-endian. The directory appears only when complete (built under a temporary name).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/json_writer.h"
#include "dataset/dataset_meta.h"
#include "reader/batch_reader.h"
#include "reader/dataset_split.h"

namespace {

struct Args {
  std::string dataset_dir;
  std::string out_dir;
  bool force = false;
  int threads = 0;
  uint64_t max_train_rows = 0;  // 0 = all; else the first N train rows (the timed steps need no more)
  bool train_only = false;      // the test arrays empty: a timing run never evaluates
};

// A binary output file that reports short writes as ctr::Error naming the path.
class RawFile {
 public:
  explicit RawFile(std::string path) : path_(std::move(path)), f_(std::fopen(path_.c_str(), "wb")) {
    if (!f_) throw ctr::Error(fmt::format("{}: cannot open for writing", path_));
  }
  ~RawFile() {
    if (f_) std::fclose(f_);
  }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;

  void write(const void* p, size_t bytes) {
    if (bytes && std::fwrite(p, 1, bytes, f_) != bytes)
      throw ctr::Error(fmt::format("{}: write failed (disk full?)", path_));
  }
  void close() {
    const int rc = std::fclose(f_);
    f_ = nullptr;
    if (rc != 0) throw ctr::Error(fmt::format("{}: close failed (disk full?)", path_));
  }

 private:
  std::string path_;
  std::FILE* f_;
};

// Writes one split's three arrays; returns the rows written.
// max_rows 0: all rows; skip: write empty arrays.
uint64_t export_split(const std::string& dataset_dir, const ctr::DatasetMeta& meta,
                      const std::string& split, const std::string& out_dir, int threads, uint64_t max_rows,
                      bool skip = false) {
  const ctr::SplitInfo& info = split == "train" ? meta.train : meta.test;
  ctr::BatchReaderOptions opts;
  opts.batch_size = 65536;
  opts.shuffle = false;  // file order: row i of every array is row i of the split's shards
  opts.drop_last = false;
  opts.threads = threads;
  auto reader = ctr::open_streaming_reader(ctr::split_shard_paths(dataset_dir, meta, split), opts);
  const size_t nd = reader->num_dense(), nf = reader->num_cat();
  if (nd != meta.dense_fields.size() || nf != meta.vocab_sizes.size())
    throw ctr::Error(fmt::format("{}: {} shards hold {} dense and {} categorical fields, meta.json "
                                 "says {} and {}", dataset_dir, split, nd, nf,
                                 meta.dense_fields.size(), meta.vocab_sizes.size()));

  RawFile labels(out_dir + "/" + split + "_labels.f32");
  RawFile dense(out_dir + "/" + split + "_dense.f32");
  RawFile cat(out_dir + "/" + split + "_cat.u32");
  uint64_t rows = 0;
  reader->start_epoch(0);
  const uint64_t want = skip ? 0 : max_rows ? std::min(max_rows, info.rows) : info.rows;
  while (rows < want) {
    ctr::BatchPtr b = reader->next();
    if (!b) break;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(b->rows, want - rows));
    for (size_t i = 0; i < take; ++i) {
      const uint32_t* ids = b->cat + i * nf;
      for (size_t f = 0; f < nf; ++f) {
        if (ids[f] >= meta.vocab_sizes[f])
          throw ctr::Error(fmt::format("{}: {} row {}: field {} ({}) has id {} >= vocab size {}",
                                       dataset_dir, split, rows + i, f, meta.cat_fields[f], ids[f],
                                       meta.vocab_sizes[f]));
      }
    }
    labels.write(b->labels, take * sizeof(float));
    dense.write(b->dense, take * nd * sizeof(float));
    cat.write(b->cat, take * nf * sizeof(uint32_t));
    rows += take;
  }
  labels.close();
  dense.close();
  cat.close();
  if (rows != want)
    throw ctr::Error(fmt::format("{}: read {} {} rows, expected {} (meta.json says {})", dataset_dir, rows, split,
                                 want, info.rows));
  return rows;
}

void run(const Args& a) {
  const ctr::DatasetMeta meta = ctr::read_meta(a.dataset_dir);
  if (!a.force && std::filesystem::exists(a.out_dir))
    throw ctr::UsageError(fmt::format("{} already exists (delete it, or pass --force to replace it)", a.out_dir));
  ctr::StagingDir out(a.out_dir, a.force);
  const uint64_t train_rows = export_split(a.dataset_dir, meta, "train", out.path(), a.threads, a.max_train_rows);
  const uint64_t test_rows = export_split(a.dataset_dir, meta, "test", out.path(), a.threads, 0, a.train_only);

  ctr::JsonWriter j;
  j.begin_object()
      .value("train_rows", train_rows)
      .value("test_rows", test_rows)
      .value("num_dense", static_cast<uint64_t>(meta.dense_fields.size()))
      .value("num_fields", static_cast<uint64_t>(meta.vocab_sizes.size()))
      .array("vocab_sizes", meta.vocab_sizes)
      .value("dataset", meta.dataset)
      .value("source", a.dataset_dir)
      .value("layout", "little-endian; labels f32 [N], dense f32 [N, num_dense], cat u32 [N, num_fields]")
      .end_object();
  ctr::write_text_file(out.path() + "/meta.json", j.str());
  out.commit();
  std::printf("exported %llu train and %llu test rows (%zu dense, %zu categorical fields) to %s\n",
              static_cast<unsigned long long>(train_rows), static_cast<unsigned long long>(test_rows),
              meta.dense_fields.size(), meta.vocab_sizes.size(), out.final_path().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes a preprocessed dataset's train and test splits as raw little-endian arrays "
               "(for bench/torch_deepfm_cowclip.py)."};
  app.option_defaults()->always_capture_default();
  Args a;
  app.add_option("dataset_dir", a.dataset_dir, "Preprocessed dataset directory (ctrtrain preprocess output)")
      ->required();
  app.add_option("out_dir", a.out_dir, "Output directory (created)")->required();
  app.add_flag("--force", a.force, "Replace OUT_DIR if it exists");
  app.add_option("--threads", a.threads, "Reader threads (0 = all hardware threads)");
  app.add_option("--max-train-rows", a.max_train_rows, "Export only the first N train rows (0 = all)");
  app.add_flag("--train-only", a.train_only, "Leave the test arrays empty (for timing runs, which never evaluate)");
  CLI11_PARSE(app, argc, argv);
  try {
    run(a);
  } catch (const ctr::Error& e) {
    std::fprintf(stderr, "ctr_bench_export_arrays: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctr_bench_export_arrays: %s\n", e.what());
    return 1;
  }
  return 0;
}
