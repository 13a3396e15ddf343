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

// The version the writer writes, and the oldest one readers still accept. Version 1 shards
// lack the field statistics and the group CRCs in the index, so fewer checks apply to them.
constexpr uint32_t kVersion = 2;
constexpr uint32_t kOldestVersion = 1;
constexpr const char* kReadableVersions = "versions 1 and 2";  // for messages

// File header, at offset 0. Bytes 0..47 mean the same in every version.
constexpr char kMagic[8] = {'C', 'T', 'R', 'S', 'H', 'A', 'R', 'D'};
constexpr size_t kHeaderSize = 52;      // version 1's whole header; every version's is at least this long
constexpr size_t kHdrVersion = 8;       // u32
constexpr size_t kHdrNumDense = 12;     // u32
constexpr size_t kHdrNumCat = 16;       // u32
constexpr size_t kHdrNumGroups = 20;    // u32
constexpr size_t kHdrNumRows = 24;      // u64
constexpr size_t kHdrIndexOffset = 32;  // u64; 0 = the writer never finished
constexpr size_t kHdrFileSize = 40;     // u64
constexpr size_t kHdrCrc = 48;          // version 1: u32, CRC32 of bytes [0, 48)
// Version 2 continues after byte 48 and ends with its CRC, so its size depends on num_cat.
constexpr size_t kHdrNonfinite = 48;  // u64: dense values that are NaN or infinite
constexpr size_t kHdrIndexCrc = 56;   // u32: the row-group index's CRC, repeated
constexpr size_t kHdrMaxIds = 60;     // u32[num_cat]: each field's largest id (0 without rows)

inline uint64_t header_size(uint32_t version, uint64_t num_cat) {
  return version == 1 ? kHeaderSize : kHdrMaxIds + 4 * num_cat + 4;
}
// Where the header's CRC32 (of every header byte before it) sits.
inline uint64_t header_crc_offset(uint32_t version, uint64_t num_cat) { return header_size(version, num_cat) - 4; }

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

// Row-group index, at the header's index offset: num_groups x {u64 offset, u32 rows, u32
// group_crc} (version 1: no group_crc), then a u32 CRC32 of those entries, then the trailer
// magic, which ends the file.
constexpr size_t kIndexEntrySize = 16;
constexpr size_t kIndexEntrySizeV1 = 12;
constexpr size_t kIndexCrcSize = 4;
constexpr char kTrailerMagic[8] = {'C', 'T', 'R', 'S', '_', 'E', 'N', 'D'};
constexpr size_t kTrailerSize = 8;

// Limits that keep every size read from disk bounded before anything is allocated.
constexpr uint32_t kMaxFields = 1u << 16;           // per kind (dense, categorical)
constexpr uint64_t kMaxChunkRawBytes = 1ull << 30;  // one chunk's uncompressed bytes

inline uint64_t index_entry_size(uint32_t version) { return version == 1 ? kIndexEntrySizeV1 : kIndexEntrySize; }
inline uint64_t index_bytes(uint64_t num_groups, uint32_t version = kVersion) {
  return num_groups * index_entry_size(version) + kIndexCrcSize + kTrailerSize;
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
