// Unit tests of the checkpoint container file: round trips, streaming, atomic commit, and
// detection of every truncation and flipped byte.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>

#include "checkpoint/checkpoint_file.h"
#include "checkpoint/checkpoint_layout.h"
#include "core/error.h"
#include "support/test_util.h"

namespace fs = std::filesystem;
namespace L = ctr::checkpoint_layout;
using Catch::Matchers::Contains;
using ctr::DType;

namespace {
using ctr::test::error_of;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
}

void flip_byte(const std::string& path, size_t offset) {
  std::string b = ctr::test::read_file(path);
  b.at(offset) ^= 0x20;
  write_bytes(path, b);
}

// A small checkpoint with one array of each dtype, an empty one and a scalar.
struct Small {
  std::vector<float> f32 = {1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, -7.0f};
  std::vector<double> f64 = {3.141592653589793, -1e300};
  std::vector<uint32_t> u32 = {0, 1, 0xffffffffu};
  std::vector<uint64_t> u64 = {0x0123456789abcdefull};
  float scalar = 42.0f;

  void write(const std::string& path) const {
    ctr::CheckpointWriter w(path, R"({"step": 7, "model": "deepfm"})");
    w.add("emb", DType::f32, {2, 3}, f32.data());
    w.add("moments/m", DType::f64, {2}, f64.data());
    w.add("ids", DType::u32, {3}, u32.data());
    w.add("empty", DType::f32, {0}, nullptr);
    w.add("big", DType::u64, {1}, u64.data());
    w.add("scalar", DType::f32, {}, &scalar);
    w.commit();
  }
  // Opens the file and reads every array: the whole verification a trainer would do.
  void read_all(const std::string& path) const {
    ctr::CheckpointReader r(path);
    std::vector<float> a(6);
    r.read("emb", DType::f32, {2, 3}, a.data());
    std::vector<double> b(2);
    r.read("moments/m", DType::f64, {2}, b.data());
    std::vector<uint32_t> c(3);
    r.read("ids", DType::u32, {3}, c.data());
    r.read("empty", DType::f32, {0}, nullptr);
    uint64_t d;
    r.read("big", DType::u64, {1}, &d);
    float e;
    r.read("scalar", DType::f32, {}, &e);
  }
};

uint64_t entry_offset_of(const std::string& bytes, size_t entry) {
  // Walks the index to the start of entry `entry` (the file is known to be valid here).
  size_t p = L::get<uint64_t>(bytes.data() + L::kHdrIndexOffset);
  for (size_t i = 0; i < entry; ++i) {
    const uint16_t name_len = L::get<uint16_t>(bytes.data() + p);
    const uint8_t ndim = static_cast<uint8_t>(bytes[p + 2 + name_len + 1]);
    p += L::entry_size(name_len, ndim);
  }
  return p;
}

}  // namespace

TEST_CASE("checkpoint round trip", "[checkpoint]") {
  ctr::test::ScratchDir dir("ckpt-roundtrip");
  const std::string path = dir / "model.ckpt";
  const Small s;
  s.write(path);
  REQUIRE(fs::exists(path));
  REQUIRE_FALSE(fs::exists(path + ".tmp"));

  ctr::CheckpointReader r(path);
  CHECK(r.header_json() == R"({"step": 7, "model": "deepfm"})");
  REQUIRE(r.arrays().size() == 6);
  CHECK(r.arrays()[0].name == "emb");
  CHECK(r.arrays()[5].name == "scalar");
  const ctr::ArrayInfo* emb = r.find("emb");
  REQUIRE(emb != nullptr);
  CHECK(emb->dtype == DType::f32);
  CHECK(emb->shape == std::vector<uint64_t>{2, 3});
  CHECK(emb->bytes == 24);
  CHECK(r.find("empty")->bytes == 0);
  CHECK(r.find("scalar")->shape.empty());
  CHECK(r.find("scalar")->bytes == 4);
  CHECK(r.find("nope") == nullptr);

  std::vector<float> f32(6);
  r.read("emb", DType::f32, {2, 3}, f32.data());
  CHECK(std::memcmp(f32.data(), s.f32.data(), 24) == 0);
  std::vector<double> f64(2);
  r.read("moments/m", DType::f64, {2}, f64.data());
  CHECK(f64 == s.f64);
  std::vector<uint32_t> u32(3);
  r.read("ids", DType::u32, {3}, u32.data());
  CHECK(u32 == s.u32);
  uint64_t u64 = 0;
  r.read("big", DType::u64, {1}, &u64);
  CHECK(u64 == s.u64[0]);
  float scalar = 0;
  r.read("scalar", DType::f32, {}, &scalar);
  CHECK(scalar == 42.0f);
  r.read("empty", DType::f32, {0}, nullptr);
  int sink_calls = 0;
  r.read_streamed("empty", DType::f32, {0}, [&](uint64_t, const void*, size_t) { ++sink_calls; });
  CHECK(sink_calls == 0);
}

