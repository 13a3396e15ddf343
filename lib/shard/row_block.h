// RowBlock: a run of preprocessed rows in host memory, row-major; what shards store and return.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ctr {

struct RowBlock {
  size_t num_dense = 0;
  size_t num_cat = 0;
  std::vector<float> labels;   // [rows], 0 or 1
  std::vector<float> dense;    // [rows * num_dense], row-major, already transformed
  std::vector<uint32_t> cat;   // [rows * num_cat], row-major, per-field ids in [0, vocab_size_f)

  RowBlock() = default;
  RowBlock(size_t nd, size_t nc) : num_dense(nd), num_cat(nc) {}

  size_t rows() const { return labels.size(); }
  void clear() { labels.clear(); dense.clear(); cat.clear(); }
  void reserve(size_t rows) {
    labels.reserve(rows);
    dense.reserve(rows * num_dense);
    cat.reserve(rows * num_cat);
  }
  // Appends rows [begin, begin+count) of `other` (same schema).
  void append(const RowBlock& other, size_t begin, size_t count) {
    labels.insert(labels.end(), other.labels.begin() + begin, other.labels.begin() + begin + count);
    dense.insert(dense.end(), other.dense.begin() + begin * num_dense,
                 other.dense.begin() + (begin + count) * num_dense);
    cat.insert(cat.end(), other.cat.begin() + begin * num_cat,
               other.cat.begin() + (begin + count) * num_cat);
  }
};

}  // namespace ctr
