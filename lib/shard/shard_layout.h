// On-disk constants and little-endian field helpers shared by the shard writer and reader.
//
// docs/shard-format.md is the normative description; every offset here must match it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <zlib.h>

// Bulk columns (f32, u32) are copied to and from disk with memcpy, which is only the documented
// little-endian layout on a little-endian host. Every platform we build for is one.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the .ctrs format assumes a little-endian host");

namespace ctr::shard_layout {

constexpr uint32_t kVersion = 1;

// File header, at offset 0.
constexpr char kMagic[8] = {'C', 'T', 'R', 'S', 'H', 'A', 'R', 'D'};
constexpr size_t kHeaderSize = 52;
constexpr size_t kHdrVersion = 8;       // u32
constexpr size_t kHdrNumDense = 12;     // u32
constexpr size_t kHdrNumCat = 16;       // u32
constexpr size_t kHdrNumGroups = 20;    // u32
constexpr size_t kHdrNumRows = 24;      // u64
constexpr size_t kHdrIndexOffset = 32;  // u64; 0 = the writer never finished
constexpr size_t kHdrFileSize = 40;     // u64
constexpr size_t kHdrCrc = 48;          // u32, CRC32 of bytes [0, 48)

// Row-group header, at each group's offset; the three chunks' bytes follow it in this order.
constexpr char kGroupMagic[4] = {'C', 'T', 'R', 'G'};
constexpr size_t kGroupHeaderSize = 48;
constexpr size_t kGrpRows = 4;    // u32
constexpr size_t kGrpChunks = 8;  // 3 x {u32 raw_size, u32 stored_size, u32 crc32(stored bytes)}
constexpr size_t kChunkDescSize = 12;
constexpr size_t kGrpCrc = 44;  // u32, CRC32 of bytes [0, 44)
constexpr size_t kNumChunks = 3;
enum Chunk : size_t { kLabels = 0, kDense = 1, kCat = 2 };
constexpr const char* kChunkNames[kNumChunks] = {"label", "dense", "categorical"};

// Row-group index, at the header's index offset: num_groups x {u64 offset, u32 rows}, then a
// u32 CRC32 of those entries, then the trailer magic, which ends the file.
constexpr size_t kIndexEntrySize = 12;
constexpr size_t kIndexCrcSize = 4;
constexpr char kTrailerMagic[8] = {'C', 'T', 'R', 'S', '_', 'E', 'N', 'D'};
constexpr size_t kTrailerSize = 8;

// Limits that keep every size read from disk bounded before anything is allocated.
constexpr uint32_t kMaxFields = 1u << 16;           // per kind (dense, categorical)
constexpr uint64_t kMaxChunkRawBytes = 1ull << 30;  // one chunk's uncompressed bytes

inline uint64_t index_bytes(uint64_t num_groups) {
  return num_groups * kIndexEntrySize + kIndexCrcSize + kTrailerSize;
}

inline uint32_t crc32_of(const void* p, size_t n) {
  // zlib's crc32 takes a uInt length; feed it in pieces so multi-GiB chunks stay correct.
  uLong crc = crc32(0L, Z_NULL, 0);
  auto* b = static_cast<const Bytef*>(p);
  while (n > 0) {
    uInt piece = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
    crc = crc32(crc, b, piece);
    b += piece;
    n -= piece;
  }
  return static_cast<uint32_t>(crc);
}

inline void put_u32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void put_u64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t get_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace ctr::shard_layout
