// synth_write: the row loop. Each row draws its ranks and dense values from the schema, asks the
// teacher for a label, and is formatted as a raw Criteo (TSV) or Avazu (CSV) line.
#include "synth/synth.h"

#include <cmath>
#include <cstring>
#include <string>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "core/hash.h"
#include "core/rng.h"
#include "synth/synth_schema.h"
#include "synth/teacher.h"
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

// A multiplier coprime with n, so (r * m) mod n permutes 0..n-1.
uint64_t coprime_multiplier(uint64_t n) {
  for (uint64_t m = 1000003;; m += 2)
    if (std::gcd(m, n) == 1) return m % n == 0 ? 1 : m;
}

class RowWriter {
 public:
  RowWriter(const SynthSchema& s) : s_(s), sep_(s.kind == DatasetKind::criteo ? '\t' : ',') {
    for (const auto& f : s_.cat) mult_.push_back(coprime_multiplier(f.ranks.size()));
  }

  // Longest possible row: 20-digit id, label, 13 dense of 20 chars, 26 values of 20 chars, separators.
  static constexpr size_t kMaxRowBytes = 1024;

  char* write(char* p, Rng& rng, int label, const uint64_t* ranks, const int64_t* dense,
              const uint8_t* dense_missing) const {
    if (s_.kind == DatasetKind::avazu) {
      p = put_u64(p, rng.next_u64() >> 1);  // `id`: unused by preprocessing, random like the real one
      *p++ = ',';
    }
    *p++ = static_cast<char>('0' + label);
    for (size_t d = 0; d < s_.dense.size(); ++d) {
      *p++ = sep_;
      if (!dense_missing[d]) p = put_i64(p, dense[d]);
    }
    for (size_t f = 0; f < s_.cat.size(); ++f) {
      *p++ = sep_;
      if (ranks[f] != 0) p = put_value(p, f, ranks[f]);
    }
    *p++ = '\n';
    return p;
  }

 private:
  char* put_value(char* p, size_t f, uint64_t rank) const {
    const SynthCatField& c = s_.cat[f];
    switch (c.shape) {
      case ValueShape::hex8:
        return put_hex8(p, permute32(static_cast<uint32_t>(rank), c.perm_key));
      case ValueShape::decimal:
        return put_u64(p, c.decimal_base + ((rank - 1) * mult_[f]) % c.ranks.size());
      case ValueShape::avazu_hour: {
        uint64_t idx = ((rank - 1) * 7) % 240;  // 7 is coprime with 240: a permutation
        std::memcpy(p, "1410", 4);
        p = put_two_digits(p + 4, 21 + idx / 24);
        return put_two_digits(p, idx % 24);
      }
    }
    return p;
  }
  const SynthSchema& s_;
  char sep_;
  std::vector<uint64_t> mult_;
};

std::string avazu_header() {
  const Schema& s = schema_for(DatasetKind::avazu);
  std::string h;
  for (size_t i = 0; i < s.raw_columns.size(); ++i) h += (i ? "," : "") + s.raw_columns[i];
  return h + "\n";
}

// Probability p as a threshold on 64 random bits (0 never fires).
uint64_t threshold(double p) { return p <= 0 ? 0 : static_cast<uint64_t>(p * 18446744073709551615.0); }

}  // namespace

SynthStats synth_write(const SynthOptions& opts, ByteSink& sink) {
  if (opts.rows < 1) throw UsageError("--rows must be at least 1");
  SynthSchema schema = make_synth_schema(opts);
  Teacher teacher(schema, opts.seed);
  RowWriter writer(schema);
  Rng rng = Rng::derive(opts.seed, 0x726f7773ULL);

  const size_t nc = schema.cat.size(), nd = schema.dense.size();
  std::vector<uint64_t> cat_missing, dense_missing_t;
  for (const auto& f : schema.cat) cat_missing.push_back(threshold(f.missing_rate));
  for (const auto& f : schema.dense) dense_missing_t.push_back(threshold(f.missing_rate));
  std::vector<uint64_t> ranks(nc);
  std::vector<int64_t> dense(nd);
  std::vector<uint8_t> missing(nd);

  SynthStats stats;
  constexpr size_t kFlushBytes = 1 << 20;
  std::vector<char> buf(kFlushBytes + RowWriter::kMaxRowBytes);
  char* p = buf.data();
  if (schema.kind == DatasetKind::avazu) {
    std::string h = avazu_header();
    p = static_cast<char*>(std::memcpy(p, h.data(), h.size())) + h.size();
  }
  for (uint64_t r = 0; r < opts.rows; ++r) {
    for (size_t f = 0; f < nc; ++f)
      ranks[f] = (cat_missing[f] && rng.next_u64() < cat_missing[f]) ? 0 : schema.cat[f].ranks.sample(rng);
    for (size_t d = 0; d < nd; ++d) {
      missing[d] = dense_missing_t[d] && rng.next_u64() < dense_missing_t[d];
      dense[d] = missing[d] ? 0
                            : schema.dense[d].min_value + static_cast<int64_t>(schema.dense[d].magnitude.sample(rng)) - 1;
    }
    double p_pos = 1.0 / (1.0 + std::exp(-teacher.logit(ranks.data(), dense.data())));
    int label = rng.unit() < p_pos;
    stats.positives += label;
    p = writer.write(p, rng, label, ranks.data(), dense.data(), missing.data());
    if (static_cast<size_t>(p - buf.data()) >= kFlushBytes) {
      sink.write(buf.data(), static_cast<size_t>(p - buf.data()));
      stats.bytes += static_cast<uint64_t>(p - buf.data());
      p = buf.data();
    }
  }
  sink.write(buf.data(), static_cast<size_t>(p - buf.data()));
  stats.bytes += static_cast<uint64_t>(p - buf.data());
  stats.rows = opts.rows;
  return stats;
}

}  // namespace ctr
