// Opens checkpoint files, validating every size against the file before use, and reads arrays.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "checkpoint/checkpoint_file.h"
#include "checkpoint/checkpoint_layout.h"
#include "core/checksum.h"
#include "core/error.h"
#include "core/format_text.h"

namespace ctr {

namespace L = checkpoint_layout;

namespace {

[[noreturn]] void corrupt(const std::string& path, const std::string& where,
                          const std::string& what) {
  throw Error(fmt::format("{}: {}: {}; the checkpoint is corrupt: use another checkpoint", path,
                          where, what));
}

[[noreturn]] void truncated(const std::string& path, const std::string& what) {
  throw Error(fmt::format("{}: truncated: {}; the checkpoint is incomplete: use another checkpoint",
                          path, what));
}

// Reads exactly n bytes at `offset`. Sizes were checked against the file size at open, so a
// short read means the file shrank since.
void read_exact(int fd, void* dst, size_t n, uint64_t offset, const std::string& path) {
  auto* p = static_cast<char*>(dst);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, p + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      throw Error(
          fmt::format("{}: read failed at byte {}: {}", path, offset + got, std::strerror(errno)));
    if (r == 0)
      truncated(path, fmt::format("expected {} bytes at offset {}, got {} (did the file shrink "
                                  "while open?)", n, offset, got));
    got += static_cast<size_t>(r);
  }
}

// Bounds-checked cursor over the index entries: running past the end is corruption, never a read
// outside the buffer.
struct IndexCursor {
  const std::vector<char>& bytes;
  size_t pos;
  const std::string& path;
  std::string where;

  const char* take(size_t n) {
    if (n > bytes.size() - pos)
      corrupt(path, where, fmt::format("the entry runs past the end of the index ({} bytes)",
                                       bytes.size()));
    const char* p = bytes.data() + pos;
    pos += n;
    return p;
  }
  template <class T>
  T get() {
    return L::get<T>(take(sizeof(T)));
  }
};

}  // namespace

