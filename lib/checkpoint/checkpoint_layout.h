// On-disk constants and helpers shared by the checkpoint writer and reader.
//
// docs/checkpoint-format.md is the normative description; every offset here must match it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_file.h"

// Arrays are copied to and from disk as they lie in memory, which is the documented
// little-endian layout only on a little-endian host. Every platform we build for is one.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the checkpoint format assumes a little-endian host");

namespace ctr::checkpoint_layout {

constexpr uint32_t kVersion = 1;

// File header, at offset 0; the JSON header follows it, then the arrays' data.
constexpr char kMagic[8] = {'C', 'T', 'R', 'C', 'K', 'P', 'N', 'T'};
constexpr size_t kHeaderSize = 48;
constexpr size_t kHdrVersion = 8;       // u32
constexpr size_t kHdrNumArrays = 12;    // u32
constexpr size_t kHdrJsonSize = 16;     // u64
constexpr size_t kHdrIndexOffset = 24;  // u64; 0 = the writer never finished
constexpr size_t kHdrFileSize = 32;     // u64
constexpr size_t kHdrJsonCrc = 40;      // u32, CRC32 of the JSON bytes
constexpr size_t kHdrCrc = 44;          // u32, CRC32 of header bytes [0, 44)

// Index, at index_offset: num_arrays variable-size entries, a u32 CRC32 of them, the trailer.
// Entry: u16 name_len, name, u8 dtype, u8 ndim, u64 dims[ndim], u64 offset, u64 bytes, u32 crc.
constexpr size_t kIndexCrcSize = 4;
constexpr char kTrailerMagic[8] = {'C', 'K', 'P', 'T', '_', 'E', 'N', 'D'};
constexpr size_t kTrailerSize = 8;

constexpr size_t kMaxNameBytes = 65535;  // fits the u16 length
constexpr size_t kMaxDims = 16;

inline size_t entry_size(size_t name_len, size_t ndim) { return 2 + name_len + 2 + 8 * ndim + 20; }

uint32_t crc32_update(uint32_t crc, const void* p, size_t n);  // crc 0 starts a new CRC
inline uint32_t crc32_of(const void* p, size_t n) { return crc32_update(0, p, n); }

inline void put_u16(char* p, uint16_t v) { std::memcpy(p, &v, 2); }
inline void put_u32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void put_u64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
template <class T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

bool valid_dtype(uint8_t code);
// product(shape) * dtype_size, or false if that overflows a u64.
bool array_bytes(DType dtype, const std::vector<uint64_t>& shape, uint64_t* bytes);
std::string shape_string(const std::vector<uint64_t>& shape);  // "[33762577, 10]"

}  // namespace ctr::checkpoint_layout
