// embedding_rows: random embedding-table row indices for kernel tests, on the CPU and CUDA
// backends alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ctr::test {

// Row indices for `batch` samples over fields with these vocabulary sizes, as one table with
// field f's rows after field f-1's: [batch][fields], row-major; the table's total row count goes
// to *table_rows. hot_share: the fraction of ids drawn from each field's first 3 rows, so that
// rows repeat within a batch as skewed real ids do (0: uniform ids).
std::vector<uint32_t> embedding_rows(size_t batch, const std::vector<uint32_t>& vocab, uint64_t seed,
                                     size_t* table_rows, double hot_share = 0);

}  // namespace ctr::test
