// backend_compare: see the header.
#include "support/backend_compare.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <sstream>

namespace ctr::test {

TableUpdateParams table_params(size_t rows, size_t dim, bool dense, int clip_mode, double grad_scale) {
  TableUpdateParams p;
  p.table_rows = rows, p.dim = dim, p.update_all_rows = dense, p.l2 = 1e-3, p.grad_scale = grad_scale;
  p.clip.enabled = clip_mode != 0;
  p.clip.paper_bound = clip_mode == 2;
  p.clip.r = 1;
  p.clip.zeta = p.clip.paper_bound ? 0.01 : 0.01 / std::sqrt(double(dim));
  p.adam.lr = 1e-2, p.adam.step = 3;
  return p;
}

void check_close(const std::string& what, const std::vector<float>& got, const std::vector<float>& want,
                 const std::vector<float>& mag, double rtol, double atol) {
  REQUIRE(got.size() == want.size());
  REQUIRE((mag.empty() || mag.size() == want.size()));
  size_t bad = 0, first = 0;
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double m = mag.empty() ? 0.0 : std::fabs(double(mag[i]));
    const double tol = rtol * (std::fabs(double(want[i])) + m) + atol;
    const double err = std::fabs(double(got[i]) - double(want[i]));
    if (!(err <= tol)) {
      if (bad++ == 0) first = i;
      worst = std::max(worst, tol > 0 ? err / tol : err);
    }
  }
  std::ostringstream msg;
  msg << what << ": " << bad << " of " << want.size() << " values outside tolerance";
  if (bad)
    msg << "; first at " << first << ": got " << got[first] << ", cpu " << want[first] << ", mag "
        << (mag.empty() ? 0.0f : mag[first]) << "; worst error/tolerance " << worst;
  INFO(msg.str());
  CHECK(bad == 0);
}

namespace {

template <class T>
void check_bits_impl(const std::string& what, const std::vector<T>& got, const std::vector<T>& want) {
  REQUIRE(got.size() == want.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < want.size(); ++i)
    if (std::memcmp(&got[i], &want[i], sizeof(T)) != 0 && bad++ == 0) first = i;
  std::ostringstream msg;
  msg << what << ": " << bad << " of " << want.size() << " values differ in their bits";
  if (bad) msg << "; first at " << first << ": got " << got[first] << ", want " << want[first];
  INFO(msg.str());
  CHECK(bad == 0);
}

}  // namespace

void check_bits(const std::string& what, const std::vector<float>& got, const std::vector<float>& want) {
  check_bits_impl(what, got, want);
}

void check_bits(const std::string& what, const std::vector<uint32_t>& got, const std::vector<uint32_t>& want) {
  check_bits_impl(what, got, want);
}

HostUniqueRows download_unique_rows(const UniqueRows<float>& u, size_t dim) {
  HostUniqueRows r;
  r.count = u.count;
  r.rows.resize(u.count);
  r.counts.resize(u.count);
  r.emb.resize(u.count * dim);
  r.lin.resize(u.count);
  if (u.count == 0) return r;
  u.rows.download(r.rows.data(), u.count);
  u.counts.download(r.counts.data(), u.count);
  u.grad_linear.download(r.lin.data(), u.count);
  if (dim) u.grad_embed.download(r.emb.data(), u.count * dim);
  return r;
}

HostUniqueRows sorted_by_row(const HostUniqueRows& r, size_t dim) {
  std::vector<size_t> order(r.count);
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r.rows[a] < r.rows[b]; });
  HostUniqueRows s;
  s.count = r.count;
  s.rows.reserve(r.count);
  s.counts.reserve(r.count);
  s.lin.reserve(r.count);
  s.emb.reserve(r.count * dim);
  for (size_t i : order) {
    s.rows.push_back(r.rows[i]);
    s.counts.push_back(r.counts[i]);
    s.lin.push_back(r.lin[i]);
    s.emb.insert(s.emb.end(), r.emb.begin() + i * dim, r.emb.begin() + (i + 1) * dim);
  }
  return s;
}

void check_unique_rows(const std::string& what, const HostUniqueRows& got, const HostUniqueRows& want,
                       const HostUniqueRows& mag, size_t occurrences, double rtol) {
  {
    INFO(what << ": unique rows got " << got.count << ", cpu " << want.count);
    REQUIRE(got.count == want.count);
  }
  check_bits(what + ": rows", got.rows, want.rows);
  check_bits(what + ": counts", got.counts, want.counts);
  check_close(what + ": grad_embed", got.emb, want.emb, mag.emb, rtol);
  check_close(what + ": grad_linear", got.lin, want.lin, mag.lin, rtol);
  size_t total = 0;
  for (uint32_t c : got.counts) total += c;
  INFO(what << ": the counts add up to " << total << " of " << occurrences << " occurrences");
  CHECK(total == occurrences);
}

}  // namespace ctr::test
