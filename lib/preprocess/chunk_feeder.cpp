// ChunkFeeder implementation.
#include "preprocess/chunk_feeder.h"

#include <cstring>

#include "core/error.h"
#include "core/fs_util.h"

namespace ctr {

ChunkFeeder::ChunkFeeder(const std::vector<std::string>& inputs, const RowParser& parser,
                         ProgressLine* progress, size_t decoders)
    : inputs_(inputs), parser_(parser), progress_(progress), decoders_(decoders < 1 ? 1 : decoders) {
  // A stream's size is unknown until it ends: progress then shows no percentage.
  for (const auto& p : inputs_) total_bytes_ += ByteSource::is_stream(p) ? 0 : file_size_of(p);
}

// Depth of each file's read-ahead, in 4 MiB chunks: enough to keep a decoder busy while the
// workers parse, small enough that 16 decoders hold a few hundred MB.
constexpr size_t kChunksAhead = 4;

bool ChunkFeeder::open_next_file() {
  if (started_) {
    const BackgroundChunker& done = *window_.front();
    files_.push_back({inputs_[file_], done.file_bytes(), compression_name(done.compression()), file_lines_});
    bytes_before_ += done.file_bytes();
    window_.pop_front();
    ++file_;
  }
  started_ = true;
  while (opened_ < inputs_.size() && opened_ < file_ + decoders_)
    window_.push_back(std::make_unique<BackgroundChunker>(inputs_[opened_++], kChunksAhead));
  file_lines_ = 0;
  return file_ < inputs_.size();
}

bool ChunkFeeder::next(InputChunk& out) {
  if (!started_ && !open_next_file()) return false;
  if (file_ >= inputs_.size()) return false;
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
  if (progress_) progress_->update(data_lines_, bytes_before_ + consumed, total_bytes_);
  return true;
}

}  // namespace ctr
