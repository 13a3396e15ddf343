// Scratch files, one-time set-up and the finding rule of the fuzz targets (see fuzz_support.h).
#include "fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "core/checksum.h"
#include "core/error.h"

namespace ctr::fuzz {
namespace fs = std::filesystem;

void init_target() {
  spdlog::set_level(spdlog::level::off);
  ignore_checksums_for_fuzzing(true);
}

namespace {

// Removed when the process exits: a static, so it outlives every input.
struct ScratchDirectory {
  std::string path;
  ScratchDirectory() {
    const char* tmp = std::getenv("TMPDIR");
    const fs::path root = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::path(tmp ? tmp : "/tmp");
    path = (root / ("ctrtrain-fuzz-" + std::to_string(::getpid()))).string();
    fs::create_directories(path);
  }
  ~ScratchDirectory() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

const std::string& scratch_dir() {
  static const ScratchDirectory dir;
  return dir.path;
}

std::string write_scratch(const std::string& name, std::string_view bytes) {
  const fs::path path = fs::path(scratch_dir()) / name;
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path.string();
}

int run_input(const std::function<void()>& body) {
  try {
    body();
  } catch (const InternalError& e) {
    std::fprintf(stderr, "fuzz finding: an internal check failed: %s\n", e.what());
    std::abort();
  } catch (const Error&) {
    // The expected answer to bad bytes.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz finding: an exception that is not a ctr::Error escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}

}  // namespace ctr::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ctr::fuzz::init_target();
  return 0;
}
