// Unit tests of lib/plot: the PNG bytes (decoded here with zlib), the bitmap font, chart ticks and
// layout, metrics.csv reading by column name, and a run directory's plots.
#include <zlib.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "plot/bitmap_font.h"
#include "plot/canvas.h"
#include "plot/line_chart.h"
#include "plot/metrics_table.h"
#include "plot/png_writer.h"
#include "plot/run_plots.h"
#include "support/test_util.h"

using Catch::Matchers::Contains;
using ctr::test::error_of;
using namespace ctr::plot;

namespace {

uint32_t be32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(s[at + i]);
  return v;
}

struct Png {
  uint32_t width = 0, height = 0;
  uint8_t depth = 0, color_type = 0, compression = 0, filter = 0, interlace = 0;
  std::vector<std::string> chunk_types;
  std::string pixels;  // inflated IDAT: a filter byte and the RGB bytes per row
};

// Walks the chunks, checking every length and CRC (recomputed with zlib), then inflates IDAT.
Png decode(const std::string& file) {
  REQUIRE(file.size() >= 8);
  REQUIRE(file.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) == 0);
  Png png;
  std::string idat;
  for (size_t at = 8; at < file.size();) {
    REQUIRE(at + 12 <= file.size());
    const uint32_t len = be32(file, at);
    REQUIRE(at + 12 + len <= file.size());
    const std::string type = file.substr(at + 4, 4), data = file.substr(at + 8, len);
    const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(file.data() + at + 4), 4 + len);
    INFO("chunk " << type);
    CHECK(be32(file, at + 8 + len) == crc);
    png.chunk_types.push_back(type);
    if (type == "IHDR") {
      REQUIRE(len == 13);
      png.width = be32(data, 0);
      png.height = be32(data, 4);
      png.depth = data[8], png.color_type = data[9], png.compression = data[10];
      png.filter = data[11], png.interlace = data[12];
    }
    if (type == "IDAT") idat += data;
    at += 12 + len;
  }
  uLongf size = (uLongf{png.width} * 3 + 1) * png.height;
  png.pixels.assign(size + 16, '\0');  // room to notice a stream longer than expected
  uLongf got = png.pixels.size();
  REQUIRE(uncompress(reinterpret_cast<Bytef*>(png.pixels.data()), &got, reinterpret_cast<const Bytef*>(idat.data()),
                     idat.size()) == Z_OK);
  CHECK(got == size);
  png.pixels.resize(got);
  return png;
}

Color pixel(const Png& png, uint32_t x, uint32_t y) {
  const size_t at = size_t{y} * (png.width * 3 + 1) + 1 + x * 3;
  return {static_cast<uint8_t>(png.pixels[at]), static_cast<uint8_t>(png.pixels[at + 1]),
          static_cast<uint8_t>(png.pixels[at + 2])};
}

// The bounding box of the pixels that are not `background`.
Rect ink(const Image& img, Color background = kWhite) {
  Rect r{INT32_MAX, INT32_MAX, -1, -1};
  for (uint32_t y = 0; y < img.height(); ++y)
    for (uint32_t x = 0; x < img.width(); ++x)
      if (img.at(x, y) != background) {
        r.x0 = std::min(r.x0, static_cast<int>(x)), r.y0 = std::min(r.y0, static_cast<int>(y));
        r.x1 = std::max(r.x1, static_cast<int>(x) + 1), r.y1 = std::max(r.y1, static_cast<int>(y) + 1);
      }
  return r;
}

}  // namespace

