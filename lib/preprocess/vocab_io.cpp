// Vocabulary files: writing, loading for --vocab-from, and id -> value lookup.
#include "preprocess/vocab_io.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <future>

#include <fmt/ranges.h>

#include "core/error.h"
#include "core/hash.h"
#include "io/byte_sink.h"
#include "io/line_chunker.h"

namespace ctr {

std::string vocab_file_path(const std::string& dir, const std::string& field) {
  return (std::filesystem::path(dir) / "vocab" / (field + ".tsv.zst")).string();
}

namespace {

// Calls fn(line_number, line_view) for each line of a vocab file until fn returns false.
template <class Fn>
void for_each_line(const std::string& path, Fn fn) {
  LineChunker chunker(ByteSource::open(path));
  LineChunk chunk;
  while (chunker.next(chunk)) {
    const char* p = chunk.bytes.data();
    const char* end = p + chunk.bytes.size();
    uint64_t line = chunk.first_line;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      if (!fn(line++, std::string_view(p, static_cast<size_t>(nl - p)))) return;
      p = nl + 1;
    }
  }
}

// "value<TAB>count" -> value, count; throws naming the file and line.
void split_vocab_line(const std::string& path, uint64_t line, std::string_view s,
                      std::string_view& value, uint64_t& count) {
  size_t tab = s.rfind('\t');
  if (tab == std::string_view::npos)
    throw Error(fmt::format("{}:{}: expected 'value<TAB>count' (the vocabulary file is damaged; "
                            "re-run ctrtrain preprocess)", path, line));
  value = s.substr(0, tab);
  for (char c : value)
    if (c < 0x20 || c > 0x7e)
      throw Error(fmt::format("{}:{}: the value holds byte 0x{:02x} (expected printable ASCII; the vocabulary file "
                              "is damaged, re-run ctrtrain preprocess)",
                              path, line, static_cast<unsigned char>(c)));
  count = 0;
  for (char c : s.substr(tab + 1)) {
    if (c < '0' || c > '9')
      throw Error(fmt::format("{}:{}: count is not a number (the vocabulary file is damaged)", path, line));
    count = count * 10 + static_cast<uint64_t>(c - '0');
  }
}

FieldVocab load_one(const std::string& path, uint64_t expected_values) {
  if (!std::filesystem::exists(path))
    throw Error(fmt::format("{}: vocabulary file missing (the dataset directory is incomplete; "
                            "re-run ctrtrain preprocess)", path));
  FieldVocab v;
  uint64_t n = 0;
  for_each_line(path, [&](uint64_t line, std::string_view s) {
    std::string_view value;
    uint64_t count;
    split_vocab_line(path, line, s, value, count);
    try {
      v.add_with_id(VocabKey::of(value), count);
    } catch (const Error& e) {
      throw Error(fmt::format("{}:{}: {} (the vocabulary file is damaged)", path, line, e.what()));
    }
    ++n;
    return true;
  });
  if (n != expected_values)
    throw Error(fmt::format("{}: has {} values but meta.json says {} (the file is truncated or "
                            "does not belong to this dataset)", path, n, expected_values));
  v.finish_loading();
  return v;
}

}  // namespace

VocabFileWriter::VocabFileWriter(const std::string& path) : sink_(ByteSink::create(path, Compression::zstd, 1)) {
  buf_.reserve(1 << 20);
}

VocabFileWriter::~VocabFileWriter() = default;

void VocabFileWriter::add(std::string_view value, uint64_t count) {
  buf_.append(value.data(), value.size());
  buf_ += '\t';
  char digits[24];  // written back to front: fmt's call per line was a fifth of writing the file
  char* at = digits + sizeof digits;
  *--at = '\n';
  do {
    *--at = static_cast<char>('0' + count % 10);
    count /= 10;
  } while (count != 0);
  buf_.append(at, static_cast<size_t>(digits + sizeof digits - at));
  if (buf_.size() > (1 << 20) - 128) {
    sink_->write(buf_.data(), buf_.size());
    buf_.clear();
  }
}

void VocabFileWriter::close() {
  sink_->write(buf_.data(), buf_.size());
  buf_.clear();
  sink_->close();
}

std::vector<FieldVocab> load_vocab_dir(const std::string& dir, const DatasetMeta& meta, ThreadPool& pool) {
  std::vector<std::future<FieldVocab>> parts;
  for (size_t f = 0; f < meta.cat_fields.size(); ++f) {
    std::string path = vocab_file_path(dir, meta.cat_fields[f]);
    uint64_t expected = meta.vocab_sizes[f] - 1;
    parts.push_back(pool.submit([path, expected] { return load_one(path, expected); }));
  }
  for (auto& p : parts) p.wait();
  std::vector<FieldVocab> out;
  for (auto& p : parts) out.push_back(p.get());
  return out;
}

bool lookup_vocab_value(const std::string& dir, const DatasetMeta& meta, const std::string& field,
                        uint64_t id, std::string& value) {
  auto it = std::find(meta.cat_fields.begin(), meta.cat_fields.end(), field);
  if (it == meta.cat_fields.end())
    throw UsageError(fmt::format("unknown field '{}' (fields: {})", field,
                                 fmt::join(meta.cat_fields, ", ")));
  size_t f = static_cast<size_t>(it - meta.cat_fields.begin());
  if (id >= meta.vocab_sizes[f])
    throw UsageError(fmt::format("id {} is out of range for field {} (ids are 0..{})", id, field,
                                 meta.vocab_sizes[f] - 1));
  if (id == meta.oov_id(f)) {
    value = "<out of vocabulary>";
    return false;
  }
  std::string path = vocab_file_path(dir, field);
  bool found = false;
  for_each_line(path, [&](uint64_t line, std::string_view s) {
    if (line != id + 1) return true;
    std::string_view v;
    uint64_t count;
    split_vocab_line(path, line, s, v, count);
    value = std::string(v);
    found = true;
    return false;  // found: stop reading
  });
  if (!found)
    throw Error(fmt::format("{}: id {} not found (the vocabulary file is truncated)", path, id));
  return true;
}

}  // namespace ctr
