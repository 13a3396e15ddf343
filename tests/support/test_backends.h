// test_backends: the backends the per-backend op tests run every case on (tests/unit/test_backend_ops.cpp):
// the CPU backend always, the CUDA backend too where it is built in and a GPU is visible.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/ops.h"

namespace ctr::test {

struct TestBackend {
  std::string name;                 // "cpu" or "cuda", for messages
  std::unique_ptr<Ops<float>> ops;
};

// Threads of the CPU backend under test: 2 on every machine, so the OpenMP paths of the larger cases
// run and give the same bits everywhere. (Thread counts are process-wide, so the list never holds
// two CPU backends with different counts.)
constexpr int kTestCpuThreads = 2;

// A fresh list per call: CpuOps<float>(kTestCpuThreads), then the CUDA backend (fp32 GEMMs, made by
// ctr::make_backend) when ctr::cuda_available(). Without one, the first call in a process says so
// with a Catch WARN in the calling test, naming why, since the CUDA cases then did not run.
std::vector<TestBackend> test_backends();

}  // namespace ctr::test
