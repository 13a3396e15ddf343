// Unit tests for byte sources/sinks and the line chunker: compression round trips, chunk
// boundaries, missing final newline, truncated compressed input, over-long lines.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/error.h"
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
