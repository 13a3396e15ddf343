// The two BatchSource implementations (see batch_source.h).
#include "train/batch_source.h"

#include <chrono>

#include <fmt/format.h>

#include "core/error.h"
#include "core/stopwatch.h"

namespace ctr {

namespace {

class ReaderSource final : public BatchSource {
 public:
  ReaderSource(Ops<float>& ops, std::unique_ptr<BatchReader> reader, std::vector<uint64_t> offsets, std::string what)
      : ops_(ops), reader_(std::move(reader)), offsets_(std::move(offsets)), what_(std::move(what)) {}
  void start_epoch(uint64_t epoch) override { reader_->start_epoch(epoch); }
  bool next(DeviceBatch<float>& batch) override {
    BatchPtr host = reader_->next();
    if (!host) return false;
    ops_.load_batch(*host, offsets_.data(), batch);
    return true;
  }
  uint64_t rows_per_epoch() const override { return reader_->rows_per_epoch(); }
  double input_wait_seconds() const override { return reader_->input_wait_seconds(); }
  std::string describe() const override { return what_; }

 private:
  Ops<float>& ops_;
  std::unique_ptr<BatchReader> reader_;
  std::vector<uint64_t> offsets_;
  std::string what_;
};

class ResidentSource final : public BatchSource {
 public:
  ResidentSource(std::shared_ptr<ResidentSplit<float>> split, const SourceOptions& o, double load_seconds)
      : split_(std::move(split)), o_(o), load_seconds_(load_seconds) {}
  void start_epoch(uint64_t epoch) override {
    order_ = o_.shuffle ? IndexPermutation::shuffled(split_->rows(), o_.seed, epoch)
                        : IndexPermutation::file_order(split_->rows());
    pos_ = 0;
  }
  bool next(DeviceBatch<float>& batch) override {
    const uint64_t left = split_->rows() - pos_;
    if (left == 0 || (o_.drop_last && left < o_.batch_size)) return false;
    const size_t count = static_cast<size_t>(std::min<uint64_t>(left, o_.batch_size));
    const auto t0 = std::chrono::steady_clock::now();
    split_->gather(order_, pos_, count, batch);
    wait_ += seconds_since(t0);
    pos_ += count;
    return true;
  }
  uint64_t rows_per_epoch() const override {
    const uint64_t n = split_->rows();
    return o_.drop_last ? n / o_.batch_size * o_.batch_size : n;
  }
  double input_wait_seconds() const override { return wait_; }
  std::string describe() const override {
    return fmt::format("resident in backend memory, loaded in {:.1f} s", load_seconds_);
  }

 private:
  std::shared_ptr<ResidentSplit<float>> split_;
  SourceOptions o_;
  double load_seconds_;
  IndexPermutation order_;
  uint64_t pos_ = 0;
  double wait_ = 0;
};

}  // namespace

std::unique_ptr<BatchSource> open_reader_source(Ops<float>& ops, std::unique_ptr<BatchReader> reader,
                                                std::vector<uint64_t> field_offsets, std::string description) {
  return std::make_unique<ReaderSource>(ops, std::move(reader), std::move(field_offsets), std::move(description));
}

LoadedSplit fill_resident_split(Ops<float>& ops, BatchReader& file_order, uint64_t rows,
                                const std::vector<uint64_t>& field_offsets) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadedSplit out;
  out.split = ops.make_resident_split(rows, file_order.num_dense(), file_order.num_cat());
  file_order.start_epoch(0);
  while (BatchPtr host = file_order.next()) out.split->append(*host, field_offsets.data());
  if (out.split->rows() != rows)
    throw Error(fmt::format("the split's shards hold {} rows but meta.json says {}; run `ctrtrain inspect --verify` "
                            "on the dataset",
                            out.split->rows(), rows));
  ops.synchronize();
  out.load_seconds = seconds_since(t0);
  return out;
}

std::unique_ptr<BatchSource> open_resident_source(const LoadedSplit& loaded, const SourceOptions& o) {
  return std::make_unique<ResidentSource>(loaded.split, o, loaded.load_seconds);
}

}  // namespace ctr
