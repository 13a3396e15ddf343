// What CUDA support was compiled in and which devices are visible (for --version and tests).
#pragma once

#include <string>

namespace ctr::cuda {

std::string build_summary();   // e.g. "CUDA 13.0, compiled for sm_90"
int device_count();            // 0 when no driver or no device; never throws
std::string device_summary();  // e.g. "1 (NVIDIA H100 80GB HBM3, 79.1 GiB)" or "none visible (...)"

}  // namespace ctr::cuda
