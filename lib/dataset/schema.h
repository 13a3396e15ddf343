// Schema: the layout of a raw input file (separator, header line, quoting, each column's type)
// and what preprocess makes of each column. The built-in Criteo and Avazu layouts
// (dataset/public_datasets.cpp) and a user's schema.yaml load through the same reader
// (dataset/schema_yaml.cpp); meta.json embeds the schema of its dataset. Format: docs/schema.md.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "dataset/dense_transform.h"

namespace ctr {

class JsonWriter;

enum class ColumnType { label, dense, categorical, ignore };
const char* column_type_name(ColumnType t);  // "label", "dense", "categorical", "ignore"

struct SchemaColumn {
  std::string name;
  ColumnType type = ColumnType::ignore;
  // Dense columns: how preprocess transforms the values. Unset, preprocess's --dense-transform
  // decides; the schema meta.json embeds has it set for every dense column.
  std::optional<DenseTransform> transform;
  bool operator==(const SchemaColumn& o) const {
    return name == o.name && type == o.type && transform == o.transform;
  }
};

// Limits a schema must keep (checked by check_and_index).
constexpr size_t kMaxSchemaColumns = 256;  // RowParser keeps one view per column on its stack
constexpr size_t kMaxColumnNameBytes = 64;

struct Schema {
  std::string name;       // recorded as meta.json's `dataset`: "criteo", "avazu", "clicks"
  char separator = '\t';
  bool header = false;    // every input file starts with a line naming the columns in order
  char quote = 0;         // 0: no quoting; else a value may be quoted with it (docs/schema.md)
  std::vector<SchemaColumn> columns;  // every column of the raw file, in file order

  // Set by check_and_index(): column positions by type, in file order, and their names.
  size_t label_column = 0;
  std::vector<size_t> dense_columns, cat_columns;
  std::vector<std::string> dense_names, cat_names;

  size_t num_dense() const { return dense_columns.size(); }
  size_t num_cat() const { return cat_columns.size(); }
  const std::string& label_name() const { return columns[label_column].name; }
  // The header line the schema expects: the column names joined by the separator.
  std::string header_line() const;
  // The layout and the name: two datasets with equal schemas read the same files the same way.
  bool operator==(const Schema& o) const {
    return name == o.name && separator == o.separator && header == o.header && quote == o.quote &&
           columns == o.columns;
  }
  bool operator!=(const Schema& o) const { return !(*this == o); }
};

// Checks the rules of docs/schema.md (a name, one label column, at least one categorical
// column, unique file-safe column names, a usable separator and quote) and fills the indexes.
// Throws ctr::Error "WHERE: what is wrong (what is expected)".
void check_and_index(Schema& s, const std::string& where);

// Equal but for the dense transforms: files that one reads, the other reads the same way.
bool same_layout(const Schema& a, const Schema& b);

// The schema with every dense column's transform set: unset ones get `fallback`.
Schema with_dense_transforms(Schema s, DenseTransform fallback);
// The dense columns' transforms, in dense_columns order; every one must be set.
std::vector<DenseTransform> dense_transforms(const Schema& s);

// Reads a schema from YAML (a schema.yaml file, or the JSON object meta.json embeds: JSON is YAML
// to yaml-cpp). Errors name `source`, the line and the key: "schema.yaml:7: columns[3].type: ...".
Schema schema_from_yaml(const YAML::Node& root, const std::string& source);
Schema parse_schema_text(const std::string& text, const std::string& source);
Schema load_schema_file(const std::string& path);
// Writes the schema as the JSON object `key` (meta.json's "schema"), which schema_from_yaml reads.
void write_schema_json(JsonWriter& w, const std::string& key, const Schema& s);

}  // namespace ctr
