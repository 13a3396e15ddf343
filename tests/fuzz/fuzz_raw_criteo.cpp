// Fuzz target: a raw Criteo file (tab-separated, no header; plain, gzip or zstd) as preprocess reads it.
#include "fuzz/fuzz_support.h"
#include "fuzz/raw_lines.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctr::fuzz::parse_raw_file(ctr::public_dataset(ctr::DatasetKind::criteo).schema, data, size);
  return 0;
}
