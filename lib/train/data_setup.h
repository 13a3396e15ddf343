// Where training's batches come from: data.cache resolved against the backend and the machine,
// and each split opened as the BatchSource that setting names. Shared by training and `bench`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/ops.h"
#include "config/train_config.h"
#include "dataset/dataset_meta.h"
#include "train/batch_source.h"

namespace ctr {

// What one row of a cached split takes, in host RAM (data.cache: host) or in backend memory
// (device): its label, dense values and field ids, 4 bytes each.
uint64_t cached_row_bytes(const DatasetMeta& meta);

// What data.cache: auto may fill besides the backend's own budget.
struct CacheRoom {
  uint64_t backend_bytes = UINT64_MAX;  // left in the backend's memory under train.memory_limit
  bool backend_is_host = true;          // the CPU backend: a host cache is in its memory
};

// data.cache: auto picks the backend's memory when the splits fit its budget (the CUDA backend,
// after the model is allocated), else host RAM when they take under a quarter of it, else
// streams; either cache in the backend's memory must also fit room.backend_bytes. `rows`: of
// every split the run reads.
DataCache resolve_cache(const TrainConfig& cfg, const DatasetMeta& meta, uint64_t rows, Ops<float>& ops,
                        const CacheRoom& room);

struct SplitRequest {
  std::string split = "train";  // train | valid | test
  size_t batch_size = 1024;
  bool shuffle = true;
  bool drop_last = false;
  std::string dir;              // the dataset directory of `meta`; "" = data.path
};

// The split of `meta` (the meta.json of request.dir) as a BatchSource for `cache` (not
// automatic); field_offsets[F+1] as Ops::load_batch.
std::unique_ptr<BatchSource> open_split(const TrainConfig& cfg, const DatasetMeta& meta, DataCache cache,
                                        Ops<float>& ops, const std::vector<uint64_t>& field_offsets,
                                        const SplitRequest& request);

// The split loaded once into backend memory, for callers that draw it at several batch sizes.
LoadedSplit load_resident_split(const TrainConfig& cfg, const DatasetMeta& meta, Ops<float>& ops,
                                const std::vector<uint64_t>& field_offsets, const std::string& split);

}  // namespace ctr
