// Checkpoint dtypes, shapes and checksums shared by the writer and reader.
#include "checkpoint/checkpoint_layout.h"

#include <zlib.h>

#include <fmt/format.h>

#include "core/error.h"

namespace ctr {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::u32: return 4;
    case DType::u64: return 8;
  }
  CTR_CHECK(false, "invalid DType {}", static_cast<int>(t));
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::u32: return "u32";
    case DType::u64: return "u64";
  }
  CTR_CHECK(false, "invalid DType {}", static_cast<int>(t));
}

namespace checkpoint_layout {

uint32_t crc32_update(uint32_t crc, const void* p, size_t n) {
  // zlib takes a uInt length; feed it in pieces so multi-GiB arrays stay correct.
  auto* b = static_cast<const Bytef*>(p);
  uLong c = crc;
  while (n > 0) {
    const uInt piece = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
    c = crc32(c, b, piece);
    b += piece;
    n -= piece;
  }
  return static_cast<uint32_t>(c);
}

bool valid_dtype(uint8_t code) { return code >= 1 && code <= 4; }

bool array_bytes(DType dtype, const std::vector<uint64_t>& shape, uint64_t* bytes) {
  // A zero dimension makes the product 0 whatever the others are, so look for one first:
  // {0, 2^40, 2^40} is a valid empty array, not an overflow.
  for (uint64_t d : shape)
    if (d == 0) return *bytes = 0, true;
  uint64_t n = dtype_size(dtype);
  for (uint64_t d : shape) {
    if (n > UINT64_MAX / d) return false;
    n *= d;
  }
  *bytes = n;
  return true;
}

std::string shape_string(const std::vector<uint64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace checkpoint_layout
}  // namespace ctr
