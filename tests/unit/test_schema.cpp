// Unit tests for schemas (docs/schema.md): the built-in layouts and the shipped schema files,
// every rule the reader enforces with the message it gives, and the JSON form meta.json embeds.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/json_writer.h"
#include "dataset/public_datasets.h"
#include "dataset/schema.h"
#include "support/test_util.h"

using namespace ctr;
using Catch::Matchers::Contains;
using ctr::test::error_of;

namespace {

std::string shipped(const std::string& name) { return ctr::test::source_dir() + "/configs/schemas/" + name; }

const char* const kGood =
    "name: clicks\n"
    "separator: ','\n"
    "columns:\n"
    "  - {name: id, type: ignore}\n"
    "  - {name: y, type: label}\n"
    "  - {name: price, type: dense, transform: log}\n"
    "  - {name: user, type: categorical}\n";

}  // namespace

TEST_CASE("the built-in schemas are the shipped schema files", "[schema]") {
  // configs/schemas/ is what users copy from; it must not drift from what --dataset reads.
  CHECK(load_schema_file(shipped("criteo.yaml")) == public_dataset(DatasetKind::criteo).schema);
  CHECK(load_schema_file(shipped("avazu.yaml")) == public_dataset(DatasetKind::avazu).schema);
  const Schema& criteo = public_dataset(DatasetKind::criteo).schema;
  CHECK(criteo.separator == '\t');
  CHECK_FALSE(criteo.header);
  CHECK(criteo.label_column == 0);
  CHECK(criteo.num_dense() == 13);
  CHECK(criteo.cat_names.front() == "C1");
  CHECK(criteo.cat_columns.front() == 14);
  const Schema& avazu = public_dataset(DatasetKind::avazu).schema;
  CHECK(avazu.header);
  CHECK(avazu.label_column == 1);
  CHECK(avazu.num_dense() == 0);
  CHECK(avazu.num_cat() == 22);
  CHECK(avazu.header_line().rfind("id,click,hour,C1,", 0) == 0);
}

TEST_CASE("a schema file: indexes by type, transforms, which public dataset it is", "[schema]") {
  const Schema s = load_schema_file(shipped("example_clicks.yaml"));
  CHECK(s.name == "clicks");
  CHECK(s.header);
  CHECK(s.quote == '"');
  CHECK(s.label_column == 1);
  CHECK(s.dense_columns == std::vector<size_t>{2, 3});
  CHECK(s.cat_names == std::vector<std::string>{"user", "ad", "city"});
  CHECK(s.columns[2].transform == DenseTransform::log);
  CHECK_FALSE(s.columns[3].transform.has_value());
  CHECK(dense_transforms(with_dense_transforms(s, DenseTransform::none)) ==
        std::vector<DenseTransform>{DenseTransform::log, DenseTransform::none});
  CHECK(public_dataset_with_schema(s) == nullptr);
  const Schema criteo = with_dense_transforms(public_dataset(DatasetKind::criteo).schema, DenseTransform::log);
  REQUIRE(public_dataset_with_schema(criteo) != nullptr);
  CHECK(public_dataset_with_schema(criteo)->kind == DatasetKind::criteo);
}

TEST_CASE("the schema meta.json embeds reads back equal", "[schema]") {
  for (const Schema& s : {with_dense_transforms(load_schema_file(shipped("example_clicks.yaml")), DenseTransform::minmax),
                          public_dataset(DatasetKind::avazu).schema,
                          with_dense_transforms(public_dataset(DatasetKind::criteo).schema, DenseTransform::log)}) {
    JsonWriter w;
    write_schema_json(w, "", s);
    CHECK(parse_schema_text(w.str(), "meta.json") == s);
  }
}

TEST_CASE("separators and quotes by name or by character", "[schema]") {
  auto with = [](const std::string& lines) {
    return parse_schema_text("name: t\n" + lines + "columns: [{name: y, type: label}, {name: c, type: categorical}]\n",
                             "s.yaml");
  };
  CHECK(with("separator: tab\n").separator == '\t');
  CHECK(with("separator: \"\\t\"\n").separator == '\t');
  CHECK(with("separator: space\n").separator == ' ');
  CHECK(with("separator: '|'\n").separator == '|');
  CHECK(with("separator: ';'\nquote: \"'\"\n").quote == '\'');
  CHECK(with("separator: ';'\nquote: none\n").quote == 0);
  CHECK(with("separator: ';'\n").quote == 0);
}

