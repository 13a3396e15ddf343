// main() for the fuzz targets in builds without libFuzzer: runs each input file it is given (or
// every file under each directory) through LLVMFuzzerTestOneInput once, so the regression inputs of
// tests/data/fuzz-regressions/ and the corpora of tests/data/fuzz-corpus/ are replayed by every
// build, with or without clang. Options (-runs=0 and the like) are libFuzzer's and are ignored.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"

namespace fs = std::filesystem;

namespace {

void replay(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    if (argv[i][0] == '-') continue;
    if (fs::is_directory(arg)) {
      for (const auto& e : fs::recursive_directory_iterator(arg))
        if (e.is_regular_file()) replay(e.path()), ++inputs;
    } else if (fs::is_regular_file(arg)) {
      replay(arg), ++inputs;
    } else {
      std::fprintf(stderr, "replay: %s is neither a file nor a directory\n", argv[i]);
      return 2;
    }
  }
  if (inputs == 0) {
    std::fprintf(stderr, "replay: no input files given\n");
    return 2;
  }
  std::printf("replayed %zu inputs without a finding\n", inputs);
  return 0;
}
