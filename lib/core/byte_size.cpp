// parse_byte_size and format_bytes (see byte_size.h).
#include "core/byte_size.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace ctr {

namespace {

// The power of 1024 a suffix names ("", "k", "kib", "kb" ...), or -1.
int suffix_power(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.empty() || s == "b") return 0;
  static const char* const kUnits = "kmgt";
  for (int p = 0; kUnits[p]; ++p) {
    const std::string u(1, kUnits[p]);
    if (s == u || s == u + "b" || s == u + "ib") return p + 1;
  }
  return -1;
}

}  // namespace

std::optional<uint64_t> parse_byte_size(std::string_view text) {
  size_t i = 0, digits = 0, dots = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    (text[i] == '.' ? dots : digits) += 1;
    ++i;
  }
  if (digits == 0 || dots > 1) return std::nullopt;
  const std::string number(text.substr(0, i));
  std::string_view rest = text.substr(i);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const int power = suffix_power(std::string(rest));
  if (power < 0 || (dots && power == 0)) return std::nullopt;  // "1.5" bytes means nothing
  const long double value = std::strtold(number.c_str(), nullptr) * std::pow(1024.0L, power);
  if (!(value < 9223372036854775808.0L)) return std::nullopt;
  return static_cast<uint64_t>(std::llround(value));
}

std::string format_bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes) / 1024;
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  return fmt::format(v < 10 ? "{:.2f} {}" : v < 100 ? "{:.1f} {}" : "{:.0f} {}", v, kUnits[u]);
}

}  // namespace ctr