CheckpointReader::CheckpointReader(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw Error(fmt::format("{}: cannot open the checkpoint: {}", path_, std::strerror(errno)));
  try {
    struct stat st;
    if (::fstat(fd_, &st) != 0)
      throw Error(fmt::format("{}: cannot stat the checkpoint: {}", path_, std::strerror(errno)));
    const uint64_t size = static_cast<uint64_t>(st.st_size);

    char h[L::kHeaderSize];
    const size_t have = static_cast<size_t>(std::min<uint64_t>(size, L::kHeaderSize));
    read_exact(fd_, h, have, 0, path_);
    const size_t magic_have = std::min(have, sizeof L::kMagic);
    if (std::memcmp(h, L::kMagic, magic_have) != 0)
      throw Error(fmt::format("{}: not a ctrtrain checkpoint (it starts with {}, expected the "
                              "magic \"CTRCKPNT\")", path_, shown_bytes(h, magic_have)));
    if (size < L::kHeaderSize)
      truncated(path_, fmt::format("the file has {} bytes, fewer than the {}-byte checkpoint "
                                   "header", size, L::kHeaderSize));

    const uint32_t version = L::get<uint32_t>(h + L::kHdrVersion);
    const uint32_t stored_crc = L::get<uint32_t>(h + L::kHdrCrc);
    const uint32_t crc = L::crc32_of(h, L::kHdrCrc);
    if (version != L::kVersion)
      throw Error(fmt::format("{}: checkpoint format version {} is not supported (this ctrtrain "
                              "reads version {}){}", path_, version, L::kVersion,
                              crc != stored_crc ? ", or the header is corrupt" : ""));
    if (checksums_differ(stored_crc, crc)) corrupt(path_, "header", checksum_mismatch(stored_crc, crc));

    const uint32_t num_arrays = L::get<uint32_t>(h + L::kHdrNumArrays);
    const uint64_t json_size = L::get<uint64_t>(h + L::kHdrJsonSize);
    const uint64_t index_offset = L::get<uint64_t>(h + L::kHdrIndexOffset);
    const uint64_t file_size = L::get<uint64_t>(h + L::kHdrFileSize);
    if (index_offset == 0)
      throw Error(fmt::format("{}: the checkpoint was never finished (the writer crashed or was "
                              "interrupted); use another checkpoint", path_));
    if (size < file_size)
      truncated(path_, fmt::format("the header says the file has {} bytes, it has {}", file_size,
                                   size));
    if (size > file_size)
      corrupt(path_, "end of file",
              fmt::format("the file has {} bytes, its header says {}", size, file_size));
    const uint64_t tail = L::kIndexCrcSize + L::kTrailerSize;
    if (json_size > file_size - L::kHeaderSize || index_offset < L::kHeaderSize + json_size ||
        index_offset > file_size || file_size - index_offset < tail ||
        file_size - index_offset - tail >
            uint64_t{num_arrays} * L::entry_size(L::kMaxNameBytes, L::kMaxDims))
      corrupt(path_, "header",
              fmt::format("inconsistent fields (JSON header of {} bytes, {} arrays, index at "
                          "byte {}, file size {})", json_size, num_arrays, index_offset,
                          file_size));

    char trailer[L::kTrailerSize];
    read_exact(fd_, trailer, L::kTrailerSize, file_size - L::kTrailerSize, path_);
    if (std::memcmp(trailer, L::kTrailerMagic, L::kTrailerSize) != 0)
      corrupt(path_, "trailer", fmt::format("found {} instead of the end magic \"CKPT_END\"",
                                            shown_bytes(trailer, L::kTrailerSize)));

    header_json_.resize(json_size);
    read_exact(fd_, header_json_.data(), json_size, L::kHeaderSize, path_);
    const uint32_t json_crc = L::crc32_of(header_json_.data(), json_size);
    const uint32_t stored_json_crc = L::get<uint32_t>(h + L::kHdrJsonCrc);
    if (checksums_differ(stored_json_crc, json_crc))
      corrupt(path_, "JSON header", checksum_mismatch(stored_json_crc, json_crc));

    load_index(index_offset, file_size, L::kHeaderSize + json_size, num_arrays);
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

void CheckpointReader::load_index(uint64_t index_offset, uint64_t file_size, uint64_t data_begin,
                                  uint32_t num_arrays) {
  const uint64_t entries = file_size - index_offset - L::kIndexCrcSize - L::kTrailerSize;
  std::vector<char> index(entries + L::kIndexCrcSize);
  read_exact(fd_, index.data(), index.size(), index_offset, path_);
  const uint32_t stored = L::get<uint32_t>(index.data() + entries);
  const uint32_t crc = L::crc32_of(index.data(), entries);
  if (checksums_differ(stored, crc)) corrupt(path_, "index", checksum_mismatch(stored, crc));
  index.resize(entries);

  // The CRC makes damage here unlikely; the checks below make a writer bug or a crafted file
  // unable to cause an out-of-bounds read, a huge allocation or overlapping arrays.
  IndexCursor cur{index, 0, path_, ""};
  uint64_t next = data_begin;  // arrays lie back to back from the end of the JSON header
  for (uint32_t i = 0; i < num_arrays; ++i) {
    cur.where = fmt::format("index, entry {}", i);
    const uint16_t name_len = cur.get<uint16_t>();
    if (name_len == 0) corrupt(path_, cur.where, "empty array name");
    ArrayInfo a;
    a.name.assign(cur.take(name_len), name_len);
    cur.where = fmt::format("index, array \"{}\"", a.name);
    if (by_name_.count(a.name)) corrupt(path_, cur.where, "the name appears twice");
    const uint8_t dtype = cur.get<uint8_t>();
    const uint8_t ndim = cur.get<uint8_t>();
    if (!L::valid_dtype(dtype)) corrupt(path_, cur.where, fmt::format("unknown dtype {}", dtype));
    if (ndim > L::kMaxDims)
      corrupt(path_, cur.where, fmt::format("{} dimensions, more than {}", ndim, L::kMaxDims));
    a.dtype = static_cast<DType>(dtype);
    for (uint8_t d = 0; d < ndim; ++d) a.shape.push_back(cur.get<uint64_t>());
    const uint64_t offset = cur.get<uint64_t>();
    a.bytes = cur.get<uint64_t>();
    const uint32_t array_crc = cur.get<uint32_t>();
    uint64_t expected = 0;
    if (!L::array_bytes(a.dtype, a.shape, &expected) || expected != a.bytes)
      corrupt(path_, cur.where,
              fmt::format("shape {} of {} does not match its size of {} bytes",
                          L::shape_string(a.shape), dtype_name(a.dtype), a.bytes));
    if (offset != next || a.bytes > index_offset - offset)
      corrupt(path_, cur.where,
              fmt::format("{} bytes at byte {} do not follow the previous array (which ends at "
                          "byte {}) inside the data section (which ends at byte {})",
                          a.bytes, offset, next, index_offset));
    next = offset + a.bytes;
    by_name_.emplace(a.name, arrays_.size());
    arrays_.push_back(std::move(a));
    offsets_.push_back(offset);
    crcs_.push_back(array_crc);
  }
  if (cur.pos != entries)
    corrupt(path_, "index", fmt::format("{} bytes follow the last of its {} entries",
                                        entries - cur.pos, num_arrays));
  if (next != index_offset)
    corrupt(path_, "index", fmt::format("the arrays end at byte {}, but the index starts at "
                                        "byte {}", next, index_offset));
}

CheckpointReader::~CheckpointReader() {
  if (fd_ >= 0) ::close(fd_);
}

const ArrayInfo* CheckpointReader::find(const std::string& name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &arrays_[it->second];
}

size_t CheckpointReader::checked(const std::string& name, DType dtype,
                                 const std::vector<uint64_t>& shape) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    std::vector<std::string> names;
    for (size_t i = 0; i < arrays_.size() && i < 10; ++i)
      names.push_back('"' + arrays_[i].name + '"');
    if (arrays_.size() > 10) names.push_back(fmt::format("... ({} in all)", arrays_.size()));
    throw Error(fmt::format("{}: the checkpoint has no array named \"{}\" (it has {}); was it "
                            "written for another model?", path_, name,
                            names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
  }
  const ArrayInfo& a = arrays_[it->second];
  if (a.dtype != dtype || a.shape != shape)
    throw Error(fmt::format("{}: array \"{}\": expected {} {}, the checkpoint has {} {}; was it "
                            "written for another model or config?", path_, name,
                            dtype_name(dtype), L::shape_string(shape), dtype_name(a.dtype),
                            L::shape_string(a.shape)));
  return it->second;
}

void CheckpointReader::read(const std::string& name, DType dtype,
                            const std::vector<uint64_t>& shape, void* dst) const {
  const size_t i = checked(name, dtype, shape);
  const uint64_t bytes = arrays_[i].bytes;
  CTR_CHECK(dst != nullptr || bytes == 0, "{}: array \"{}\": null destination", path_, name);
  // Straight into dst, piece by piece, each piece CRC'd while still in cache.
  auto* p = static_cast<char*>(dst);
  uint32_t crc = 0;
  for (uint64_t done = 0; done < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kCheckpointChunkBytes, bytes - done));
    read_exact(fd_, p + done, n, offsets_[i] + done, path_);
    crc = L::crc32_update(crc, p + done, n);
    done += n;
  }
  if (checksums_differ(crcs_[i], crc))
    corrupt(path_, fmt::format("array \"{}\"", name), checksum_mismatch(crcs_[i], crc));
}

void CheckpointReader::read_streamed(
    const std::string& name, DType dtype, const std::vector<uint64_t>& shape,
    const std::function<void(uint64_t offset, const void* data, size_t bytes)>& sink) const {
  const size_t i = checked(name, dtype, shape);
  const uint64_t bytes = arrays_[i].bytes;
  std::vector<char> buf(static_cast<size_t>(std::min<uint64_t>(kCheckpointChunkBytes, bytes)));
  uint32_t crc = 0;
  for (uint64_t done = 0; done < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kCheckpointChunkBytes, bytes - done));
    read_exact(fd_, buf.data(), n, offsets_[i] + done, path_);
    crc = L::crc32_update(crc, buf.data(), n);
    sink(done, buf.data(), n);
    done += n;
  }
  if (checksums_differ(crcs_[i], crc))
    corrupt(path_, fmt::format("array \"{}\"", name),
            checksum_mismatch(crcs_[i], crc) + " (discard what was read)");
}

}  // namespace ctr
