// Fuzz target: a dataset's meta.json (docs/dataset-format.md), read with all its consistency
// checks; what is accepted must also survive being written back and read again.
#include <cstdio>
#include <cstdlib>

#include "core/error.h"
#include "dataset/dataset_meta.h"
#include "fuzz/fuzz_support.h"

namespace {

uint64_t shard_rows(const ctr::DatasetMeta& meta) {
  uint64_t rows = 0;
  for (const char* name : ctr::kSplitNames)
    for (uint64_t r : meta.split(name).shard_rows) rows += r;
  return rows;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string dir = ctr::fuzz::scratch_dir() + "/dataset";
  ctr::fuzz::write_scratch("dataset/meta.json", ctr::fuzz::as_text(data, size));
  return ctr::fuzz::run_input([&] {
    const ctr::DatasetMeta meta = ctr::read_meta(dir);
    if (!meta.checked()) return;
    // An accepted meta.json describes a dataset whose row counts add up (read_meta's promise).
    if (shard_rows(meta) != meta.total_rows()) std::abort();
    ctr::fuzz::write_scratch("dataset/meta.json", ctr::reseal_meta_json(ctr::meta_to_json(meta)));
    try {
      const ctr::DatasetMeta again = ctr::read_meta(dir);
      if (again.total_rows() != meta.total_rows() || again.vocab_sizes != meta.vocab_sizes) std::abort();
    } catch (const ctr::Error& e) {
      std::fprintf(stderr, "fuzz finding: meta.json written from an accepted one is refused: %s\n", e.what());
      std::abort();
    }
  });
}
