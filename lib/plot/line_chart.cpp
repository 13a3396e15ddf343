// Line chart layout and drawing (see line_chart.h).
#include "plot/line_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "plot/bitmap_font.h"

namespace ctr::plot {

namespace {

constexpr Color kGrid{225, 225, 225}, kAxis{90, 90, 90}, kText{30, 30, 30};
constexpr int kTitleScale = 3, kTextScale = 2;

// 1, 2, 5 or 10 times a power of ten near x: rounded to the nearest, or the smallest at least x.
double nice_number(double x, bool round) {
  const double e = std::pow(10.0, std::floor(std::log10(x))), f = x / e;
  if (round) return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
};

// The axis ticks for the data's range, with the fixed ends taking precedence.
Ticks axis_ticks(Range r, std::optional<double> fixed_lo, std::optional<double> fixed_hi) {
  if (fixed_lo) r.lo = *fixed_lo;
  if (fixed_hi) r.hi = *fixed_hi;
  if (!(r.lo <= r.hi)) r = {0, 1};  // no data
  Ticks t = nice_ticks(r.lo, r.hi);
  if (fixed_lo) t.lo = *fixed_lo;
  if (fixed_hi) t.hi = *fixed_hi;
  t.values.erase(std::remove_if(t.values.begin(), t.values.end(),
                                [&](double v) { return v < t.lo - 1e-9 * t.step || v > t.hi + 1e-9 * t.step; }),
                 t.values.end());
  return t;
}

struct Frame {
  Rect plot;
  Ticks x, y;
  double px(double x) const { return plot.x0 + (x - this->x.lo) / (this->x.hi - this->x.lo) * (plot.x1 - 1 - plot.x0); }
  double py(double y) const {
    return plot.y1 - 1 - (y - this->y.lo) / (this->y.hi - this->y.lo) * (plot.y1 - 1 - plot.y0);
  }
};

// `text`, its middle replaced by "..." when it is wider than `max_px` (a long run path in a subtitle).
std::string fit_text(const std::string& text, int max_px, int scale) {
  if (text_width(text, scale) <= max_px) return text;
  const size_t keep = static_cast<size_t>(std::max(0, max_px / (kGlyphAdvance * scale) - 3));
  return text.substr(0, keep / 2) + "..." + text.substr(text.size() - (keep - keep / 2));
}

void draw_axes(Image& img, const Frame& f, const ChartOptions& o) {
  const int th = text_height(kTextScale);
  for (double v : f.x.values) {
    const int x = static_cast<int>(std::lround(f.px(v)));
    img.fill_rect({x, f.plot.y0, x + 1, f.plot.y1}, kGrid);
    img.fill_rect({x, f.plot.y1, x + 1, f.plot.y1 + 6}, kAxis);
    const std::string s = format_tick(v, f.x);
    draw_text(img, x - text_width(s, kTextScale) / 2, f.plot.y1 + 10, s, kText, kTextScale);
  }
  for (double v : f.y.values) {
    const int y = static_cast<int>(std::lround(f.py(v)));
    img.fill_rect({f.plot.x0, y, f.plot.x1, y + 1}, kGrid);
    img.fill_rect({f.plot.x0 - 6, y, f.plot.x0, y + 1}, kAxis);
    const std::string s = format_tick(v, f.y);
    draw_text(img, f.plot.x0 - 10 - text_width(s, kTextScale), y - th / 2, s, kText, kTextScale);
  }
  img.outline_rect({f.plot.x0 - 1, f.plot.y0 - 1, f.plot.x1 + 1, f.plot.y1 + 1}, kAxis);
  const int w = static_cast<int>(img.width());
  const std::string title = fit_text(o.title, w - 20, kTitleScale), subtitle = fit_text(o.subtitle, w - 20, kTextScale);
  draw_text(img, (w - text_width(title, kTitleScale)) / 2, 14, title, kText, kTitleScale);
  draw_text(img, (w - text_width(subtitle, kTextScale)) / 2, 14 + text_height(kTitleScale) + 10, subtitle, kAxis,
            kTextScale);
  draw_text(img, (f.plot.x0 + f.plot.x1 - text_width(o.x_label, kTextScale)) / 2, f.plot.y1 + 20 + th, o.x_label, kText,
            kTextScale);
  draw_text(img, 10, f.plot.y0 - th - 16, o.y_label, kText, kTextScale);
}

void draw_series(Image& img, const Frame& f, const Series& s) {
  // Points on the axis ends stay whole: markers may overlap the frame, not the tick labels.
  const int pad = std::max(2, s.marker_radius + 1);
  img.set_clip({f.plot.x0 - pad, f.plot.y0 - pad, f.plot.x1 + pad, f.plot.y1 + pad});
  bool have_prev = false;
  double qx = 0, qy = 0;
  for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
      have_prev = false;
      continue;
    }
    const double x = f.px(s.x[i]), y = f.py(s.y[i]);
    if (s.line && have_prev) img.line(qx, qy, x, y, s.color, 2, s.dash);
    if (s.marker_radius > 0) img.disc(x, y, s.marker_radius, s.color);
    qx = x, qy = y, have_prev = true;
  }
  img.clear_clip();
}

