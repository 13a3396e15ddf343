// The vocabulary directory of a preprocessed dataset: one zstd-compressed TSV per categorical
// field, DIR/vocab/<field>.tsv.zst, line i = "raw value<TAB>count" of id i (OOV not listed).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/thread_pool.h"
#include "dataset/dataset_meta.h"
#include "io/byte_sink.h"
#include "preprocess/field_vocab.h"

namespace ctr {

std::string vocab_file_path(const std::string& dataset_dir, const std::string& field);

// Writes one field's vocabulary file: add() each value in id order, then close(). Usually
// fed by FieldVocab::finalize's emit callback.
class VocabFileWriter {
 public:
  explicit VocabFileWriter(const std::string& path);  // creates the file (not its directory)
  ~VocabFileWriter();
  void add(std::string_view value, uint64_t count);
  void close();  // throws ctr::Error naming the file if anything failed to reach it

 private:
  std::unique_ptr<ByteSink> sink_;
  std::string buf_;
};

// Loads a dataset's vocabulary for --vocab-from (and inspect --verify). Checks each file: a
// zstd stream with its content checksum, valid lines (values as the raw parser accepts them),
// vocab_size - 1 of them and, from format 3 on, its size and checksum against meta.json.
// Throws ctr::Error naming the file (and line) on any inconsistency.
std::vector<FieldVocab> load_vocab_dir(const std::string& dataset_dir, const DatasetMeta& meta,
                                       ThreadPool& pool);

// What meta.json records of a field's vocabulary file (reading it whole, checked as above but
// against `vocab_size` alone); preprocess calls it once the file is written.
VocabFileInfo vocab_file_info(const std::string& dataset_dir, const std::string& field, uint64_t vocab_size);

// Maps an id of `field` back to its raw value, reading and checking that field's whole file as
// load_vocab_dir does (so a file with a line missing fails instead of answering); for `inspect`.
// Returns false (and sets `value` to a description) for the OOV id.
bool lookup_vocab_value(const std::string& dataset_dir, const DatasetMeta& meta,
                        const std::string& field, uint64_t id, std::string& value);

}  // namespace ctr
