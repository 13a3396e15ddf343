// Unit tests for byte sources/sinks and the line chunker: compression round trips, chunk
// boundaries, missing final newline, truncated compressed input, over-long lines.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/error.h"
#include "io/background_chunker.h"
#include "io/byte_sink.h"
#include "io/byte_source.h"
#include "io/line_chunker.h"
#include "support/test_util.h"

using namespace ctr;
using ctr::test::ScratchDir;

namespace {

void write_compressed(const std::string& path, Compression c, const std::string& text) {
  auto sink = ByteSink::create(path, c);
  sink->write(text.data(), text.size());
  sink->close();
}

std::string read_all(const std::string& path) {
  auto src = ByteSource::open(path);
  std::string out;
  char buf[7919];  // odd size: exercises partial reads
  size_t n;
  while ((n = src->read(buf, sizeof buf)) > 0) out.append(buf, n);
  CHECK(src->file_bytes_consumed() == src->file_size());
  return out;
}

std::string numbered_lines(int n) {
  std::string s;
  for (int i = 1; i <= n; ++i) s += "line " + std::to_string(i) + " " + std::string(i % 50, 'x') + "\n";
  return s;
}

}  // namespace

TEST_CASE("plain, gzip and zstd round trip and are detected by content", "[io]") {
  ScratchDir tmp("io-roundtrip");
  std::string text = numbered_lines(20000);
  for (auto [name, c] : {std::pair<const char*, Compression>{"a.txt", Compression::none},
                         {"b.noext", Compression::gzip}, {"c.bin", Compression::zstd}}) {
    SECTION(name) {
      write_compressed(tmp / name, c, text);
      CHECK(ByteSource::open(tmp / name)->compression() == c);
      CHECK(read_all(tmp / name) == text);
    }
  }
}

TEST_CASE("truncated compressed input is an error, not a short file", "[io]") {
  ScratchDir tmp("io-truncated");
  std::string text = numbered_lines(50000);
  for (auto c : {Compression::gzip, Compression::zstd}) {
    SECTION(compression_name(c)) {
      std::string path = tmp / "t";
      write_compressed(path, c, text);
      std::filesystem::resize_file(path, std::filesystem::file_size(path) * 2 / 3);
      CHECK_THROWS_AS(read_all(path), Error);
    }
  }
  CHECK_THROWS_WITH(ByteSource::open(tmp / "missing"), Catch::Contains("missing: cannot open"));
}

TEST_CASE("the chunker yields whole lines with correct line numbers", "[io]") {
  ScratchDir tmp("io-chunker");
  std::string text = numbered_lines(30000);
  LineChunkerOptions opts;
  opts.target_chunk_bytes = 10000;
  SECTION("with final newline") {
    ctr::test::write_file(tmp / "f", text);
  }
  SECTION("without final newline") {
    ctr::test::write_file(tmp / "f", text.substr(0, text.size() - 1));
  }
  LineChunker chunker(ByteSource::open(tmp / "f"), opts);
  LineChunk c;
  std::string joined;
  uint64_t expect_line = 1, expect_seq = 0;
  while (chunker.next(c)) {
    CHECK(c.first_line == expect_line);
    CHECK(c.seq == expect_seq++);
    REQUIRE(!c.bytes.empty());
    CHECK(c.bytes.back() == '\n');
    std::string first(c.bytes.begin(), std::find(c.bytes.begin(), c.bytes.end(), ' '));
    CHECK(first == "line");
    CHECK(c.num_lines == static_cast<uint64_t>(std::count(c.bytes.begin(), c.bytes.end(), '\n')));
    expect_line += c.num_lines;
    joined.append(c.bytes.begin(), c.bytes.end());
  }
  CHECK(expect_seq > 10);
  CHECK(joined == text);
  CHECK(chunker.lines_emitted() == 30000);
}