// The legend goes into whichever inside corner of the plot covers the fewest series pixels.
void draw_legend(Image& img, const Frame& f, const std::vector<Series>& series) {
  std::vector<const Series*> named;
  int name_w = 0;
  for (const Series& s : series)
    if (!s.name.empty()) named.push_back(&s), name_w = std::max(name_w, text_width(s.name, kTextScale));
  if (named.empty()) return;
  const int th = text_height(kTextScale), row = th + 10, w = 10 + 32 + 8 + name_w + 10;
  const int h = static_cast<int>(named.size()) * row + 10, m = 12;
  const Rect corners[] = {{f.plot.x1 - m - w, f.plot.y0 + m, f.plot.x1 - m, f.plot.y0 + m + h},
                          {f.plot.x0 + m, f.plot.y0 + m, f.plot.x0 + m + w, f.plot.y0 + m + h},
                          {f.plot.x1 - m - w, f.plot.y1 - m - h, f.plot.x1 - m, f.plot.y1 - m},
                          {f.plot.x0 + m, f.plot.y1 - m - h, f.plot.x0 + m + w, f.plot.y1 - m}};
  Rect box = corners[0];
  size_t best = SIZE_MAX;
  for (const Rect& r : corners) {
    size_t covered = 0;
    for (int y = std::max(r.y0, 0); y < std::min(r.y1, static_cast<int>(img.height())); ++y)
      for (int x = std::max(r.x0, 0); x < std::min(r.x1, static_cast<int>(img.width())); ++x)
        for (const Series* s : named) covered += img.at(x, y) == s->color;
    if (covered < best) best = covered, box = r;
  }
  img.fill_rect(box, kWhite);
  img.outline_rect(box, kAxis);
  int y = box.y0 + 10;
  for (const Series* s : named) {
    const double cy = y + th / 2.0;
    if (s->line) img.line(box.x0 + 10, cy, box.x0 + 42, cy, s->color, 2, s->dash);
    if (s->marker_radius > 0) img.disc(box.x0 + 26, cy, s->marker_radius, s->color);
    draw_text(img, box.x0 + 50, y, s->name, kText, kTextScale);
    y += row;
  }
}

}  // namespace

Color palette(size_t i) {
  static constexpr Color kColors[] = {{31, 119, 180}, {255, 127, 14},  {44, 160, 44},
                                      {214, 39, 40},  {148, 103, 189}, {140, 86, 75}};
  return kColors[i % std::size(kColors)];
}

Ticks nice_ticks(double lo, double hi, int target) {
  if (!(lo < hi)) {  // one value: a unit-wide (or value-wide) range around it
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad, hi += pad;
  }
  Ticks t;
  t.step = nice_number(nice_number(hi - lo, false) / std::max(1, target - 1), true);
  t.lo = std::floor(lo / t.step) * t.step;
  t.hi = std::ceil(hi / t.step) * t.step;
  t.decimals = std::max(0, -static_cast<int>(std::floor(std::log10(t.step) + 1e-9)));
  const int n = static_cast<int>(std::lround((t.hi - t.lo) / t.step));
  for (int i = 0; i <= n; ++i) {
    const double v = t.lo + i * t.step;  // from lo, not summed, so no drift
    t.values.push_back(std::abs(v) < t.step * 1e-9 ? 0.0 : v);
  }
  return t;
}

std::string format_tick(double v, const Ticks& t) {
  if (std::max(std::abs(t.lo), std::abs(t.hi)) >= 1e7) return fmt::format("{:.3g}", v);
  return fmt::format("{:.{}f}", v, t.decimals);
}

Image render_line_chart(const ChartOptions& o, const std::vector<Series>& series) {
  CTR_CHECK(o.width >= 400 && o.height >= 300, "chart size {}x{} is too small", o.width, o.height);
  Range xr, yr;
  for (const Series& s : series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) xr.add(s.x[i]), yr.add(s.y[i]);
  Frame f;
  f.x = axis_ticks(xr, o.x_min, o.x_max);
  f.y = axis_ticks(yr, o.y_min, o.y_max);
  int label_w = 0;
  for (double v : f.y.values) label_w = std::max(label_w, text_width(format_tick(v, f.y), kTextScale));
  const int th = text_height(kTextScale);
  const int top = 14 + text_height(kTitleScale) + 10 + th + 20 + th + 10;
  const int w = static_cast<int>(o.width), h = static_cast<int>(o.height);
  f.plot = {std::max(80, label_w + 30), top, w - 30, h - (10 + th + 20 + th + 16)};
  Image img(o.width, o.height);
  draw_axes(img, f, o);
  for (const Series& s : series) draw_series(img, f, s);
  draw_legend(img, f, series);
  return img;
}

}  // namespace ctr::plot
