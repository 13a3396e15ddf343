// Unit tests of the .ctrs shard format: round trips, determinism, corruption and truncation
// detection, and concurrent decoding.
#include <catch2/catch.hpp>
#include <zstd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <numeric>
#include <thread>

#include "core/error.h"
#include "core/rng.h"
#include "shard/shard_layout.h"
#include "shard/shard_reader.h"
#include "shard/shard_writer.h"
#include "support/test_util.h"

namespace L = ctr::shard_layout;
using Catch::Matchers::Contains;
using ctr::RowBlock;

namespace {
using ctr::test::error_of;

RowBlock random_block(size_t rows, size_t nd, size_t nc, uint64_t seed) {
  ctr::Rng rng(seed);
  RowBlock b(nd, nc);
  for (size_t r = 0; r < rows; ++r) {
    b.labels.push_back(rng.uniform(4) == 0 ? 1.0f : 0.0f);
    for (size_t f = 0; f < nd; ++f) b.dense.push_back(static_cast<float>(rng.normal()));
    // Field 0 spans all 32 bits, so every byte plane of the categorical chunk is exercised.
    for (size_t f = 0; f < nc; ++f)
      b.cat.push_back(static_cast<uint32_t>(f == 0 ? rng.next_u64() : rng.uniform(1000 * (f + 1))));
  }
  return b;
}

// Writes `block` as consecutive row groups of the given sizes.
void write_shard(const std::string& path, const RowBlock& block,
                 const std::vector<size_t>& groups) {
  ctr::ShardWriter w(path, static_cast<uint32_t>(block.num_dense),
                     static_cast<uint32_t>(block.num_cat));
  size_t begin = 0;
  for (size_t n : groups) {
    w.write(block, begin, n);
    begin += n;
  }
  w.finish();
  REQUIRE(w.rows_written() == begin);
  REQUIRE(w.bytes_written() == std::filesystem::file_size(path));
}

RowBlock read_all(const ctr::ShardReader& reader) {
  RowBlock all(reader.num_dense(), reader.num_cat()), group;
  for (size_t g = 0; g < reader.num_groups(); ++g) {
    reader.read_group(g, group);
    REQUIRE(group.rows() == reader.group_rows(g));
    all.append(group, 0, group.rows());
  }
  return all;
}

void require_same(const RowBlock& a, const RowBlock& b) {
  REQUIRE(a.num_dense == b.num_dense);
  REQUIRE(a.num_cat == b.num_cat);
  REQUIRE(a.labels == b.labels);
  REQUIRE(a.dense == b.dense);  // exact: floats must survive bit for bit
  REQUIRE(a.cat == b.cat);
}

std::string verify_error(const std::string& path) {
  return error_of([&] { ctr::verify_shard(path); });
}

void patch_file(const std::string& path, size_t offset, const std::string& bytes) {
  std::string s = ctr::test::read_file(path);
  REQUIRE(offset + bytes.size() <= s.size());
  s.replace(offset, bytes.size(), bytes);
  ctr::test::write_file(path, s);
}

void flip_byte(const std::string& path, size_t offset) {
  const std::string s = ctr::test::read_file(path);
  REQUIRE(offset < s.size());
  patch_file(path, offset, std::string(1, static_cast<char>(s[offset] ^ 0x5a)));
}

// File offset of the middle of chunk k of row group g.
size_t chunk_middle(const std::string& path, size_t g, size_t k) {
  const std::string s = ctr::test::read_file(path);
  const size_t num_groups = ctr::ShardReader(path).num_groups();
  const char* index = s.data() + s.size() - L::index_bytes(num_groups);
  const size_t group = L::get_u64(index + g * L::kIndexEntrySize);
  const char* desc = s.data() + group + L::kGrpChunks;
  size_t off = group + L::kGroupHeaderSize;
  for (size_t i = 0; i < k; ++i) off += L::get_u32(desc + i * L::kChunkDescSize + 4);
  return off + L::get_u32(desc + k * L::kChunkDescSize + 4) / 2;
}

// Rewrites the header's version field and re-seals the header CRC, as a future writer would.
void set_version(const std::string& path, uint32_t version) {
  std::string h = ctr::test::read_file(path).substr(0, L::kHeaderSize);
  L::put_u32(h.data() + L::kHdrVersion, version);
  L::put_u32(h.data() + L::kHdrCrc, L::crc32_of(h.data(), L::kHdrCrc));
  patch_file(path, 0, h);
}

// A correctly sealed row group whose label chunk holds `bad` in row 3: only the label check
// itself can catch it.
ctr::EncodedRowGroup group_with_label_byte(const RowBlock& block, uint8_t bad) {
  ctr::EncodedRowGroup g = ctr::encode_row_group(block, 0, block.rows());
  std::vector<uint8_t> labels(block.rows(), 0);
  labels[3] = bad;
  std::vector<char> chunk(ZSTD_compressBound(labels.size()));
  chunk.resize(ZSTD_compress(chunk.data(), chunk.size(), labels.data(), labels.size(), 3));
  const char* desc = g.bytes.data() + L::kGrpChunks;
  const size_t old_size = L::get_u32(desc + 4);
  std::vector<char> bytes(g.bytes.begin(), g.bytes.begin() + L::kGroupHeaderSize);
  bytes.insert(bytes.end(), chunk.begin(), chunk.end());
  bytes.insert(bytes.end(), g.bytes.begin() + L::kGroupHeaderSize + old_size, g.bytes.end());
  L::put_u32(bytes.data() + L::kGrpChunks + 4, static_cast<uint32_t>(chunk.size()));
  L::put_u32(bytes.data() + L::kGrpChunks + 8, L::crc32_of(chunk.data(), chunk.size()));
  L::put_u32(bytes.data() + L::kGrpCrc, L::crc32_of(bytes.data(), L::kGrpCrc));
  g.bytes.assign(bytes.begin(), bytes.end());
  return g;
}

}  // namespace

