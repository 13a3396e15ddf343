// A run's plots from metrics.csv and report.json (see run_plots.h).
#include "plot/run_plots.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "core/json_reader.h"
#include "plot/line_chart.h"
#include "plot/metrics_table.h"
#include "plot/png_writer.h"

namespace ctr::plot {

namespace {

namespace fs = std::filesystem;

struct Curve {  // one split's reliability bins
  std::string split;
  std::vector<double> mean_prediction, observed_ctr;
  std::optional<double> ece, ratio;
};

struct RunInfo {
  bool has_report = false;
  std::string title;
  std::vector<Curve> calibration;  // test first, then valid
};

std::optional<double> number_at(const JsonNode& j, const std::string& key) {
  if (!j.has(key) || j.node()[key].IsNull()) return std::nullopt;
  return j[key].as<double>();
}

// report.json's `SPLIT.calibration.bins`, the empty bins left out; nullopt when absent.
std::optional<Curve> calibration_of(const JsonNode& report, const std::string& split) {
  if (!report.has(split) || !report[split].has("calibration")) return std::nullopt;
  const JsonNode c = report[split]["calibration"];
  Curve curve{split, {}, {}, number_at(c, "ece"), number_at(c, "ratio")};
  const JsonNode bins = c["bins"];
  for (size_t i = 0; i < bins.size(); ++i) {
    const JsonNode b = bins.at(i);
    const auto pred = number_at(b, "mean_prediction"), observed = number_at(b, "observed_ctr");
    if (b["rows"].as<uint64_t>() == 0 || !pred || !observed) continue;
    curve.mean_prediction.push_back(*pred);
    curve.observed_ctr.push_back(*observed);
  }
  return curve;
}

RunInfo read_run_info(const std::string& run_dir) {
  const std::string file = (fs::path(run_dir) / "report.json").string();
  RunInfo info;
  if (!fs::is_regular_file(file)) {
    spdlog::info("{}: no report.json (the run is still training?): titles name the directory, no calibration plot",
                 run_dir);
    info.title = fs::path(run_dir).lexically_normal().string();
    return info;
  }
  const YAML::Node doc = load_json_file(file, "re-run the training or remove the directory");
  const JsonNode j(doc, file, "written by an older or newer ctrtrain, or damaged; re-run the training");
  info.has_report = true;
  const uint64_t epochs = j["epochs"].as<uint64_t>();
  info.title =
      fmt::format("{} {} batch {}, {} epoch{}", j["data"]["dataset"].as<std::string>(), j["model"].as<std::string>(),
                  j["batch_size"].as<uint64_t>(), epochs, epochs == 1 ? "" : "s");
  for (const char* split : {"test", "valid"})
    if (auto c = calibration_of(j, split)) info.calibration.push_back(std::move(*c));
  return info;
}

// Places a row at its fractional epoch, (epoch - 1) + steps into the epoch / the epoch's steps,
// so runs of different batch sizes share an x axis. The epoch ends come from the `epoch` rows;
// an epoch whose end is not written yet takes the length of a finished one. Without any finished
// epoch there is no length, and the plots fall back to the global step.
class EpochAxis {
 public:
  explicit EpochAxis(const MetricsTable& t) {
    for (size_t r = 0; r < t.rows(); ++r) {
      const auto e = t.value(r, "epoch"), s = t.value(r, "step");
      if (t.kind(r) == "epoch" && e && s && *e >= 1) end_[static_cast<uint64_t>(*e)] = *s;
    }
    for (const auto& [e, end] : end_)
      if (const auto start = known_start(e); start && end > *start) {
        length_ = end - *start;
        break;
      }
  }
  bool by_epoch() const { return length_ > 0; }
  const char* label() const { return by_epoch() ? "epoch" : "step"; }
  double position(double epoch, double step) const {
    if (!by_epoch()) return step;
    const auto e = static_cast<uint64_t>(std::max(1.0, epoch));
    const auto end = end_.find(e);
    const double start = known_start(e).value_or(end != end_.end() ? end->second - length_ : (e - 1) * length_);
    const double len = end != end_.end() && end->second > start ? end->second - start : length_;
    return static_cast<double>(e - 1) + (step - start) / len;
  }

