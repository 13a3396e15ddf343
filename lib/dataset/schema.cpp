// Schema rules (docs/schema.md), its indexes by column type, and its JSON form in meta.json.
#include "dataset/schema.h"

#include <cctype>
#include <set>

#include "core/error.h"
#include "core/json_writer.h"

namespace ctr {

const char* column_type_name(ColumnType t) {
  switch (t) {
    case ColumnType::label: return "label";
    case ColumnType::dense: return "dense";
    case ColumnType::categorical: return "categorical";
    case ColumnType::ignore: return "ignore";
  }
  return "?";
}

std::string Schema::header_line() const {
  std::string h;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) h += separator;
    h += columns[i].name;
  }
  return h;
}

namespace {

// Names become file names (vocab/<column>.tsv.zst) and config values, so they keep to a set
// that is safe in both: ASCII letters, digits, '_', '-' and '.', not starting with '.' or '-'.
bool safe_name(const std::string& s) {
  if (s.empty() || s.size() > kMaxColumnNameBytes || s[0] == '.' || s[0] == '-') return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '.') return false;
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void check_separator_and_quote(const Schema& s, const std::string& where) {
  const unsigned char sep = static_cast<unsigned char>(s.separator);
  if (sep != '\t' && (sep < 0x20 || sep >= 0x7f || std::isalnum(sep)))
    throw Error(fmt::format("{}: separator is byte 0x{:02x} (expected tab or one printable ASCII character "
                            "that is not a letter or digit, such as ',' ';' '|')",
                            where, sep));
  if (s.quote != 0 && s.quote != '"' && s.quote != '\'')
    throw Error(fmt::format("{}: quote is '{}' (expected '\"', \"'\" or none)", where, s.quote));
  if (s.quote != 0 && s.quote == s.separator)
    throw Error(fmt::format("{}: quote and separator are both '{}' (expected two different characters)", where,
                            s.quote));
}

void check_columns(const Schema& s, const std::string& where) {
  if (s.columns.empty() || s.columns.size() > kMaxSchemaColumns)
    throw Error(fmt::format("{}: {} columns (expected 1 to {})", where, s.columns.size(), kMaxSchemaColumns));
  std::set<std::string> seen;
  for (size_t i = 0; i < s.columns.size(); ++i) {
    const SchemaColumn& c = s.columns[i];
    if (!safe_name(c.name))
      throw Error(fmt::format("{}: columns[{}]: name '{}' is not usable (expected 1 to {} ASCII letters, digits, "
                              "'_', '-' or '.', not starting with '.' or '-')",
                              where, i, c.name, kMaxColumnNameBytes));
    if (!seen.insert(lower(c.name)).second)
      throw Error(fmt::format("{}: columns[{}]: name '{}' is used twice (names must differ, ignoring case: "
                              "they name the vocabulary files)",
                              where, i, c.name));
    if (c.transform && c.type != ColumnType::dense)
      throw Error(fmt::format("{}: columns[{}] ({}): a transform is set on a {} column (only dense columns have "
                              "one)",
                              where, i, c.name, column_type_name(c.type)));
  }
}

}  // namespace

void check_and_index(Schema& s, const std::string& where) {
  if (!safe_name(s.name))
    throw Error(fmt::format("{}: name '{}' is not usable (expected 1 to {} ASCII letters, digits, '_', '-' or "
                            "'.', not starting with '.' or '-')",
                            where, s.name, kMaxColumnNameBytes));
  check_separator_and_quote(s, where);
  check_columns(s, where);
  s.dense_columns.clear();
  s.cat_columns.clear();
  s.dense_names.clear();
  s.cat_names.clear();
  size_t labels = 0;
  for (size_t i = 0; i < s.columns.size(); ++i) {
    const SchemaColumn& c = s.columns[i];
    if (c.type == ColumnType::label) {
      s.label_column = i;
      ++labels;
    } else if (c.type == ColumnType::dense) {
      s.dense_columns.push_back(i);
      s.dense_names.push_back(c.name);
    } else if (c.type == ColumnType::categorical) {
      s.cat_columns.push_back(i);
      s.cat_names.push_back(c.name);
    }
  }
  if (labels != 1)
    throw Error(fmt::format("{}: {} label columns (expected exactly one column of type label)", where, labels));
  if (s.cat_columns.empty())
    throw Error(fmt::format("{}: no categorical column (expected at least one: every model embeds them)", where));
}

bool same_layout(const Schema& a, const Schema& b) {
  if (a.name != b.name || a.separator != b.separator || a.header != b.header || a.quote != b.quote ||
      a.columns.size() != b.columns.size())
    return false;
  for (size_t i = 0; i < a.columns.size(); ++i)
    if (a.columns[i].name != b.columns[i].name || a.columns[i].type != b.columns[i].type) return false;
  return true;
}

Schema with_dense_transforms(Schema s, DenseTransform fallback) {
  for (SchemaColumn& c : s.columns)
    if (c.type == ColumnType::dense && !c.transform) c.transform = fallback;
  return s;
}

std::vector<DenseTransform> dense_transforms(const Schema& s) {
  std::vector<DenseTransform> t;
  for (size_t col : s.dense_columns) {
    CTR_CHECK(s.columns[col].transform.has_value(), "dense column {} has no transform", s.columns[col].name);
    t.push_back(*s.columns[col].transform);
  }
  return t;
}

void write_schema_json(JsonWriter& w, const std::string& key, const Schema& s) {
  w.begin_object(key);
  w.value("name", s.name).value("separator", std::string(1, s.separator)).value("header", s.header);
  w.value("quote", s.quote ? std::string(1, s.quote) : std::string());
  w.begin_array("columns");
  for (const SchemaColumn& c : s.columns) {
    std::vector<std::pair<std::string, std::string>> fields = {{"name", c.name}, {"type", column_type_name(c.type)}};
    if (c.transform) fields.emplace_back("transform", dense_transform_name(*c.transform));
    w.flat_object("", fields);
  }
  w.end_array().end_object();
}

}  // namespace ctr
