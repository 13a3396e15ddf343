// LineChunker: reads ahead to a newline boundary and carries the partial line over.
#include "io/line_chunker.h"

#include <algorithm>

#include "core/error.h"

namespace ctr {

LineChunker::LineChunker(std::unique_ptr<ByteSource> source, LineChunkerOptions opts)
    : source_(std::move(source)), opts_(opts) {
  CTR_CHECK(source_ != nullptr, "null source");
  CTR_CHECK(opts_.target_chunk_bytes > 0, "target_chunk_bytes must be positive");
}

bool LineChunker::next(LineChunk& chunk) {
  chunk.bytes.clear();
  chunk.bytes.insert(chunk.bytes.end(), carry_.begin(), carry_.end());
  carry_.clear();
  const size_t read_block = std::max<size_t>(opts_.target_chunk_bytes / 4, 64 << 10);

  // Read until the chunk holds at least the target and a newline past it, or input ends.
  size_t scan_from = 0;            // bytes before this were searched and hold no newline
  size_t cut = std::string::npos;  // index one past the last newline we keep
  for (;;) {
    if (chunk.bytes.size() >= opts_.target_chunk_bytes || eof_) {
      const char* base = chunk.bytes.data();
      for (size_t i = chunk.bytes.size(); i > scan_from; --i) {
        if (base[i - 1] == '\n') { cut = i; break; }
      }
      if (cut != std::string::npos || eof_) break;
      scan_from = chunk.bytes.size();
      // No newline anywhere in the chunk: it is all one line, so far.
      if (scan_from > opts_.max_line_bytes)
        throw Error(fmt::format("{}:{}: line is longer than {} bytes (expected one row per line; "
                                "is this the right file and format?)",
                                source_->path(), next_line_, opts_.max_line_bytes));
    }
    size_t old = chunk.bytes.size();
    chunk.bytes.resize(old + read_block);
    size_t n = source_->read(chunk.bytes.data() + old, read_block);
    chunk.bytes.resize(old + n);
    if (n == 0) eof_ = true;
  }

  if (cut == std::string::npos) {
    // End of input: whatever is left is the last line, which may lack its newline.
    if (chunk.bytes.empty()) return false;
    chunk.bytes.push_back('\n');
  } else {
    carry_.assign(chunk.bytes.begin() + cut, chunk.bytes.end());
    chunk.bytes.resize(cut);
  }
  chunk.num_lines = static_cast<uint64_t>(std::count(chunk.bytes.begin(), chunk.bytes.end(), '\n'));
  chunk.first_line = next_line_;
  chunk.seq = next_seq_++;
  next_line_ += chunk.num_lines;
  return true;
}

}  // namespace ctr