TEST_CASE("checkpoint header JSON round trips byte for byte", "[checkpoint]") {
  ctr::test::ScratchDir dir("ckpt-json");
  for (const std::string& json :
       {std::string(), std::string(R"({"metrics": {"auc": 0.8123}, "name": "caf\u00e9 \u2713"})"),
        std::string("a\0b\n\xff", 5), std::string(100000, 'x')}) {
    const std::string path = dir / "j.ckpt";
    ctr::CheckpointWriter w(path, json);
    w.commit();
    CHECK(ctr::CheckpointReader(path).header_json() == json);
    CHECK(ctr::CheckpointReader(path).arrays().empty());
  }
}

TEST_CASE("checkpoint arrays stream in 4 MiB pieces", "[checkpoint]") {
  ctr::test::ScratchDir dir("ckpt-stream");
  const std::string path = dir / "s.ckpt";
  const uint64_t rows = 350'001, cols = 3;  // 4.2 MB: two pieces, the last one short
  const auto value = [](uint64_t i) { return static_cast<float>(i) * 0.5f - 3.0f; };

  std::vector<std::pair<uint64_t, size_t>> fills;
  {
    ctr::CheckpointWriter w(path, "{}");
    w.add_streamed("table", DType::f32, {rows, cols}, [&](uint64_t offset, void* buf, size_t n) {
      fills.emplace_back(offset, n);
      REQUIRE(offset % 4 == 0);
      auto* f = static_cast<float*>(buf);
      for (size_t k = 0; k < n / 4; ++k) f[k] = value(offset / 4 + k);
    });
    w.add_streamed("none", DType::u64, {0, 5}, [&](uint64_t, void*, size_t) { FAIL("no fill"); });
    w.commit();
  }
  const uint64_t bytes = rows * cols * 4;
  REQUIRE(fills.size() == 2);
  CHECK(fills[0] == std::pair<uint64_t, size_t>{0, ctr::kCheckpointChunkBytes});
  CHECK(fills[1] == std::pair<uint64_t, size_t>{ctr::kCheckpointChunkBytes,
                                                bytes - ctr::kCheckpointChunkBytes});

  ctr::CheckpointReader r(path);
  REQUIRE(r.find("table")->bytes == bytes);
  uint64_t expect_offset = 0;
  size_t pieces = 0;
  bool all_equal = true;
  const auto check_piece = [&](uint64_t offset, const void* data, size_t n) {
    REQUIRE(offset == expect_offset);
    REQUIRE(n <= ctr::kCheckpointChunkBytes);
    const auto* f = static_cast<const float*>(data);
    for (size_t k = 0; k < n / 4; ++k) all_equal &= f[k] == value(offset / 4 + k);
    expect_offset += n;
    ++pieces;
  };
  r.read_streamed("table", DType::f32, {rows, cols}, check_piece);
  CHECK(expect_offset == bytes);
  CHECK(pieces == 2);
  CHECK(all_equal);

  std::vector<float> whole(rows * cols);
  r.read("table", DType::f32, {rows, cols}, whole.data());
  for (size_t k = 0; k < whole.size(); ++k) all_equal &= whole[k] == value(k);
  CHECK(all_equal);
  CHECK(r.find("none")->bytes == 0);
}

