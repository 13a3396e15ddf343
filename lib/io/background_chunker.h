// BackgroundChunker: a LineChunker run on a thread of its own, ahead of its consumer by at most
// `depth` chunks. A gzip stream cannot be split, so the only way to decompress several input
// files on several cores is one decoder per file; the consumer still takes chunks in file order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "io/line_chunker.h"

namespace ctr {

class BackgroundChunker {
 public:
  // Starts decoding `path` at once. Errors (a missing file, a damaged stream, an over-long line)
  // are kept and rethrown by next() at the point of the file where they happened.
  BackgroundChunker(std::string path, size_t depth, LineChunkerOptions opts = {});
  ~BackgroundChunker();  // stops the decoder and joins it, wherever it is
  BackgroundChunker(const BackgroundChunker&) = delete;
  BackgroundChunker& operator=(const BackgroundChunker&) = delete;

  // The next chunk, and the bytes of the file consumed once it was cut (for progress); false at
  // the end of the file.
  bool next(LineChunk& out, uint64_t& file_bytes_consumed);

  // Once next() has returned false: the file's size (a stream's bytes read) and compression.
  uint64_t file_bytes() const { return file_bytes_; }
  Compression compression() const { return compression_; }

 private:
  struct Entry {
    LineChunk chunk;
    uint64_t consumed = 0;
  };
  void run(size_t depth, LineChunkerOptions opts);

  std::string path_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Entry> queue_;
  bool ended_ = false, stop_ = false;
  std::exception_ptr error_;
  uint64_t file_bytes_ = 0;
  Compression compression_ = Compression::none;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace ctr