 private:
  std::map<uint64_t, double> end_;
  double length_ = 0;
  std::optional<double> known_start(uint64_t e) const {
    if (e == 1) return 0.0;
    const auto prev = end_.find(e - 1);
    return prev == end_.end() ? std::nullopt : std::optional<double>(prev->second);
  }
};

// Column `column` (times `scale`) of the rows whose kind passes `keep`, at their axis positions;
// identical points (an eval row and the epoch row at the same step) are kept once.
template <class Keep>
Series column_series(const MetricsTable& t, const EpochAxis& axis, const std::string& column, double scale, Keep keep) {
  std::vector<std::pair<double, double>> pts;
  for (size_t r = 0; r < t.rows(); ++r) {
    if (!keep(t.kind(r))) continue;
    const auto e = t.value(r, "epoch"), s = t.value(r, "step"), v = t.value(r, column);
    if (e && s && v) pts.emplace_back(axis.position(*e, *s), *v * scale);
  }
  std::stable_sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
  Series s;
  for (const auto& [x, y] : pts) s.x.push_back(x), s.y.push_back(y);
  return s;
}

bool is_train(const std::string& kind) { return kind == "train"; }
bool is_epoch(const std::string& kind) { return kind == "epoch"; }
// epoch, eval and kinds to come; `final` (the selected model's last evaluation) is drawn apart.
bool is_evaluation(const std::string& kind) { return kind != "train" && kind != "final"; }
bool is_final(const std::string& kind) { return kind == "final"; }

struct Plot {
  std::string file;
  ChartOptions options;
  std::vector<Series> series;
};

// Appends `s` named `name` when it has points.
void add(std::vector<Series>& out, Series s, const std::string& name, size_t color, int marker, bool line = true) {
  if (s.x.empty()) return;
  s.name = name;
  s.color = palette(color);
  s.marker_radius = marker;
  s.line = line;
  out.push_back(std::move(s));
}

Plot loss_plot(const MetricsTable& t, const EpochAxis& axis) {
  Plot p{"loss.png", {}, {}};
  add(p.series, column_series(t, axis, "train_loss", 1, is_train), "train loss (log window)", 0, 0);
  add(p.series, column_series(t, axis, "train_loss", 1, is_epoch), "train loss (epoch mean)", 1, 4);
  add(p.series, column_series(t, axis, "test_logloss", 1, is_evaluation), "test logloss", 2, 4);
  add(p.series, column_series(t, axis, "valid_logloss", 1, is_evaluation), "valid logloss", 3, 4);
  add(p.series, column_series(t, axis, "test_logloss", 1, is_final), "test logloss (final)", 2, 7, false);
  add(p.series, column_series(t, axis, "valid_logloss", 1, is_final), "valid logloss (final)", 3, 7, false);
  p.options.y_label = "loss";
  return p;
}

Plot auc_plot(const MetricsTable& t, const EpochAxis& axis) {
  Plot p{"auc.png", {}, {}};
  add(p.series, column_series(t, axis, "test_auc", 1, is_evaluation), "test AUC", 2, 4);
  add(p.series, column_series(t, axis, "valid_auc", 1, is_evaluation), "valid AUC", 3, 4);
  add(p.series, column_series(t, axis, "test_auc", 1, is_final), "test AUC (final)", 2, 7, false);
  add(p.series, column_series(t, axis, "valid_auc", 1, is_final), "valid AUC (final)", 3, 7, false);
  p.options.y_label = "AUC";
  return p;
}

Plot clipped_plot(const MetricsTable& t, const EpochAxis& axis) {
  Plot p{"clipped.png", {}, {}};
  add(p.series, column_series(t, axis, "clipped_fraction", 100, is_train), "log window", 4, 0);
  add(p.series, column_series(t, axis, "clipped_fraction", 100, is_epoch), "epoch", 1, 4);
  p.options.y_label = "CowClip clipped (%)";
  p.options.y_min = 0;
  return p;
}

Plot calibration_plot(const RunInfo& info) {
  Plot p{"calibration.png", {}, {}};
  double hi = 0;
  for (const Curve& c : info.calibration)
    for (size_t i = 0; i < c.mean_prediction.size(); ++i) hi = std::max({hi, c.mean_prediction[i], c.observed_ctr[i]});
  hi = nice_ticks(0, std::max(hi, 0.01)).hi;  // both axes, so the diagonal is the identity
  for (size_t k = 0; k < info.calibration.size(); ++k) {
    const Curve& c = info.calibration[k];
    Series s;
    s.x = c.mean_prediction;
    s.y = c.observed_ctr;
    std::string name = c.split;
    if (c.ece) name += fmt::format(" (ECE {:.4f}{})", *c.ece, c.ratio ? fmt::format(", ratio {:.3f}", *c.ratio) : "");
    add(p.series, s, name, 2 + k, 4);
  }
  // Drawn first, under the curves; only beside a curve, so a plot of empty bins stays empty.
  if (!p.series.empty())
    p.series.insert(p.series.begin(), Series{"perfect calibration", {0, hi}, {0, hi}, kGray, true, 0, 8});
  p.options.x_label = "mean prediction";
  p.options.y_label = "observed CTR";
  p.options.x_min = p.options.y_min = 0;
  p.options.x_max = p.options.y_max = hi;
  return p;
}

void make_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("{}: cannot create the plot directory: {}", dir, ec.message()));
}

}  // namespace

std::vector<std::string> write_run_plots(const std::string& run_dir, const std::string& out_dir) {
  const std::string csv = (fs::path(run_dir) / "metrics.csv").string();
  if (!fs::is_regular_file(csv))
    throw Error(fmt::format(
        "{}: no metrics.csv, so nothing to plot (not a run directory, or training has not started); report --plot "
        "reads the metrics.csv and report.json that training writes into its output.dir",
        run_dir));
  const MetricsTable table = MetricsTable::read(csv);
  const RunInfo info = read_run_info(run_dir);
  const EpochAxis axis(table);
  std::vector<Plot> plots{loss_plot(table, axis), auc_plot(table, axis), clipped_plot(table, axis)};
  for (Plot& p : plots) p.options.x_label = axis.label();
  if (!info.calibration.empty())
    plots.push_back(calibration_plot(info));
  else if (info.has_report)
    spdlog::info(
        "{}: no calibration bins in report.json (test.calibration, valid.calibration): calibration.png skipped",
        run_dir);

  const std::string dir = out_dir.empty() ? (fs::path(run_dir) / "plots").string() : out_dir;
  make_dir(dir);
  std::vector<std::string> written;
  for (Plot& p : plots) {
    if (p.series.empty()) {
      spdlog::info("{}: no values to plot in {}: skipped", run_dir, p.file);
      continue;
    }
    p.options.title = info.title;
    p.options.subtitle = fs::path(run_dir).lexically_normal().string();
    const std::string path = (fs::path(dir) / p.file).string();
    write_png(path, render_line_chart(p.options, p.series));
    written.push_back(path);
  }
  return written;
}

}  // namespace ctr::plot
