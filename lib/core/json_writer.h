// JsonWriter: builds a pretty-printed JSON document (meta.json, report.json). Read JSON back
// with yaml-cpp, which parses JSON as YAML 1.2 flow style.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ctr {

class JsonWriter {
 public:
  JsonWriter& begin_object(const std::string& key = "");
  JsonWriter& end_object();
  JsonWriter& begin_array(const std::string& key = "");
  JsonWriter& end_array();
  JsonWriter& value(const std::string& key, const std::string& v);
  JsonWriter& value(const std::string& key, const char* v) { return value(key, std::string(v)); }
  JsonWriter& value(const std::string& key, double v);
  JsonWriter& value(const std::string& key, int64_t v);
  JsonWriter& value(const std::string& key, uint64_t v);
  JsonWriter& value(const std::string& key, int v) { return value(key, static_cast<int64_t>(v)); }
  JsonWriter& value(const std::string& key, bool v);
  // Short numeric arrays on one line.
  JsonWriter& array(const std::string& key, const std::vector<uint64_t>& v);
  JsonWriter& array(const std::string& key, const std::vector<double>& v);
  JsonWriter& array(const std::string& key, const std::vector<std::string>& v);
  // A small object of string values on one line: {"name": "I1", "type": "dense"}.
  JsonWriter& flat_object(const std::string& key, const std::vector<std::pair<std::string, std::string>>& fields);

  // The finished document; checks that every object/array was closed.
  std::string str() const;

 private:
  void prefix(const std::string& key);
  void raw(const std::string& key, const std::string& text);
  void open(const std::string& key, char bracket);
  void close(char bracket);
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
};

std::string json_escape(const std::string& s);
// Shortest text that round-trips the double; non-finite values become null.
std::string json_number(double v);

}  // namespace ctr