TEST_CASE("checkpoint reads check the expected dtype and shape", "[checkpoint]") {
  ctr::test::ScratchDir dir("ckpt-mismatch");
  const std::string path = dir / "m.ckpt";
  Small().write(path);
  ctr::CheckpointReader r(path);
  std::vector<double> buf(16);
  CHECK_THAT(error_of([&] { r.read("emb", DType::f64, {2, 3}, buf.data()); }),
             Contains(path + ": array \"emb\": expected f64 [2, 3], the checkpoint has f32 "
                             "[2, 3]"));
  CHECK_THAT(error_of([&] { r.read("emb", DType::f32, {3, 2}, buf.data()); }),
             Contains("expected f32 [3, 2], the checkpoint has f32 [2, 3]"));
  CHECK_THAT(error_of([&] { r.read("emb", DType::f32, {6}, buf.data()); }),
             Contains("expected f32 [6]"));
  CHECK_THAT(error_of([&] {
               r.read_streamed("ids", DType::u64, {3}, [](uint64_t, const void*, size_t) {});
             }),
             Contains("array \"ids\": expected u64 [3], the checkpoint has u32 [3]"));
  CHECK_THAT(error_of([&] { r.read("emb.weight", DType::f32, {2, 3}, buf.data()); }),
             Contains(path + ": the checkpoint has no array named \"emb.weight\" (it has \"emb\", "
                             "\"moments/m\""));
}

TEST_CASE("checkpoint writer rejects bad arrays and stays usable", "[checkpoint]") {
  ctr::test::ScratchDir dir("ckpt-writer-errors");
  const std::string path = dir / "w.ckpt";
  ctr::CheckpointWriter w(path, "{}");
  const float x[2] = {1, 2};
  w.add("a", DType::f32, {2}, x);
  CHECK_THAT(error_of([&] { w.add("a", DType::f32, {2}, x); }),
             Contains(path + ": the checkpoint already has an array named \"a\""));
  CHECK_THAT(error_of([&] { w.add("", DType::f32, {2}, x); }), Contains("must not be empty"));
  const std::vector<uint64_t> huge = {uint64_t{1} << 40, uint64_t{1} << 23};
  CHECK_THAT(error_of([&] { w.add("huge", DType::f32, huge, x); }),
             Contains("array \"huge\": shape [1099511627776, 8388608] of f32 has more than 2^64"));
  CHECK_THAT(error_of([&] { w.add("deep", DType::f32, std::vector<uint64_t>(17, 1), x); }),
             Contains("17 dimensions"));
  CHECK_THAT(error_of([&] { w.add(std::string(70000, 'n'), DType::f32, {2}, x); }),
             Contains("70000 bytes"));
  w.add("b", DType::f32, {1}, x + 1);
  w.commit();
  ctr::CheckpointReader r(path);
  REQUIRE(r.arrays().size() == 2);
  float b = 0;
  r.read("b", DType::f32, {1}, &b);
  CHECK(b == 2.0f);
}

