// Picks the backend for `train.device` (auto | cpu | cuda), with its thread count or precision.
#pragma once

#include <memory>

#include "backend/ops.h"
#include "config/train_config.h"

namespace ctr {

struct BackendOptions {
  DeviceChoice device = DeviceChoice::automatic;  // auto: CUDA when built in and a GPU is visible
  int threads = 0;                                // CPU backend: 0 = all hardware threads
  Precision precision = Precision::fp32;          // CUDA backend: GEMM math
};

// Throws UsageError when the requested device cannot be used, saying what to do instead.
std::unique_ptr<Ops<float>> make_backend(const BackendOptions& options);

// Whether `auto` would pick CUDA here (built with CUDA and a device visible).
bool cuda_available();
// Whether make_backend builds the CUDA backend for `device` (else the CPU's, whose memory is host RAM).
bool chooses_cuda(DeviceChoice device);

}  // namespace ctr