TEST_CASE("shard round trip", "[shard]") {
  ctr::test::ScratchDir dir("shard-roundtrip");
  const std::string path = dir / "part-00000.ctrs";
  auto round_trip = [&](size_t nd, size_t nc, const std::vector<size_t>& groups) {
    const size_t rows = std::accumulate(groups.begin(), groups.end(), size_t{0});
    const RowBlock block = random_block(rows, nd, nc, 42 + nd + nc);
    write_shard(path, block, groups);
    const ctr::ShardReader reader(path);
    REQUIRE(reader.num_dense() == nd);
    REQUIRE(reader.num_cat() == nc);
    REQUIRE(reader.num_rows() == rows);
    REQUIRE(reader.num_groups() == groups.size());
    require_same(read_all(reader), block);
    const ctr::ShardVerifyResult v = ctr::verify_shard(path);
    REQUIRE(v.rows == rows);
    REQUIRE(v.groups == groups.size());
    REQUIRE(v.positives ==
            static_cast<uint64_t>(std::count(block.labels.begin(), block.labels.end(), 1.0f)));
  };
  SECTION("criteo schema, groups of different sizes") {
    round_trip(13, 26, {1000, 37, 1, 4096, 500});
  }
  SECTION("avazu schema (no dense fields)") { round_trip(0, 22, {700, 300, 2}); }
  SECTION("13 dense, 22 categorical") { round_trip(13, 22, {256, 255}); }
  SECTION("no dense fields, 26 categorical") { round_trip(0, 26, {64}); }
  SECTION("a single row") { round_trip(13, 26, {1}); }
  SECTION("one dense and one categorical field") { round_trip(1, 1, {10, 20}); }
  SECTION("zero row groups") { round_trip(13, 26, {}); }
}

