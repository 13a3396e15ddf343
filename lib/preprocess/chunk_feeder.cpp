// ChunkFeeder implementation.
#include "preprocess/chunk_feeder.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/fs_util.h"

namespace ctr {

ChunkFeeder::ChunkFeeder(const std::vector<std::string>& inputs, const RowParser& parser, ProgressCounts* counts,
                         size_t first_file, size_t end_file)
    : inputs_(inputs), parser_(parser), counts_(counts), file_(first_file),
      end_(std::min(end_file, inputs.size())), opened_(first_file) {
  // A stream's size is unknown until it ends: progress then shows no percentage.
  for (size_t f = file_; f < end_; ++f) total_bytes_ += ByteSource::is_stream(inputs_[f]) ? 0 : file_size_of(inputs_[f]);
}

// Depth of each file's read-ahead, in 4 MiB chunks: enough to keep a decoder busy while the
// workers parse, small enough to hold little memory.
constexpr size_t kChunksAhead = 4;
constexpr size_t kFilesDecoding = 2;

bool ChunkFeeder::open_next_file() {
  if (started_) {
    const BackgroundChunker& done = *window_.front();
    files_.push_back({inputs_[file_], done.file_bytes(), compression_name(done.compression()), file_lines_});
    bytes_before_ += done.file_bytes();
    if (counts_ && done.file_bytes() > file_bytes_counted_) counts_->bytes += done.file_bytes() - file_bytes_counted_;
    window_.pop_front();
    ++file_;
  }
  started_ = true;
  while (opened_ < end_ && opened_ < file_ + kFilesDecoding)
    window_.push_back(std::make_unique<BackgroundChunker>(inputs_[opened_++], kChunksAhead));
  file_lines_ = 0;
  file_bytes_counted_ = 0;
  return file_ < end_;
}

bool ChunkFeeder::next(InputChunk& out) {
  if (!started_ && !open_next_file()) return false;
  if (file_ >= end_) return false;
  uint64_t consumed = 0;
  while (!window_.front()->next(out.lines, consumed)) {
    if (!open_next_file()) return false;
  }
  out.path = &inputs_[file_];
  out.starts_with_header = parser_.has_header() && out.lines.first_line == 1;
  uint64_t data = out.lines.num_lines;
  if (out.starts_with_header) {
    const char* b = out.lines.bytes.data();
    const char* nl = static_cast<const char*>(std::memchr(b, '\n', out.lines.bytes.size()));
    parser_.check_header(inputs_[file_], std::string_view(b, static_cast<size_t>(nl - b)));
    --data;
  }
  out.first_data_index = data_lines_;
  out.file_index = file_;
  out.first_file_data_index = file_lines_;
  data_lines_ += data;
  file_lines_ += data;
  if (counts_) {
    counts_->rows += data;
    if (consumed > file_bytes_counted_) counts_->bytes += consumed - file_bytes_counted_;
  }
  file_bytes_counted_ = std::max(file_bytes_counted_, consumed);
  return true;
}

}  // namespace ctr
