// Drives ByteSource, LineChunker and RowParser over one fuzz input (see raw_lines.h).
#include "fuzz/raw_lines.h"

#include <cstdlib>
#include <cstring>

#include "fuzz/fuzz_support.h"
#include "io/byte_source.h"
#include "io/line_chunker.h"
#include "preprocess/raw_parser.h"

namespace ctr::fuzz {

namespace {

// A 70-byte zstd frame of RLE blocks decodes to 1 MB, which the 64-byte chunks below turn into
// 16,000 chunks: a few such inputs in the corpus took the target from 3,000 executions a second
// to under 10. The seeds are at most 2.6 KB of text, so this is still many chunks per input.
constexpr size_t kMaxDecodedBytes = 64 << 10;

}  // namespace

void parse_raw_file(const Schema& schema, const uint8_t* data, size_t size) {
  const std::string path = write_scratch("raw.txt", as_text(data, size));
  run_input([&] {
    const RowParser parser(schema);
    ParsedRow row;
    parser.init_row(row);
    ParseFailure failure;
    // Small chunks and a small line limit, so that the carry-over between chunks is exercised.
    LineChunker chunker(ByteSource::open(path), LineChunkerOptions{64, 4096});
    LineChunk chunk;
    size_t decoded = 0;
    bool described = false;  // preprocess describes the first bad row; so does this, once
    while (decoded < kMaxDecodedBytes && chunker.next(chunk)) {
      decoded += chunk.bytes.size();
      const char* p = chunk.bytes.data();
      const char* end = p + chunk.bytes.size();
      for (uint64_t i = 0; i < chunk.num_lines; ++i) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        if (!nl) std::abort();  // LineChunker promises whole lines, each ending in '\n'
        const uint64_t line = chunk.first_line + i;
        if (line == 1 && parser.has_header()) {
          parser.check_header(path, {p, static_cast<size_t>(nl - p)});
        } else if (parser.parse(p, nl, row, failure)) {
          // A row the parser accepted must be one preprocess can store.
          if (row.label < 0 || row.label > 1 || row.cat.size() != parser.schema().num_cat()) std::abort();
          for (std::string_view v : row.cat)
            if (v.size() > RowParser::kMaxFieldBytes) std::abort();
        } else if (!described) {
          described = true;
          if (parser.describe(failure).empty()) std::abort();
        }
        p = nl + 1;
      }
      if (p != end) std::abort();  // num_lines must count every line of the chunk
    }
  });
}

}  // namespace ctr::fuzz
