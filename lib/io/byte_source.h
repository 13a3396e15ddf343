// Reads a file's bytes, transparently decompressing gzip or zstd (detected by magic bytes). A
// pipe or other stream (e.g. /dev/stdin fed by `ctrtrain synth`) is read as plain text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ctr {

enum class Compression { none, gzip, zstd };
const char* compression_name(Compression c);

class ByteSource {
 public:
  // Throws ctr::Error naming the path when it cannot be opened, or when a stream (which cannot
  // be rewound after its magic bytes are read) holds compressed data.
  static std::unique_ptr<ByteSource> open(const std::string& path);
  // Whether `path` can be opened as a stream rather than a file (a FIFO, a pipe, a terminal).
  static bool is_stream(const std::string& path);
  virtual ~ByteSource() = default;

  // Fills up to `cap` decompressed bytes; returns 0 only at end of input.
  // Throws ctr::Error (path + what is wrong) on a read or decompression failure.
  virtual size_t read(char* dst, size_t cap) = 0;
  // Bytes of the underlying file consumed so far; with file_size() it drives progress/ETA.
  virtual uint64_t file_bytes_consumed() const = 0;

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }  // 0 for a stream: its size is not known ahead
  Compression compression() const { return compression_; }

 protected:
  ByteSource(std::string path, uint64_t size, Compression c)
      : path_(std::move(path)), file_size_(size), compression_(c) {}

 private:
  std::string path_;
  uint64_t file_size_;
  Compression compression_;
};

}  // namespace ctr
