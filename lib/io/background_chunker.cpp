// BackgroundChunker implementation.
#include "io/background_chunker.h"

#include <utility>

namespace ctr {

BackgroundChunker::BackgroundChunker(std::string path, size_t depth, LineChunkerOptions opts)
    : path_(std::move(path)), thread_([this, depth, opts] { run(depth < 1 ? 1 : depth, opts); }) {}

BackgroundChunker::~BackgroundChunker() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BackgroundChunker::run(size_t depth, LineChunkerOptions opts) {
  try {
    LineChunker chunker(ByteSource::open(path_), opts);
    const ByteSource& src = chunker.source();
    for (;;) {
      Entry e;
      const bool more = chunker.next(e.chunk);
      e.consumed = src.file_bytes_consumed();
      std::unique_lock<std::mutex> lock(m_);
      if (!more) {
        file_bytes_ = ByteSource::is_stream(path_) ? src.file_bytes_consumed() : src.file_size();
        compression_ = src.compression();
        break;
      }
      cv_.wait(lock, [&] { return stop_ || queue_.size() < depth; });
      if (stop_) return;
      queue_.push_back(std::move(e));
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(m_);
    error_ = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(m_);
  ended_ = true;
  cv_.notify_all();
}

bool BackgroundChunker::next(LineChunk& out, uint64_t& file_bytes_consumed) {
  std::unique_lock<std::mutex> lock(m_);
  cv_.wait(lock, [&] { return !queue_.empty() || ended_; });
  if (queue_.empty()) {
    if (error_) std::rethrow_exception(error_);
    return false;
  }
  out = std::move(queue_.front().chunk);
  file_bytes_consumed = queue_.front().consumed;
  queue_.pop_front();
  cv_.notify_all();
  return true;
}

}  // namespace ctr