TEST_CASE("shard read_group reuses the output's capacity", "[shard]") {
  ctr::test::ScratchDir dir("shard-capacity");
  const std::string path = dir / "a.ctrs";
  write_shard(path, random_block(300, 13, 26, 7), {200, 100});
  const ctr::ShardReader reader(path);
  RowBlock out;
  reader.read_group(0, out);
  const uint32_t* cat = out.cat.data();
  const float* dense = out.dense.data();
  reader.read_group(1, out);
  REQUIRE(out.rows() == 100);
  REQUIRE(out.cat.data() == cat);
  REQUIRE(out.dense.data() == dense);
}

TEST_CASE("shard files are byte-for-byte deterministic", "[shard]") {
  ctr::test::ScratchDir dir("shard-determinism");
  const RowBlock block = random_block(3000, 13, 26, 9);
  write_shard(dir / "a.ctrs", block, {1000, 1000, 999, 1});
  write_shard(dir / "b.ctrs", block, {1000, 1000, 999, 1});
  REQUIRE(ctr::test::read_file(dir / "a.ctrs") == ctr::test::read_file(dir / "b.ctrs"));

  SECTION("encoding on another thread gives the same bytes") {
    ctr::EncodedRowGroup there;
    std::thread t([&] { there = ctr::encode_row_group(block, 100, 900); });
    t.join();
    REQUIRE(ctr::encode_row_group(block, 100, 900).bytes == there.bytes);
  }
}

TEST_CASE("shard writer rejects empty row groups", "[shard]") {
  ctr::test::ScratchDir dir("shard-empty-group");
  const RowBlock block = random_block(10, 13, 26, 1);
  ctr::ShardWriter w(dir / "a.ctrs", 13, 26);
  SECTION("from a RowBlock") {
    REQUIRE_THROWS_WITH(w.write(block, 3, 0), Contains("empty row group"));
  }
  SECTION("already encoded") {
    REQUIRE_THROWS_WITH(w.write(ctr::EncodedRowGroup{}), Contains("empty row group"));
  }
}

TEST_CASE("shard corruption is detected and located", "[shard]") {
  ctr::test::ScratchDir dir("shard-corrupt");
  const std::string path = dir / "part-00003.ctrs";
  write_shard(path, random_block(700, 13, 26, 3), {300, 400});
  const std::string group1 = path + ": row group 1 (rows 300..699), ";
  const std::string advice = "the file is corrupt: re-run ctrtrain preprocess";

  SECTION("label chunk") {
    flip_byte(path, chunk_middle(path, 1, L::kLabels));
    const std::string e = verify_error(path);
    CHECK_THAT(e, Contains(group1 + "label chunk: checksum mismatch (stored 0x"));
    CHECK_THAT(e, Contains(advice));
  }
  SECTION("dense chunk") {
    flip_byte(path, chunk_middle(path, 1, L::kDense));
    CHECK_THAT(verify_error(path), Contains(group1 + "dense chunk: checksum mismatch"));
  }
  SECTION("categorical chunk") {
    flip_byte(path, chunk_middle(path, 1, L::kCat));
    CHECK_THAT(verify_error(path), Contains(group1 + "categorical chunk: checksum mismatch"));
  }
  SECTION("only the damaged group fails") {
    flip_byte(path, chunk_middle(path, 1, L::kCat));
    const ctr::ShardReader reader(path);
    RowBlock out;
    reader.read_group(0, out);
    REQUIRE(out.rows() == 300);
  }
  SECTION("row-group header") {
    const std::string s = ctr::test::read_file(path);
    const std::string index = s.substr(s.size() - L::index_bytes(2));
    flip_byte(path, L::get_u64(index.data() + L::kIndexEntrySize) + L::kGrpChunks + 5);
    CHECK_THAT(verify_error(path), Contains(group1 + "group header: checksum mismatch"));
  }
  SECTION("file header") {
    flip_byte(path, L::kHdrNumRows);
    const std::string e = verify_error(path);
    CHECK_THAT(e, Contains(path + ": header: checksum mismatch"));
    CHECK_THAT(e, Contains(advice));
  }
  SECTION("version field") {
    flip_byte(path, L::kHdrVersion + 2);
    CHECK_THAT(verify_error(path),
               Contains("(this ctrtrain reads versions 1 and 2, or the header is corrupt)"));
  }
  SECTION("row-group index") {
    flip_byte(path, ctr::test::read_file(path).size() - L::index_bytes(2) + 3);
    CHECK_THAT(verify_error(path), Contains(path + ": row-group index: checksum mismatch"));
  }
  SECTION("trailer") {
    flip_byte(path, ctr::test::read_file(path).size() - 2);
    CHECK_THAT(verify_error(path), Contains(path + ": trailer: found"));
  }
  SECTION("bytes appended after the end") {
    ctr::test::write_file(path, ctr::test::read_file(path) + "xx");
    CHECK_THAT(verify_error(path), Contains("its header says"));
  }
}

