// Fuzz target: a schema file (docs/schema.md) and a raw file read with it, as `preprocess
// --schema` does: the schema reader with its checks, then any accepted layout's line parser
// (quoting included) on the bytes after the first NUL. What is accepted must survive being
// written as meta.json embeds it and read back.
#include <cstdlib>
#include <string>

#include "core/json_writer.h"
#include "dataset/schema.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/raw_lines.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = ctr::fuzz::as_text(data, size);
  const size_t nul = input.find('\0');
  const std::string schema_text(input.substr(0, nul));
  ctr::Schema schema;
  bool accepted = false;
  ctr::fuzz::run_input([&] {
    schema = ctr::parse_schema_text(schema_text, "schema.yaml");
    accepted = true;
  });
  if (!accepted) return 0;
  ctr::fuzz::run_input([&] {
    ctr::JsonWriter w;
    ctr::write_schema_json(w, "", schema);  // the document's top-level object
    const ctr::Schema again = ctr::parse_schema_text(w.str(), "meta.json");
    if (!(again == schema)) std::abort();  // meta.json must give back the schema it was given
  });
  if (nul == std::string_view::npos) return 0;
  const std::string_view raw = input.substr(nul + 1);
  ctr::fuzz::parse_raw_file(schema, reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
  return 0;
}
