// check_batch_ids (see batch_ids.h).
#include "backend/batch_ids.h"

#include <fmt/format.h>

#include "core/error.h"
#include "reader/host_batch.h"

namespace ctr {

void check_batch_ids(const HostBatch& host, const uint64_t* field_offsets, size_t fields) {
  for (size_t b = 0; b < host.rows; ++b) {
    for (size_t f = 0; f < fields; ++f) {
      const uint32_t id = host.cat[b * fields + f];
      const uint64_t vocab = field_offsets[f + 1] - field_offsets[f];
      if (id >= vocab)
        throw Error(fmt::format("batch row {}: field {} has id {}, outside its vocabulary of {} ids (the data was "
                                "not encoded with this model's vocabulary)",
                                b, f, id, vocab));
    }
  }
}

}  // namespace ctr
