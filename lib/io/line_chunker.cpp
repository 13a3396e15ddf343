// LineChunker: reads ahead to a newline boundary and carries the partial line over.
#include "io/line_chunker.h"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/error.h"

namespace ctr {

namespace {

// The chunker runs on the one thread that feeds every worker, so this matters: std::count
// compiled to a widening loop that took 2% of preprocessing's CPU time. Each compare yields -1
// per newline byte; subtracting it counts in 16 byte lanes, summed (psadbw) before any lane can
// pass 255. SSE2 only: baseline x86-64 has no popcnt instruction.
uint64_t count_newlines(const char* p, size_t n) {
  uint64_t lines = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
  while (i + 16 <= n) {
    __m128i lanes = zero;
    for (int k = 0; k < 255 && i + 16 <= n; ++k, i += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(x, nl));
    }
    const __m128i sums = _mm_sad_epu8(lanes, zero);
    lines += static_cast<uint64_t>(_mm_cvtsi128_si64(sums)) + static_cast<uint64_t>(_mm_extract_epi16(sums, 4));
  }
#endif
  for (; i < n; ++i) lines += p[i] == '\n';
  return lines;
}

}  // namespace

LineChunker::LineChunker(std::unique_ptr<ByteSource> source, LineChunkerOptions opts)
    : source_(std::move(source)), opts_(opts) {
  CTR_CHECK(source_ != nullptr, "null source");
  CTR_CHECK(opts_.target_chunk_bytes > 0, "target_chunk_bytes must be positive");
}

bool LineChunker::next(LineChunk& chunk) {
  // A quarter chunk per read: 1 MiB at the default. The floor only matters for small chunks
  // (small vocabulary files, the fuzz targets), where a bigger read would size the buffer for
  // bytes that never come: sanitizer builds pay for each byte a resize adds.
  const size_t read_block = std::max<size_t>(opts_.target_chunk_bytes / 4, 4 << 10);
  // Room for the whole chunk up front: growing by doubling copied each chunk about twice over.
  chunk.bytes.clear();
  chunk.bytes.reserve(carry_.size() + opts_.target_chunk_bytes + read_block);
  chunk.bytes.insert(chunk.bytes.end(), carry_.begin(), carry_.end());
  carry_.clear();

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
  chunk.num_lines = count_newlines(chunk.bytes.data(), chunk.bytes.size());
  chunk.first_line = next_line_;
  chunk.seq = next_seq_++;
  next_line_ += chunk.num_lines;
  return true;
}

}  // namespace ctr
