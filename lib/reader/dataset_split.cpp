// Shards against meta.json (see dataset_split.h). It lives with the readers, not in
// lib/dataset, because it opens shards and ctr_dataset does not link the shard format; it uses
// only DatasetMeta's data and inline members, so ctr_reader does not need ctr_dataset either.
#include "reader/dataset_split.h"

#include <filesystem>
#include <numeric>

#include "core/checksum.h"
#include "core/error.h"

namespace ctr {

namespace {

const char* const kRerun = "re-run ctrtrain preprocess";

std::string shard_path(const std::string& dir, const std::string& rel) {
  return (std::filesystem::path(dir) / rel).string();
}

// The listed shard whose header checksum is `crc`, other than `split` shard `index`; "" if none.
std::string shard_with_checksum(const DatasetMeta& m, uint32_t crc, const std::string& split, size_t index) {
  for (const char* name : kSplitNames) {
    const SplitInfo& s = m.split(name);
    for (size_t i = 0; i < s.shard_checksums.size(); ++i)
      if (s.shard_checksums[i] == crc && !(name == split && i == index)) return s.shards[i];
  }
  return "";
}

// Format 3: the header checksum covers every chunk's checksum (through the index), so it says
// whether this file is the one preprocess wrote at this place.
void check_identity(const ShardReader& r, const DatasetMeta& m, const std::string& split, size_t i) {
  const SplitInfo& s = m.split(split);
  const std::string listed = fmt::format("{} shard {} ({})", split, i, s.shards[i]);
  if (checksums_differ(s.shard_checksums[i], r.header_crc())) {
    const std::string other = shard_with_checksum(m, r.header_crc(), split, i);
    if (!other.empty())
      throw Error(
          fmt::format("{}: this is not {} that meta.json lists: its header checksum {:08x} is the one "
                      "meta.json records for {}, so shards were swapped, renamed or copied over each "
                      "other; {}",
                      r.path(), listed, r.header_crc(), other, kRerun));
    throw Error(
        fmt::format("{}: this is not {} that meta.json lists: its header checksum is {:08x}, meta.json "
                    "records {:08x} (the file was replaced or rewritten after preprocess, or comes from "
                    "another preprocess run{}); {}",
                    r.path(), listed, r.header_crc(), s.shard_checksums[i],
                    r.version() < 2 ? ", an older ctrtrain's" : "", kRerun));
  }
  if (r.file_size() != s.shard_bytes[i])
    throw Error(fmt::format("{}: {} bytes, but meta.json records {} for {}; {}", r.path(), r.file_size(),
                            s.shard_bytes[i], listed, kRerun));
}

// Shard version 2: the header's maxima and NaN count, against the vocabulary.
void check_field_stats(const ShardReader& r, const DatasetMeta& m, const std::string& dir) {
  if (r.nonfinite_dense() > 0)
    throw Error(
        fmt::format("{}: the shard holds {} NaN or infinite dense values (its header counts them; preprocess "
                    "never writes them; `ctrtrain inspect {} --verify` lists the rows); {}",
                    r.path(), r.nonfinite_dense(), dir, kRerun));
  for (size_t f = 0; f < m.cat_fields.size(); ++f)
    if (r.max_ids()[f] >= m.vocab_sizes[f])
      throw Error(
          fmt::format("{}: field {} holds ids up to {} (the shard header's largest), but meta.json gives "
                      "it vocab_size {} (ids 0..{}): the shard was not encoded with this dataset's "
                      "vocabulary (`ctrtrain inspect {} --verify` lists the rows); {}",
                      r.path(), m.cat_fields[f], r.max_ids()[f], m.vocab_sizes[f], m.vocab_sizes[f] - 1, dir, kRerun));
}

// Everything check_shard_header checks but the field statistics.
void check_shard_facts(const ShardReader& r, const DatasetMeta& m, const std::string& split, size_t i) {
  const SplitInfo& s = m.split(split);
  CTR_CHECK(i < s.shards.size(), "{} shard {} of {}", split, i, s.shards.size());
  if (m.checked()) check_identity(r, m, split, i);
  if (r.num_dense() != m.dense_fields.size() || r.num_cat() != m.cat_fields.size())
    throw Error(fmt::format(
        "{}: the shard has {} dense and {} categorical fields, but meta.json's dataset ({}) "
        "has {} and {}: the shard belongs to another dataset; {}",
        r.path(), r.num_dense(), r.num_cat(), m.dataset, m.dense_fields.size(), m.cat_fields.size(), kRerun));
  if (r.num_rows() != s.shard_rows[i])
    throw Error(fmt::format("{}: the shard holds {} rows, but meta.json says {} ({} shard {}); {}", r.path(),
                            r.num_rows(), s.shard_rows[i], split, i, kRerun));
}

}  // namespace

void check_split_rows(const std::string& dir, const DatasetMeta& meta, const std::string& split) {
  const SplitInfo& s = meta.split(split);
  const uint64_t in_shards = std::accumulate(s.shard_rows.begin(), s.shard_rows.end(), uint64_t{0});
  if (in_shards != s.rows)
    throw Error(fmt::format("{}: the {} split has {} rows, but its shards' rows add up to {}; {}",
                            shard_path(dir, "meta.json"), split, s.rows, in_shards, kRerun));
}

void check_shard_header(const std::string& dir, const ShardReader& r, const DatasetMeta& m, const std::string& split,
                        size_t i) {
  check_shard_facts(r, m, split, i);
  if (r.has_field_stats()) check_field_stats(r, m, dir);
}

void check_split_shards(const std::string& dir, const DatasetMeta& meta, const std::string& split) {
  check_split_rows(dir, meta, split);
  const SplitInfo& s = meta.split(split);
  for (size_t i = 0; i < s.shards.size(); ++i) {
    const ShardReader reader(shard_path(dir, s.shards[i]));
    check_shard_header(dir, reader, meta, split, i);
  }
}

ShardVerifyResult verify_dataset_shard(const std::string& dir, const DatasetMeta& meta, const std::string& split,
                                       size_t index) {
  const ShardReader reader(shard_path(dir, meta.split(split).shards.at(index)));
  check_shard_facts(reader, meta, split, index);
  // Decoded before the header's statistics are compared, so that a bad id or value is reported
  // with its row rather than as the header's summary of it.
  const ShardVerifyResult result = verify_shard(reader, ShardIdLimits{meta.cat_fields, meta.vocab_sizes});
  if (reader.has_field_stats()) check_field_stats(reader, meta, dir);
  return result;
}

std::vector<std::string> split_shard_paths(const std::string& dir, const DatasetMeta& meta, const std::string& split) {
  check_split_shards(dir, meta, split);
  std::vector<std::string> out;
  for (const auto& rel : meta.split(split).shards) out.push_back(shard_path(dir, rel));
  return out;
}

}  // namespace ctr
