// The memory planner: what a training run needs on its backend, computed before anything is
// allocated, and the check that refuses a run that cannot fit, naming what would make it fit.
// The sizes are exact for what training allocates up front (the model, the optimizer state, the
// batch and step buffers, an explicit data cache): they come from building those objects on
// SizingOps, not from a second formula. Scratch the backend takes while stepping (the CUDA sort
// space, cuBLAS workspaces, OpenMP stacks) is not in the plan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backend/ops.h"
#include "train/training_objects.h"

namespace ctr {

struct MemoryItem {
  std::string what;  // "embedding table [33762577, 10] fp32"
  uint64_t bytes = 0;
};

struct MemoryPlan {
  std::vector<MemoryItem> items;  // those of 0 bytes left out
  uint64_t total() const;
  std::string describe() const;  // "1.38 GiB: embedding table [...] 1.26 GiB, ..."
};

// The embedding tables of `table_rows` rows and their Adam moments (m and v, each as large as
// what it tracks), stored at `value_bytes` a value (4: fp32). One formula for `inspect --dim`,
// checked against what training allocates (tests/unit/test_memory_plan.cpp).
struct TableMemory {
  uint64_t table = 0;    // [rows, dim]
  uint64_t linear = 0;   // [rows], models with a linear part
  uint64_t moments = 0;  // Adam's m and v of both
  uint64_t total() const { return table + linear + moments; }
};
TableMemory table_memory(uint64_t table_rows, size_t dim, bool linear, size_t value_bytes);

// What `shape`'s objects take on `backend`, plus `cache_bytes` of split cache held in the same
// memory (0: none, or held elsewhere).
MemoryPlan plan_training_memory(Ops<float>& backend, const TrainingShape& shape, uint64_t cache_bytes);

// The bytes a plan must fit in, and where that number came from, for the message.
struct MemoryBudget {
  uint64_t bytes = 0;  // 0: unknown, nothing is checked
  std::string source;  // "train.memory_limit", "free on cuda (...)"
};

// Throws ctr::Error when the plan exceeds the budget, with the plan and the options that shrink
// it: a vocabulary cap, a smaller embedding_dim, a smaller batch, streaming instead of a cache.
void check_memory_plan(const MemoryPlan& plan, const MemoryBudget& budget);

}  // namespace ctr
