// Fuzz target: a `.ctrs` shard file (docs/shard-format.md), opened and decoded in full as
// `inspect --verify` does, every id checked against a vocabulary size.
#include "fuzz/fuzz_support.h"
#include "shard/shard_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ctr::fuzz::write_scratch("part-00000.ctrs", ctr::fuzz::as_text(data, size));
  return ctr::fuzz::run_input([&] {
    const ctr::ShardReader reader(path);
    ctr::ShardIdLimits limits;
    for (uint32_t f = 0; f < reader.num_cat(); ++f) {
      limits.fields.push_back("C" + std::to_string(f + 1));
      limits.vocab_sizes.push_back(1000);
    }
    const ctr::ShardVerifyResult r = ctr::verify_shard(reader, limits);
    if (r.rows != reader.num_rows() || r.positives > r.rows) std::abort();  // what verify counted must add up
  });
}