TEST_CASE("the background chunker hands out the chunker's chunks, in order, with progress bytes", "[io]") {
  ScratchDir tmp("io-background");
  const std::string text = numbered_lines(30000);
  write_compressed(tmp / "f.gz", Compression::gzip, text);
  LineChunkerOptions opts;
  opts.target_chunk_bytes = 10000;
  for (size_t depth : {size_t{1}, size_t{4}}) {
    INFO("depth " << depth);
    BackgroundChunker ahead(tmp / "f.gz", depth, opts);
    LineChunk a, b;
    uint64_t consumed = 0, last = 0, n = 0;
    LineChunker again(ByteSource::open(tmp / "f.gz"), opts);
    while (again.next(a)) {
      REQUIRE(ahead.next(b, consumed));
      CHECK(b.seq == a.seq);
      CHECK(b.first_line == a.first_line);
      CHECK(std::string(b.bytes.begin(), b.bytes.end()) == std::string(a.bytes.begin(), a.bytes.end()));
      CHECK(consumed >= last);
      last = consumed;
      ++n;
    }
    CHECK(n > 10);
    CHECK_FALSE(ahead.next(b, consumed));
    CHECK_FALSE(ahead.next(b, consumed));  // stays ended
    CHECK(ahead.file_bytes() == std::filesystem::file_size(tmp / "f.gz"));
    CHECK(ahead.compression() == Compression::gzip);
  }
}

TEST_CASE("the background chunker reports errors where they happen and stops when dropped", "[io]") {
  ScratchDir tmp("io-background-errors");
  CHECK_THROWS_WITH(
      [&] {
        BackgroundChunker missing(tmp / "missing", 2);
        LineChunk c;
        uint64_t consumed = 0;
        missing.next(c, consumed);
      }(),
      Catch::Contains("missing: cannot open"));
  // A truncated gzip: the whole chunks before the damage come first, then the error.
  write_compressed(tmp / "t.gz", Compression::gzip, numbered_lines(50000));
  std::filesystem::resize_file(tmp / "t.gz", std::filesystem::file_size(tmp / "t.gz") * 2 / 3);
  LineChunkerOptions opts;
  opts.target_chunk_bytes = 10000;
  BackgroundChunker damaged(tmp / "t.gz", 2, opts);
  LineChunk c;
  uint64_t consumed = 0, chunks = 0;
  CHECK_THROWS_AS([&] { while (damaged.next(c, consumed)) ++chunks; }(), Error);
  CHECK(chunks > 5);
  // Dropped with the decoder blocked on a full queue: the destructor stops it and returns.
  write_compressed(tmp / "big.gz", Compression::gzip, numbered_lines(200000));
  {
    BackgroundChunker dropped(tmp / "big.gz", 1, opts);
    REQUIRE(dropped.next(c, consumed));
  }
  SUCCEED("the dropped chunker joined");
}

TEST_CASE("a file without newlines is rejected with its location", "[io]") {
  ScratchDir tmp("io-longline");
  ctr::test::write_file(tmp / "bin", "ok\n" + std::string(3u << 20, 'z'));
  LineChunkerOptions opts;
  opts.target_chunk_bytes = 1 << 16;
  opts.max_line_bytes = 1 << 20;
  LineChunker chunker(ByteSource::open(tmp / "bin"), opts);
  LineChunk c;
  CHECK_THROWS_WITH([&] { while (chunker.next(c)) {} }(), Catch::Contains("bin:2: line is longer than"));
}

TEST_CASE("sinks: compression names and extensions", "[io]") {
  CHECK(parse_compression("zst") == Compression::zstd);
  CHECK(parse_compression("gz") == Compression::gzip);
  CHECK_THROWS_AS(parse_compression("bz2"), UsageError);
  CHECK(compression_from_extension("x.txt.gz") == Compression::gzip);
  CHECK(compression_from_extension("x.zst") == Compression::zstd);
  CHECK(compression_from_extension("x.txt") == Compression::none);
}
