// A dataset's split as its shards: each shard's header checked against what meta.json records
// of it when the split is opened, and the full decode `ctrtrain inspect --verify` runs.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "dataset/dataset_meta.h"
#include "shard/shard_reader.h"

namespace ctr {

// The split's row count against its shards' (all formats). Throws ctr::Error naming meta.json.
void check_split_rows(const std::string& dir, const DatasetMeta& meta, const std::string& split);

// Checks an opened shard, shard `index` of `split` in the meta.json of `dir`, from its header alone: field
// counts, rows, (format 3) its size and header checksum, which identifies its content and so
// its place, and (shard version 2) its ids' range against the vocabulary and that it holds no
// NaN or infinity. Throws ctr::Error naming the file, what differs and what to do.
void check_shard_header(const std::string& dir, const ShardReader& shard, const DatasetMeta& meta,
                        const std::string& split, size_t index);

// check_split_rows, then every shard of the split opened and checked with check_shard_header:
// two small reads per shard, no decoding.
void check_split_shards(const std::string& dir, const DatasetMeta& meta, const std::string& split);

// Absolute (dir-joined) shard paths of a split ("train" | "valid" | "test"), after
// check_split_shards: what every reader of a split opens.
std::vector<std::string> split_shard_paths(const std::string& dir, const DatasetMeta& meta, const std::string& split);

// For inspect --verify: shard `index` of `split` opened, checked as above, then decoded in full
// with every id checked against its field's vocab_size.
ShardVerifyResult verify_dataset_shard(const std::string& dir, const DatasetMeta& meta, const std::string& split,
                                       size_t index);

}  // namespace ctr
