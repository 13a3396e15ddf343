// RowParser: splits and validates one raw Criteo (TSV) or Avazu (CSV) line. It never allocates:
// categorical values are returned as views into the line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"

namespace ctr {

// Why a row was rejected. Kept in sync with bad_row_kind_name().
enum class BadRowKind : int {
  column_count = 0,  // wrong number of columns
  bad_label,         // label not 0/1
  bad_dense,         // dense value not an integer (or out of int64 range)
  field_too_long,    // a categorical value longer than RowParser::kMaxFieldBytes
  invalid_bytes,     // control characters, DEL or non-ASCII bytes in a value
  kCount
};
constexpr int kNumBadRowKinds = static_cast<int>(BadRowKind::kCount);
const char* bad_row_kind_name(BadRowKind k);  // "column_count", ...

struct ParsedRow {
  int label = 0;
  std::vector<int64_t> dense;            // [num_dense]; 0 where missing
  std::vector<std::string_view> cat;     // [num_cat]; "" is the "missing" value
};

struct ParseFailure {
  BadRowKind kind;
  std::string detail;  // "column 17 (C3): 'zz' is 70 bytes long (at most 64 expected)"
};

class RowParser {
 public:
  static constexpr size_t kMaxFieldBytes = 64;

  explicit RowParser(const Schema& schema);
  // Parses [begin, end), the line without its '\n' (a trailing '\r' is accepted and ignored).
  // Returns true on success; otherwise fills `failure` and returns false.
  bool parse(const char* begin, const char* end, ParsedRow& row, ParseFailure& failure) const;
  // Avazu files start with a header line; throws ctr::Error "FILE:1: ..." if it is not the
  // expected one. For Criteo (no header) it is never called.
  void check_header(const std::string& path, std::string_view line) const;
  bool has_header() const { return schema_.kind == DatasetKind::avazu; }
  const Schema& schema() const { return schema_; }
  void init_row(ParsedRow& row) const;  // sizes the vectors once, outside the hot loop

 private:
  static constexpr size_t kMaxColumns = 64;
  size_t split_line(const char* begin, const char* end, std::string_view* cols, bool& odd_bytes) const;
  const Schema& schema_;
  char sep_;
  size_t num_columns_;
  size_t num_dense_, num_cat_;  // the schema's, read once per line rather than once per field
  size_t label_col_, first_dense_col_, first_cat_col_;  // Avazu's `id` (column 0) is ignored
};

}  // namespace ctr
