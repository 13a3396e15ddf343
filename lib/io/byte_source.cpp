// Plain, gzip (zlib) and zstd implementations of ByteSource.
#include "io/byte_source.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <sys/stat.h>
#include <vector>

#include <zlib.h>
#include <zstd.h>

#include "core/error.h"

namespace ctr {

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::none: return "none";
    case Compression::gzip: return "gzip";
    case Compression::zstd: return "zstd";
  }
  return "?";
}

namespace {

struct FileCloser {
  void operator()(FILE* f) const { if (f) std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

class PlainSource : public ByteSource {
 public:
  // `prefix`: bytes a stream already gave up to the magic-byte sniff, returned first.
  PlainSource(const std::string& path, uint64_t size, FilePtr f, std::string prefix = "")
      : ByteSource(path, size, Compression::none), f_(std::move(f)), prefix_(std::move(prefix)) {}
  size_t read(char* dst, size_t cap) override {
    if (!prefix_.empty() && cap > 0) {
      const size_t n = std::min(cap, prefix_.size());
      std::memcpy(dst, prefix_.data(), n);
      prefix_.erase(0, n);
      consumed_ += n;
      return n;
    }
    size_t n = std::fread(dst, 1, cap, f_.get());
    if (n == 0 && std::ferror(f_.get()))
      throw Error(fmt::format("{}: read failed: {}", path(), std::strerror(errno)));
    consumed_ += n;
    return n;
  }
  uint64_t file_bytes_consumed() const override { return consumed_; }

 private:
  FilePtr f_;
  std::string prefix_;
  uint64_t consumed_ = 0;
};

class GzipSource : public ByteSource {
 public:
  GzipSource(const std::string& path, uint64_t size)
      : ByteSource(path, size, Compression::gzip), gz_(gzopen(path.c_str(), "rb")) {
    if (!gz_) throw Error(fmt::format("{}: cannot open gzip stream", path));
    gzbuffer(gz_, 1 << 20);
  }
  ~GzipSource() override { gzclose(gz_); }
  size_t read(char* dst, size_t cap) override {
    // gzread takes an unsigned int; cap is bounded by our chunk sizes but clamp anyway.
    unsigned want = cap > (1u << 30) ? (1u << 30) : static_cast<unsigned>(cap);
    int n = gzread(gz_, dst, want);
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(gz_, &code);
      throw Error(fmt::format("{}: gzip data is corrupt or truncated: {} (re-download or "
                              "re-compress the file)", path(), msg ? msg : "unknown zlib error"));
    }
    if (n == 0) {
      // zlib signals a stream cut short only through gzerror (Z_BUF_ERROR), not the return value.
      int code = Z_OK;
      const char* msg = gzerror(gz_, &code);
      if (code != Z_OK)
        throw Error(fmt::format("{}: gzip stream is truncated or corrupt: {} (re-download or "
                                "re-compress the file)", path(), msg ? msg : "unknown zlib error"));
    }
    return static_cast<size_t>(n);
  }
  uint64_t file_bytes_consumed() const override {
    z_off_t off = gzoffset(gz_);
    return off < 0 ? 0 : static_cast<uint64_t>(off);
  }

 private:
  gzFile gz_;
};

class ZstdSource : public ByteSource {
 public:
  ZstdSource(const std::string& path, uint64_t size, FilePtr f)
      : ByteSource(path, size, Compression::zstd), f_(std::move(f)), dctx_(ZSTD_createDCtx()),
        in_buf_(ZSTD_DStreamInSize()) {
    CTR_CHECK(dctx_ != nullptr, "ZSTD_createDCtx failed");
  }
  ~ZstdSource() override { ZSTD_freeDCtx(dctx_); }
  size_t read(char* dst, size_t cap) override {
    ZSTD_outBuffer out{dst, cap, 0};
    while (out.pos == 0) {
      if (in_.pos == in_.size) {
        size_t n = std::fread(in_buf_.data(), 1, in_buf_.size(), f_.get());
        if (n == 0) {
          if (std::ferror(f_.get()))
            throw Error(fmt::format("{}: read failed: {}", path(), std::strerror(errno)));
          if (!frame_done_)
            throw Error(fmt::format("{}: zstd stream ends in the middle of a frame (file "
                                    "truncated?)", path()));
          return 0;
        }
        consumed_ += n;
        in_ = ZSTD_inBuffer{in_buf_.data(), n, 0};
      }
      size_t ret = ZSTD_decompressStream(dctx_, &out, &in_);
      if (ZSTD_isError(ret))
        throw Error(fmt::format("{}: zstd data is corrupt: {}", path(), ZSTD_getErrorName(ret)));
      frame_done_ = (ret == 0);
    }
    return out.pos;
  }
  uint64_t file_bytes_consumed() const override { return consumed_; }

 private:
  FilePtr f_;
  ZSTD_DCtx* dctx_;
  std::vector<char> in_buf_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  uint64_t consumed_ = 0;
  bool frame_done_ = true;
};

}  // namespace

bool ByteSource::is_stream(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode));
}

namespace {

// The compression the first `got` bytes of an input announce (gzip's and zstd's magic numbers).
Compression sniff_compression(const unsigned char* magic, size_t got) {
  if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return Compression::gzip;
  if (got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return Compression::zstd;
  return Compression::none;
}

// A pipe cannot be rewound after its magic bytes are read, so it is plain text or an error.
std::unique_ptr<ByteSource> open_stream(const std::string& path, FilePtr f) {
  std::string magic(4, '\0');
  magic.resize(std::fread(magic.data(), 1, 4, f.get()));
  const Compression c = sniff_compression(reinterpret_cast<const unsigned char*>(magic.data()), magic.size());
  if (c != Compression::none) {
    const bool gz = c == Compression::gzip;
    throw Error(fmt::format("{}: {}-compressed data through a pipe cannot be read (the format is detected "
                            "by reading ahead, which a pipe cannot undo); decompress it in the pipe "
                            "({} FILE | ctrtrain preprocess --input /dev/stdin ...) or pass the file itself",
                            path, gz ? "gzip" : "zstd", gz ? "zcat" : "zstdcat"));
  }
  return std::make_unique<PlainSource>(path, 0, std::move(f), std::move(magic));
}

}  // namespace

std::unique_ptr<ByteSource> ByteSource::open(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) throw Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  if (is_stream(path)) return open_stream(path, std::move(f));
  if (std::fseek(f.get(), 0, SEEK_END) != 0)
    throw Error(fmt::format("{}: not a regular file (cannot seek)", path));
  long end = std::ftell(f.get());
  uint64_t size = end < 0 ? 0 : static_cast<uint64_t>(end);
  std::rewind(f.get());
  unsigned char magic[4] = {0, 0, 0, 0};
  const size_t got = std::fread(magic, 1, 4, f.get());
  std::rewind(f.get());
  switch (sniff_compression(magic, got)) {
    case Compression::gzip:
      f.reset();  // zlib opens the file itself
      return std::make_unique<GzipSource>(path, size);
    case Compression::zstd:
      return std::make_unique<ZstdSource>(path, size, std::move(f));
    case Compression::none:
      break;
  }
  return std::make_unique<PlainSource>(path, size, std::move(f));
}

}  // namespace ctr
