// RowFormatter implementation: the rank -> value bijections and the line layout.
#include "synth/row_format.h"

#include <cstring>
#include <numeric>

#include "synth/text_format.h"

namespace ctr {
namespace {

// A bijection on 32-bit values (xor-shift-multiply steps are each invertible): distinct ranks give
// distinct ids, and frequent ids are scattered rather than sorted.
inline uint32_t permute32(uint32_t x, uint32_t key) {
  x ^= key;
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// A multiplier coprime with n, so (r * m) mod n permutes 0..n-1: small decimal values then do
// not rise and fall with frequency.
uint64_t coprime_multiplier(uint64_t n) {
  for (uint64_t m = 1000003;; m += 2)
    if (std::gcd(m, n) == 1) return m % n == 0 ? 1 : m;
}

constexpr uint64_t kHourMultiplier = 7;  // coprime with the 240 hours

}  // namespace

RowFormatter::RowFormatter(const SynthSchema& schema)
    : schema_(schema), sep_(public_dataset(schema.kind).schema.separator) {
  for (const auto& f : schema_.cat) decimal_mult_.push_back(coprime_multiplier(f.ranks.size()));
}

std::string RowFormatter::header() const {
  const Schema& s = public_dataset(schema_.kind).schema;
  return s.header ? s.header_line() + "\n" : "";
}

char* RowFormatter::write(char* p, Rng& rng, int label, const SynthRow& row) const {
  if (schema_.kind == DatasetKind::avazu) {
    p = put_u64(p, rng.next_u64());  // `id`: up to 20 digits, unused by preprocessing, like the real one
    *p++ = ',';
  }
  *p++ = static_cast<char>('0' + label);
  for (size_t d = 0; d < row.dense.size(); ++d) {
    *p++ = sep_;
    if (!row.dense_missing[d]) p = put_i64(p, row.dense[d]);
  }
  for (size_t f = 0; f < row.ranks.size(); ++f) {
    *p++ = sep_;
    if (row.ranks[f] != 0) p = put_value(p, f, row.ranks[f]);
  }
  *p++ = '\n';
  return p;
}

char* RowFormatter::put_value(char* p, size_t field, uint64_t rank) const {
  const SynthCatField& c = schema_.cat[field];
  switch (c.shape) {
    case ValueShape::hex8:
      return put_hex8(p, permute32(static_cast<uint32_t>(rank), c.perm_key));
    case ValueShape::decimal:
      return put_u64(p, c.decimal_base + ((rank - 1) * decimal_mult_[field]) % c.ranks.size());
    case ValueShape::avazu_hour: {
      uint64_t idx = ((rank - 1) * kHourMultiplier) % 240;
      std::memcpy(p, "1410", 4);
      p = put_two_digits(p + 4, 21 + idx / 24);
      return put_two_digits(p, idx % 24);
    }
  }
  return p;
}

}  // namespace ctr
