// The built-in schemas of Criteo and Avazu and their reference facts (docs/cowclip.md section 7).
#include "dataset/public_datasets.h"

#include "core/error.h"

namespace ctr {
namespace {

// Criteo Kaggle train.txt: tab-separated, no header; label, 13 integer columns, 26 hashes.
std::string criteo_schema_text() {
  std::string t = "name: criteo\nseparator: tab\nheader: false\ncolumns:\n  - {name: label, type: label}\n";
  for (int i = 1; i <= 13; ++i) t += "  - {name: I" + std::to_string(i) + ", type: dense}\n";
  for (int i = 1; i <= 26; ++i) t += "  - {name: C" + std::to_string(i) + ", type: categorical}\n";
  return t;
}

// Avazu train: CSV with a header; `id` unused, `click` the label, the other 22 categorical.
std::string avazu_schema_text() {
  std::string t = "name: avazu\nseparator: ','\nheader: true\ncolumns:\n  - {name: id, type: ignore}\n"
                  "  - {name: click, type: label}\n";
  for (const char* c : {"hour", "C1", "banner_pos", "site_id", "site_domain", "site_category", "app_id", "app_domain",
                        "app_category", "device_id", "device_ip", "device_model", "device_type", "device_conn_type",
                        "C14", "C15", "C16", "C17", "C18", "C19", "C20", "C21"})
    t += std::string("  - {name: ") + c + ", type: categorical}\n";
  return t;
}

PublicDataset make_criteo() {
  PublicDataset d;
  d.kind = DatasetKind::criteo;
  d.name = "criteo";
  d.schema_text = criteo_schema_text();
  d.schema = parse_schema_text(d.schema_text, "built-in schema criteo");
  d.reference_cardinalities = {1460,  583,     10131227, 2202608, 305,    24,      12517,
                               633,   3,       93145,    5683,    8351593, 3194,   27,
                               14992, 5461306, 10,       5652,    2173,   4,       7046547,
                               18,    15,      286181,   105,     142572};
  d.reference_rows = 45840617;
  d.reference_positive_rate = 0.2562;
  d.default_test_ratio = 0.1;
  return d;
}

PublicDataset make_avazu() {
  PublicDataset d;
  d.kind = DatasetKind::avazu;
  d.name = "avazu";
  d.schema_text = avazu_schema_text();
  d.schema = parse_schema_text(d.schema_text, "built-in schema avazu");
  d.reference_cardinalities = {240,  7,       7,       4737, 7745, 26, 8552, 559,
                               36,   2686408, 6729486, 8251, 5,    4,  2626, 8,
                               9,    435,     4,       68,   172,  60};
  d.reference_rows = 40428967;
  d.reference_positive_rate = 0.1698;
  d.default_test_ratio = 0.2;
  return d;
}

// Criteo 1TB Click Logs: 24 day files in the Kaggle row format (docs/cowclip.md 7.4). Per-field
// counts as TorchRec's DLRM example sizes its tables for the whole dataset (177,944,275 in all).
PublicDataset make_criteo1tb() {
  PublicDataset d = make_criteo();
  d.kind = DatasetKind::criteo1tb;
  d.name = "criteo1tb";
  d.reference_cardinalities = {45833188, 36746, 17245,    7413,     20243,    3,      7114,  1441,  62,
                               29275261, 1572176, 345138, 10,       2209,     11267,  128,   4,     974,
                               14,       48937457, 11316796, 40094537, 452104, 12606, 104,   35};
  d.reference_rows = 4373472329;  // days 0-22: 4,195,197,692; day 23: 178,274,637
  d.reference_positive_rate = 0.2562;
  return d;
}

}  // namespace

const PublicDataset& public_dataset(DatasetKind kind) {
  static const PublicDataset criteo = make_criteo();
  static const PublicDataset avazu = make_avazu();
  static const PublicDataset criteo1tb = make_criteo1tb();
  switch (kind) {
    case DatasetKind::criteo: return criteo;
    case DatasetKind::avazu: return avazu;
    case DatasetKind::criteo1tb: return criteo1tb;
  }
  return criteo;
}

const PublicDataset* public_dataset_with_schema(const Schema& s) {
  for (DatasetKind k : {DatasetKind::criteo, DatasetKind::avazu}) {
    const PublicDataset& d = public_dataset(k);
    if (same_layout(s, d.schema)) return &d;  // transforms aside: --dense-transform sets them
  }
  return nullptr;
}

DatasetKind parse_dataset_kind(const std::string& name) {
  if (name == "criteo") return DatasetKind::criteo;
  if (name == "avazu") return DatasetKind::avazu;
  if (name == "criteo1tb") return DatasetKind::criteo1tb;
  throw UsageError(fmt::format("unknown dataset '{}' (expected criteo, avazu or criteo1tb)", name));
}

}  // namespace ctr
