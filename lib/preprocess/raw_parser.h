// RowParser: splits and validates one raw line as a Schema lays it out (separator, quoting,
// column types). It never allocates: values are returned as views into the line, or into the
// row's own buffer when unquoting had to rewrite them ("" inside a quoted value).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dataset/schema.h"

namespace ctr {

// Why a row was rejected. Kept in sync with bad_row_kind_name(); meta.json lists every kind.
enum class BadRowKind : int {
  column_count = 0,  // wrong number of columns
  bad_label,         // label not 0/1
  bad_dense,         // dense value not an integer (or out of int64 range)
  field_too_long,    // a categorical value longer than RowParser::kMaxFieldBytes
  invalid_bytes,     // control characters, DEL or non-ASCII bytes in a value
  bad_quoting,       // a quoted value not closed, or text after its closing quote
  kCount
};
constexpr int kNumBadRowKinds = static_cast<int>(BadRowKind::kCount);
const char* bad_row_kind_name(BadRowKind k);  // "column_count", ...

struct ParsedRow {
  int label = 0;
  std::vector<int64_t> dense;            // [num_dense]; 0 where missing
  std::vector<std::string_view> cat;     // [num_cat]; "" is the "missing" value
  // Unquoted values that had to be rewritten live here until the next parse; empty otherwise.
  std::string unquoted;
  bool in_unquoted(std::string_view v) const {
    const std::less<const char*> before;
    return !unquoted.empty() && !before(v.data(), unquoted.data()) && before(v.data(), unquoted.data() + unquoted.size());
  }
};

// What was wrong, kept cheap: most bad rows are only counted, so the message is made only on
// request (RowParser::describe), while the line is still in memory.
struct ParseFailure {
  BadRowKind kind = BadRowKind::column_count;
  size_t column = 0;       // the raw column at fault (0-based); column_count: the columns found
  std::string_view value;  // the value at fault, a view into the line
  size_t offset = 0;       // invalid_bytes: the bad byte's offset; bad_quoting: 0 not closed, 1 text after
};

class RowParser {
 public:
  static constexpr size_t kMaxFieldBytes = 64;

  explicit RowParser(const Schema& schema);
  // Parses [begin, end), the line without its '\n' (a trailing '\r' is accepted and ignored).
  // Returns true on success; otherwise fills `failure` and returns false.
  bool parse(const char* begin, const char* end, ParsedRow& row, ParseFailure& failure) const;
  // "column 17 (C3): value is 70 bytes long (at most 64 expected)"; call it while the line the
  // failure came from is still in memory.
  std::string describe(const ParseFailure& failure) const;
  // For schemas with a header: throws ctr::Error "FILE:1: ..." unless `line` names the schema's
  // columns in order.
  void check_header(const std::string& path, std::string_view line) const;
  bool has_header() const { return schema_.header; }
  const Schema& schema() const { return schema_; }
  void init_row(ParsedRow& row) const;  // sizes the vectors once, outside the hot loop

 private:
  size_t split_line(const char* begin, const char* end, std::string_view* cols, bool& odd_bytes) const;
  // The slow path, for lines that hold the quote character. Returns false on bad quoting.
  bool split_quoted(const char* begin, const char* end, std::string_view* cols, size_t& n, bool& odd_bytes,
                    std::string& unquoted, ParseFailure& fail) const;
  bool parse_values(const std::string_view* cols, bool odd_bytes, ParsedRow& row, ParseFailure& fail) const;
  const Schema schema_;
  char sep_, quote_;
  size_t num_columns_;
};

}  // namespace ctr
