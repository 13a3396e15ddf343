// Fuzz target: a vocabulary file (DIR/vocab/<field>.tsv.zst, docs/dataset-format.md), read and
// checked whole as --lookup, --vocab-from and --verify read it.
//
// Input: byte 0 picks the case, the rest is the file. Bit 7 set: the rest is written as it is (the
// zstd frame itself is fuzzed). Clear: the rest is the file's text and is compressed first, so
// that mutations reach the line parsing. Bits 0-1: vocab_size is the text's line count + 1, plus
// 0, 1 or 2 (2 and 3 alike), so that matching and wrong counts are both tried.
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_support.h"
#include "preprocess/vocab_io.h"

namespace {

std::string zstd_frame(std::string_view text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);  // as VocabFileWriter writes them
  const size_t n = ZSTD_compress2(cctx, out.data(), out.size(), text.data(), text.size());
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(n)) std::abort();
  out.resize(n);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = ctr::fuzz::as_text(data + 1, size - 1);
  const bool raw = data[0] & 0x80;
  const std::string dir = ctr::fuzz::scratch_dir() + "/dataset";
  ctr::fuzz::write_scratch("dataset/vocab/C1.tsv.zst", raw ? std::string(rest) : zstd_frame(rest));
  const uint64_t lines = static_cast<uint64_t>(std::count(rest.begin(), rest.end(), '\n'));
  const uint64_t vocab_size = lines + 1 + std::min(data[0] & 3, 2);
  return ctr::fuzz::run_input([&] {
    const ctr::VocabFileInfo info = ctr::vocab_file_info(dir, "C1", vocab_size);
    if (info.values + 1 != vocab_size) std::abort();  // accepted: exactly vocab_size - 1 values
  });
}
