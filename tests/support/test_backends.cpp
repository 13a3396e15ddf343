// test_backends: see the header.
#include "support/test_backends.h"

#include <catch2/catch.hpp>

#include "backend/cpu_ops.h"
#include "core/error.h"
#include "train/backend_select.h"

namespace ctr::test {

namespace {

BackendOptions cuda_options() {
  BackendOptions o;
  o.device = DeviceChoice::cuda;
  o.precision = Precision::fp32;  // the reference tolerances are fp32 rounding; TF32 is tested in tests/cuda
  return o;
}

}  // namespace

std::vector<TestBackend> test_backends() {
  std::vector<TestBackend> list;
  list.push_back({"cpu", std::make_unique<CpuOps<float>>(kTestCpuThreads)});
  if (cuda_available()) {
    list.push_back({"cuda", make_backend(cuda_options())});
    return list;
  }
  static bool noted = false;
  if (!noted) {
    noted = true;
    // make_backend's refusal says why: built without CUDA, or no usable device.
    std::string why = "cuda_available() is false";
    try {
      make_backend(cuda_options());
    } catch (const Error& e) {
      why = e.what();
    }
    WARN("the CUDA backend is not present, so the backend ops cases ran on the CPU backend only (" << why << ")");
  }
  return list;
}

}  // namespace ctr::test
