// Plain, gzip and zstd implementations of ByteSink.
#include "io/byte_sink.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <zlib.h>
#include <zstd.h>

#include "core/error.h"

namespace ctr {
namespace {

class FileSink {
 public:
  explicit FileSink(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) throw Error(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  }
  ~FileSink() { if (f_) std::fclose(f_); }
  void write(const void* data, size_t n) {
    if (n && std::fwrite(data, 1, n, f_) != n)
      throw Error(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
  }
  void close() {
    if (!f_) return;
    FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0)
      throw Error(fmt::format("{}: close failed: {}", path_, std::strerror(errno)));
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  FILE* f_;
};

class PlainSink : public ByteSink {
 public:
  explicit PlainSink(const std::string& path) : file_(path) {}
  void write(const char* data, size_t n) override { file_.write(data, n); }
  void close() override { file_.close(); }

 private:
  FileSink file_;
};

class GzipSink : public ByteSink {
 public:
  GzipSink(const std::string& path, int level) : path_(path) {
    gz_ = gzopen(path.c_str(), fmt::format("wb{}", level > 0 ? level : 6).c_str());
    if (!gz_) throw Error(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
    gzbuffer(gz_, 1 << 20);
  }
  ~GzipSink() override { if (gz_) gzclose(gz_); }
  void write(const char* data, size_t n) override {
    while (n > 0) {
      unsigned part = n > (1u << 30) ? (1u << 30) : static_cast<unsigned>(n);
      if (gzwrite(gz_, data, part) != static_cast<int>(part))
        throw Error(fmt::format("{}: gzip write failed", path_));
      data += part;
      n -= part;
    }
  }
  void close() override {
    if (!gz_) return;
    gzFile g = gz_;
    gz_ = nullptr;
    if (gzclose(g) != Z_OK) throw Error(fmt::format("{}: gzip close failed (disk full?)", path_));
  }

 private:
  std::string path_;
  gzFile gz_ = nullptr;
};

class ZstdSink : public ByteSink {
 public:
  ZstdSink(const std::string& path, int level)
      : file_(path), cctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize()) {
    CTR_CHECK(cctx_ != nullptr, "ZSTD_createCCtx failed");
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level > 0 ? level : 3);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
  }
  ~ZstdSink() override { ZSTD_freeCCtx(cctx_); }
  void write(const char* data, size_t n) override { pump(data, n, ZSTD_e_continue); }
  void close() override {
    if (closed_) return;
    closed_ = true;
    pump(nullptr, 0, ZSTD_e_end);
    file_.close();
  }

 private:
  void pump(const char* data, size_t n, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{data, n, 0};
    for (;;) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(left))
        throw Error(fmt::format("{}: zstd compression failed: {}", file_.path(), ZSTD_getErrorName(left)));
      file_.write(out_.data(), out.pos);
      bool done = (mode == ZSTD_e_end) ? left == 0 : in.pos == in.size;
      if (done) return;
    }
  }
  FileSink file_;
  ZSTD_CCtx* cctx_;
  std::vector<char> out_;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<ByteSink> ByteSink::create(const std::string& path, Compression c, int level) {
  switch (c) {
    case Compression::none: return std::make_unique<PlainSink>(path);
    case Compression::gzip: return std::make_unique<GzipSink>(path, level);
    case Compression::zstd: return std::make_unique<ZstdSink>(path, level);
  }
  CTR_CHECK(false, "unknown compression");
}

Compression parse_compression(const std::string& name) {
  if (name == "none") return Compression::none;
  if (name == "gz" || name == "gzip") return Compression::gzip;
  if (name == "zst" || name == "zstd") return Compression::zstd;
  throw UsageError(fmt::format("unknown compression '{}' (expected none, gz or zst)", name));
}

Compression compression_from_extension(const std::string& path) {
  auto ends_with = [&](const char* suffix) {
    size_t n = std::strlen(suffix);
    return path.size() >= n && path.compare(path.size() - n, n, suffix) == 0;
  };
  if (ends_with(".gz")) return Compression::gzip;
  if (ends_with(".zst")) return Compression::zstd;
  return Compression::none;
}

}  // namespace ctr
