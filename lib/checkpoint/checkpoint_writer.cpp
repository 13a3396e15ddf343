// Writes checkpoint files: streamed, checksummed arrays into PATH.tmp, renamed over PATH on commit.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "checkpoint/checkpoint_file.h"
#include "checkpoint/checkpoint_layout.h"
#include "core/error.h"

namespace ctr {

namespace L = checkpoint_layout;

namespace {

std::vector<char> header_bytes(uint32_t num_arrays, const std::string& json, uint64_t index_offset,
                               uint64_t file_size) {
  std::vector<char> h(L::kHeaderSize, 0);
  std::memcpy(h.data(), L::kMagic, sizeof L::kMagic);
  L::put_u32(h.data() + L::kHdrVersion, L::kVersion);
  L::put_u32(h.data() + L::kHdrNumArrays, num_arrays);
  L::put_u64(h.data() + L::kHdrJsonSize, json.size());
  L::put_u64(h.data() + L::kHdrIndexOffset, index_offset);
  L::put_u64(h.data() + L::kHdrFileSize, file_size);
  L::put_u32(h.data() + L::kHdrJsonCrc, L::crc32_of(json.data(), json.size()));
  L::put_u32(h.data() + L::kHdrCrc, L::crc32_of(h.data(), L::kHdrCrc));
  return h;
}

std::string parent_dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// A rename is durable only once the directory entry is on disk too.
void fsync_dir(const std::string& dir, const std::string& path) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    throw Error(fmt::format("{}: cannot open its directory {} to flush the rename: {}", path, dir,
                            std::strerror(errno)));
  // Some filesystems cannot fsync a directory (EINVAL); the rename itself has happened.
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL)
    throw Error(fmt::format("{}: flushing directory {} after the rename failed: {}", path, dir,
                            std::strerror(err)));
}

}  // namespace

CheckpointWriter::CheckpointWriter(std::string path, std::string header_json)
    : path_(std::move(path)), tmp_path_(path_ + ".tmp"), header_json_(std::move(header_json)) {
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error(fmt::format("{}: cannot create the checkpoint's temporary file {}: {}", path_,
                            tmp_path_, std::strerror(errno)));
  // The placeholder header (index offset 0) marks the file unfinished until commit().
  try {
    write_all(header_bytes(0, header_json_, 0, 0).data(), L::kHeaderSize);
    write_all(header_json_.data(), header_json_.size());
  } catch (...) {
    ::close(fd_);
    ::unlink(tmp_path_.c_str());
    throw;
  }
}

CheckpointWriter::~CheckpointWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_path_.c_str());
}

void CheckpointWriter::write_all(const void* data, size_t n) {
  auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      failed_ = true;
      throw Error(fmt::format("{}: writing the checkpoint failed at byte {}: {} (disk full?)",
                              tmp_path_, offset_, w < 0 ? std::strerror(errno) : "no progress"));
    }
    p += w;
    n -= static_cast<size_t>(w);
    offset_ += static_cast<uint64_t>(w);
  }
}

void CheckpointWriter::pwrite_all(const void* data, size_t n, uint64_t offset) {
  auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      failed_ = true;
      throw Error(fmt::format("{}: writing the checkpoint failed at byte {}: {}", tmp_path_,
                              offset, w < 0 ? std::strerror(errno) : "no progress"));
    }
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
}

void CheckpointWriter::check_new_array(const std::string& name, DType dtype,
                                       const std::vector<uint64_t>& shape, uint64_t* bytes) const {
  CTR_CHECK(fd_ >= 0 && !committed_, "{}: array \"{}\" added after commit()", path_, name);
  CTR_CHECK(!failed_, "{}: array \"{}\" added after an earlier write failed", path_, name);
  CTR_CHECK(L::valid_dtype(static_cast<uint8_t>(dtype)), "{}: array \"{}\": invalid DType {}",
            path_, name, static_cast<int>(dtype));
  if (name.empty()) throw Error(fmt::format("{}: checkpoint array names must not be empty", path_));
  if (name.size() > L::kMaxNameBytes)
    throw Error(fmt::format("{}: checkpoint array name \"{}...\" has {} bytes, more than {}",
                            path_, name.substr(0, 40), name.size(), L::kMaxNameBytes));
  if (by_name_.count(name))
    throw Error(fmt::format("{}: the checkpoint already has an array named \"{}\"", path_, name));
  if (shape.size() > L::kMaxDims)
    throw Error(fmt::format("{}: array \"{}\" has {} dimensions, more than the {} allowed", path_,
                            name, shape.size(), L::kMaxDims));
  if (!L::array_bytes(dtype, shape, bytes))
    throw Error(fmt::format("{}: array \"{}\": shape {} of {} has more than 2^64 bytes", path_,
                            name, L::shape_string(shape), dtype_name(dtype)));
}

