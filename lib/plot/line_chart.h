// Line charts as Images: axes with nice ticks, grid, title, several series (lines, markers), legend.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plot/canvas.h"

namespace ctr::plot {

// Distinct, colour-blind-friendly series colours (matplotlib's tab10): blue, orange, green, red,
// purple, brown.
Color palette(size_t i);
constexpr Color kGray{127, 127, 127};

struct Series {
  std::string name;          // in the legend; empty: not listed
  std::vector<double> x, y;  // non-finite points are skipped and break the line
  Color color = palette(0);
  bool line = true;       // join consecutive points
  int marker_radius = 0;  // > 0: a disc at each point
  int dash = 0;           // > 0: a dashed line (dash and gap length in pixels)
};

struct ChartOptions {
  std::string title, subtitle, x_label, y_label;
  uint32_t width = 1000, height = 640;
  // Fixed axis ends; unset ends come from the data, widened to the nice ticks around it.
  std::optional<double> x_min, x_max, y_min, y_max;
};

// Axis ticks: `values` run from `lo` to `hi` in steps of `step` (1, 2 or 5 times a power of ten),
// with lo <= the data's minimum and hi >= its maximum (Heckbert's loose labelling).
struct Ticks {
  double lo = 0, hi = 1, step = 1;
  int decimals = 0;  // digits after the point that tell the ticks apart
  std::vector<double> values;
};
Ticks nice_ticks(double lo, double hi, int target = 6);
std::string format_tick(double v, const Ticks& t);

Image render_line_chart(const ChartOptions& options, const std::vector<Series>& series);

}  // namespace ctr::plot
