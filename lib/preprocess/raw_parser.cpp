// RowParser implementation: one pass over the line, splitting at the separator.
#include "preprocess/raw_parser.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstring>

#include "core/error.h"

namespace ctr {

const char* bad_row_kind_name(BadRowKind k) {
  switch (k) {
    case BadRowKind::column_count: return "column_count";
    case BadRowKind::bad_label: return "bad_label";
    case BadRowKind::bad_dense: return "bad_dense";
    case BadRowKind::field_too_long: return "field_too_long";
    case BadRowKind::invalid_bytes: return "invalid_bytes";
    case BadRowKind::kCount: break;
  }
  return "?";
}

RowParser::RowParser(const Schema& schema)
    : schema_(schema), num_columns_(schema.raw_columns.size()), num_dense_(schema.num_dense()),
      num_cat_(schema.num_cat()) {
  if (schema.kind == DatasetKind::criteo) {
    sep_ = '\t';
    label_col_ = 0;
    first_dense_col_ = 1;
    first_cat_col_ = 1 + schema.num_dense();
  } else {
    sep_ = ',';
    label_col_ = 1;
    first_dense_col_ = 2;  // no dense columns
    first_cat_col_ = 2;
  }
}

void RowParser::init_row(ParsedRow& row) const {
  row.dense.assign(num_dense_, 0);
  row.cat.assign(num_cat_, std::string_view());
}

namespace {

// Strict integer: optional '-', 1..19 digits. Returns false on anything else.
bool parse_int64(std::string_view s, int64_t& out) {
  size_t i = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; i = 1; }
  if (i >= s.size() || s.size() - i > 18) return false;  // 18 digits cannot overflow int64
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return false;
    v = v * 10 + d;
  }
  out = neg ? -v : v;
  return true;
}

bool valid_value_bytes(std::string_view s, size_t& bad_pos) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f) { bad_pos = i; return false; }
  }
  return true;
}

std::string printable(std::string_view s, size_t max = 24) {
  std::string o;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) o += static_cast<char>(c);
    else o += fmt::format("\\x{:02x}", c);
  }
  if (s.size() > max) o += "...";
  return o;
}

}  // namespace

// Finds the separators of [begin, end) and notes whether any byte is outside printable ASCII.
// Criteo lines are ~250 bytes of fields a few bytes long, so this runs 16 bytes at a time with
// SSE2 compares instead of a byte loop (or memchr's call per field). Returns the column count;
// the first kMaxColumns columns are stored in cols.
size_t RowParser::split_line(const char* begin, const char* end, std::string_view* cols,
                             bool& odd_bytes) const {
  const char sep = sep_;
  size_t n = 0;
  const char* start = begin;
  const char* p = begin;
  auto cut = [&](const char* at) {
    if (n < kMaxColumns) cols[n] = std::string_view(start, static_cast<size_t>(at - start));
    ++n;
    start = at + 1;
  };
#if defined(__SSE2__)
  const __m128i vsep = _mm_set1_epi8(sep), vspace = _mm_set1_epi8(0x20), vdel = _mm_set1_epi8(0x7f);
  unsigned odd = 0;
  for (; end - p >= 16; p += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    unsigned seps = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, vsep)));
    // Signed compare: bytes >= 0x80 are negative, so "< 0x20" catches them with the controls.
    odd |= static_cast<unsigned>(_mm_movemask_epi8(
               _mm_or_si128(_mm_cmplt_epi8(x, vspace), _mm_cmpeq_epi8(x, vdel)))) & ~seps;
    for (; seps; seps &= seps - 1) cut(p + __builtin_ctz(seps));
  }
  odd_bytes = odd != 0;
#else
  odd_bytes = false;
#endif
  for (; p < end; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (*p == sep) cut(p);
    else if (c < 0x20 || c >= 0x7f) odd_bytes = true;
  }
  cut(end);
  return n;
}

bool RowParser::parse(const char* begin, const char* end, ParsedRow& row, ParseFailure& fail) const {
  if (end > begin && end[-1] == '\r') --end;
  // Split first, so a wrong column count is reported as such rather than as a bad value.
  // Left uninitialised on purpose: string_view's constructor would zero 1 KB per line, a fifth
  // of this function's time. split_line() fills the columns it counts, and only those are read.
  union Columns {
    Columns() {}
    std::string_view at[kMaxColumns];
  } columns;
  std::string_view* cols = columns.at;
  bool odd_bytes = false;  // any byte outside printable ASCII: then each value is checked below
  size_t n = split_line(begin, end, cols, odd_bytes);
  if (n != num_columns_) {
    fail = {BadRowKind::column_count,
            fmt::format("found {} {}-separated columns (expected {})", n,
                        sep_ == '\t' ? "tab" : "comma", num_columns_)};
    return false;
  }

  std::string_view label = cols[label_col_];
  if (label.size() != 1 || (label[0] != '0' && label[0] != '1')) {
    fail = {BadRowKind::bad_label, fmt::format("column {} ({}): label '{}' (expected 0 or 1)",
                                               label_col_ + 1, schema_.label_column, printable(label))};
    return false;
  }
  row.label = label[0] - '0';

  for (size_t d = 0; d < num_dense_; ++d) {
    std::string_view s = cols[first_dense_col_ + d];
    if (s.empty()) {
      row.dense[d] = 0;
      continue;
    }
    if (!parse_int64(s, row.dense[d])) {
      fail = {BadRowKind::bad_dense,
              fmt::format("column {} ({}): '{}' is not an integer (expected an integer or empty)",
                          first_dense_col_ + d + 1, schema_.dense_names[d], printable(s))};
      return false;
    }
  }

  for (size_t c = 0; c < num_cat_; ++c) {
    size_t col = first_cat_col_ + c;
    std::string_view s = cols[col];
    if (s.size() > kMaxFieldBytes) {
      fail = {BadRowKind::field_too_long,
              fmt::format("column {} ({}): value is {} bytes long (at most {} expected)", col + 1,
                          schema_.cat_names[c], s.size(), kMaxFieldBytes)};
      return false;
    }
    size_t bad = 0;
    if (odd_bytes && !valid_value_bytes(s, bad)) {
      fail = {BadRowKind::invalid_bytes,
              fmt::format("column {} ({}): byte 0x{:02x} at offset {} in '{}' (expected printable "
                          "ASCII)", col + 1, schema_.cat_names[c],
                          static_cast<unsigned char>(s[bad]), bad, printable(s))};
      return false;
    }
    row.cat[c] = s;
  }
  return true;
}

void RowParser::check_header(const std::string& path, std::string_view line) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string expected;
  for (size_t i = 0; i < schema_.raw_columns.size(); ++i)
    expected += (i ? "," : "") + schema_.raw_columns[i];
  if (line != expected)
    throw Error(fmt::format("{}:1: header is '{}' (expected the Avazu header '{}'; is this the "
                            "Avazu train file, and is --dataset right?)",
                            path, printable(line, 200), expected));
}

}  // namespace ctr
