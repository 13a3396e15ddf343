// Closest-name suggestions for config errors ("did you mean 'optimizer.lr_embed'?").
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ctr {

// Damerau-Levenshtein distance (optimal string alignment: an adjacent swap is one edit), ignoring ASCII case.
size_t edit_distance(const std::string& a, const std::string& b);

// Whether a candidate `distance` edits away from `word` is worth suggesting: at most max(2, |word|/3)
// edits, and fewer than the longer string's length (so "ab" never suggests "lr").
bool is_close(const std::string& word, const std::string& candidate, size_t distance);

struct SuggestCandidate {
  std::string compare;  // what the typed word is measured against
  std::string suggest;  // what the message proposes
  size_t penalty = 0;   // added to the distance when ranking, e.g. 1 for a key of another section
};

// The `suggest` of the nearest close candidate, or "" when none is close; ties go to the earlier one.
// closest_match is the same over plain names.
std::string best_candidate(const std::string& word, const std::vector<SuggestCandidate>& candidates);
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace ctr