TEST_CASE("bad schemas are refused with the line, the key and what is expected", "[schema]") {
  const std::string cols = "columns: [{name: y, type: label}, {name: c, type: categorical}]\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "s.yaml: schema: expected a mapping"},
      {"name: [unclosed\n", "not valid YAML"},
      {"separator: ','\n" + cols, "name: missing"},
      {"name: t\n" + cols, "separator: missing"},
      {"name: t\nseparator: ','\n", "columns: missing or not a list"},
      {"name: t\nseparator: ','\ncolumns: 3\n", "s.yaml:3: columns: missing or not a list"},
      {"name: t\nseprator: ','\n" + cols, "s.yaml:2: seprator: unknown key (expected name, separator, header, quote, columns)"},
      {"name: t\nseparator: ',,'\n" + cols, "separator: ',,' is not one character"},
      {"name: t\nseparator: x\n" + cols, "separator is byte 0x78 (expected tab or one printable ASCII character"},
      {"name: t\nseparator: \"'\"\nquote: \"'\"\n" + cols, "quote and separator are both '''"},
      {"name: t\nseparator: ','\nquote: '*'\n" + cols, "quote is '*'"},
      {"name: t\nseparator: ','\nheader: yes\n" + cols, "s.yaml:3: header: 'yes' is not true or false"},
      {"name: my data\nseparator: ','\n" + cols, "name 'my data' is not usable"},
      {"name: t\nseparator: ','\ncolumns: [{name: y, type: label}]\n", "no categorical column"},
      {"name: t\nseparator: ','\ncolumns: [{name: c, type: categorical}]\n", "0 label columns"},
      {"name: t\nseparator: ','\ncolumns: [{name: y, type: label}, {name: z, type: label}, {name: c, type: categorical}]\n",
       "2 label columns"},
      {"name: t\nseparator: ','\ncolumns:\n  - {name: y, type: label}\n  - {name: c, type: categorical}\n"
       "  - {name: C, type: categorical}\n",
       "columns[2]: name 'C' is used twice"},
      {"name: t\nseparator: ','\ncolumns:\n  - {name: y, type: label}\n  - {name: ../c, type: categorical}\n",
       "columns[1]: name '../c' is not usable"},
      {"name: t\nseparator: ','\ncolumns:\n  - {name: y, type: label}\n  - {name: c, type: dens}\n",
       "s.yaml:5: columns[1].type: 'dens' is not a column type (expected label, dense, categorical or ignore)"},
      {"name: t\nseparator: ','\ncolumns:\n  - {name: y, type: label}\n  - {name: c}\n", "s.yaml:5: columns[1]: missing key 'type'"},
      {"name: t\nseparator: ','\ncolumns:\n  - {name: y, type: label}\n  - {name: c, type: categorical, size: 3}\n",
       "columns[1].size: unknown key (expected name, type, transform)"},
      {"name: t\nseparator: ','\ncolumns:\n  - {name: y, type: label}\n  - {name: c, type: categorical, transform: log}\n",
       "columns[1] (c): a transform is set on a categorical column"},
      {"name: t\nseparator: ','\ncolumns:\n  - {name: y, type: label}\n  - {name: d, type: dense, transform: sqrt}\n"
       "  - {name: c, type: categorical}\n",
       "s.yaml:5: columns[1].transform: unknown dense transform 'sqrt' (expected minmax, log or none)"},
      {"name: t\nseparator: ','\ncolumns:\n  - [y, label]\n", "columns[0]: expected a mapping"},
  };
  for (const auto& c : cases) {
    INFO(c.first);
    CHECK_THAT(error_of([&] { parse_schema_text(c.first, "s.yaml"); }), Contains(c.second));
  }
}

TEST_CASE("schema limits: column count and name length", "[schema]") {
  std::string many = "name: t\nseparator: ','\ncolumns:\n  - {name: y, type: label}\n";
  for (size_t i = 1; i < kMaxSchemaColumns; ++i) many += "  - {name: c" + std::to_string(i) + ", type: categorical}\n";
  CHECK(parse_schema_text(many, "s.yaml").columns.size() == kMaxSchemaColumns);
  many += "  - {name: extra, type: ignore}\n";
  CHECK_THAT(error_of([&] { parse_schema_text(many, "s.yaml"); }), Contains("257 columns (expected 1 to 256)"));
  const std::string long_name(kMaxColumnNameBytes + 1, 'a');
  CHECK_THAT(error_of([&] {
               parse_schema_text("name: t\nseparator: ','\ncolumns: [{name: y, type: label}, {name: " + long_name +
                                     ", type: categorical}]\n",
                                 "s.yaml");
             }),
             Contains("is not usable (expected 1 to 64 ASCII letters"));
}

TEST_CASE("a schema file that is missing or bad is a usage error naming the file", "[schema]") {
  ctr::test::ScratchDir tmp("schema-file");
  CHECK_THROWS_AS(load_schema_file(tmp / "nope.yaml"), Error);
  CHECK_THAT(error_of([&] { load_schema_file(tmp / "nope.yaml"); }), Contains("nope.yaml"));
  ctr::test::write_file(tmp / "bad.yaml", std::string(kGood) + "  - {name: y, type: label}\n");
  CHECK_THROWS_AS(load_schema_file(tmp / "bad.yaml"), UsageError);
  CHECK_THAT(error_of([&] { load_schema_file(tmp / "bad.yaml"); }),
             Contains("bad.yaml: columns[4]: name 'y' is used twice") && Contains("docs/schema.md"));
}