TEST_CASE("shard label bytes other than 0 and 1 are corruption", "[shard]") {
  ctr::test::ScratchDir dir("shard-label");
  const std::string path = dir / "a.ctrs";
  const RowBlock block = random_block(50, 13, 26, 5);
  ctr::ShardWriter w(path, 13, 26);
  w.write(block, 0, 50);
  w.write(group_with_label_byte(block, 2));
  w.finish();
  CHECK_THAT(verify_error(path),
             Contains(path + ": row group 1 (rows 50..99), label chunk: row 53 has label byte 2"));
}

TEST_CASE("shard truncation is detected", "[shard]") {
  ctr::test::ScratchDir dir("shard-truncated");
  const std::string path = dir / "a.ctrs";
  write_shard(path, random_block(500, 13, 26, 11), {250, 250});
  const std::string full = ctr::test::read_file(path);
  const auto truncate_to = [&](size_t n) {
    ctr::test::write_file(path, full.substr(0, n));
    const std::string e = verify_error(path);
    CHECK_THAT(e, Contains(path + ": truncated"));
    return e;
  };
  SECTION("empty file") { CHECK_THAT(truncate_to(0), Contains("the file has 0 bytes")); }
  SECTION("inside the header") { CHECK_THAT(truncate_to(30), Contains("fewer than the 52-byte")); }
  SECTION("after the header") {
    CHECK_THAT(
        truncate_to(L::kHeaderSize),
        Contains(fmt::format("the header says the file has {} bytes, it has 52", full.size())));
  }
  SECTION("inside a row group") { truncate_to(full.size() / 2); }
  SECTION("inside the index") { truncate_to(full.size() - L::index_bytes(2) + 5); }
  SECTION("last byte missing") {
    CHECK_THAT(truncate_to(full.size() - 1), Contains(fmt::format("it has {}", full.size() - 1)));
  }
}

TEST_CASE("shard damage anywhere is detected", "[shard]") {
  ctr::test::ScratchDir dir("shard-every-byte");
  const std::string good = dir / "good.ctrs", bad = dir / "bad.ctrs";
  write_shard(good, random_block(30, 2, 3, 12), {20, 10});
  const std::string full = ctr::test::read_file(good);
  size_t undetected = 0;
  SECTION("every flipped byte") {
    for (size_t i = 0; i < full.size(); ++i) {
      std::string s = full;
      s[i] = static_cast<char>(s[i] ^ 0x01);
      ctr::test::write_file(bad, s);
      undetected += verify_error(bad).find(bad + ": ") != 0;
    }
  }
  SECTION("every truncation") {
    for (size_t n = 0; n < full.size(); ++n) {
      ctr::test::write_file(bad, full.substr(0, n));
      undetected += verify_error(bad).find(bad + ": truncated") != 0;
    }
  }
  REQUIRE(undetected == 0);
}

TEST_CASE("shard writer that never finished is reported", "[shard]") {
  ctr::test::ScratchDir dir("shard-unfinished");
  const std::string path = dir / "a.ctrs";
  {
    ctr::ShardWriter w(path, 13, 26);
    w.write(random_block(100, 13, 26, 2), 0, 100);
  }
  CHECK_THAT(verify_error(path), Contains(path + ": the shard was never finished"));
}

