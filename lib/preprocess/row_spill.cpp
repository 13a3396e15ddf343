// RowSpill implementation. A record: u32 magic, u32 0, u64 rows, then the four arrays of
// SpilledRows in declaration order. No checksum: the file is written and read back by the same
// process within one run, and the shards written from it carry their own.
#include "preprocess/row_spill.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace ctr {

namespace {

constexpr uint32_t kRecordMagic = 0x4c505343;  // "CSPL" little-endian
constexpr uint64_t kMaxRecordRows = uint64_t{1} << 32;
constexpr size_t kStdioBuffer = 4u << 20;      // records are a few MB; fewer, larger syscalls

template <class T>
size_t byte_size(const std::vector<T>& v) {
  return v.size() * sizeof(T);
}

}  // namespace

RowSpillWriter::RowSpillWriter(std::string path, size_t num_dense, size_t num_cat)
    : path_(std::move(path)), num_dense_(num_dense), num_cat_(num_cat) {
  f_ = std::fopen(path_.c_str(), "wb");
  if (!f_) throw Error(fmt::format("{}: cannot create the temporary row spill: {}", path_, std::strerror(errno)));
  std::setvbuf(f_, nullptr, _IOFBF, kStdioBuffer);
}

RowSpillWriter::~RowSpillWriter() {
  if (f_) std::fclose(f_);
}

void RowSpillWriter::put(const void* p, size_t n) {
  if (n == 0) return;
  if (std::fwrite(p, 1, n, f_) != n)
    throw Error(fmt::format("{}: writing the temporary row spill failed: {} (preprocess keeps the parsed rows "
                            "there until the shards are written, about {} bytes per row; free disk space "
                            "where --output goes)",
                            path_, std::strerror(errno), 2 + 8 * num_dense_ + 4 * num_cat_));
  bytes_ += n;
}

void RowSpillWriter::write(const SpilledRows& r) {
  CTR_CHECK(f_ != nullptr, "write after close");
  CTR_CHECK(r.is_test.size() == r.rows && r.labels.size() == r.rows && r.dense.size() == r.rows * num_dense_ &&
                r.ids.size() == r.rows * num_cat_,
            "spill record of {} rows has arrays of {}, {}, {}, {}", r.rows, r.is_test.size(), r.labels.size(),
            r.dense.size(), r.ids.size());
  const uint32_t head[2] = {kRecordMagic, 0};
  const uint64_t rows = r.rows;
  put(head, sizeof head);
  put(&rows, sizeof rows);
  put(r.is_test.data(), byte_size(r.is_test));
  put(r.labels.data(), byte_size(r.labels));
  put(r.dense.data(), byte_size(r.dense));
  put(r.ids.data(), byte_size(r.ids));
}

void RowSpillWriter::close() {
  if (!f_) return;
  const bool ok = std::fflush(f_) == 0;
  const int err = errno;
  std::fclose(f_);
  f_ = nullptr;
  if (!ok)
    throw Error(fmt::format("{}: writing the temporary row spill failed: {} (free disk space where --output goes)",
                            path_, std::strerror(err)));
}

RowSpillReader::RowSpillReader(std::string path, size_t num_dense, size_t num_cat)
    : path_(std::move(path)), num_dense_(num_dense), num_cat_(num_cat) {
  f_ = std::fopen(path_.c_str(), "rb");
  if (!f_) throw Error(fmt::format("{}: cannot open the temporary row spill: {}", path_, std::strerror(errno)));
  std::setvbuf(f_, nullptr, _IOFBF, kStdioBuffer);
  std::error_code ec;
  file_bytes_ = std::filesystem::file_size(path_, ec);  // progress only: 0 if unknown
}

RowSpillReader::~RowSpillReader() {
  if (f_) std::fclose(f_);
}

void RowSpillReader::get(void* p, size_t n) {
  if (n == 0) return;
  if (std::fread(p, 1, n, f_) != n)
    throw Error(fmt::format("{}: the temporary row spill ends early at byte {} (it was changed or cut short "
                            "while preprocess ran; run preprocess again)",
                            path_, bytes_));
  bytes_ += n;
}

bool RowSpillReader::next(SpilledRows& out) {
  uint32_t head[2];
  const size_t got = std::fread(head, 1, sizeof head, f_);
  if (got == 0 && std::feof(f_)) return false;
  if (got != sizeof head || head[0] != kRecordMagic || head[1] != 0)
    throw Error(fmt::format("{}: damaged record header at byte {} in the temporary row spill (run preprocess "
                            "again)",
                            path_, bytes_));
  bytes_ += got;
  uint64_t rows = 0;
  get(&rows, sizeof rows);
  if (rows > kMaxRecordRows)
    throw Error(fmt::format("{}: damaged record at byte {} in the temporary row spill ({} rows)", path_, bytes_,
                            rows));
  out.rows = rows;
  out.is_test.resize(rows);
  out.labels.resize(rows);
  out.dense.resize(rows * num_dense_);
  out.ids.resize(rows * num_cat_);
  get(out.is_test.data(), byte_size(out.is_test));
  get(out.labels.data(), byte_size(out.labels));
  get(out.dense.data(), byte_size(out.dense));
  get(out.ids.data(), byte_size(out.ids));
  return true;
}

}  // namespace ctr
