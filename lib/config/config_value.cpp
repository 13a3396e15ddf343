// Typed reading of config values: numbers, booleans, enums, lists and paths with located messages.
#include "config/config_value.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "config/key_suggest.h"
#include "core/byte_size.h"
#include "core/error.h"

namespace ctr::config_detail {

namespace {

enum class NumForm { none, integer, real };

// Decimal spellings only (8e-4, 1.0e-5, 131072, +1, .5): strtod alone would also take hex,
// "inf" and "nan".
NumForm classify(const std::string& s) {
  size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  bool fraction = false, exponent = false;
  while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < n && s[i] == '.') {
    fraction = true;
    ++i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return NumForm::none;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    exponent = true;
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return NumForm::none;
  }
  if (i != n) return NumForm::none;
  return fraction || exponent ? NumForm::real : NumForm::integer;
}

bool is_non_finite_spelling(std::string s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.erase(0, 1);
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s == ".inf" || s == "inf" || s == "infinity" || s == ".nan" || s == "nan";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string where_in(const std::string& origin, const YAML::Mark& mark) {
  if (mark.is_null()) return origin;
  return fmt::format("{}:{}:{}", origin, mark.line + 1, mark.column + 1);
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing (an empty value)";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "'" + node.Scalar() + "'";
}

std::string resolve_path(const std::string& p, const std::string& base_dir) {
  namespace fs = std::filesystem;
  if (fs::path(p).is_absolute()) return p;
  fs::path r = fs::absolute(fs::path(base_dir) / p).lexically_normal();
  if (!r.has_filename() && r != r.root_path()) r = r.parent_path();  // "data/" -> ".../data"
  return r.string();
}

std::string Value::where() const {
  if (place_.is_override) return place_.origin;
  bool empty = !node_.IsDefined() || node_.IsNull() || node_.Mark().is_null();
  return where_in(place_.origin, empty ? place_.key_mark : node_.Mark());
}

void Value::fail(const std::string& message) const {
  throw UsageError(fmt::format("{}: {}: {}", where(), key_, message));
}

namespace {

// Offset of the first byte that does not belong to a well-formed UTF-8 sequence, or npos.
size_t first_non_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size() || (len == 2 && b < 0xc2)) return i;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace

const std::string& Value::scalar(const std::string& expected) const {
  if (!node_.IsDefined() || node_.IsNull() || !node_.IsScalar())
    fail(fmt::format("expected {}, got {}", expected, describe(node_)));
  // YAML is UTF-8: other bytes would come back as U+FFFD in config.resolved.yaml, so that a
  // resumed run read a different value (a different data path) than the run it continues.
  const std::string& s = node_.Scalar();
  const size_t bad = first_non_utf8(s);
  if (bad != std::string_view::npos)
    fail(fmt::format("byte 0x{:02x} at offset {} is not UTF-8; expected {} in UTF-8 text",
                     static_cast<unsigned char>(s[bad]), bad, expected));
  return s;
}

double Value::positive(double hi) const { return real(0, false, hi, true, fmt::format("a number in (0, {:g}]", hi)); }
double Value::non_negative(double hi) const { return real(0, true, hi, true, fmt::format("a number in [0, {:g}]", hi)); }
double Value::unit_interval() const { return real(0, true, 1, false, "a number in [0, 1)"); }

double Value::real(double lo, bool lo_inclusive, double hi, bool hi_inclusive, const std::string& allowed) const {
  const std::string& s = scalar(allowed);
  if (classify(s) == NumForm::none) {
    if (is_non_finite_spelling(s)) fail(fmt::format("'{}' is not a finite number; allowed: {}", s, allowed));
    fail(fmt::format("expected {}, got '{}'", allowed, s));
  }
  double v = std::strtod(s.c_str(), nullptr);
  if (std::isinf(v)) fail(fmt::format("{} is too large (not a finite double); allowed: {}", s, allowed));
  bool below = lo_inclusive ? v < lo : v <= lo;
  bool above = hi_inclusive ? v > hi : v >= hi;
  if (below || above) fail(fmt::format("{} is out of range; allowed: {}", s, allowed));
  return v;
}

int64_t Value::integer(int64_t lo, int64_t hi) const {
  std::string allowed = fmt::format("an integer in {}..{}", lo, hi);
  const std::string& s = scalar(allowed);
  NumForm form = classify(s);
  if (form == NumForm::none) fail(fmt::format("expected {}, got '{}'", allowed, s));
  std::string overflow = fmt::format("{} does not fit in a 64-bit integer; allowed: {}", s, allowed);
  int64_t v = 0;
  if (form == NumForm::integer) {
    errno = 0;
    long long x = std::strtoll(s.c_str(), nullptr, 10);
    if (errno == ERANGE) fail(overflow);
    v = x;
  } else {  // 1e5 is an integer too; 1.5 is not
    double d = std::strtod(s.c_str(), nullptr);
    if (std::isinf(d) || std::fabs(d) >= 9.2e18) fail(overflow);
    if (d != std::floor(d)) fail(fmt::format("expected {}, got '{}' (not a whole number)", allowed, s));
    v = static_cast<int64_t>(d);
  }
  if (v < lo || v > hi) fail(fmt::format("{} is out of range; allowed: {}", s, allowed));
  return v;
}

uint64_t Value::unsigned_integer() const {
  const char* allowed = "an integer in 0..18446744073709551615";
  const std::string& s = scalar(allowed);
  NumForm form = classify(s);
  if (form == NumForm::none) fail(fmt::format("expected {}, got '{}'", allowed, s));
  std::string overflow = fmt::format("{} does not fit in a 64-bit unsigned integer; allowed: {}", s, allowed);
  if (form == NumForm::integer) {
    if (s[0] == '-' && s.find_first_not_of("-0") != std::string::npos)
      fail(fmt::format("{} is out of range; allowed: {}", s, allowed));
    errno = 0;
    unsigned long long x = std::strtoull(s.c_str() + (s[0] == '-'), nullptr, 10);  // strtoull would negate "-0"
    if (errno == ERANGE) fail(overflow);
    return x;
  }
  double d = std::strtod(s.c_str(), nullptr);
  if (std::isinf(d) || d >= 18446744073709551616.0) fail(overflow);
  if (d != std::floor(d)) fail(fmt::format("expected {}, got '{}' (not a whole number)", allowed, s));
  if (d < 0) fail(fmt::format("{} is out of range; allowed: {}", s, allowed));
  return static_cast<uint64_t>(d);
}

bool Value::boolean() const {
  const std::string& s = scalar("true or false");
  // The YAML 1.1 spellings yaml-cpp itself accepts, so hand-written configs keep working.
  for (const char* t : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
    if (s == t) return true;
  for (const char* f : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
    if (s == f) return false;
  fail(fmt::format("expected true or false, got '{}'", s));
}

std::string Value::text() const { return scalar("a string"); }

uint64_t Value::byte_size() const {
  const char* allowed = "a size in bytes, such as 4096, 512M, 8G or 1.5T (K, M, G, T are powers of 1024)";
  const std::string& s = scalar(allowed);
  const std::optional<uint64_t> bytes = parse_byte_size(s);
  if (!bytes) fail(fmt::format("expected {}, got '{}'", allowed, s));
  return *bytes;
}

std::string Value::path(bool allow_empty) const {
  const std::string& s = scalar("a directory path");
  if (s.empty() && allow_empty) return s;
  if (s.empty()) fail("the path is empty; give a directory (relative paths are taken from the config's folder)");
  return resolve_path(s, base_dir_);
}

std::string Value::run_name() const {
  const std::string& s = scalar("a run name");
  if (!is_valid_run_name(s))
    fail(fmt::format("'{}' is not a valid run name; use letters, digits, '.', '_' and '-' (it names the run "
                     "directory runs/<name>)", s));
  return s;
}

std::vector<int> Value::int_list(int lo, int hi) const {
  if (!node_.IsDefined() || !node_.IsSequence())
    fail(fmt::format("expected a list of integers in {}..{} like [400, 400, 400] (or [] for none), got {}", lo, hi,
                     describe(node_)));
  std::vector<int> out;
  for (size_t i = 0; i < node_.size(); ++i) {
    Place p = place_;
    p.key_mark = node_.Mark();
    Value elem(node_[i], fmt::format("{}[{}]", key_, i), p, base_dir_);
    out.push_back(static_cast<int>(elem.integer(lo, hi)));
  }
  return out;
}

std::vector<std::pair<std::string, Value>> Value::members(const std::vector<std::string>& allowed) const {
  if (!is_map()) fail(fmt::format("expected a map of {}, got {}", join(allowed), describe(node_)));
  std::vector<std::pair<std::string, Value>> out;
  for (const auto& kv : node_) {
    const std::string name = kv.first.Scalar();
    Place p = place_;
    p.key_mark = kv.first.Mark();
    const Value member(kv.second, key_ + "." + name, p, base_dir_);
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      const std::string guess = closest_match(name, allowed);
      member.fail(fmt::format("unknown key{}; allowed: {}", guess.empty() ? "" : ", did you mean '" + guess + "'?",
                              join(allowed)));
    }
    for (const auto& seen : out)
      if (seen.first == name) member.fail("given twice; keep one");
    out.emplace_back(name, member);
  }
  return out;
}

size_t Value::choice_index(const std::vector<std::string>& names) const {
  const std::string& s = scalar("one of " + join(names));
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == s) return i;
  std::string guess = closest_match(s, names);
  if (guess.empty()) fail(fmt::format("unknown value '{}'; allowed: {}", s, join(names)));
  fail(fmt::format("unknown value '{}'; did you mean '{}'? Allowed: {}", s, guess, join(names)));
}

}  // namespace ctr::config_detail
