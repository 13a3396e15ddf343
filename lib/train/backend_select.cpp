// Backend selection (see backend_select.h).
#include "train/backend_select.h"

#include "backend/cpu_ops.h"
#include "core/error.h"

#if defined(CTR_WITH_CUDA)
#include "cuda/cuda_ops.h"
#include "cuda/device_info.h"
#endif

namespace ctr {

bool cuda_available() {
#if defined(CTR_WITH_CUDA)
  return cuda::device_count() > 0;
#else
  return false;
#endif
}

bool chooses_cuda(DeviceChoice device) {
  return device == DeviceChoice::cuda || (device == DeviceChoice::automatic && cuda_available());
}

std::unique_ptr<Ops<float>> make_backend(const BackendOptions& o) {
  if (chooses_cuda(o.device)) {
#if defined(CTR_WITH_CUDA)
    if (!cuda_available())
      throw UsageError("train.device: cuda, but no usable CUDA device was found (CUDA devices: " +
                       cuda::device_summary() + "); use train.device: cpu or auto (e.g. --set train.device=cpu)");
    cuda::CudaOptions co;
    co.tf32 = o.precision == Precision::tf32;
    return std::make_unique<cuda::CudaOps>(co);
#else
    throw UsageError(
        "train.device: cuda, but this ctrtrain was built without CUDA (no nvcc at build time; see "
        "`ctrtrain --version`); use train.device: cpu or auto, or rebuild where the CUDA toolkit is installed");
#endif
  }
  if (o.precision == Precision::tf32 && o.device == DeviceChoice::cpu)
    throw UsageError("train.precision: tf32 needs the CUDA backend; the CPU backend always computes in fp32 "
                     "(set train.precision: fp32 or train.device: cuda)");
  return std::make_unique<CpuOps<float>>(o.threads);
}

}  // namespace ctr
