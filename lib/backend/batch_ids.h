// The one check every backend runs on a host batch before it enters backend memory: each
// per-field id must lie inside its field's vocabulary, so the table can be indexed without bounds
// checks afterwards.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ctr {

class HostBatch;

// Throws ctr::Error naming the row, the field and the vocabulary size of the first bad id.
// field_offsets[F+1]: field f owns table rows [offsets[f], offsets[f+1]).
void check_batch_ids(const HostBatch& host, const uint64_t* field_offsets, size_t fields);

}  // namespace ctr
