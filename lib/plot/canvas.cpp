// Image drawing primitives (see canvas.h).
#include "plot/canvas.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ctr::plot {

Image::Image(uint32_t width, uint32_t height, Color background) : width_(width), height_(height) {
  CTR_CHECK(width > 0 && height > 0 && width <= 16384 && height <= 16384, "image size {}x{}", width, height);
  rgb_.resize(size_t{width} * height * 3);
  for (size_t i = 0; i < rgb_.size(); i += 3) {
    rgb_[i] = background.r;
    rgb_[i + 1] = background.g;
    rgb_[i + 2] = background.b;
  }
  clear_clip();
}

Color Image::at(uint32_t x, uint32_t y) const {
  CTR_CHECK(x < width_ && y < height_, "pixel ({}, {}) outside {}x{}", x, y, width_, height_);
  const uint8_t* p = &rgb_[(size_t{y} * width_ + x) * 3];
  return {p[0], p[1], p[2]};
}

void Image::clear_clip() { clip_ = {0, 0, static_cast<int>(width_), static_cast<int>(height_)}; }

void Image::set(int x, int y, Color c) {
  if (!clip_.contains(x, y) || x < 0 || y < 0 || x >= static_cast<int>(width_) || y >= static_cast<int>(height_))
    return;
  uint8_t* p = &rgb_[(static_cast<size_t>(y) * width_ + static_cast<size_t>(x)) * 3];
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

void Image::fill_rect(const Rect& r, Color c) {
  for (int y = r.y0; y < r.y1; ++y)
    for (int x = r.x0; x < r.x1; ++x) set(x, y, c);
}

void Image::outline_rect(const Rect& r, Color c) {
  fill_rect({r.x0, r.y0, r.x1, r.y0 + 1}, c);
  fill_rect({r.x0, r.y1 - 1, r.x1, r.y1}, c);
  fill_rect({r.x0, r.y0, r.x0 + 1, r.y1}, c);
  fill_rect({r.x1 - 1, r.y0, r.x1, r.y1}, c);
}

void Image::line(double x0, double y0, double x1, double y1, Color c, int thickness, int dash) {
  // Stamps a thickness-wide square every half pixel along the line: no gaps at any slope, and the
  // arc length is known, which is what the dash pattern is counted in.
  const double len = std::hypot(x1 - x0, y1 - y0);
  const int steps = std::max(1, static_cast<int>(std::ceil(len * 2)));
  const int lo = -(thickness - 1) / 2, hi = thickness / 2;
  for (int i = 0; i <= steps; ++i) {
    const double t = static_cast<double>(i) / steps;
    if (dash > 0 && static_cast<int>(t * len / dash) % 2 == 1) continue;
    const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0)));
    const int y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
    for (int dy = lo; dy <= hi; ++dy)
      for (int dx = lo; dx <= hi; ++dx) set(x + dx, y + dy, c);
  }
}

void Image::disc(double cx, double cy, int radius, Color c) {
  const int x = static_cast<int>(std::lround(cx)), y = static_cast<int>(std::lround(cy));
  for (int dy = -radius; dy <= radius; ++dy)
    for (int dx = -radius; dx <= radius; ++dx)
      if (dx * dx + dy * dy <= radius * radius + radius) set(x + dx, y + dy, c);
}

}  // namespace ctr::plot
