// The two built-in dataset schemas, with the reference facts from docs/cowclip.md section 7.
#include "core/schema.h"

#include "core/error.h"

namespace ctr {
namespace {

Schema make_criteo() {
  Schema s;
  s.kind = DatasetKind::criteo;
  s.name = "criteo";
  s.label_column = "label";
  s.raw_columns.push_back("label");
  for (int i = 1; i <= 13; ++i) s.dense_names.push_back("I" + std::to_string(i));
  for (int i = 1; i <= 26; ++i) s.cat_names.push_back("C" + std::to_string(i));
  for (auto& n : s.dense_names) s.raw_columns.push_back(n);
  for (auto& n : s.cat_names) s.raw_columns.push_back(n);
  s.reference_cardinalities = {1460,  583,     10131227, 2202608, 305,    24,      12517,
                               633,   3,       93145,    5683,    8351593, 3194,   27,
                               14992, 5461306, 10,       5652,    2173,   4,       7046547,
                               18,    15,      286181,   105,     142572};
  s.reference_rows = 45840617;
  s.reference_positive_rate = 0.2562;
  return s;
}

Schema make_avazu() {
  Schema s;
  s.kind = DatasetKind::avazu;
  s.name = "avazu";
  s.label_column = "click";
  s.raw_columns = {"id",          "click",     "hour",       "C1",           "banner_pos",
                   "site_id",     "site_domain", "site_category", "app_id",  "app_domain",
                   "app_category", "device_id", "device_ip",  "device_model", "device_type",
                   "device_conn_type", "C14",   "C15",        "C16",          "C17",
                   "C18",         "C19",       "C20",        "C21"};
  for (size_t i = 2; i < s.raw_columns.size(); ++i) s.cat_names.push_back(s.raw_columns[i]);
  s.reference_cardinalities = {240,  7,       7,       4737, 7745, 26, 8552, 559,
                               36,   2686408, 6729486, 8251, 5,    4,  2626, 8,
                               9,    435,     4,       68,   172,  60};
  s.reference_rows = 40428967;
  s.reference_positive_rate = 0.1698;
  return s;
}

}  // namespace

const Schema& schema_for(DatasetKind kind) {
  static const Schema criteo = make_criteo();
  static const Schema avazu = make_avazu();
  return kind == DatasetKind::criteo ? criteo : avazu;
}

DatasetKind parse_dataset_kind(const std::string& name) {
  if (name == "criteo") return DatasetKind::criteo;
  if (name == "avazu") return DatasetKind::avazu;
  throw UsageError(fmt::format("unknown dataset '{}' (expected 'criteo' or 'avazu')", name));
}

}  // namespace ctr
