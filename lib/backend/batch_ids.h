// The one check every backend runs on a host batch before it enters backend memory (each
// per-field id must lie inside its field's vocabulary, so the table can be indexed without bounds
// checks afterwards), and the host-side conversion the CPU backend stores batches with.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ctr {

class HostBatch;

// Throws ctr::Error naming the row, the field and the vocabulary size of the first bad id.
// field_offsets[F+1]: field f owns table rows [offsets[f], offsets[f+1]).
void check_batch_ids(const HostBatch& host, const uint64_t* field_offsets, size_t fields);

// check_batch_ids, then labels[B] and dense[B, Nd] as T and rows_idx[B, F] = offsets[f] + id: what
// CpuOps::load_batch writes into a batch and CpuResidentSplit::append into its split.
template <class T>
void convert_host_batch(const HostBatch& host, const uint64_t* field_offsets, T* labels, T* dense,
                        uint32_t* rows_idx);

}  // namespace ctr
