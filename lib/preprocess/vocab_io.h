// The vocabulary directory of a preprocessed dataset: one zstd-compressed TSV per categorical
// field, DIR/vocab/<field>.tsv.zst, line i = "raw value<TAB>count" of id i (OOV not listed).
#pragma once

#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "dataset/dataset_meta.h"
#include "preprocess/field_vocab.h"

namespace ctr {

std::string vocab_file_path(const std::string& dataset_dir, const std::string& field);

// Hash used for vocabulary keys; the same everywhere a value is looked up.
uint64_t vocab_hash(std::string_view value);

// Writes every field's vocabulary (in parallel on `pool`).
void write_vocab_dir(const std::string& dataset_dir, const std::vector<std::string>& fields,
                     const std::vector<FieldVocab>& vocabs, ThreadPool& pool);

// Loads a dataset's vocabulary for --vocab-from. Checks each file against meta.vocab_sizes.
// Throws ctr::Error naming the file (and line) on any inconsistency.
std::vector<FieldVocab> load_vocab_dir(const std::string& dataset_dir, const DatasetMeta& meta,
                                       ThreadPool& pool);

// Maps an id of `field` back to its raw value by scanning that field's file; for `inspect`.
// Returns false (and sets `value` to a description) for the OOV id.
bool lookup_vocab_value(const std::string& dataset_dir, const DatasetMeta& meta,
                        const std::string& field, uint64_t id, std::string& value);

}  // namespace ctr
