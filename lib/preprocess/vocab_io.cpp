// Vocabulary files: writing, loading for --vocab-from, checking against meta.json, and id -> value lookup.
#include "preprocess/vocab_io.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>

#include <fmt/ranges.h>
#include <zlib.h>

#include "core/checksum.h"
#include "core/error.h"
#include "core/hash.h"
#include "io/byte_sink.h"
#include "io/line_chunker.h"
#include "preprocess/raw_parser.h"

namespace ctr {

std::string vocab_file_path(const std::string& dir, const std::string& field) {
  return (std::filesystem::path(dir) / "vocab" / (field + ".tsv.zst")).string();
}

namespace {

const char* const kDamaged =
    "the vocabulary file is damaged or does not belong to this dataset; re-run ctrtrain "
    "preprocess";

// Vocabulary files are zstd frames with zstd's content checksum, so that decompression
// verifies them; anything else (plain text, gzip, a frame without the checksum) is refused.
// RFC 8878: the 4-byte magic, then the frame header descriptor, whose bit 2 is the checksum flag.
void check_zstd_frame(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  unsigned char head[5] = {0, 0, 0, 0, 0};
  const size_t got = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  if (got < sizeof head || head[0] != 0x28 || head[1] != 0xb5 || head[2] != 0x2f || head[3] != 0xfd)
    throw Error(fmt::format("{}: not a zstd-compressed file (vocabulary files are zstd streams); {}", path, kDamaged));
  if (!(head[4] & 0x04))
    throw Error(
        fmt::format("{}: the zstd stream has no content checksum (preprocess always writes one); {}", path, kDamaged));
}

// "value<TAB>count" -> value, count; throws naming the file and line. Values obey what the raw
// parser accepts: printable ASCII, at most RowParser::kMaxFieldBytes bytes.
void split_vocab_line(const std::string& path, uint64_t line, std::string_view s,
                      std::string_view& value, uint64_t& count) {
  size_t tab = s.rfind('\t');
  if (tab == std::string_view::npos)
    throw Error(fmt::format("{}:{}: expected 'value<TAB>count'; {}", path, line, kDamaged));
  value = s.substr(0, tab);
  if (value.size() > RowParser::kMaxFieldBytes)
    throw Error(fmt::format("{}:{}: the value is {} bytes long (preprocess keeps values of at most {}); {}", path, line,
                            value.size(), RowParser::kMaxFieldBytes, kDamaged));
  for (char c : value)
    if (c < 0x20 || c > 0x7e)
      throw Error(fmt::format("{}:{}: the value holds byte 0x{:02x} (expected printable ASCII); {}", path, line,
                              static_cast<unsigned char>(c), kDamaged));
  const std::string_view digits = s.substr(tab + 1);
  if (digits.empty() || digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string_view::npos)
    throw Error(fmt::format("{}:{}: count '{}' is not a number; {}", path, line, digits, kDamaged));
  count = 0;
  for (char c : digits) count = count * 10 + static_cast<uint64_t>(c - '0');
}

struct VocabScan {
  uint64_t values = 0;
  uint32_t crc = 0;  // of the decompressed text
};

// Reads a whole vocabulary file, checking every line and, where meta.json records them
// (`expect`, format 3), its size and checksum; calls fn(id, value, count) for each line, and
// checks the line count last, so no caller acts on a file with a line too few or too many.
template <class Fn>
VocabScan scan_vocab_file(const std::string& path, const VocabFileInfo* expect, uint64_t expected_values, Fn fn) {
  if (!std::filesystem::exists(path))
    throw Error(fmt::format("{}: vocabulary file missing (the dataset directory is incomplete; "
                            "re-run ctrtrain preprocess)", path));
  const uint64_t bytes = std::filesystem::file_size(path);
  if (expect && bytes != expect->bytes)
    throw Error(fmt::format("{}: {} bytes, but meta.json records {}; {}", path, bytes, expect->bytes, kDamaged));
  check_zstd_frame(path);
  LineChunkerOptions lo;
  lo.max_line_bytes = 4096;  // far above any valid line: a damaged file without newlines fails early
  // Most fields' files are a few KB: a 4 MiB chunk buffer for each would cost more than reading it.
  lo.target_chunk_bytes = std::clamp<uint64_t>(bytes * 8, 64u << 10, lo.target_chunk_bytes);
  LineChunker chunker(ByteSource::open(path), lo);
  LineChunk chunk;
  VocabScan scan;
  uLong crc = crc32(0L, Z_NULL, 0);
  while (chunker.next(chunk)) {
    crc = crc32(crc, reinterpret_cast<const Bytef*>(chunk.bytes.data()), static_cast<uInt>(chunk.bytes.size()));
    const char* p = chunk.bytes.data();
    const char* end = p + chunk.bytes.size();
    for (uint64_t line = chunk.first_line; p < end; ++line) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      std::string_view value;
      uint64_t count;
      split_vocab_line(path, line, std::string_view(p, static_cast<size_t>(nl - p)), value, count);
      fn(line - 1, value, count);
      ++scan.values;
      p = nl + 1;
    }
  }
  scan.crc = static_cast<uint32_t>(crc);
  if (scan.values != expected_values)
    throw Error(
        fmt::format("{}: has {} values but meta.json says {} (its field's vocab_size - 1): the file is "
                    "truncated, edited or does not belong to this dataset; re-run ctrtrain preprocess",
                    path, scan.values, expected_values));
  if (expect && checksums_differ(expect->checksum, scan.crc))
    throw Error(fmt::format("{}: {}: its text is not what meta.json records; {}", path,
                            checksum_mismatch(expect->checksum, scan.crc), kDamaged));
  return scan;
}

const VocabFileInfo* recorded(const DatasetMeta& meta, size_t f) {
  return meta.checked() ? &meta.vocab_files.at(f) : nullptr;
}

FieldVocab load_one(const std::string& path, const VocabFileInfo* expect, uint64_t expected_values) {
  FieldVocab v;
  scan_vocab_file(path, expect, expected_values, [&](uint64_t id, std::string_view value, uint64_t count) {
    try {
      v.add_with_id(VocabKey::of(value), count);
    } catch (const Error& e) {
      throw Error(fmt::format("{}:{}: {}; {}", path, id + 1, e.what(), kDamaged));
    }
  });
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
    const VocabFileInfo* expect = recorded(meta, f);
    uint64_t expected = meta.vocab_sizes[f] - 1;
    parts.push_back(pool.submit([path, expect, expected] { return load_one(path, expect, expected); }));
  }
  for (auto& p : parts) p.wait();
  std::vector<FieldVocab> out;
  for (auto& p : parts) out.push_back(p.get());
  return out;
}

VocabFileInfo vocab_file_info(const std::string& dir, const std::string& field, uint64_t vocab_size) {
  const std::string path = vocab_file_path(dir, field);
  const VocabScan scan = scan_vocab_file(path, nullptr, vocab_size - 1, [](uint64_t, std::string_view, uint64_t) {});
  return {"vocab/" + field + ".tsv.zst", std::filesystem::file_size(path), scan.values, scan.crc};
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
  // The whole file is read, not just up to the id's line: only then are its line count and
  // checksum known, and a file missing a line would give every later id the wrong value.
  scan_vocab_file(vocab_file_path(dir, field), recorded(meta, f), meta.vocab_sizes[f] - 1,
                  [&](uint64_t line_id, std::string_view v, uint64_t) {
                    if (line_id == id) value = std::string(v);
                  });
  return true;
}

}  // namespace ctr
