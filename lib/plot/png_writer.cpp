// PNG encoder over zlib's compress2 and crc32 (see png_writer.h).
#include "plot/png_writer.h"

#include <cstring>

#include <zlib.h>

#include "core/error.h"
#include "core/fs_util.h"

namespace ctr::plot {

namespace {

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// length, type, data, then the CRC of type and data.
void put_chunk(std::string& out, const char type[4], const std::string& data) {
  put_be32(out, static_cast<uint32_t>(data.size()));
  const size_t type_at = out.size();
  out.append(type, 4);
  out += data;
  const auto* p = reinterpret_cast<const Bytef*>(out.data() + type_at);
  put_be32(out, static_cast<uint32_t>(crc32(0L, p, static_cast<uInt>(4 + data.size()))));
}

// Each scanline is the filter byte 0 ("None") and the row's RGB bytes: charts are flat colours,
// which deflate compresses well without PNG's predictive filters.
std::string deflated_scanlines(const Image& image) {
  const size_t row = size_t{image.width()} * 3;
  std::string raw;
  raw.reserve((row + 1) * image.height());
  for (uint32_t y = 0; y < image.height(); ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(image.rgb().data() + y * row), row);
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string out(size, '\0');
  const int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                           static_cast<uLong>(raw.size()), 6);
  CTR_CHECK(rc == Z_OK, "zlib compress2 failed ({})", rc);
  out.resize(size);
  return out;
}

}  // namespace

std::string encode_png(const Image& image) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_be32(ihdr, image.width());
  put_be32(ihdr, image.height());
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // bit depth 8, colour type 2 (RGB), deflate, no filter/interlace
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IDAT", deflated_scanlines(image));
  put_chunk(png, "IEND", "");
  return png;
}

void write_png(const std::string& path, const Image& image) { write_text_file(path, encode_png(image)); }

}  // namespace ctr::plot