TEST_CASE("plot: encode_png writes a valid RGB PNG with the image's pixels", "[plot]") {
  Image img(7, 5, {10, 20, 30});
  img.set(0, 0, {255, 0, 0});
  img.set(6, 4, {0, 255, 0});
  img.fill_rect({2, 1, 4, 3}, {1, 2, 3});
  img.set(-1, 2, kBlack);  // outside: ignored
  img.set(7, 0, kBlack);
  const Png png = decode(encode_png(img));
  CHECK(png.chunk_types == std::vector<std::string>{"IHDR", "IDAT", "IEND"});
  CHECK(png.width == 7);
  CHECK(png.height == 5);
  CHECK(png.depth == 8);
  CHECK(png.color_type == 2);
  CHECK(png.compression == 0);
  CHECK(png.filter == 0);
  CHECK(png.interlace == 0);
  for (uint32_t y = 0; y < 5; ++y) CHECK(png.pixels[y * (7 * 3 + 1)] == 0);  // filter "None" per row
  CHECK(pixel(png, 0, 0) == Color{255, 0, 0});
  CHECK(pixel(png, 6, 4) == Color{0, 255, 0});
  CHECK(pixel(png, 2, 1) == Color{1, 2, 3});
  CHECK(pixel(png, 3, 2) == Color{1, 2, 3});
  CHECK(pixel(png, 4, 2) == Color{10, 20, 30});
  CHECK(pixel(png, 0, 2) == Color{10, 20, 30});

  // A chart-sized image round-trips through a file.
  ctr::test::ScratchDir tmp("plot-png");
  Image big(640, 480);
  big.line(0, 0, 639, 479, {200, 0, 0}, 3);
  write_png(tmp / "big.png", big);
  const Png back = decode(ctr::test::read_file(tmp / "big.png"));
  CHECK(back.width == 640);
  CHECK(back.height == 480);
  CHECK(pixel(back, 320, 240) == Color{200, 0, 0});
  CHECK(pixel(back, 600, 20) == kWhite);
  CHECK_THAT(error_of([&] { write_png(tmp / "no/such/dir/x.png", big); }), Contains("cannot create"));
}

TEST_CASE("plot: the bitmap font draws text of the expected size", "[plot]") {
  CHECK(text_width("") == 0);
  CHECK(text_width("H") == 5);
  CHECK(text_width("Hi", 2) == 22);
  CHECK(text_width("0.7123", 3) == (6 * 6 - 1) * 3);
  Image img(100, 30);
  draw_text(img, 3, 4, "HH", kBlack);
  const Rect r = ink(img);
  CHECK(r.x0 == 3);
  CHECK(r.y0 == 4);
  CHECK(r.x1 - r.x0 == text_width("HH"));
  CHECK(r.y1 - r.y0 == text_height());
  CHECK(img.at(5, 7) == kBlack);  // H's bar: column 2 of row 3
  CHECK(img.at(5, 4) == kWhite);

  Image scaled(200, 60);
  draw_text(scaled, 0, 0, "Ag", kBlack, 3);
  const Rect s = ink(scaled);
  CHECK(s.x1 - s.x0 == text_width("Ag", 3));
  CHECK(s.y1 - s.y0 == text_height(3) + 3);  // g's descender hangs one font pixel below

  // Every printable character but the space has ink; anything else is drawn as '?'.
  for (int c = 33; c < 127; ++c) {
    CAPTURE(c);
    const auto& g = glyph(static_cast<char>(c));
    CHECK((g[0] | g[1] | g[2] | g[3] | g[4]) != 0);
  }
  CHECK(glyph('\x01') == glyph('?'));
  CHECK(glyph('\xe9') == glyph('?'));
}

TEST_CASE("plot: nice_ticks covers the data with 1-2-5 steps", "[plot]") {
  const Ticks t = nice_ticks(0.5, 0.7);
  CHECK(t.step == Approx(0.05));
  CHECK(t.lo == Approx(0.5));
  CHECK(t.hi == Approx(0.7));
  CHECK(t.values.size() == 5);
  CHECK(format_tick(t.values[1], t) == "0.55");
  CHECK(nice_ticks(0, 3).step == 1);
  CHECK(format_tick(2, nice_ticks(0, 3)) == "2");
  CHECK(nice_ticks(0, 1).step == Approx(0.2));
  const Ticks neg = nice_ticks(-0.3, 0.3);
  for (double v : neg.values) CHECK(format_tick(v, neg).find("-0.0") == std::string::npos);  // no "-0.0"

  const double ranges[][2] = {{0, 132}, {0.5123, 0.5139}, {-7, 12},   {1e-6, 3e-6}, {0, 45840617},
                              {3, 3},   {0, 0},           {0.6, 0.8}, {1, 10}};
  for (const auto& r : ranges) {
    CAPTURE(r[0], r[1]);
    const Ticks k = nice_ticks(r[0], r[1]);
    CHECK(k.lo <= r[0]);
    CHECK(k.hi >= r[1]);
    CHECK(k.values.size() >= 3);
    CHECK(k.values.size() <= 12);
    const double mant = k.step / std::pow(10.0, std::floor(std::log10(k.step) + 1e-9));
    CHECK((std::abs(mant - 1) < 1e-9 || std::abs(mant - 2) < 1e-9 || std::abs(mant - 5) < 1e-9));
    std::set<std::string> labels;
    for (double v : k.values) labels.insert(format_tick(v, k));
    CHECK(labels.size() == k.values.size());  // the labels tell the ticks apart
  }
}

