// Fuzz target: a checkpoint file (docs/checkpoint-format.md): its container (header, index, every
// array read whole and streamed) and the training header eval, predict and --resume parse.
#include <cstdlib>
#include <vector>

#include "checkpoint/checkpoint_file.h"
#include "fuzz/fuzz_support.h"
#include "train/checkpoint_io.h"

namespace {

void read_every_array(const ctr::CheckpointReader& r, size_t file_size) {
  for (const ctr::ArrayInfo& a : r.arrays()) {
    if (a.bytes > file_size) std::abort();  // the reader must refuse an array its file cannot hold
    std::vector<char> whole(a.bytes);
    r.read(a.name, a.dtype, a.shape, whole.data());
    uint64_t streamed = 0;
    r.read_streamed(a.name, a.dtype, a.shape, [&](uint64_t offset, const void*, size_t bytes) {
      if (offset != streamed) std::abort();  // pieces come in order, without gaps
      streamed += bytes;
    });
    if (streamed != a.bytes) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ctr::fuzz::write_scratch("last.ckpt", ctr::fuzz::as_text(data, size));
  ctr::fuzz::run_input([&] { read_every_array(ctr::CheckpointReader(path), size); });
  ctr::fuzz::run_input([&] { ctr::read_checkpoint_header(path); });
  return 0;
}
