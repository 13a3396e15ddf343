// The checkpoint container file: a JSON header plus named, checksummed arrays, written atomically.
//
// docs/checkpoint-format.md describes the byte layout, the checksums and every error. Arrays
// stream in chunks of at most 4 MiB in both directions, so a multi-GB embedding table (or its
// Adam moments, on the GPU) never needs a second whole copy in host memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ctr {

enum class DType : uint8_t { f32 = 1, f64 = 2, u32 = 3, u64 = 4 };
size_t dtype_size(DType);
const char* dtype_name(DType);  // "f32", ...

struct ArrayInfo {
  std::string name;
  DType dtype;
  std::vector<uint64_t> shape;  // {} is a scalar (one element); a 0 anywhere means no elements
  uint64_t bytes;               // product(shape) * dtype_size(dtype)
};

// The largest piece fill() is asked for and sink() is given.
constexpr size_t kCheckpointChunkBytes = size_t{4} << 20;

// Writes PATH.tmp in PATH's directory; commit() makes it PATH in one rename, so PATH is always
// either the previous complete checkpoint or the new one. Not thread-safe.
class CheckpointWriter {
 public:
  CheckpointWriter(std::string path, std::string header_json);  // opens PATH.tmp
  ~CheckpointWriter();  // removes PATH.tmp unless committed
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // Whole array from host memory (data may be null only when the array has no elements).
  void add(const std::string& name, DType dtype, std::vector<uint64_t> shape, const void* data);
  // fill(offset, buf, bytes) must write the array's bytes [offset, offset + bytes) into buf; it
  // is called for consecutive pieces of kCheckpointChunkBytes (the last one shorter), never for
  // an empty array. If fill throws, the writer is unusable and must be destroyed.
  void add_streamed(const std::string& name, DType dtype, std::vector<uint64_t> shape,
                    const std::function<void(uint64_t offset, void* buf, size_t bytes)>& fill);
  // Index + trailer, header, fsync, rename over PATH, fsync of the directory.
  void commit();

  const std::string& path() const { return path_; }

 private:
  void check_new_array(const std::string& name, DType dtype, const std::vector<uint64_t>& shape,
                       uint64_t* bytes) const;
  void write_all(const void* data, size_t n);
  void pwrite_all(const void* data, size_t n, uint64_t offset);

  std::string path_, tmp_path_, header_json_;
  int fd_ = -1;
  uint64_t offset_ = 0;  // bytes written so far = where the next byte goes
  std::vector<ArrayInfo> arrays_;
  std::vector<uint32_t> crcs_;
  std::vector<uint64_t> offsets_;
  std::unordered_map<std::string, size_t> by_name_;
  std::vector<char> chunk_;  // add_streamed's buffer, allocated on first use
  bool committed_ = false;
  bool failed_ = false;  // a write or fill threw: the file is inconsistent
};

// Opens and verifies a checkpoint: magic, version, header and JSON checksums, sizes, index.
// Array data is checked (CRC32) whenever it is read. Const methods may run concurrently.
class CheckpointReader {
 public:
  explicit CheckpointReader(std::string path);
  ~CheckpointReader();
  CheckpointReader(const CheckpointReader&) = delete;
  CheckpointReader& operator=(const CheckpointReader&) = delete;

  const std::string& path() const { return path_; }
  const std::string& header_json() const { return header_json_; }
  const std::vector<ArrayInfo>& arrays() const { return arrays_; }  // in file order
  const ArrayInfo* find(const std::string& name) const;              // nullptr if absent

  // Reads a whole array into dst (ArrayInfo::bytes bytes) after checking that its dtype and
  // shape are the expected ones; verifies its CRC32. On a ctr::Error dst holds garbage.
  void read(const std::string& name, DType dtype, const std::vector<uint64_t>& shape,
            void* dst) const;
  // sink(offset, data, bytes) receives consecutive pieces of at most kCheckpointChunkBytes. The
  // CRC32 can only be checked after the last piece: on a ctr::Error the caller must discard
  // everything it received.
  void read_streamed(const std::string& name, DType dtype, const std::vector<uint64_t>& shape,
                     const std::function<void(uint64_t offset, const void* data, size_t bytes)>&
                         sink) const;

 private:
  size_t checked(const std::string& name, DType dtype, const std::vector<uint64_t>& shape) const;
  void load_index(uint64_t index_offset, uint64_t file_size, uint64_t data_begin,
                  uint32_t num_arrays);

  std::string path_;
  int fd_ = -1;
  std::string header_json_;
  std::vector<ArrayInfo> arrays_;
  std::vector<uint64_t> offsets_;
  std::vector<uint32_t> crcs_;
  std::unordered_map<std::string, size_t> by_name_;
};

}  // namespace ctr