TEST_CASE("plot: render_line_chart draws the series inside the axes and a legend", "[plot]") {
  ChartOptions o;
  o.title = "criteo deepfm batch 131072, 3 epochs";
  o.x_min = o.y_min = 0;
  o.x_max = o.y_max = 1;
  Series up{"rising", {0, 0.5, 1}, {0, 0.5, 1}, {200, 0, 0}, true, 3, 0};
  Series gap{"with a gap", {0.1, 0.2, std::nan(""), 0.4}, {0.9, 0.8, 0.7, 0.6}, {0, 0, 200}, true, 0, 0};
  const Image img = render_line_chart(o, {up, gap});
  CHECK(img.width() == o.width);
  CHECK(img.height() == o.height);
  // The rising series: its leftmost pixel is its lowest (y grows downwards), its rightmost the highest.
  int left_x = INT32_MAX, left_y = 0, right_x = -1, right_y = 0;
  size_t red = 0;
  for (uint32_t y = 0; y < img.height(); ++y)
    for (uint32_t x = 0; x < img.width(); ++x)
      if (img.at(x, y) == up.color) {
        ++red;
        if (static_cast<int>(x) < left_x) left_x = x, left_y = y;
        if (static_cast<int>(x) > right_x) right_x = x, right_y = y;
      }
  CHECK(red > 500);
  CHECK(left_y > right_y + 300);
  // The legend avoids the data: the diagonal and the gap series (top left) leave the bottom-right
  // corner, so the gap series' blue shows there only as its legend swatch.
  size_t blue_bottom_right = 0;
  for (uint32_t y = img.height() / 2; y < img.height(); ++y)
    for (uint32_t x = img.width() / 2; x < img.width(); ++x) blue_bottom_right += img.at(x, y) == gap.color;
  CHECK(blue_bottom_right > 20);
  const Rect title = ink(render_line_chart(ChartOptions{o.title, "", "", "", 1000, 640, 0.0, 1.0, 0.0, 1.0}, {}));
  CHECK(title.y0 < 30);  // the title is at the top, even without series

  // A subtitle too wide for the image loses its middle, not its ends off the canvas.
  ChartOptions wide = o;
  wide.subtitle = "start " + std::string(300, 'x') + " end";
  const Rect all = ink(render_line_chart(wide, {up}));
  CHECK(all.x0 >= 9);
  CHECK(all.x1 <= static_cast<int>(o.width) - 9);

  // No data at all (or only non-finite values): an empty frame, no exception.
  Series nan_only{"nan", {std::nan("")}, {1}, {0, 200, 0}, true, 2, 0};
  const Image empty = render_line_chart(ChartOptions{}, {nan_only});
  CHECK(empty.width() == 1000);
}

