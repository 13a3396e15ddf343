// Internal to lib/config: one config value read with its type and range, failing with the place and key.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/train_config.h"

namespace ctr::config_detail {

// "cfg.yaml:7:3" (1-based line:column), or just the origin when the mark is unknown.
std::string where_in(const std::string& origin, const YAML::Mark& mark);
// How a node reads in a message: 'abc', a list, a map, nothing.
std::string describe(const YAML::Node& node);

// Where values come from, for the prefix of messages.
struct Place {
  std::string origin;        // the file path, or the whole "--set optimizer.lr=abc" argument
  bool is_override = false;  // --set: the argument is the place; no line numbers
  YAML::Mark key_mark;       // reported for empty values, whose own mark points past them
};

class Value {
 public:
  // `key` is the full key (optimizer.lr); relative paths resolve against `base_dir`.
  Value(YAML::Node node, std::string key, Place place, std::string base_dir)
      : node_(std::move(node)), key_(std::move(key)), place_(std::move(place)), base_dir_(std::move(base_dir)) {}

  // Every real has an upper bound, so that an absurd value (lr: 1e300) is refused with its range.
  double positive(double hi) const;      // in (0, hi]
  double non_negative(double hi) const;  // in [0, hi]
  double unit_interval() const;          // in [0, 1): 1 excluded
  int64_t integer(int64_t lo, int64_t hi) const;
  uint64_t unsigned_integer() const;
  uint64_t byte_size() const;    // 4096, 512M, 8G, 1.5T (core/byte_size.h)
  bool boolean() const;
  std::string text() const;      // any scalar, verbatim
  std::string path(bool allow_empty = false) const;  // relative -> absolute under base_dir; "" stays ""
  std::string run_name() const;  // is_valid_run_name
  std::vector<int> int_list(int lo, int hi) const;
  template <class E> E choice() const { return static_cast<E>(choice_index(enum_names<E>())); }
  bool is_map() const { return node_.IsDefined() && node_.IsMap(); }
  // A map value's members, in order, each a Value keyed "KEY.MEMBER"; a member not in `allowed`
  // (or a repeated one) fails, with a suggestion.
  std::vector<std::pair<std::string, Value>> members(const std::vector<std::string>& allowed) const;

  std::string where() const;                                  // "cfg.yaml:7:3" or "--set ..."
  [[noreturn]] void fail(const std::string& message) const;  // "{where}: {key}: {message}"

 private:
  double real(double lo, bool lo_inclusive, double hi, bool hi_inclusive, const std::string& allowed) const;
  size_t choice_index(const std::vector<std::string>& names) const;
  const std::string& scalar(const std::string& expected) const;  // fails unless a non-null scalar

  YAML::Node node_;
  std::string key_;
  Place place_;
  std::string base_dir_;
};

// Relative `p` joined to `base_dir`, made absolute and normalised; absolute `p` is returned as given.
std::string resolve_path(const std::string& p, const std::string& base_dir);

}  // namespace ctr::config_detail
