// Catch2 main for `cuda` tests: without a visible GPU it prints why and exits 77, which CTest
// reports as "skipped" (SKIP_RETURN_CODE), so a CPU-only machine shows the skip instead of hiding it.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>

#include "cuda/device_info.h"

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--list", 6) == 0) listing = true;
  if (!listing && ctr::cuda::device_count() == 0) {
    std::printf("SKIPPED: no CUDA device visible (%s); cuda tests run only where a GPU is present\n",
                ctr::cuda::device_summary().c_str());
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
