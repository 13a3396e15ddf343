// Edit distance and the nearest-candidate search behind "did you mean" in config messages.
#include "config/key_suggest.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace ctr {

size_t edit_distance(const std::string& a, const std::string& b) {
  auto lower = [](char ch) { return static_cast<char>(std::tolower(static_cast<unsigned char>(ch))); };
  const size_t n = a.size(), m = b.size();
  // Three rows suffice: the swap case looks two rows back.
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

bool is_close(const std::string& word, const std::string& candidate, size_t distance) {
  return distance <= std::max<size_t>(2, word.size() / 3) && distance < std::max(word.size(), candidate.size());
}

std::string best_candidate(const std::string& word, const std::vector<SuggestCandidate>& candidates) {
  const SuggestCandidate* best = nullptr;
  size_t best_score = std::numeric_limits<size_t>::max();
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c.compare);
    if (!is_close(word, c.compare, d)) continue;
    if (d + c.penalty < best_score) {
      best_score = d + c.penalty;
      best = &c;
    }
  }
  return best ? best->suggest : std::string();
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::vector<SuggestCandidate> c;
  for (const auto& s : candidates) c.push_back({s, s, 0});
  return best_candidate(word, c);
}

}  // namespace ctr
