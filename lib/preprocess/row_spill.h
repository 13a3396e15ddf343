// RowSpill: the rows pass 1 parsed (split flag, label, raw dense values, one provisional id per
// categorical value), kept in a temporary file in input order so that pass 2 reads them back
// instead of parsing the text and probing the vocabulary tables a second time. The file lives
// in the output's staging directory and is deleted when pass 2 ends.
//
// The workers encode and read records (encode_spill_record, SpillRecordView); the single
// writer and reader only move bytes, in order. Each column of a record is stored in the fewest
// bytes that hold its values there (1, 2, 4 or 8 for dense values, 1 to 4 for ids): about 90
// bytes per Criteo row where fixed widths took 210, which halves what goes through the page
// cache twice. Narrowing on the writer thread instead was measured slower: it serialised.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "core/uninit_vector.h"

namespace ctr {

// The good rows of one parsed input chunk. `ids` hold FieldVocab's provisional ids (pass 1, for
// the spill) or, with --vocab-from, the loaded vocabulary's final ids.
struct SpilledRows {
  size_t rows = 0;
  std::vector<uint8_t> split;     // [rows], a SplitIndex (dataset/dataset_meta.h)
  std::vector<uint8_t> labels;    // [rows], 0 or 1
  UninitVector<int64_t> dense;    // [rows * num_dense], raw integers, 0 where missing
  UninitVector<uint32_t> ids;     // [num_cat * rows], field-major: counting fills one field at a time
};

// One encoded record (format in row_spill.cpp).
struct SpillRecord {
  std::vector<char> bytes;
  uint64_t rows = 0;    // as in the header
  uint64_t offset = 0;  // where it starts in the file, for messages (set by the reader)
};

// Any thread. Checks that the arrays agree with r.rows (a bug otherwise).
void encode_spill_record(const SpilledRows& r, size_t num_dense, size_t num_cat, SpillRecord& out);
// One record's columns, read in place (any thread). The constructor checks every width and
// length and throws ctr::Error naming `path` and the record's offset if the record is damaged;
// the accessors then decode one column at a time, so a reader keeps a column, not the whole
// record, in cache.
class SpillRecordView {
 public:
  SpillRecordView(const SpillRecord& rec, size_t num_dense, size_t num_cat, const std::string& path);
  size_t rows() const { return rows_; }
  bool label(size_t i) const { return flags_[i] & 1; }
  uint8_t split(size_t i) const { return (flags_[i] >> 1) & 3; }  // a SplitIndex
  void dense(size_t d, int64_t* out) const;  // column d: rows() raw integers
  void ids(size_t f, uint32_t* out) const;   // field f: rows() ids

 private:
  struct Column {
    const char* data;
    int width;
  };
  size_t rows_ = 0;
  const uint8_t* flags_ = nullptr;  // [rows]: bit 0 the label, bits 1-2 the split index
  std::vector<Column> dense_, ids_;
};

class RowSpillWriter {
 public:
  explicit RowSpillWriter(std::string path);  // creates or truncates
  ~RowSpillWriter();
  RowSpillWriter(const RowSpillWriter&) = delete;
  RowSpillWriter& operator=(const RowSpillWriter&) = delete;
  // Throws ctr::Error naming the file on a failed write (a full disk, typically).
  void write(const SpillRecord& r);
  void close();  // flushes; the file is complete after this
  const std::string& path() const { return path_; }
  uint64_t bytes() const { return bytes_; }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  uint64_t bytes_ = 0;
};

class RowSpillReader {
 public:
  explicit RowSpillReader(std::string path);
  ~RowSpillReader();
  RowSpillReader(const RowSpillReader&) = delete;
  RowSpillReader& operator=(const RowSpillReader&) = delete;
  // The next record in write order; false at the end. Throws ctr::Error on a truncated file or
  // a damaged record header (the file is ours, so that means the disk or another process
  // changed it); SpillRecordView checks the rest.
  bool next(SpillRecord& out);
  const std::string& path() const { return path_; }
  uint64_t bytes_read() const { return bytes_; }
  uint64_t file_bytes() const { return file_bytes_; }  // the whole file, for progress

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  uint64_t bytes_ = 0;
  uint64_t file_bytes_ = 0;
};

}  // namespace ctr
