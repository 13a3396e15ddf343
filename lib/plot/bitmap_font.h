// A built-in 5x7 bitmap font (printable ASCII) for chart titles, tick labels and legends.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "plot/canvas.h"

namespace ctr::plot {

constexpr int kGlyphWidth = 5, kGlyphHeight = 7;
constexpr int kGlyphAdvance = kGlyphWidth + 1;  // one blank column between characters

// The glyph of `c` as 5 columns, left to right; bit r of a column is row r from the top: rows
// 0..6 are the cell, row 7 the descender of g, j, p, q and y. Characters outside 32..126 show as '?'.
const std::array<uint8_t, kGlyphWidth>& glyph(char c);

// Width in pixels of `text` drawn at `scale`: kGlyphAdvance * scale per character, less the
// blank column after the last one (0 for an empty text).
int text_width(const std::string& text, int scale = 1);
// Height of the cell above the baseline (descenders hang one font pixel below it).
inline int text_height(int scale = 1) { return kGlyphHeight * scale; }

// Draws `text` with its top-left corner at (x, y), each font pixel a scale x scale square.
void draw_text(Image& image, int x, int y, const std::string& text, Color color, int scale = 1);

}  // namespace ctr::plot