TEST_CASE("plot: MetricsTable reads columns by name and tolerates new columns and kinds", "[plot]") {
  ctr::test::ScratchDir tmp("plot-csv");
  const std::string path = tmp / "metrics.csv";
  ctr::test::write_file(path,
                        "step,kind,epoch,valid_auc,future_thing,train_loss,test_auc\r\n"
                        "2,train,1,,abc,0.69,\r\n"
                        "3,eval,1,0.61,,,null\r\n"
                        "4,epoch,1,0.62,x,0.5,0.63\r\n"
                        "5,newkind,2\r\n");
  const MetricsTable t = MetricsTable::read(path);
  REQUIRE(t.rows() == 4);
  CHECK(t.kind(0) == "train");
  CHECK(t.kind(1) == "eval");
  CHECK(t.kind(3) == "newkind");
  CHECK(t.value(0, "train_loss") == 0.69);
  CHECK(t.value(0, "step") == 2.0);
  CHECK_FALSE(t.value(0, "test_auc").has_value());  // empty
  CHECK_FALSE(t.value(1, "test_auc").has_value());  // null
  CHECK_FALSE(t.value(0, "no_such_column").has_value());
  CHECK_FALSE(t.value(3, "train_loss").has_value());  // a short row
  CHECK(t.value(2, "test_auc") == 0.63);
  CHECK(t.value(1, "valid_auc") == 0.61);
  CHECK(t.has_column("future_thing"));
  CHECK_FALSE(t.has_column("lr"));
  CHECK_THAT(error_of([&] { t.value(0, "future_thing"); }),
             Contains("metrics.csv:2") && Contains("'future_thing'") && Contains("'abc'"));

  ctr::test::write_file(path, "kind,epoch\ntrain,1,2\n");
  CHECK_THAT(error_of([&] { MetricsTable::read(path); }), Contains("metrics.csv:2: 3 cells") && Contains("2 columns"));
  ctr::test::write_file(path, "epoch,step\n1,2\n");
  CHECK_THAT(error_of([&] { MetricsTable::read(path); }), Contains("no 'kind' column"));
  ctr::test::write_file(path, "");
  CHECK_THAT(error_of([&] { MetricsTable::read(path); }), Contains("empty"));
  CHECK_THAT(error_of([&] { MetricsTable::read(tmp / "nope.csv"); }), Contains("nope.csv: no such file"));
}

TEST_CASE("plot: write_run_plots writes what the run has data for", "[plot]") {
  ctr::test::ScratchDir tmp("plot-run");
  const std::string run = tmp / "run";
  std::filesystem::create_directories(run);
  CHECK_THAT(error_of([&] { write_run_plots(run); }), Contains("no metrics.csv"));

  // A run still in its first epoch: no report.json, no evaluation yet.
  ctr::test::write_file(run + "/metrics.csv",
                        "kind,epoch,step,samples,train_loss,test_auc,test_logloss,clipped_fraction,lr,seconds,"
                        "samples_per_sec\n"
                        "train,1,2,8192,0.69,,,0.001,1e-4,0.1,80000\n"
                        "train,1,4,16384,0.68,,,0.002,2e-4,0.2,80000\n");
  auto written = write_run_plots(run);
  CHECK(written == std::vector<std::string>{run + "/plots/loss.png", run + "/plots/clipped.png"});
  for (const auto& p : written) CHECK(decode(ctr::test::read_file(p)).width == 1000);

  // Finished, with a report.json carrying test and valid calibration, into another directory.
  ctr::test::write_file(run + "/metrics.csv",
                        "kind,epoch,step,train_loss,test_auc,test_logloss,clipped_fraction,valid_auc\n"
                        "train,1,2,0.69,,,0.001,\ntrain,1,4,0.6,,,0.002,\n"
                        "epoch,1,4,0.65,0.7,0.5,0.0015,0.71\n");
  const std::string bins =
      R"({"mean_prediction": 0.2, "observed_ctr": 0.25, "ratio": 0.8, "ece": 0.01, "bins": [
          {"lower": 0.0, "upper": 0.5, "rows": 3, "mean_prediction": 0.1, "observed_ctr": 0.12},
          {"lower": 0.5, "upper": 1.0, "rows": 0, "mean_prediction": null, "observed_ctr": null}]})";
  ctr::test::write_file(run + "/report.json", R"({"model": "deepfm", "batch_size": 4096, "epochs": 1,
      "data": {"dataset": "criteo"}, "test": {"auc": 0.7, "logloss": 0.5, "calibration": )" +
                                                  bins + R"(}, "valid": {"calibration": )" + bins + "}}");
  written = write_run_plots(run, tmp / "elsewhere");
  CHECK(written.size() == 4);
  CHECK(written.back() == tmp / "elsewhere/calibration.png");
  for (const auto& p : written) CHECK(decode(ctr::test::read_file(p)).height == 640);
}
