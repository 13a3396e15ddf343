// JsonWriter implementation.
#include "core/json_writer.h"

#include <cmath>

#include "core/error.h"

namespace ctr {

std::string json_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size() + 2);
  o += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) o += fmt::format("\\u{:04x}", c);
        else o += static_cast<char>(c);
    }
  }
  o += '"';
  return o;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{}", v);  // fmt prints the shortest round-trip representation
}

void JsonWriter::prefix(const std::string& key) {
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    out_ += '\n';
    out_.append(first_.size() * 2, ' ');
  }
  if (!key.empty()) {
    out_ += json_escape(key);
    out_ += ": ";
  }
}

JsonWriter& JsonWriter::flat_object(const std::string& key,
                                    const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string text = "{";
  for (size_t i = 0; i < fields.size(); ++i)
    text += (i ? ", " : "") + json_escape(fields[i].first) + ": " + json_escape(fields[i].second);
  raw(key, text + "}");
  return *this;
}

void JsonWriter::raw(const std::string& key, const std::string& text) {
  prefix(key);
  out_ += text;
}

void JsonWriter::open(const std::string& key, char bracket) {
  prefix(key);
  out_ += bracket;
  first_.push_back(true);
}

void JsonWriter::close(char bracket) {
  CTR_CHECK(!first_.empty(), "'{}' without a matching open", bracket);
  bool empty = first_.back();
  first_.pop_back();
  if (!empty) {
    out_ += '\n';
    out_.append(first_.size() * 2, ' ');
  }
  out_ += bracket;
}

JsonWriter& JsonWriter::begin_object(const std::string& key) { open(key, '{'); return *this; }
JsonWriter& JsonWriter::end_object() { close('}'); return *this; }
JsonWriter& JsonWriter::begin_array(const std::string& key) { open(key, '['); return *this; }
JsonWriter& JsonWriter::end_array() { close(']'); return *this; }

JsonWriter& JsonWriter::value(const std::string& key, const std::string& v) {
  raw(key, json_escape(v));
  return *this;
}
JsonWriter& JsonWriter::value(const std::string& key, double v) {
  raw(key, json_number(v));
  return *this;
}
JsonWriter& JsonWriter::value(const std::string& key, int64_t v) {
  raw(key, std::to_string(v));
  return *this;
}
JsonWriter& JsonWriter::value(const std::string& key, uint64_t v) {
  raw(key, std::to_string(v));
  return *this;
}
JsonWriter& JsonWriter::value(const std::string& key, bool v) {
  raw(key, v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::array(const std::string& key, const std::vector<uint64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  raw(key, s + "]");
  return *this;
}
JsonWriter& JsonWriter::array(const std::string& key, const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_number(v[i]);
  raw(key, s + "]");
  return *this;
}
JsonWriter& JsonWriter::array(const std::string& key, const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + json_escape(v[i]);
  raw(key, s + "]");
  return *this;
}

std::string JsonWriter::str() const {
  CTR_CHECK(first_.empty(), "JSON document has {} unclosed containers", first_.size());
  return out_ + "\n";
}

}  // namespace ctr
