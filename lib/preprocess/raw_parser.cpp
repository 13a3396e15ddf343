// RowParser implementation: one pass over the line, splitting at the separator (quoted values on a
// slower path), then each column checked as its type requires.
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
    case BadRowKind::bad_quoting: return "bad_quoting";
    case BadRowKind::kCount: break;
  }
  return "?";
}

RowParser::RowParser(const Schema& schema)
    : schema_(schema), sep_(schema.separator), quote_(schema.quote), num_columns_(schema.columns.size()) {}

void RowParser::init_row(ParsedRow& row) const {
  row.dense.assign(schema_.num_dense(), 0);
  row.cat.assign(schema_.num_cat(), std::string_view());
  row.unquoted.clear();
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
// the first kMaxSchemaColumns columns are stored in cols.
size_t RowParser::split_line(const char* begin, const char* end, std::string_view* cols,
                             bool& odd_bytes) const {
  const char sep = sep_;
  size_t n = 0;
  const char* start = begin;
  const char* p = begin;
  auto cut = [&](const char* at) {
    if (n < kMaxSchemaColumns) cols[n] = std::string_view(start, static_cast<size_t>(at - start));
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

// Quoted values (docs/schema.md): a value that starts with the quote character ends at the next
// lone quote, which must be followed by the separator or the end of the line; a doubled quote
// inside stands for one. Other values are taken as they are, quote characters included.
bool RowParser::split_quoted(const char* begin, const char* end, std::string_view* cols, size_t& n,
                             bool& odd_bytes, std::string& unquoted, ParseFailure& fail) const {
  // Unquoting only shortens values, so this never reallocates and earlier views stay valid.
  unquoted.clear();
  unquoted.reserve(static_cast<size_t>(end - begin));
  auto odd = [](char ch) {
    const unsigned char c = static_cast<unsigned char>(ch);
    return c < 0x20 || c >= 0x7f;
  };
  n = 0;
  for (const char* p = begin;; ++p) {  // each turn reads one value and steps over its separator
    std::string_view v;
    if (p < end && *p == quote_) {
      const char* open = p++;
      const char* start = p;
      bool doubled = false;
      for (;; ++p) {
        if (p >= end) {
          fail = {BadRowKind::bad_quoting, n, std::string_view(open, static_cast<size_t>(end - open)), 0};
          return false;
        }
        if (*p != quote_) {
          if (*p != sep_ && odd(*p)) odd_bytes = true;
          continue;
        }
        if (p + 1 < end && p[1] == quote_) {
          doubled = true;
          ++p;
          continue;
        }
        break;
      }
      v = std::string_view(start, static_cast<size_t>(p - start));
      if (doubled) {
        const size_t at = unquoted.size();
        for (size_t i = 0; i < v.size(); ++i) {
          unquoted += v[i];
          if (v[i] == quote_) ++i;  // the second of a pair
        }
        v = std::string_view(unquoted.data() + at, unquoted.size() - at);
      }
      if (++p < end && *p != sep_) {
        fail = {BadRowKind::bad_quoting, n, std::string_view(open, static_cast<size_t>(end - open)), 1};
        return false;
      }
    } else {
      const char* start = p;
      for (; p < end && *p != sep_; ++p)
        if (odd(*p)) odd_bytes = true;
      v = std::string_view(start, static_cast<size_t>(p - start));
    }
    if (n < kMaxSchemaColumns) cols[n] = v;
    ++n;
    if (p >= end) return true;
  }
}

bool RowParser::parse(const char* begin, const char* end, ParsedRow& row, ParseFailure& fail) const {
  if (end > begin && end[-1] == '\r') --end;
  // Split first, so a wrong column count is reported as such rather than as a bad value.
  // Left uninitialised on purpose: string_view's constructor would zero 4 KB per line, more than
  // the rest of this function's time. The splitters fill the columns they count, and only those
  // are read.
  union Columns {
    Columns() {}
    std::string_view at[kMaxSchemaColumns];
  } columns;
  std::string_view* cols = columns.at;
  bool odd_bytes = false;  // any byte outside printable ASCII: then each value is checked below
  size_t n = 0;
  row.unquoted.clear();
  if (quote_ != 0 && std::memchr(begin, quote_, static_cast<size_t>(end - begin))) {
    if (!split_quoted(begin, end, cols, n, odd_bytes, row.unquoted, fail)) return false;
  } else {
    n = split_line(begin, end, cols, odd_bytes);
  }
  if (n != num_columns_) {
    fail = {BadRowKind::column_count, n, std::string_view(), 0};
    return false;
  }
  return parse_values(cols, odd_bytes, row, fail);
}

bool RowParser::parse_values(const std::string_view* cols, bool odd_bytes, ParsedRow& row, ParseFailure& fail) const {
  const std::string_view label = cols[schema_.label_column];
  if (label.size() != 1 || (label[0] != '0' && label[0] != '1')) {
    fail = {BadRowKind::bad_label, schema_.label_column, label, 0};
    return false;
  }
  row.label = label[0] - '0';
  for (size_t d = 0; d < schema_.dense_columns.size(); ++d) {
    const size_t col = schema_.dense_columns[d];
    const std::string_view s = cols[col];
    if (s.empty()) {
      row.dense[d] = 0;
    } else if (!parse_int64(s, row.dense[d])) {
      fail = {BadRowKind::bad_dense, col, s, 0};
      return false;
    }
  }
  for (size_t c = 0; c < schema_.cat_columns.size(); ++c) {
    const size_t col = schema_.cat_columns[c];
    const std::string_view s = cols[col];
    if (s.size() > kMaxFieldBytes) {
      fail = {BadRowKind::field_too_long, col, s, 0};
      return false;
    }
    size_t bad = 0;
    if (odd_bytes && !valid_value_bytes(s, bad)) {
      fail = {BadRowKind::invalid_bytes, col, s, bad};
      return false;
    }
    row.cat[c] = s;
  }
  return true;
}

std::string RowParser::describe(const ParseFailure& f) const {
  const std::string where =
      f.kind == BadRowKind::column_count
          ? std::string()
          : fmt::format("column {} ({}): ", f.column + 1,
                        f.column < schema_.columns.size() ? schema_.columns[f.column].name : "?");
  switch (f.kind) {
    case BadRowKind::column_count:
      return fmt::format("found {} {}-separated columns (expected {})", f.column,
                         sep_ == '\t' ? "tab" : sep_ == ',' ? "comma" : fmt::format("'{}'", sep_), num_columns_);
    case BadRowKind::bad_label:
      return where + fmt::format("label '{}' (expected 0 or 1)", printable(f.value));
    case BadRowKind::bad_dense:
      return where + fmt::format("'{}' is not an integer (expected an integer or empty)", printable(f.value));
    case BadRowKind::field_too_long:
      return where + fmt::format("value is {} bytes long (at most {} expected)", f.value.size(), kMaxFieldBytes);
    case BadRowKind::invalid_bytes:
      return where + fmt::format("byte 0x{:02x} at offset {} in '{}' (expected printable ASCII)",
                                 static_cast<unsigned char>(f.value[f.offset]), f.offset, printable(f.value));
    case BadRowKind::bad_quoting:
      return where + (f.offset == 0 ? fmt::format("quoted value {} is not closed before the end of the line "
                                                  "(values spanning lines are not supported)",
                                                  printable(f.value))
                                    : fmt::format("text after the closing quote in {} (expected {} or the end "
                                                  "of the line; write a quote inside a quoted value as {}{})",
                                                  printable(f.value), sep_ == '\t' ? "a tab" : std::string(1, sep_),
                                                  quote_, quote_));
    case BadRowKind::kCount: break;
  }
  return where;
}

void RowParser::check_header(const std::string& path, std::string_view line) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string_view> cols(kMaxSchemaColumns);
  std::string unquoted;
  size_t n = 0;
  bool odd = false;
  ParseFailure fail;
  bool same = true;
  if (quote_ != 0 && line.find(quote_) != std::string_view::npos)
    same = split_quoted(line.data(), line.data() + line.size(), cols.data(), n, odd, unquoted, fail);
  else
    n = split_line(line.data(), line.data() + line.size(), cols.data(), odd);
  same = same && n == num_columns_;
  for (size_t i = 0; same && i < n; ++i) same = cols[i] == schema_.columns[i].name;
  if (!same)
    throw Error(fmt::format("{}:1: header is '{}' (expected '{}', the columns of schema {} in order; is this file "
                            "in that layout, and is --dataset or --schema right?)",
                            path, printable(line, 200), schema_.header_line(), schema_.name));
}

}  // namespace ctr
