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
// Loads every row of `file_order` (a reader that does not shuffle) into backend memory, then
// serves batches per `o`. `rows` is the split's row count from meta.json.
std::unique_ptr<BatchSource> open_resident_source(Ops<float>& ops, BatchReader& file_order, uint64_t rows,
                                                  const std::vector<uint64_t>& field_offsets, const SourceOptions& o);

}  // namespace ctr
