// Checkpoint evaluation and prediction (see inference.h).
#include "train/inference.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "core/error.h"
#include "core/fs_util.h"
#include "dataset/dataset_meta.h"
#include "preprocess/preprocess.h"
#include "reader/dataset_split.h"
#include "train/backend_select.h"
#include "train/checkpoint_io.h"

namespace ctr {
namespace fs = std::filesystem;
namespace {

struct LoadedModel {
  CheckpointHeader header;
  std::unique_ptr<Ops<float>> ops;
  std::unique_ptr<CtrModel<float>> model;
};

LoadedModel load_model(const InferenceOptions& o) {
  if (!fs::is_regular_file(o.checkpoint))
    throw UsageError(fmt::format("--checkpoint {}: no such file (a run directory holds checkpoint.ckpt)",
                                 o.checkpoint));
  LoadedModel lm;
  lm.header = read_checkpoint_header(o.checkpoint);
  lm.ops = make_backend({DeviceChoice::cpu, o.threads, Precision::fp32});
  lm.model = std::make_unique<CtrModel<float>>(*lm.ops, lm.header.model, o.batch_size);
  load_checkpoint_state(o.checkpoint, *lm.ops, *lm.model, nullptr);
  return lm;
}

void check_vocabulary(const LoadedModel& lm, const DatasetMeta& meta, const std::string& dir) {
  if (meta.vocab_sizes == lm.header.model.vocab_sizes && meta.dense_fields.size() == lm.header.model.num_dense)
    return;
  throw UsageError(fmt::format(
      "--data {}: its vocabulary ({} fields) differs from the one the checkpoint was trained on ({}); encode the "
      "data with `ctrtrain preprocess --vocab-from {}` first",
      dir, meta.vocab_sizes.size(), lm.header.data_path, lm.header.data_path));
}

std::unique_ptr<BatchReader> open_split_reader(const std::string& dir, const DatasetMeta& meta,
                                               const InferenceOptions& o) {
  if (o.split != "train" && o.split != "valid" && o.split != "test")
    throw UsageError(fmt::format("--split {}: expected train, valid or test", o.split));
  check_split_has_rows("--split " + o.split, dir, meta, o.split, "choose another --split");
  BatchReaderOptions r;
  r.batch_size = o.batch_size;
  r.shuffle = false;
  r.threads = o.threads;
  return open_streaming_reader(split_shard_paths(dir, meta, o.split), r);
}

// The split of DIR as a batch source for the loaded model, and a batch to hold its batches.
struct DirSource {
  std::unique_ptr<BatchSource> source;
  DeviceBatch<float> batch;
};
DirSource open_dir(LoadedModel& lm, const std::string& dir, const InferenceOptions& o) {
  const DatasetMeta meta = read_meta(dir);
  check_vocabulary(lm, meta, dir);
  const uint64_t* off = lm.model->tables().field_offsets();
  return {open_reader_source(*lm.ops, open_split_reader(dir, meta, o),
                             std::vector<uint64_t>(off, off + meta.cat_fields.size() + 1), "streaming reader"),
          DeviceBatch<float>(lm.ops->memory(), o.batch_size, meta.dense_fields.size(), meta.cat_fields.size())};
}

std::vector<float> predict_dir(LoadedModel& lm, const std::string& dir, const InferenceOptions& o) {
  DirSource d = open_dir(lm, dir, o);
  return predict_all(*lm.ops, *lm.model, *d.source, d.batch);
}

}  // namespace

EvalResult evaluate_checkpoint(const InferenceOptions& o) {
  LoadedModel lm = load_model(o);
  DirSource d = open_dir(lm, o.data, o);
  return evaluate(*lm.ops, *lm.model, *d.source, d.batch);
}

uint64_t predict_to_file(const InferenceOptions& o, const std::string& output) {
  LoadedModel lm = load_model(o);
  std::vector<float> p;
  if (fs::is_directory(o.data)) {
    p = predict_dir(lm, o.data, o);
  } else if (fs::is_regular_file(o.data)) {
    // A raw file: encode every row, in order, with the training vocabulary (seq split, ratio 1:
    // all rows land in "test" in file order), then predict that split.
    const DatasetMeta train_meta = read_meta(lm.header.data_path);
    const fs::path tmp = fs::temp_directory_path() / fmt::format("ctrtrain-predict-{}", getpid());
    PreprocessOptions po;
    po.schema = train_meta.schema;
    po.inputs = {o.data};
    po.output = tmp.string();
    po.split = SplitMode::seq;
    po.test_ratio = 1.0;
    po.vocab_from = lm.header.data_path;
    po.threads = o.threads;
    po.overwrite = true;
    po.progress = false;
    struct Cleanup {
      fs::path p;
      ~Cleanup() {
        std::error_code ec;
        fs::remove_all(p, ec);
      }
    } cleanup{tmp};
    run_preprocess(po);
    InferenceOptions all = o;
    all.split = "test";
    p = predict_dir(lm, tmp.string(), all);
  } else {
    throw UsageError(fmt::format("--data {}: no such file or directory", o.data));
  }
  std::string text;
  text.reserve(p.size() * 12);
  for (float v : p) text += fmt::format("{:.9g}\n", v);
  write_text_file(output, text);
  return p.size();
}

}  // namespace ctr
