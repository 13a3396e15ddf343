// BatchSource: where training and evaluation get their batches, already in backend memory.
//   reader source    a host BatchReader (data.cache: host = the in-memory reader, none = the
//                    streaming reader), each batch uploaded with Ops::load_batch
//   resident source  the split held in backend memory (data.cache: device), loaded once and drawn
//                    through a per-epoch IndexPermutation on the backend
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/ops.h"
#include "reader/batch_reader.h"

namespace ctr {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual void start_epoch(uint64_t epoch) = 0;               // 0-based
  virtual bool next(DeviceBatch<float>& batch) = 0;            // false once the epoch is done
  virtual uint64_t rows_per_epoch() const = 0;                 // after drop_last
  virtual double input_wait_seconds() const = 0;               // cumulative time next() waited for data
  virtual std::string describe() const = 0;                    // "streaming reader", "device-resident", ...
};

struct SourceOptions {
  size_t batch_size = 1024;
  bool shuffle = true;
  bool drop_last = false;
  uint64_t seed = 0;
};

// Batches from `reader`, uploaded one by one; field_offsets[F+1] as Ops::load_batch.
std::unique_ptr<BatchSource> open_reader_source(Ops<float>& ops, std::unique_ptr<BatchReader> reader,
                                                std::vector<uint64_t> field_offsets, std::string description);
// A split held in backend memory, shared by every source drawn from it.
struct LoadedSplit {
  std::shared_ptr<ResidentSplit<float>> split;
  double load_seconds = 0;
};
// Loads every row of `file_order` (a reader that does not shuffle) into backend memory. `rows`
// is the split's row count from meta.json; a different count is a ctr::Error.
LoadedSplit fill_resident_split(Ops<float>& ops, BatchReader& file_order, uint64_t rows,
                                const std::vector<uint64_t>& field_offsets);
// Batches of a loaded split per `o`, each epoch in the order IndexPermutation gives.
std::unique_ptr<BatchSource> open_resident_source(const LoadedSplit& loaded, const SourceOptions& o);

}  // namespace ctr
