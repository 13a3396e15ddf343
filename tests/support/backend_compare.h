// backend_compare: host-side checks of one backend's results against the CPU reference's, shared by
// the cuda tests (kept free of CUDA so any backend's test can use it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/ops.h"

namespace ctr::test {

// Every element: |got - want| <= rtol * (|want| + |mag[i]|) + atol (mag empty: 0); NaN fails. One
// CHECK per call; its message names the first failing index and the worst error / tolerance.
void check_close(const std::string& what, const std::vector<float>& got, const std::vector<float>& want,
                 const std::vector<float>& mag, double rtol, double atol = 0);

// A table update's parameters for the op tests: L2 1e-3, lr 1e-2 at step 3, and clip_mode 0 (off),
// 1 (the code bound) or 2 (the paper bound), whose lower bound of 0.01 lies above the tiny rows'
// norms (~1e-4) and below the others' (~0.1) in both modes.
TableUpdateParams table_params(size_t rows, size_t dim, bool dense, int clip_mode, double grad_scale = 1);

// Every element bit for bit (memcmp), so -0 against +0 or a changed NaN payload fails too.
void check_bits(const std::string& what, const std::vector<float>& got, const std::vector<float>& want);
void check_bits(const std::string& what, const std::vector<uint32_t>& got, const std::vector<uint32_t>& want);

// embedding_reduce's result on the host: `count` entries of each array.
struct HostUniqueRows {
  size_t count = 0;
  std::vector<uint32_t> rows, counts;
  std::vector<float> emb, lin;  // [count, dim], [count]
};
HostUniqueRows download_unique_rows(const UniqueRows<float>& u, size_t dim);
// The same entries ordered by row: the backends order unique rows differently by design.
HostUniqueRows sorted_by_row(const HostUniqueRows& r, size_t dim);

// got against want, both sorted by row: rows and counts exact, summed gradients within rtol of mag
// (the CPU's reduce of the absolute gradients, i.e. the sum of |terms|), counts summing to
// `occurrences` (B*F).
void check_unique_rows(const std::string& what, const HostUniqueRows& got, const HostUniqueRows& want,
                       const HostUniqueRows& mag, size_t occurrences, double rtol);

}  // namespace ctr::test
