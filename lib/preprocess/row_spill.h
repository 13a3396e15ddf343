// RowSpill: the rows pass 1 parsed (split flag, label, raw dense values, one provisional id per
// categorical value), kept in a temporary file in input order so that pass 2 reads them back
// instead of parsing the text and probing the vocabulary tables a second time. The file lives
// in the output's staging directory and is deleted when pass 2 ends; it takes 2 + 8 x dense +
// 4 x categorical bytes per row (210 for Criteo, about 0.86 x the raw text).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ctr {

// The good rows of one input chunk. `ids` hold what the producer put there: FieldVocab's
// provisional ids in the spill, final ids where a caller has mapped them.
struct SpilledRows {
  size_t rows = 0;
  std::vector<uint8_t> is_test;   // [rows]
  std::vector<uint8_t> labels;    // [rows], 0 or 1
  std::vector<int64_t> dense;     // [rows * num_dense], raw integers, 0 where missing
  std::vector<uint32_t> ids;      // [rows * num_cat], row-major
};

class RowSpillWriter {
 public:
  RowSpillWriter(std::string path, size_t num_dense, size_t num_cat);  // creates or truncates
  ~RowSpillWriter();
  RowSpillWriter(const RowSpillWriter&) = delete;
  RowSpillWriter& operator=(const RowSpillWriter&) = delete;
  // Throws ctr::Error naming the file on a failed write (a full disk, typically).
  void write(const SpilledRows& r);
  void close();  // flushes; the file is complete after this
  const std::string& path() const { return path_; }
  uint64_t bytes() const { return bytes_; }

 private:
  void put(const void* p, size_t n);
  std::string path_;
  size_t num_dense_, num_cat_;
  std::FILE* f_ = nullptr;
  uint64_t bytes_ = 0;
};

class RowSpillReader {
 public:
  RowSpillReader(std::string path, size_t num_dense, size_t num_cat);
  ~RowSpillReader();
  RowSpillReader(const RowSpillReader&) = delete;
  RowSpillReader& operator=(const RowSpillReader&) = delete;
  // The next chunk's rows in write order; false at the end. Throws ctr::Error on a truncated or
  // damaged record (the file is ours, so that means the disk or another process changed it).
  bool next(SpilledRows& out);
  uint64_t bytes_read() const { return bytes_; }
  uint64_t file_bytes() const { return file_bytes_; }  // the whole file, for progress

 private:
  void get(void* p, size_t n);
  std::string path_;
  size_t num_dense_, num_cat_;
  std::FILE* f_ = nullptr;
  uint64_t bytes_ = 0;
  uint64_t file_bytes_ = 0;
};

}  // namespace ctr
