// CudaResidentSplit (see cuda_resident_split.h): the upload and the permuted batch gather.
#include "cuda/cuda_resident_split.h"

#include <algorithm>

#include "backend/batch_ids.h"
#include "backend/cpu_resident_split.h"
#include "cuda/cuda_batch.h"
#include "cuda/cuda_check.h"
#include "reader/host_batch.h"

namespace ctr::cuda {

namespace {

// One thread per (batch row, column) over the row's label, Nd dense values and F rows, so a row's
// columns are read by neighbouring threads.
__global__ void gather_kernel(IndexPermutation order, uint64_t first, size_t count, size_t nd, size_t nf,
                              const float* labels, const float* dense, const uint32_t* rows, float* out_labels,
                              float* out_dense, uint32_t* out_rows) {
  const size_t cols = 1 + nd + nf;
  const size_t total = count * cols;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += size_t(gridDim.x) * blockDim.x) {
    const size_t b = i / cols, c = i % cols;
    const uint64_t src = order(first + b);
    if (c == 0) {
      out_labels[b] = labels[src];
    } else if (c <= nd) {
      out_dense[b * nd + (c - 1)] = dense[src * nd + (c - 1)];
    } else {
      out_rows[b * nf + (c - 1 - nd)] = rows[src * nf + (c - 1 - nd)];
    }
  }
}

}  // namespace

CudaResidentSplit::CudaResidentSplit(cudaStream_t stream, uint64_t rows, size_t num_dense, size_t num_fields)
    : stream_(stream), capacity_(rows), nd_(num_dense), nf_(num_fields) {
  labels_.ensure(std::max<uint64_t>(rows, 1));
  dense_.ensure(std::max<uint64_t>(rows * num_dense, 1));
  rows_idx_.ensure(std::max<uint64_t>(rows * num_fields, 1));
  offsets_.ensure(num_fields + 1);
}

void CudaResidentSplit::append(const HostBatch& host, const uint64_t* field_offsets_host) {
  check_resident_append(host, filled_, capacity_, nd_, nf_);
  check_batch_ids(host, field_offsets_host, nf_);
  if (host.rows == 0) return;
  // Pageable copies return once the host buffer has been read, so the reader may reuse it.
  CTR_CUDA_CHECK(cudaMemcpyAsync(offsets_.data(), field_offsets_host, (nf_ + 1) * sizeof(uint64_t),
                                 cudaMemcpyHostToDevice, stream_));
  BatchUpload u;
  u.labels = host.labels;
  u.dense = host.dense;
  u.ids = host.cat;
  u.rows = host.rows;
  u.num_dense = nd_;
  u.num_fields = nf_;
  u.offsets = offsets_.data();
  u.raw_ids = raw_ids_.ensure(host.rows * nf_);
  u.labels_out = labels_.data() + filled_;
  u.dense_out = dense_.data() + filled_ * nd_;
  u.rows_out = rows_idx_.data() + filled_ * nf_;
  upload_batch(stream_, u);
  // raw_ids_ and offsets_ are reused by the next append: let this one's kernel finish first.
  CTR_WAIT_FOR_STREAM(stream_);
  filled_ += host.rows;
}

void CudaResidentSplit::gather(const IndexPermutation& order, uint64_t first, size_t count, DeviceBatch<float>& out) {
  check_resident_gather(order, first, count, filled_, out.capacity);
  CTR_CHECK(out.num_dense == nd_ && out.num_fields == nf_, "batch shape ({}, {}) differs from the split's ({}, {})",
            out.num_dense, out.num_fields, nd_, nf_);
  out.rows = count;
  if (count == 0) return;
  const size_t total = count * (1 + nd_ + nf_);
  const int blocks = static_cast<int>(std::min<size_t>((total + 255) / 256, 8192));
  gather_kernel<<<blocks, 256, 0, stream_>>>(order, first, count, nd_, nf_, labels_.data(), dense_.data(),
                                              rows_idx_.data(), out.labels.data(), out.dense.data(),
                                              out.rows_idx.data());
  CTR_CUDA_CHECK_LAUNCH();
}

}  // namespace ctr::cuda
