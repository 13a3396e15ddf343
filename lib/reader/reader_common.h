// Pieces both batch readers share: option checks, opening a split's shards, epoch row counts and
// the consumer's input-wait clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/stopwatch.h"
#include "reader/batch_reader.h"
#include "shard/shard_reader.h"

namespace ctr {

// Throws UsageError naming the option and its allowed range.
void validate_reader_options(const BatchReaderOptions& opts);

HostAllocator& allocator_of(const BatchReaderOptions& opts);

// The shards of one split, opened (header and row-group index read) and checked to share a schema.
struct ShardSet {
  std::vector<std::unique_ptr<ShardReader>> readers;
  size_t num_dense = 0, num_cat = 0;
  uint64_t rows = 0;
};
// Throws UsageError for an empty list and ctr::Error for unreadable shards or a shard whose
// field counts differ from the first one's (naming both files).
ShardSet open_shards(const std::vector<std::string>& paths);

// Rows delivered per epoch: all of them, or whole batches only with drop_last.
uint64_t epoch_rows(uint64_t rows, const BatchReaderOptions& opts);

// Accumulates the wall time of the scopes it measures (the consumer's calls to next()).
class WaitClock {
 public:
  class Scope {
   public:
    explicit Scope(WaitClock& c) : clock_(c), start_(SteadyClock::now()) {}
    ~Scope() { clock_.seconds_ += seconds_since(start_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    WaitClock& clock_;
    SteadyClock::time_point start_;
  };
  double seconds() const { return seconds_; }

 private:
  double seconds_ = 0;
};

}  // namespace ctr
