// ChunkFeeder implementation.
#include "preprocess/chunk_feeder.h"

#include <cstring>

#include "core/error.h"
#include "core/fs_util.h"

namespace ctr {

ChunkFeeder::ChunkFeeder(const std::vector<std::string>& inputs, const RowParser& parser,
                         ProgressLine* progress)
    : inputs_(inputs), parser_(parser), progress_(progress) {
  // A stream's size is unknown until it ends: progress then shows no percentage.
  for (const auto& p : inputs_) total_bytes_ += ByteSource::is_stream(p) ? 0 : file_size_of(p);
}

bool ChunkFeeder::open_next_file() {
  if (chunker_) {
    const ByteSource& src = chunker_->source();
    // A stream's bytes are known once it is read through; a file's are its size.
    const uint64_t bytes = ByteSource::is_stream(src.path()) ? src.file_bytes_consumed() : src.file_size();
    files_.push_back({src.path(), bytes, compression_name(src.compression()), file_lines_});
    bytes_before_ += bytes;
    chunker_.reset();
    ++file_;
  }
  if (file_ >= inputs_.size()) return false;
  chunker_ = std::make_unique<LineChunker>(ByteSource::open(inputs_[file_]));
  file_lines_ = 0;
  return true;
}

bool ChunkFeeder::next(InputChunk& out) {
  if (!chunker_ && !open_next_file()) return false;
  while (!chunker_->next(out.lines)) {
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
  if (progress_)
    progress_->update(data_lines_, bytes_before_ + chunker_->source().file_bytes_consumed(), total_bytes_);
  return true;
}

}  // namespace ctr
