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

template <class T>
void convert_host_batch(const HostBatch& host, const uint64_t* field_offsets, T* labels, T* dense,
                        uint32_t* rows_idx) {
  const size_t nd = host.num_dense(), nf = host.num_cat();
  check_batch_ids(host, field_offsets, nf);
  for (size_t b = 0; b < host.rows; ++b) labels[b] = static_cast<T>(host.labels[b]);
  for (size_t i = 0; i < host.rows * nd; ++i) dense[i] = static_cast<T>(host.dense[i]);
  for (size_t b = 0; b < host.rows; ++b)  // nested, not i % nf: this runs per training step
    for (size_t f = 0; f < nf; ++f)
      rows_idx[b * nf + f] = static_cast<uint32_t>(field_offsets[f] + host.cat[b * nf + f]);
}

template void convert_host_batch<float>(const HostBatch&, const uint64_t*, float*, float*, uint32_t*);
template void convert_host_batch<double>(const HostBatch&, const uint64_t*, double*, double*, uint32_t*);

}  // namespace ctr
