// `ctrtrain --version`: version, build type, and whether (and which) CUDA support is compiled in.
#include "app/version_info.h"

#include <fmt/format.h>

#include "ctr/version.h"
#ifdef CTR_WITH_CUDA
#include "cuda/device_info.h"
#endif

namespace ctr::app {

std::string version_text() {
  std::string s = fmt::format("ctrtrain {} ({} build)\n", CTR_VERSION, CTR_BUILD_TYPE);
#ifdef CTR_WITH_CUDA
  s += fmt::format("CUDA support: yes ({})\n", cuda::build_summary());
  s += fmt::format("CUDA devices: {}\n", cuda::device_summary());
#else
  s += "CUDA support: no (built without nvcc; CPU backend only)\n";
#endif
  return s;
}

}  // namespace ctr::app
