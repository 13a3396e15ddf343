// Image: an RGB raster with the few drawing primitives charts need (rectangles, thick lines, discs).
#pragma once

#include <cstdint>
#include <vector>

namespace ctr::plot {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Color& o) const { return !(*this == o); }
};

constexpr Color kWhite{255, 255, 255};
constexpr Color kBlack{0, 0, 0};

// A pixel rectangle [x0, x1) x [y0, y1); y grows downwards.
struct Rect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool contains(int x, int y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

class Image {
 public:
  Image(uint32_t width, uint32_t height, Color background = kWhite);
  uint32_t width() const { return width_; }
  uint32_t height() const { return height_; }
  const std::vector<uint8_t>& rgb() const { return rgb_; }  // row-major, 3 bytes a pixel
  Color at(uint32_t x, uint32_t y) const;

  // Drawing outside the image or the clip rectangle is silently cut off.
  void set(int x, int y, Color c);
  void set_clip(const Rect& r) { clip_ = r; }
  void clear_clip();
  void fill_rect(const Rect& r, Color c);
  void outline_rect(const Rect& r, Color c);
  // A line `thickness` pixels wide between two points in pixel coordinates; `dash` > 0 draws
  // dashes and gaps of that many pixels.
  void line(double x0, double y0, double x1, double y1, Color c, int thickness = 1, int dash = 0);
  void disc(double cx, double cy, int radius, Color c);

 private:
  uint32_t width_, height_;
  std::vector<uint8_t> rgb_;
  Rect clip_;
};

}  // namespace ctr::plot
