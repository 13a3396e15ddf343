// Dataset schemas: the column layout of raw Criteo and Avazu files and their reference sizes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ctr {

enum class DatasetKind { criteo, avazu };

struct Schema {
  DatasetKind kind;
  std::string name;                     // "criteo" | "avazu"
  std::vector<std::string> raw_columns;  // every column of the raw file, in file order
  std::string label_column;              // "label" | "click"
  std::vector<std::string> dense_names;  // I1..I13 for Criteo, none for Avazu
  std::vector<std::string> cat_names;    // C1..C26 for Criteo, the 22 Avazu columns
  // Distinct values per categorical field in the full public dataset, "missing" included
  // (docs/cowclip.md section 7). Used by `synth` and to sanity-check real preprocessing.
  std::vector<uint64_t> reference_cardinalities;
  uint64_t reference_rows;
  double reference_positive_rate;

  size_t num_dense() const { return dense_names.size(); }
  size_t num_cat() const { return cat_names.size(); }
};

const Schema& schema_for(DatasetKind kind);
// Throws UsageError naming the allowed values.
DatasetKind parse_dataset_kind(const std::string& name);

}  // namespace ctr