TEST_CASE("checkpoint commit is atomic", "[checkpoint]") {
  ctr::test::ScratchDir dir("ckpt-atomic");
  const std::string path = dir / "run.ckpt";
  const float one = 1, two = 2;

  SECTION("a writer destroyed without commit leaves nothing") {
    { ctr::CheckpointWriter w(path, "{}"); w.add("x", DType::f32, {1}, &one); }
    CHECK_FALSE(fs::exists(path));
    CHECK_FALSE(fs::exists(path + ".tmp"));
  }
  SECTION("a fill that throws: the writer is destroyed, nothing is left") {
    CHECK_THROWS_AS(
        [&] {
          ctr::CheckpointWriter w(path, "{}");
          w.add_streamed("x", DType::f32, {1 << 22}, [](uint64_t offset, void*, size_t) {
            if (offset > 0) throw std::runtime_error("device copy failed");
          });
          w.commit();
        }(),
        std::runtime_error);
    CHECK_FALSE(fs::exists(path));
    CHECK_FALSE(fs::exists(path + ".tmp"));
  }
  SECTION("commit replaces an existing checkpoint; until then the old one stays readable") {
    {
      ctr::CheckpointWriter w(path, R"({"step": 1})");
      w.add("x", DType::f32, {1}, &one);
      w.commit();
    }
    {
      ctr::CheckpointWriter w(path, R"({"step": 2})");
      w.add("x", DType::f32, {1}, &two);
      REQUIRE(fs::exists(path + ".tmp"));
      CHECK_THAT(error_of([&] { ctr::CheckpointReader r(path + ".tmp"); }),
                 Contains("never finished"));
      ctr::CheckpointReader old(path);
      CHECK(old.header_json() == R"({"step": 1})");
      w.commit();
      // An open reader keeps reading the file it opened, whole, after the rename.
      float x = 0;
      old.read("x", DType::f32, {1}, &x);
      CHECK(x == 1.0f);
    }
    CHECK_FALSE(fs::exists(path + ".tmp"));
    ctr::CheckpointReader r(path);
    CHECK(r.header_json() == R"({"step": 2})");
    float x = 0;
    r.read("x", DType::f32, {1}, &x);
    CHECK(x == 2.0f);
  }
  SECTION("an abandoned writer leaves the existing checkpoint alone") {
    {
      ctr::CheckpointWriter w(path, R"({"step": 1})");
      w.commit();
    }
    { ctr::CheckpointWriter w(path, R"({"step": 2})"); w.add("x", DType::f32, {1}, &two); }
    CHECK(ctr::CheckpointReader(path).header_json() == R"({"step": 1})");
    CHECK_FALSE(fs::exists(path + ".tmp"));
  }
}

TEST_CASE("checkpoint corruption is detected and named", "[checkpoint]") {
  ctr::test::ScratchDir dir("ckpt-corrupt");
  const std::string path = dir / "c.ckpt";
  const Small s;
  s.write(path);
  const std::string good = ctr::test::read_file(path);
  const uint64_t index_offset = L::get<uint64_t>(good.data() + L::kHdrIndexOffset);
  const uint64_t json_size = L::get<uint64_t>(good.data() + L::kHdrJsonSize);
  const auto open_error = [&] { return error_of([&] { ctr::CheckpointReader r(path); }); };

  SECTION("the fixed header") {
    flip_byte(path, L::kHdrJsonSize);
    CHECK_THAT(open_error(), Contains(path + ": header: checksum mismatch") &&
                                 Contains("the checkpoint is corrupt"));
  }
  SECTION("the version (or a damaged header)") {
    flip_byte(path, L::kHdrVersion + 1);
    CHECK_THAT(open_error(), Contains("version 8193 is not supported") &&
                                 Contains("or the header is corrupt"));
  }
  SECTION("the JSON header") {
    flip_byte(path, L::kHeaderSize + 3);
    CHECK_THAT(open_error(), Contains(path + ": JSON header: checksum mismatch"));
  }
  SECTION("the index") {
    flip_byte(path, index_offset + 5);
    CHECK_THAT(open_error(), Contains(path + ": index: checksum mismatch"));
  }
  SECTION("the trailer") {
    flip_byte(path, good.size() - 1);
    CHECK_THAT(open_error(), Contains("trailer: found \"CKPT_ENd\""));
  }
  SECTION("array data, in read and read_streamed") {
    flip_byte(path, L::kHeaderSize + json_size + 24 + 3);  // inside "moments/m"
    ctr::CheckpointReader r(path);
    std::vector<float> emb(6);  // f32 {2, 3}
    std::vector<double> buf(2);
    r.read("emb", DType::f32, {2, 3}, emb.data());  // the arrays around it are fine
    CHECK_THAT(error_of([&] { r.read("moments/m", DType::f64, {2}, buf.data()); }),
               Contains(path + ": array \"moments/m\": checksum mismatch"));
    CHECK_THAT(error_of([&] {
                 r.read_streamed("moments/m", DType::f64, {2},
                                 [](uint64_t, const void*, size_t) {});
               }),
               Contains("array \"moments/m\": checksum mismatch") && Contains("discard"));
  }
  SECTION("an index whose CRC is right but whose sizes are not") {
    // As a writer bug would produce it: bytes of entry 0 no longer match its shape.
    std::string bad = good;
    const size_t e = entry_offset_of(bad, 0);
    const size_t bytes_at = e + L::entry_size(3, 2) - 12;
    L::put_u64(bad.data() + bytes_at, 28);
    const size_t entries = bad.size() - index_offset - L::kIndexCrcSize - L::kTrailerSize;
    const uint32_t crc = L::crc32_of(bad.data() + index_offset, entries);
    L::put_u32(bad.data() + index_offset + entries, crc);
    write_bytes(path, bad);
    CHECK_THAT(open_error(), Contains("index, array \"emb\": shape [2, 3] of f32 does not match "
                                      "its size of 28 bytes"));
  }
  SECTION("not a checkpoint") {
    write_bytes(path, "CTRSHARD and more bytes than a header, more than a header, more...");
    CHECK_THAT(open_error(), Contains("not a ctrtrain checkpoint (it starts with \"CTRSHARD\""));
  }
  SECTION("appended bytes") {
    write_bytes(path, good + "x");
    CHECK_THAT(open_error(), Contains("end of file: the file has"));
  }
  SECTION("a missing file") {
    CHECK_THAT(error_of([&] { ctr::CheckpointReader r(dir / "absent.ckpt"); }),
               Contains("absent.ckpt: cannot open the checkpoint"));
  }
}

