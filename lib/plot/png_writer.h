// PNG encoding of an Image: 8-bit RGB, no interlace, zlib-compressed (PNG spec, ISO/IEC 15948).
#pragma once

#include <string>

#include "plot/canvas.h"

namespace ctr::plot {

// The bytes of a PNG file: signature, IHDR, one IDAT, IEND.
std::string encode_png(const Image& image);
// Writes encode_png(image) to `path` (via PATH.tmp and a rename); ctr::Error naming the path.
void write_png(const std::string& path, const Image& image);

}  // namespace ctr::plot
