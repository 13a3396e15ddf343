// CpuResidentSplit (see cpu_resident_split.h).
#include "backend/cpu_resident_split.h"

#include <fmt/format.h>

#include "backend/batch_ids.h"
#include "core/error.h"
#include "reader/host_batch.h"

namespace ctr {

void check_resident_append(const HostBatch& host, uint64_t filled, uint64_t capacity, size_t num_dense,
                           size_t num_fields) {
  CTR_CHECK(host.num_dense() == num_dense && host.num_cat() == num_fields,
            "batch with {} dense values and {} fields appended to a resident split of {} and {}", host.num_dense(),
            host.num_cat(), num_dense, num_fields);
  if (filled + host.rows > capacity)
    throw Error(fmt::format("the split holds more rows than its meta.json says ({} expected); the dataset "
                            "directory changed while training started; run `ctrtrain inspect --verify` on it",
                            capacity));
}

void check_resident_gather(const IndexPermutation& order, uint64_t first, size_t count, uint64_t filled,
                           size_t batch_capacity) {
  CTR_CHECK(order.n == filled && first + count <= filled && count <= batch_capacity,
            "gather of rows [{}, {}) from an order over {} rows, split of {}, batch capacity {}", first,
            first + count, order.n, filled, batch_capacity);
}

template <class T>
CpuResidentSplit<T>::CpuResidentSplit(MemorySpace& mem, uint64_t rows, size_t num_dense, size_t num_fields)
    : capacity_(rows), nd_(num_dense), nf_(num_fields), labels_(mem, rows), dense_(mem, rows * num_dense),
      rows_idx_(mem, rows * num_fields) {}

template <class T>
void CpuResidentSplit<T>::append(const HostBatch& host, const uint64_t* field_offsets_host) {
  check_resident_append(host, filled_, capacity_, nd_, nf_);
  convert_host_batch(host, field_offsets_host, labels_.data() + filled_, dense_.data() + filled_ * nd_,
                     rows_idx_.data() + filled_ * nf_);
  filled_ += host.rows;
}

template <class T>
void CpuResidentSplit<T>::gather(const IndexPermutation& order, uint64_t first, size_t count, DeviceBatch<T>& out) {
  check_resident_gather(order, first, count, filled_, out.capacity);
  CTR_CHECK(out.num_dense == nd_ && out.num_fields == nf_, "batch shape ({}, {}) differs from the split's ({}, {})",
            out.num_dense, out.num_fields, nd_, nf_);
  out.rows = count;
  const T* labels = labels_.data();
  const T* dense = dense_.data();
  const uint32_t* rows = rows_idx_.data();
#pragma omp parallel for schedule(static) if (count >= 4096)
  for (size_t b = 0; b < count; ++b) {
    const uint64_t src = order(first + b);
    out.labels.data()[b] = labels[src];
    for (size_t j = 0; j < nd_; ++j) out.dense.data()[b * nd_ + j] = dense[src * nd_ + j];
    for (size_t f = 0; f < nf_; ++f) out.rows_idx.data()[b * nf_ + f] = rows[src * nf_ + f];
  }
}

template class CpuResidentSplit<float>;
template class CpuResidentSplit<double>;

}  // namespace ctr
