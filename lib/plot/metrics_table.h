// metrics.csv of a run, read by column name: unknown columns and row kinds are kept, empty cells are absent.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ctr::plot {

class MetricsTable {
 public:
  // ctr::Error naming the file when it is missing, empty or has no `kind` column, or when a row
  // has more cells than the header. Rows with fewer cells (a line cut short while training is
  // still writing) have the missing cells absent.
  static MetricsTable read(const std::string& path);

  size_t rows() const { return cells_.size(); }
  bool has_column(const std::string& name) const;
  const std::string& kind(size_t row) const;
  // The cell as a number; nullopt when the column does not exist or the cell is empty, "null",
  // "nan" or "inf" (the writer's non-finite values). ctr::Error naming FILE:LINE and the column
  // for anything else that is not a number.
  std::optional<double> value(size_t row, const std::string& column) const;

 private:
  std::string path_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> cells_;
  std::vector<size_t> line_;                     // the file line of each row, for messages
  size_t column(const std::string& name) const;  // header_.size() when absent
};

}  // namespace ctr::plot