void CheckpointWriter::add(const std::string& name, DType dtype, std::vector<uint64_t> shape,
                           const void* data) {
  uint64_t bytes = 0;
  check_new_array(name, dtype, shape, &bytes);
  CTR_CHECK(data != nullptr || bytes == 0, "{}: array \"{}\" has no data", path_, name);
  // No copy: CRC a piece while it is still in cache, then write it straight from the caller.
  const auto* p = static_cast<const char*>(data);
  const uint64_t begin = offset_;
  uint32_t crc = 0;
  for (uint64_t done = 0; done < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kCheckpointChunkBytes, bytes - done));
    crc = L::crc32_update(crc, p + done, n);
    write_all(p + done, n);
    done += n;
  }
  arrays_.push_back({name, dtype, std::move(shape), bytes});
  offsets_.push_back(begin);
  crcs_.push_back(crc);
  by_name_.emplace(name, arrays_.size() - 1);
}

void CheckpointWriter::add_streamed(
    const std::string& name, DType dtype, std::vector<uint64_t> shape,
    const std::function<void(uint64_t offset, void* buf, size_t bytes)>& fill) {
  uint64_t bytes = 0;
  check_new_array(name, dtype, shape, &bytes);
  if (bytes > 0 && chunk_.empty()) chunk_.resize(kCheckpointChunkBytes);
  const uint64_t begin = offset_;
  uint32_t crc = 0;
  for (uint64_t done = 0; done < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kCheckpointChunkBytes, bytes - done));
    failed_ = true;  // until fill returns: an exception leaves a partial array in the file
    fill(done, chunk_.data(), n);
    failed_ = false;
    crc = L::crc32_update(crc, chunk_.data(), n);
    write_all(chunk_.data(), n);
    done += n;
  }
  arrays_.push_back({name, dtype, std::move(shape), bytes});
  offsets_.push_back(begin);
  crcs_.push_back(crc);
  by_name_.emplace(name, arrays_.size() - 1);
}

void CheckpointWriter::commit() {
  CTR_CHECK(fd_ >= 0 && !committed_, "{}: commit() called twice", path_);
  CTR_CHECK(!failed_, "{}: commit() after an earlier write failed", path_);
  CTR_CHECK(arrays_.size() <= UINT32_MAX, "{}: too many arrays", path_);

  const uint64_t index_offset = offset_;
  std::vector<char> index;
  for (size_t i = 0; i < arrays_.size(); ++i) {
    const ArrayInfo& a = arrays_[i];
    const size_t at = index.size();
    index.resize(at + L::entry_size(a.name.size(), a.shape.size()));
    char* p = index.data() + at;
    L::put_u16(p, static_cast<uint16_t>(a.name.size()));
    std::memcpy(p + 2, a.name.data(), a.name.size());
    p += 2 + a.name.size();
    p[0] = static_cast<char>(a.dtype);
    p[1] = static_cast<char>(a.shape.size());
    p += 2;
    for (uint64_t d : a.shape) {
      L::put_u64(p, d);
      p += 8;
    }
    L::put_u64(p, offsets_[i]);
    L::put_u64(p + 8, a.bytes);
    L::put_u32(p + 16, crcs_[i]);
  }
  const size_t entries = index.size();
  index.resize(entries + L::kIndexCrcSize + L::kTrailerSize);
  L::put_u32(index.data() + entries, L::crc32_of(index.data(), entries));
  std::memcpy(index.data() + entries + L::kIndexCrcSize, L::kTrailerMagic, L::kTrailerSize);
  write_all(index.data(), index.size());

  // The real header goes in last, so a crash before leaves a file marked unfinished.
  const auto header =
      header_bytes(static_cast<uint32_t>(arrays_.size()), header_json_, index_offset, offset_);
  pwrite_all(header.data(), header.size(), 0);
  if (::fsync(fd_) != 0) {
    failed_ = true;
    throw Error(fmt::format("{}: flushing the checkpoint to disk failed: {} (disk full?)",
                            tmp_path_, std::strerror(errno)));
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    throw Error(fmt::format("{}: closing the checkpoint failed: {}", tmp_path_,
                            std::strerror(errno)));
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0)
    throw Error(fmt::format("{}: cannot rename {} over it: {}", path_, tmp_path_,
                            std::strerror(errno)));
  committed_ = true;
  fsync_dir(parent_dir(path_), path_);
}

}  // namespace ctr
