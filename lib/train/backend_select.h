// Picks the backend for `train.device` (auto | cpu | cuda) and the thread count.
#pragma once

#include <memory>

#include "backend/ops.h"
#include "config/train_config.h"

namespace ctr {

// Throws UsageError when the requested device cannot be used, saying what to do instead.
std::unique_ptr<Ops<float>> make_backend(DeviceChoice device, int threads);

}  // namespace ctr
