// embedding_rows: see the header.
#include "support/embedding_rows.h"

#include <algorithm>

#include "core/rng.h"

namespace ctr::test {

std::vector<uint32_t> embedding_rows(size_t batch, const std::vector<uint32_t>& vocab, uint64_t seed,
                                     size_t* table_rows, double hot_share) {
  std::vector<uint32_t> offsets;
  uint32_t off = 0;
  for (uint32_t v : vocab) offsets.push_back(off), off += v;
  *table_rows = off;
  Rng rng(seed);
  std::vector<uint32_t> rows(batch * vocab.size());
  for (size_t b = 0; b < batch; ++b)
    for (size_t f = 0; f < vocab.size(); ++f) {
      const uint32_t v = vocab[f];
      // No draw for the share when it is 0, so uniform ids follow the seed as they always did.
      const bool hot = hot_share > 0 && rng.unit() < hot_share;
      const uint64_t id = hot ? rng.uniform(std::min<uint32_t>(v, 3)) : rng.uniform(v);
      rows[b * vocab.size() + f] = offsets[f] + static_cast<uint32_t>(id);
    }
  return rows;
}

}  // namespace ctr::test
