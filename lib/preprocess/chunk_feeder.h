// ChunkFeeder walks the input files in order and hands out line chunks tagged with their file,
// line numbers and global data-line index; ordered_map() runs a function on each chunk on a
// thread pool and consumes the results in file order (deterministic whatever the thread count).
// Decompression runs on threads of its own (BackgroundChunker), two files at a time: the file
// being handed out, and the next one, a few chunks ahead, so a file boundary costs no wait.
#pragma once

#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "core/progress.h"
#include "core/thread_pool.h"
#include "dataset/dataset_meta.h"
#include "io/background_chunker.h"
#include "preprocess/raw_parser.h"

namespace ctr {

struct InputChunk {
  const std::string* path = nullptr;
  LineChunk lines;
  bool starts_with_header = false;  // Avazu: the first line of a file, already checked
  uint64_t first_data_index = 0;    // global index (over all files) of the first data line
  size_t file_index = 0;            // which input the chunk comes from
  uint64_t first_file_data_index = 0;  // the first data line's index within its file
};

class ChunkFeeder {
 public:
  using Item = InputChunk;
  // Hands out the chunks of inputs[first_file, end_file) (end_file past the end: to the last);
  // `counts` (may be null) gets each chunk's lines and bytes read as it is handed out.
  // first_data_index counts from the range's first line, file_index over all of `inputs`.
  ChunkFeeder(const std::vector<std::string>& inputs, const RowParser& parser, ProgressCounts* counts,
              size_t first_file = 0, size_t end_file = SIZE_MAX);
  bool next(InputChunk& out);
  uint64_t data_lines() const { return data_lines_; }
  // Per input of the range: size, compression and data lines; complete once next() has returned
  // false.
  const std::vector<InputFileInfo>& files() const { return files_; }
  // Bytes of the range's inputs: their sizes ahead of time (a stream counts 0 until read), and
  // once next() has returned false, what was read from every input, streams included.
  uint64_t total_bytes() const { return file_ >= end_ ? bytes_before_ : total_bytes_; }

 private:
  bool open_next_file();
  const std::vector<std::string>& inputs_;
  const RowParser& parser_;
  ProgressCounts* counts_;
  std::deque<std::unique_ptr<BackgroundChunker>> window_;  // files file_, file_ + 1, ...
  size_t file_, end_, opened_;                             // the file handed out; files started
  bool started_ = false;
  uint64_t data_lines_ = 0;
  uint64_t file_lines_ = 0;
  uint64_t file_bytes_counted_ = 0;  // of the current file, already added to counts_
  uint64_t total_bytes_ = 0, bytes_before_ = 0;
  std::vector<InputFileInfo> files_;
};

// Runs work(item) -> R on the pool for each item of `source` (a ChunkFeeder, or anything with
// `using Item = ...;` and `bool next(Item&)`), with at most `max_inflight` items in flight, and
// calls consume(R&) in source order on the calling thread. If anything throws, waits for the
// tasks in flight (they reference the caller's state) before rethrowing.
template <class R, class Source, class Work, class Consume>
void ordered_map(Source& source, ThreadPool& pool, size_t max_inflight, Work work, Consume consume) {
  using Item = typename Source::Item;
  std::deque<std::future<R>> q;
  try {
    Item c;
    while (source.next(c)) {
      auto chunk = std::make_shared<Item>(std::move(c));
      c = Item();
      q.push_back(pool.submit([chunk, &work] { return work(*chunk); }));
      while (q.size() >= max_inflight) {
        R r = q.front().get();
        q.pop_front();
        consume(r);
      }
    }
    while (!q.empty()) {
      R r = q.front().get();
      q.pop_front();
      consume(r);
    }
  } catch (...) {
    for (auto& f : q)
      if (f.valid()) f.wait();
    throw;
  }
}

}  // namespace ctr
