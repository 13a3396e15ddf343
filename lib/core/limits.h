// Limits shared by every layer that checks them: readers, the config parser, the CLI, training.
#pragma once

#include <cstddef>

namespace ctr {

// The largest batch anything accepts, in rows (the readers, train.batch_size, `bench --points`).
constexpr size_t kMaxBatchSize = size_t{1} << 20;

}  // namespace ctr
