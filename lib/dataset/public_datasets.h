// The public datasets ctrtrain knows: their raw layouts (built-in schemas, read from YAML text by
// the same reader as a user's schema.yaml) and the published facts `synth` imitates
// (docs/cowclip.md section 7).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataset/schema.h"

namespace ctr {

enum class DatasetKind { criteo, avazu, criteo1tb };

struct PublicDataset {
  DatasetKind kind;
  std::string name;  // "criteo", "avazu", "criteo1tb"
  Schema schema;     // the layout's name: "criteo" for both Criteo datasets (the same row format)
  std::string schema_text;  // the YAML the schema was read from (docs/schema.md prints it)
  // Distinct values per categorical field in the full public dataset, "missing" included.
  std::vector<uint64_t> reference_cardinalities;
  uint64_t reference_rows = 0;
  double reference_positive_rate = 0;  // criteo1tb: not published; Kaggle's (docs/cowclip.md 7.4)
  double default_test_ratio = 0.1;  // the CowClip reference's random split (docs/cowclip.md 7.3)
};

const PublicDataset& public_dataset(DatasetKind kind);
// The public dataset whose built-in schema `s` is (criteo or avazu: criteo1tb shares criteo's
// layout), or null (a user's own schema).
const PublicDataset* public_dataset_with_schema(const Schema& s);
// Throws UsageError naming the allowed values.
DatasetKind parse_dataset_kind(const std::string& name);  // "criteo", "avazu", "criteo1tb"

}  // namespace ctr
