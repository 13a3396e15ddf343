// ROC AUC by radix-sorting the scores of positives and negatives separately, then one merge pass.
#include "metrics/auc.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ctr {

namespace {

// A uint32 whose unsigned order is the float's numeric order: flip all bits of negatives (their
// magnitude order is reversed) and only the sign bit of positives (so they sort above negatives).
// -0.0 and +0.0 are equal scores and must tie, so both become the key of +0.0.
inline uint32_t order_key(float score) {
  uint32_t b;
  std::memcpy(&b, &score, sizeof b);
  if ((b << 1) == 0) b = 0;
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

// LSD radix sort in three passes of 11, 11 and 10 bits: 2048 buckets keep the histograms and the
// scatter's write streams in L1/L2, where 16-bit digits (65536 streams) thrash the TLB. A pass
// whose digit is the same for every key is skipped; scores from a sigmoid share their top bits.
// Returns whichever of the two buffers holds the sorted keys.
const uint32_t* radix_sort(uint32_t* keys, uint32_t* tmp, size_t n) {
  constexpr int kPasses = 3, kBits = 11;
  constexpr uint32_t kMask = (1u << kBits) - 1;
  std::vector<std::array<size_t, 1u << kBits>> hist(kPasses);
  for (auto& h : hist) h.fill(0);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t k = keys[i];
    ++hist[0][k & kMask];
    ++hist[1][(k >> kBits) & kMask];
    ++hist[2][k >> (2 * kBits)];
  }
  for (int p = 0; p < kPasses; ++p) {
    auto& h = hist[p];
    const int shift = p * kBits;
    if (n == 0 || h[(keys[0] >> shift) & kMask] == n) continue;
    size_t sum = 0;
    for (size_t& c : h) sum += std::exchange(c, sum);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t k = keys[i];
      tmp[h[(k >> shift) & kMask]++] = k;
    }
    std::swap(keys, tmp);
  }
  return keys;
}

bool is_binary(float y) { return (y == 0.0f) | (y == 1.0f); }

[[noreturn]] void bad_label(const float* labels, size_t i) {
  throw Error(fmt::format("AUC: label {} is {} (labels must be 0 or 1)", i, labels[i]));
}

}  // namespace

double roc_auc(const float* scores, const float* labels, size_t n) {
  // Branch-free: the labels are random, so a branch per example would mispredict often.
  size_t npos = 0;
  bool all_binary = true;
  for (size_t i = 0; i < n; ++i) {
    all_binary &= is_binary(labels[i]);
    npos += labels[i] == 1.0f;
  }
  if (!all_binary)
    for (size_t i = 0;; ++i)
      if (!is_binary(labels[i])) bad_label(labels, i);
  if (n == 0)
    throw Error(
        "AUC is undefined: there are no examples (n = 0); it needs labels of both classes, not "
        "only one class or none");
  if (npos == 0 || npos == n)
    throw Error(fmt::format(
        "AUC is undefined: only one class is present (all {} labels are {}); it needs both 0 and 1",
        n, npos == 0 ? 0 : 1));
  // Twice the Mann-Whitney U below is at most n^2 / 2, which must fit in a uint64.
  if (n > UINT32_MAX)
    throw Error(fmt::format("AUC: {} examples are more than the supported 2^32 - 1", n));

  // Positives' keys at the front, negatives' at the back; each part is sorted on its own, so the
  // sort moves 4 bytes per example instead of a (key, label) pair.
  // Default-initialized: zero-filling 8 bytes per example would be one more pass over memory.
  std::unique_ptr<uint32_t[]> keys(new uint32_t[n]), tmp(new uint32_t[n]);
  size_t ip = 0, in = npos;
  bool any_nan = false;
  for (size_t i = 0; i < n; ++i) {
    const size_t pos = labels[i] == 1.0f;
    any_nan |= std::isnan(scores[i]);
    keys[pos ? ip : in] = order_key(scores[i]);
    ip += pos;
    in += 1 - pos;
  }
  if (any_nan)
    for (size_t i = 0;; ++i)
      if (std::isnan(scores[i]))
        throw Error(fmt::format("AUC: score {} is NaN (the model's predictions diverged?)", i));
  const size_t nneg = n - npos;
  const uint32_t* pos = radix_sort(keys.get(), tmp.get(), npos);
  const uint32_t* neg = radix_sort(keys.get() + npos, tmp.get() + npos, nneg);

  // Each positive beats the negatives with lower scores and half-beats those with equal ones:
  // 2U = sum over positives of (2 * negatives below + negatives tied). Integer, so exact.
  uint64_t u2 = 0;
  size_t j = 0;  // negatives with a key below the current one
  for (size_t i = 0; i < npos;) {
    const uint32_t k = pos[i];
    size_t i_end = i + 1;
    while (i_end < npos && pos[i_end] == k) ++i_end;
    while (j < nneg && neg[j] < k) ++j;
    size_t j_end = j;
    while (j_end < nneg && neg[j_end] == k) ++j_end;
    u2 += uint64_t{i_end - i} * (2 * uint64_t{j} + (j_end - j));
    i = i_end;
  }
  return static_cast<double>(u2) / (2.0 * static_cast<double>(npos) * static_cast<double>(nneg));
}

}  // namespace ctr
