// data.cache resolution and split opening (see data_setup.h).
#include "train/data_setup.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/system_info.h"
#include "reader/dataset_split.h"

namespace ctr {

namespace {

BatchReaderOptions reader_options(const TrainConfig& cfg, const SplitRequest& r) {
  BatchReaderOptions o;
  o.batch_size = r.batch_size;
  o.shuffle = r.shuffle;
  o.drop_last = r.drop_last;
  o.seed = cfg.train.seed;
  o.threads = cfg.train.threads;
  return o;
}

// A reader of the split in file order: what a resident split is filled from.
std::unique_ptr<BatchReader> file_order_reader(const TrainConfig& cfg, const std::string& dir, const DatasetMeta& meta,
                                               const std::string& split) {
  SplitRequest r;
  r.split = split;
  r.batch_size = 65536;
  r.shuffle = false;
  return open_streaming_reader(split_shard_paths(dir, meta, split), reader_options(cfg, r));
}

// A backstop: the trainer and the evaluation splits check first, naming their config keys.
void check_has_rows(const std::string& dir, const DatasetMeta& meta, const std::string& split) {
  check_split_has_rows("dataset", dir, meta, split,
                       "choose a dataset that has one, or re-run ctrtrain preprocess with other --test-ratio / "
                       "--valid-ratio");
}

LoadedSplit load_resident(const TrainConfig& cfg, const std::string& dir, const DatasetMeta& meta, Ops<float>& ops,
                          const std::vector<uint64_t>& field_offsets, const std::string& split) {
  check_has_rows(dir, meta, split);
  auto reader = file_order_reader(cfg, dir, meta, split);
  return fill_resident_split(ops, *reader, meta.split(split).rows, field_offsets);
}

}  // namespace

uint64_t cached_row_bytes(const DatasetMeta& meta) {
  return 4 * (1 + meta.dense_fields.size() + meta.cat_fields.size());
}

DataCache resolve_cache(const TrainConfig& cfg, const DatasetMeta& meta, uint64_t rows, Ops<float>& ops,
                        const CacheRoom& room) {
  if (cfg.data.cache != DataCache::automatic) return cfg.data.cache;
  const uint64_t bytes = rows * cached_row_bytes(meta);
  if (bytes < ops.resident_budget_bytes() && bytes <= room.backend_bytes) return DataCache::device;
  const uint64_t host_room = room.backend_is_host ? room.backend_bytes : UINT64_MAX;
  return bytes < physical_memory_bytes() / 4 && bytes <= host_room ? DataCache::host : DataCache::none;
}

LoadedSplit load_resident_split(const TrainConfig& cfg, const DatasetMeta& meta, Ops<float>& ops,
                                const std::vector<uint64_t>& field_offsets, const std::string& split) {
  return load_resident(cfg, cfg.data.path, meta, ops, field_offsets, split);
}

std::unique_ptr<BatchSource> open_split(const TrainConfig& cfg, const DatasetMeta& meta, DataCache cache,
                                        Ops<float>& ops, const std::vector<uint64_t>& field_offsets,
                                        const SplitRequest& r) {
  const std::string& dir = r.dir.empty() ? cfg.data.path : r.dir;
  check_has_rows(dir, meta, r.split);
  const auto paths = split_shard_paths(dir, meta, r.split);
  if (cache == DataCache::device) {
    LoadedSplit loaded = load_resident(cfg, dir, meta, ops, field_offsets, r.split);
    SourceOptions so;
    so.batch_size = r.batch_size;
    so.shuffle = r.shuffle;
    so.drop_last = r.drop_last;
    so.seed = cfg.train.seed;
    return open_resident_source(loaded, so);
  }
  if (cache == DataCache::host)
    return open_reader_source(ops, open_memory_reader(paths, reader_options(cfg, r)), field_offsets,
                              "in-memory reader");
  return open_reader_source(ops, open_streaming_reader(paths, reader_options(cfg, r)), field_offsets,
                            "streaming reader");
}

}  // namespace ctr
