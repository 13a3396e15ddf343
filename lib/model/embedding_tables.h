// EmbeddingTables: every field's rows in one d-dim table and one 1-dim linear ("wide") table,
// with per-field row offsets, so one gather serves all fields. Row of (field f, id) = offset[f] + id.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/ops.h"
#include "model/param.h"

namespace ctr {

// The first table row of each field, [F+1]: offsets[f] = sum of vocab_sizes[0..f), offsets[F] =
// all rows. What the ids of a batch are shifted by to become table rows (Ops::load_batch).
std::vector<uint64_t> field_row_offsets(const std::vector<uint64_t>& vocab_sizes);

template <class T>
class EmbeddingTables {
 public:
  // dim 0: no d-dim table (the lr model); linear false: no linear table (dlrm). max_batch bounds
  // the unique-row buffers.
  EmbeddingTables(MemorySpace& mem, const std::vector<uint64_t>& vocab_sizes, size_t dim, bool linear,
                  size_t max_batch);
  size_t fields() const { return vocab_sizes_.size(); }
  size_t dim() const { return dim_; }
  size_t rows() const { return rows_; }
  const std::vector<uint64_t>& vocab_sizes() const { return vocab_sizes_; }
  const uint64_t* field_offsets() const { return offsets_.data(); }  // host [F+1], offsets[F] = rows()

  // The tables' array names in checkpoints.
  static constexpr const char* kTableName = "table.embedding";
  static constexpr const char* kLinearName = "table.linear";

  Buffer<T> table;         // [rows, dim], N(0, init_stddev)
  Buffer<T> linear;        // [rows], zeros; empty without a linear table
  UniqueRows<T> unique;    // the last batch's distinct rows and their summed gradients

  // x [B, stride]: its first F*dim columns receive the batch's embeddings.
  void gather(Ops<T>& ops, const DeviceBatch<T>& batch, T* x, size_t stride) const;
  // d_x [B, stride]: gradient of the gathered embeddings (nullptr when dim == 0); d_linear [B]:
  // gradient of each sample's linear logit. Fills `unique`.
  void reduce(Ops<T>& ops, const DeviceBatch<T>& batch, const T* d_x, size_t stride, const T* d_linear);

 private:
  std::vector<uint64_t> vocab_sizes_;
  size_t dim_, rows_;
  std::vector<uint64_t> offsets_;
};

}  // namespace ctr
