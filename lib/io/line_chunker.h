// Cuts a ByteSource into chunks of whole lines, so parsing can run on many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/uninit_vector.h"
#include "io/byte_source.h"

namespace ctr {

struct LineChunk {
  uint64_t seq = 0;         // 0, 1, 2, ... per chunker: restores file order after parallel work
  uint64_t first_line = 0;  // 1-based line number (within the file) of the first line
  uint64_t num_lines = 0;
  UninitVector<char> bytes;  // whole lines, every one ending in '\n' (one is added at EOF if missing)
};

struct LineChunkerOptions {
  size_t target_chunk_bytes = 4u << 20;  // a chunk is cut at the first newline past this size
  size_t max_line_bytes = 1u << 20;      // longer lines are an error: not a text file of rows
};

class LineChunker {
 public:
  LineChunker(std::unique_ptr<ByteSource> source, LineChunkerOptions opts = {});
  // Fills `chunk` (reusing its capacity); returns false at end of input.
  // Throws ctr::Error "FILE:LINE: ..." for an over-long line or a decompression failure.
  bool next(LineChunk& chunk);

  const ByteSource& source() const { return *source_; }
  uint64_t lines_emitted() const { return next_line_ - 1; }

 private:
  std::unique_ptr<ByteSource> source_;
  LineChunkerOptions opts_;
  std::vector<char> carry_;  // bytes after the last newline of the previous chunk
  uint64_t next_line_ = 1;
  uint64_t next_seq_ = 0;
  bool eof_ = false;
};

}  // namespace ctr