TEST_CASE("shard magic and version are checked", "[shard]") {
  ctr::test::ScratchDir dir("shard-magic");
  const std::string path = dir / "a.ctrs";
  SECTION("not a shard") {
    ctr::test::write_file(path, "label,I1,I2\n0,1,2\n1,3,4\n0,5,6\n1,7,8\n0,9,10\n1,11,12\n");
    const std::string e = verify_error(path);
    CHECK_THAT(e, Contains(path + ": not a ctrtrain shard"));
    CHECK_THAT(e, Contains("\"label,I1\""));
  }
  SECTION("a newer format version") {
    write_shard(path, random_block(10, 13, 26, 4), {10});
    set_version(path, 3);
    CHECK_THAT(
        verify_error(path),
        Contains(path +
                 ": shard format version 3 is not supported (this ctrtrain reads versions 1 and 2);"));
  }
  SECTION("a missing file") {
    CHECK_THAT(verify_error(dir / "nope.ctrs"), Contains("cannot open shard"));
  }
}

TEST_CASE("shard read_group is safe from several threads", "[shard]") {
  ctr::test::ScratchDir dir("shard-threads");
  const std::string path = dir / "a.ctrs";
  const RowBlock block = random_block(20000, 13, 26, 8);
  write_shard(path, block, std::vector<size_t>(40, 500));
  const ctr::ShardReader reader(path);
  std::vector<RowBlock> expected(reader.num_groups());
  for (size_t g = 0; g < reader.num_groups(); ++g) reader.read_group(g, expected[g]);

  constexpr int kThreads = 8;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<size_t> order(reader.num_groups());
      std::iota(order.begin(), order.end(), size_t{0});
      ctr::Rng rng(static_cast<uint64_t>(t));
      RowBlock out;
      for (int pass = 0; pass < 3; ++pass) {
        ctr::shuffle_range(order.begin(), order.end(), rng);
        for (size_t g : order) {
          reader.read_group(g, out);
          const RowBlock& e = expected[g];
          mismatches[t] += out.labels != e.labels || out.dense != e.dense || out.cat != e.cat;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(std::accumulate(mismatches.begin(), mismatches.end(), 0) == 0);
}

TEST_CASE("column blocks: transposition, appends and partial blocks encode like row blocks", "[shard]") {
  const RowBlock block = random_block(1000, 13, 26, 5);
  const ctr::ColumnBlock cols = ctr::ColumnBlock::from_rows(block, 100, 700);
  REQUIRE(cols.rows == 700);
  for (size_t i = 0; i < 700; i += 37) {
    CHECK(cols.labels[i] == (block.labels[100 + i] != 0.0f ? 1 : 0));
    for (size_t d = 0; d < 13; ++d) CHECK(cols.dense_col(d)[i] == block.dense[(100 + i) * 13 + d]);
    for (size_t f = 0; f < 26; ++f) CHECK(cols.cat_col(f)[i] == block.cat[(100 + i) * 26 + f]);
  }
  const auto want = ctr::encode_row_group(block, 100, 700).bytes;
  CHECK(ctr::encode_row_group(cols).bytes == want);

  SECTION("a block filled by appends, with room left over, encodes its rows only") {
    ctr::ColumnBlock part(13, 26, 1000);
    part.append(cols, 0, 250);
    part.append(cols, 250, 0);
    part.append(cols, 250, 450);
    REQUIRE(part.rows == 700);
    CHECK(ctr::encode_row_group(part).bytes == want);
    CHECK_THROWS_AS(part.append(cols, 0, 301), ctr::Error);  // past its capacity
  }
  SECTION("labels that are not 0 or 1 are refused") {
    RowBlock bad = block;
    bad.labels[150] = 0.5f;
    CHECK_THROWS_WITH(ctr::ColumnBlock::from_rows(bad, 100, 700), Contains("not all 0 or 1"));
  }
}
