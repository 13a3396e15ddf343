// Backend selection (see backend_select.h).
#include "train/backend_select.h"

#include "backend/cpu_ops.h"
#include "core/error.h"

namespace ctr {

std::unique_ptr<Ops<float>> make_backend(DeviceChoice device, int threads) {
  if (device == DeviceChoice::cuda) {
    // The CUDA backend implements the same Ops<float> interface; until it lands, say so plainly
    // rather than silently training on the CPU.
    throw UsageError(
        "train.device: cuda is not available in this version of ctrtrain (the CUDA backend is "
        "not built yet); use train.device: cpu or auto (e.g. --set train.device=cpu)");
  }
  return std::make_unique<CpuOps<float>>(threads);
}

}  // namespace ctr
