// Reads a Schema from YAML: a user's schema.yaml, a built-in schema's text, or the JSON object
// meta.json embeds. Every error names the source, the line and the key.
#include <yaml-cpp/yaml.h>

#include <initializer_list>

#include "core/error.h"
#include "core/fs_util.h"
#include "dataset/schema.h"

namespace ctr {
namespace {

class SchemaReader {
 public:
  explicit SchemaReader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& msg) const {
    const YAML::Mark m = at.Mark();
    const std::string where = m.is_null() ? source_ : fmt::format("{}:{}", source_, m.line + 1);
    throw Error(fmt::format("{}: {}: {}", where, key, msg));
  }

  // Refuses keys outside `allowed`: a misspelt key must not silently fall back to a default.
  void only_keys(const YAML::Node& map, const std::string& path, std::initializer_list<const char*> allowed) const {
    for (const auto& kv : map) {
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      bool known = false;
      std::string list;
      for (const char* a : allowed) {
        known = known || k == a;
        list += list.empty() ? a : std::string(", ") + a;
      }
      if (!known) fail(kv.first, path.empty() ? k : path + "." + k, fmt::format("unknown key (expected {})", list));
    }
  }

  std::string text(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected a string");
    return n.Scalar();
  }

  bool boolean(const YAML::Node& n, const std::string& key) const {
    const std::string v = n.IsScalar() ? n.Scalar() : "";
    if (v == "true") return true;
    if (v == "false") return false;
    fail(n, key, fmt::format("'{}' is not true or false", v));
  }

  // One byte, or a name for the invisible ones: "tab" (or "\t" in double quotes), "space".
  char separator(const YAML::Node& n) const {
    const std::string v = text(n, "separator");
    if (v == "tab" || v == "\t") return '\t';
    if (v == "space") return ' ';
    if (v.size() != 1) fail(n, "separator", fmt::format("'{}' is not one character (expected e.g. tab, ',' or ';')", v));
    return v[0];
  }

  char quote(const YAML::Node& n) const {
    const std::string v = text(n, "quote");
    if (v.empty() || v == "none") return 0;
    if (v.size() != 1) fail(n, "quote", fmt::format("'{}' is not one character (expected '\"', \"'\" or none)", v));
    return v[0];
  }

  SchemaColumn column(const YAML::Node& n, size_t i) const {
    const std::string key = fmt::format("columns[{}]", i);
    if (!n.IsMap()) fail(n, key, "expected a mapping such as {name: price, type: dense}");
    only_keys(n, key, {"name", "type", "transform"});
    SchemaColumn c;
    if (!n["name"]) fail(n, key, "missing key 'name'");
    c.name = text(n["name"], key + ".name");
    if (!n["type"]) fail(n, key, "missing key 'type' (label, dense, categorical or ignore)");
    const std::string type = text(n["type"], key + ".type");
    bool known = false;
    for (ColumnType t : {ColumnType::label, ColumnType::dense, ColumnType::categorical, ColumnType::ignore})
      if (type == column_type_name(t)) {
        c.type = t;
        known = true;
      }
    if (!known) fail(n["type"], key + ".type", fmt::format("'{}' is not a column type (expected label, dense, categorical or ignore)", type));
    if (n["transform"]) {
      try {
        c.transform = parse_dense_transform(text(n["transform"], key + ".transform"));
      } catch (const UsageError& e) {
        fail(n["transform"], key + ".transform", e.what());
      }
    }
    return c;
  }

  Schema read(const YAML::Node& root) const {
    if (!root.IsMap()) fail(root, "schema", "expected a mapping with keys name, separator, header, quote, columns");
    only_keys(root, "", {"name", "separator", "header", "quote", "columns"});
    Schema s;
    if (!root["name"]) fail(root, "name", "missing (the dataset's name, recorded in meta.json)");
    s.name = text(root["name"], "name");
    if (!root["separator"]) fail(root, "separator", "missing (expected e.g. tab, ',' or ';')");
    s.separator = separator(root["separator"]);
    if (root["header"]) s.header = boolean(root["header"], "header");
    if (root["quote"]) s.quote = quote(root["quote"]);
    const YAML::Node cols = root["columns"];
    if (!cols || !cols.IsSequence()) fail(cols ? cols : root, "columns", "missing or not a list of columns");
    for (size_t i = 0; i < cols.size(); ++i) s.columns.push_back(column(cols[i], i));
    check_and_index(s, source_);
    return s;
  }

 private:
  std::string source_;
};

}  // namespace

Schema schema_from_yaml(const YAML::Node& root, const std::string& source) { return SchemaReader(source).read(root); }

Schema parse_schema_text(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}:{}: not valid YAML: {}", source, e.mark.line + 1, e.msg));
  }
  return schema_from_yaml(root, source);
}

Schema load_schema_file(const std::string& path) {
  try {
    return parse_schema_text(read_text_file(path), path);
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(std::string(e.what()) + " (docs/schema.md describes the schema file)");
  }
}

}  // namespace ctr
