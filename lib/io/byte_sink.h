// Writes bytes to a file, optionally gzip- or zstd-compressed; used by `synth` and tests.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "io/byte_source.h"

namespace ctr {

class ByteSink {
 public:
  // Throws ctr::Error naming the path when it cannot be created.
  static std::unique_ptr<ByteSink> create(const std::string& path, Compression c, int level = 0);
  virtual ~ByteSink() = default;
  virtual void write(const char* data, size_t n) = 0;
  // Flushes and closes; errors (disk full, ...) are thrown here, never swallowed.
  virtual void close() = 0;
};

// "none" | "gz" | "zst"; throws UsageError otherwise.
Compression parse_compression(const std::string& name);
// Compression implied by a file name's extension (.gz, .zst), else none.
Compression compression_from_extension(const std::string& path);

}  // namespace ctr