TEST_CASE("every truncation and every flipped byte of a checkpoint is detected", "[checkpoint]") {
  ctr::test::ScratchDir dir("ckpt-every-byte");
  const std::string path = dir / "e.ckpt", bad = dir / "bad.ckpt";
  const Small s;
  s.write(path);
  const std::string good = ctr::test::read_file(path);
  s.read_all(path);

  size_t undetected = 0, not_truncation = 0;
  for (size_t cut = 0; cut < good.size(); ++cut) {
    write_bytes(bad, good.substr(0, cut));
    const std::string e = error_of([&] { s.read_all(bad); });
    undetected += e.empty();
    not_truncation += e.find(bad + ": truncated: ") != 0;
  }
  CHECK(undetected == 0);
  CHECK(not_truncation == 0);

  undetected = 0;
  for (size_t at = 0; at < good.size(); ++at) {
    std::string b = good;
    b[at] ^= 0x01;
    write_bytes(bad, b);
    undetected += error_of([&] { s.read_all(bad); }).empty();
  }
  CHECK(undetected == 0);
}

// Not run by CTest (hidden tag): `unit_test_checkpoint_file "[.bench]"` times a 1 GiB checkpoint.
TEST_CASE("checkpoint write and read speed", "[.bench]") {
  ctr::test::ScratchDir dir("ckpt-bench");
  const std::string path = dir / "big.ckpt";
  std::vector<float> table(size_t{1} << 28);
  std::iota(table.begin(), table.end(), 0.0f);
  const double gib = table.size() * 4.0 / (1 << 30);
  const auto seconds = [](auto t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  auto t0 = std::chrono::steady_clock::now();
  {
    ctr::CheckpointWriter w(path, "{}");
    w.add("table", DType::f32, {table.size()}, table.data());
    w.commit();
  }
  const double t_write = seconds(t0);
  t0 = std::chrono::steady_clock::now();
  {
    ctr::CheckpointWriter w(path, "{}");
    w.add_streamed("table", DType::f32, {table.size()}, [&](uint64_t off, void* buf, size_t n) {
      std::memcpy(buf, reinterpret_cast<const char*>(table.data()) + off, n);
    });
    w.commit();
  }
  const double t_stream = seconds(t0);
  t0 = std::chrono::steady_clock::now();
  ctr::CheckpointReader(path).read("table", DType::f32, {table.size()}, table.data());
  const double t_read = seconds(t0);
  WARN("1 GiB: add + commit (with fsync) " << gib / t_write << " GiB/s, add_streamed + commit "
                                           << gib / t_stream << " GiB/s, read (page cache) "
                                           << gib / t_read << " GiB/s");
}
