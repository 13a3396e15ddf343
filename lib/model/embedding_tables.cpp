// EmbeddingTables (see embedding_tables.h).
#include "model/embedding_tables.h"

#include <limits>

#include <fmt/format.h>

#include "core/error.h"

namespace ctr {
namespace {
uint64_t total_rows(const std::vector<uint64_t>& vocab) {
  uint64_t n = 0;
  for (uint64_t v : vocab) n += v;
  // Rows are addressed with uint32 on every backend.
  if (n > std::numeric_limits<uint32_t>::max())
    throw Error(fmt::format("the vocabulary has {} rows in all; ctrtrain supports up to {} (raise "
                            "`preprocess --min-count` to drop rare values)",
                            n, std::numeric_limits<uint32_t>::max()));
  return n;
}
}  // namespace

std::vector<uint64_t> field_row_offsets(const std::vector<uint64_t>& vocab_sizes) {
  std::vector<uint64_t> offsets;
  uint64_t off = 0;
  for (uint64_t v : vocab_sizes) {
    offsets.push_back(off);
    off += v;
  }
  offsets.push_back(off);
  return offsets;
}

template <class T>
EmbeddingTables<T>::EmbeddingTables(MemorySpace& mem, const std::vector<uint64_t>& vocab_sizes, size_t dim,
                                    bool linear_table, size_t max_batch)
    : table(mem, total_rows(vocab_sizes) * dim),
      linear(mem, linear_table ? total_rows(vocab_sizes) : 0),
      unique(mem, max_batch * vocab_sizes.size(), dim),
      vocab_sizes_(vocab_sizes),
      dim_(dim),
      rows_(total_rows(vocab_sizes)),
      offsets_(field_row_offsets(vocab_sizes)) {}

template <class T>
void EmbeddingTables<T>::gather(Ops<T>& ops, const DeviceBatch<T>& batch, T* x, size_t stride) const {
  if (dim_ == 0) return;
  ops.embedding_gather(table.data(), batch.rows_idx.data(), batch.rows, fields(), dim_, x, stride);
}

template <class T>
void EmbeddingTables<T>::reduce(Ops<T>& ops, const DeviceBatch<T>& batch, const T* d_x, size_t stride,
                                const T* d_linear) {
  EmbeddingReduceParams p;
  p.batch = batch.rows;
  p.fields = fields();
  p.dim = dim_;
  p.table_rows = rows_;
  p.grad_stride = stride;
  ops.embedding_reduce(p, batch.rows_idx.data(), d_x, d_linear, unique);
}

template class EmbeddingTables<float>;
template class EmbeddingTables<double>;

}  // namespace ctr
