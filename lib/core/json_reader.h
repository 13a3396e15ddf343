// JsonNode: typed reading of a JSON document we wrote (meta.json, checkpoint headers) through
// yaml-cpp, with every error naming the file and the key path, plus what the reader should do.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"

namespace ctr {

// Parses FILE (JSON is YAML to yaml-cpp); a parse error is a ctr::Error naming the file and
// ending with `what_to_do`.
inline YAML::Node load_json_file(const std::string& file, const std::string& what_to_do) {
  try {
    return YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}: not valid JSON ({}); {}", file, e.what(), what_to_do));
  }
}

class JsonNode {
 public:
  // `hint` ends a missing-key message, e.g. "the file is damaged ...; re-run preprocess".
  JsonNode(const YAML::Node& n, std::string file, std::string hint, std::string path = "")
      : n_(n), file_(std::move(file)), hint_(std::move(hint)), path_(std::move(path)) {}
  JsonNode operator[](const std::string& key) const {
    std::string p = path_.empty() ? key : path_ + "." + key;
    if (!n_.IsMap() || !n_[key]) throw Error(fmt::format("{}: missing key '{}' ({})", file_, p, hint_));
    return JsonNode(n_[key], file_, hint_, p);
  }
  bool has(const std::string& key) const { return n_.IsMap() && n_[key]; }
  template <class T>
  T as() const {
    try {
      return n_.as<T>();
    } catch (const YAML::Exception&) {
      throw Error(fmt::format("{}: key '{}' has an unexpected value type", file_, path_));
    }
  }
  template <class T>
  std::vector<T> as_vector() const {
    std::vector<T> v;
    for (size_t i = 0; i < size(); ++i) v.push_back(at(i).as<T>());
    return v;
  }
  size_t size() const { return n_.size(); }
  // The keys of an object, in file order; a ctr::Error if it is not an object of plain keys.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    if (!n_.IsMap()) throw Error(fmt::format("{}: key '{}' is not an object ({})", file_, path_, hint_));
    for (const auto& kv : n_) {
      if (!kv.first.IsScalar()) throw Error(fmt::format("{}: key '{}' has a key that is not a name ({})", file_, path_, hint_));
      out.push_back(kv.first.Scalar());
    }
    return out;
  }
  JsonNode at(size_t i) const { return JsonNode(n_[i], file_, hint_, fmt::format("{}[{}]", path_, i)); }
  const YAML::Node& node() const { return n_; }

 private:
  YAML::Node n_;
  std::string file_, hint_, path_;
};

}  // namespace ctr
