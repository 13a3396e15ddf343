// metrics.csv reader (see metrics_table.h).
#include "plot/metrics_table.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/fs_util.h"

namespace ctr::plot {

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    cells.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!cells.empty() && !cells.back().empty() && cells.back().back() == '\r') cells.back().pop_back();
  return cells;
}

}  // namespace

MetricsTable MetricsTable::read(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw Error(
        fmt::format("{}: no such file (not a run directory, or training has not written its first row yet)", path));
  MetricsTable t;
  t.path_ = path;
  std::istringstream in(read_text_file(path));
  std::string line;
  if (!std::getline(in, line) || line.empty())
    throw Error(fmt::format("{}: empty; expected a header line starting with 'kind,' (written by ctrtrain)", path));
  t.header_ = split_csv_line(line);
  if (t.column("kind") == t.header_.size())
    throw Error(fmt::format("{}: the header '{}' has no 'kind' column; is this a ctrtrain metrics.csv?", path, line));
  for (size_t number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> cells = split_csv_line(line);
    if (cells.size() > t.header_.size())
      throw Error(fmt::format("{}:{}: {} cells, but the header names {} columns; the file is damaged", path, number,
                              cells.size(), t.header_.size()));
    t.cells_.push_back(std::move(cells));
    t.line_.push_back(number);
  }
  return t;
}

size_t MetricsTable::column(const std::string& name) const {
  return static_cast<size_t>(std::find(header_.begin(), header_.end(), name) - header_.begin());
}

bool MetricsTable::has_column(const std::string& name) const { return column(name) < header_.size(); }

const std::string& MetricsTable::kind(size_t row) const {
  static const std::string none;
  const size_t c = column("kind");
  return c < cells_[row].size() ? cells_[row][c] : none;
}

std::optional<double> MetricsTable::value(size_t row, const std::string& name) const {
  const size_t c = column(name);
  if (c >= cells_[row].size()) return std::nullopt;
  const std::string& s = cells_[row][c];
  if (s.empty() || s == "null" || s == "nan" || s == "-nan" || s == "inf" || s == "-inf") return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE)
    throw Error(
        fmt::format("{}:{}: column '{}' holds '{}', not a number; the file is damaged", path_, line_[row], name, s));
  return v;
}

}  // namespace ctr::plot
