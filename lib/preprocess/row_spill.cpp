// RowSpill implementation. A record:
//   u32 magic "CSP2", u32 0, u64 rows, u64 body bytes, then the body:
//   rows bytes of flags (bit 0: label, bits 1-2: split index 0 train, 1 valid, 2 test);
//   per dense column: u8 width (1, 2, 4 or 8), then rows values of that many bytes, little-endian
//     two's complement;
//   per categorical field: u8 width (1 to 4), then rows ids of that many bytes, little-endian;
//   8 zero bytes.
// No checksum: the file is written and read back by the same process within one run, and the
// shards written from it carry their own. Decoding still checks every width and length, so a
// file changed underneath is an error, never wrong rows.
#include "preprocess/row_spill.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <type_traits>

#include "core/error.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the row spill stores values by copying their low bytes: little-endian hosts only"
#endif

namespace ctr {

namespace {

constexpr uint32_t kRecordMagic = 0x32505343;  // "CSP2" little-endian
constexpr size_t kHeaderBytes = 24;
constexpr size_t kPadBytes = 8;
constexpr uint64_t kMaxRecordRows = uint64_t{1} << 32;
constexpr uint64_t kMaxBodyBytes = uint64_t{1} << 40;
constexpr size_t kStdioBuffer = 4u << 20;  // records are a few MB; fewer, larger syscalls

int dense_width(int64_t lo, int64_t hi) {
  if (lo >= std::numeric_limits<int8_t>::min() && hi <= std::numeric_limits<int8_t>::max()) return 1;
  if (lo >= std::numeric_limits<int16_t>::min() && hi <= std::numeric_limits<int16_t>::max()) return 2;
  if (lo >= std::numeric_limits<int32_t>::min() && hi <= std::numeric_limits<int32_t>::max()) return 4;
  return 8;
}

int id_width(uint32_t hi) { return hi < (1u << 8) ? 1 : hi < (1u << 16) ? 2 : hi < (1u << 24) ? 3 : 4; }

// Low W bytes of each value; `stride` steps through a row-major array.
template <int W, class T>
void put_column(const T* src, size_t n, size_t stride, char* dst) {
  for (size_t i = 0; i < n; ++i) std::memcpy(dst + i * W, &src[i * stride], W);
}

// The reverse: W-byte values widened to T, sign-extended when T is signed. Instantiated for
// every width by with_width(); a width wider than T is never stored (the view checks widths).
template <int W, class T>
void get_column(const char* src, size_t n, T* out) {
  if constexpr (W <= static_cast<int>(sizeof(T))) {
    using Stored = std::conditional_t<
        std::is_signed<T>::value,
        std::conditional_t<W == 1, int8_t, std::conditional_t<W == 2, int16_t, std::conditional_t<W == 4, int32_t, int64_t>>>,
        T>;
    for (size_t i = 0; i < n; ++i) {
      Stored v = 0;
      std::memcpy(&v, src + i * W, W);
      out[i] = static_cast<T>(v);
    }
  }
}

template <class Fn>
void with_width(int w, Fn fn) {
  switch (w) {
    case 1: fn(std::integral_constant<int, 1>()); break;
    case 2: fn(std::integral_constant<int, 2>()); break;
    case 3: fn(std::integral_constant<int, 3>()); break;
    case 4: fn(std::integral_constant<int, 4>()); break;
    default: fn(std::integral_constant<int, 8>()); break;
  }
}

// Walks a record's body, checking each read against its end.
class BodyCursor {
 public:
  BodyCursor(const SpillRecord& rec, const std::string& path) : rec_(rec), path_(path) {}
  const char* take(uint64_t n, const char* what) {
    if (n > static_cast<uint64_t>(end_ - at_)) damaged(fmt::format("its {} run past its end", what));
    const char* p = at_;
    at_ += n;
    return p;
  }
  void start(size_t header) {
    at_ = rec_.bytes.data() + header;
    end_ = rec_.bytes.data() + rec_.bytes.size() - kPadBytes;
  }
  bool at_end() const { return at_ == end_; }
  [[noreturn]] void damaged(const std::string& what) const {
    throw Error(fmt::format("{}: damaged record at byte {} in the temporary row spill: {} (it was changed while "
                            "preprocess ran; run preprocess again)",
                            path_, rec_.offset, what));
  }

 private:
  const SpillRecord& rec_;
  const std::string& path_;
  const char* at_ = nullptr;
  const char* end_ = nullptr;
};

}  // namespace

void encode_spill_record(const SpilledRows& r, size_t num_dense, size_t num_cat, SpillRecord& out) {
  const size_t n = r.rows;
  CTR_CHECK(r.split.size() == n && r.labels.size() == n && r.dense.size() == n * num_dense &&
                r.ids.size() == n * num_cat,
            "spill record of {} rows has arrays of {}, {}, {}, {}", n, r.split.size(), r.labels.size(),
            r.dense.size(), r.ids.size());
  std::vector<int> dense_w(num_dense), id_w(num_cat);
  uint64_t body = n + num_dense + num_cat + kPadBytes;
  for (size_t d = 0; d < num_dense; ++d) {
    int64_t lo = 0, hi = 0;
    for (size_t i = 0; i < n; ++i) {
      lo = std::min(lo, r.dense[i * num_dense + d]);
      hi = std::max(hi, r.dense[i * num_dense + d]);
    }
    dense_w[d] = dense_width(lo, hi);
    body += n * dense_w[d];
  }
  for (size_t f = 0; f < num_cat; ++f) {
    const uint32_t* col = r.ids.data() + f * n;
    id_w[f] = id_width(n ? *std::max_element(col, col + n) : 0);
    body += n * id_w[f];
  }

  out.rows = n;
  out.bytes.resize(kHeaderBytes + body);
  char* p = out.bytes.data();
  const uint32_t head[2] = {kRecordMagic, 0};
  const uint64_t sizes[2] = {n, body};
  std::memcpy(p, head, sizeof head);
  std::memcpy(p + sizeof head, sizes, sizeof sizes);
  p += kHeaderBytes;
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>((r.labels[i] & 1) | ((r.split[i] & 3) << 1));
  p += n;
  for (size_t d = 0; d < num_dense; ++d) {
    *p++ = static_cast<char>(dense_w[d]);
    // No rows: the columns are empty, and data() + d on an empty vector's null would be UB.
    if (n) with_width(dense_w[d], [&](auto w) { put_column<decltype(w)::value>(r.dense.data() + d, n, num_dense, p); });
    p += n * dense_w[d];
  }
  for (size_t f = 0; f < num_cat; ++f) {
    *p++ = static_cast<char>(id_w[f]);
    if (n) with_width(id_w[f], [&](auto w) { put_column<decltype(w)::value>(r.ids.data() + f * n, n, 1, p); });
    p += n * id_w[f];
  }
  std::memset(p, 0, kPadBytes);
}

SpillRecordView::SpillRecordView(const SpillRecord& rec, size_t num_dense, size_t num_cat, const std::string& path) {
  BodyCursor cur(rec, path);
  if (rec.bytes.size() < kHeaderBytes + kPadBytes) cur.damaged("shorter than its header");
  uint64_t sizes[2];
  std::memcpy(sizes, rec.bytes.data() + 8, sizeof sizes);
  const uint64_t n = sizes[0];
  if (sizes[1] != rec.bytes.size() - kHeaderBytes) cur.damaged("its length disagrees with its header");
  cur.start(kHeaderBytes);
  rows_ = n;
  flags_ = reinterpret_cast<const uint8_t*>(cur.take(n, "flags"));
  uint8_t top = 0;
  for (size_t i = 0; i < n; ++i) top = std::max(top, flags_[i]);
  if (top > 5) cur.damaged("a row's flags byte is not 0 to 5");
  for (size_t d = 0; d < num_dense; ++d) {
    const int w = static_cast<uint8_t>(*cur.take(1, "dense widths"));
    if (w != 1 && w != 2 && w != 4 && w != 8) cur.damaged(fmt::format("dense column {} has width {}", d, w));
    dense_.push_back({cur.take(n * w, "dense values"), w});
  }
  for (size_t f = 0; f < num_cat; ++f) {
    const int w = static_cast<uint8_t>(*cur.take(1, "id widths"));
    if (w < 1 || w > 4) cur.damaged(fmt::format("id column {} has width {}", f, w));
    ids_.push_back({cur.take(n * w, "ids"), w});
  }
  if (!cur.at_end()) cur.damaged("it holds more bytes than its columns");
}

void SpillRecordView::dense(size_t d, int64_t* out) const {
  const Column c = dense_[d];
  with_width(c.width, [&](auto w) { get_column<decltype(w)::value>(c.data, rows_, out); });
}

void SpillRecordView::ids(size_t f, uint32_t* out) const {
  const Column c = ids_[f];
  with_width(c.width, [&](auto w) { get_column<decltype(w)::value>(c.data, rows_, out); });
}

RowSpillWriter::RowSpillWriter(std::string path) : path_(std::move(path)) {
  f_ = std::fopen(path_.c_str(), "wb");
  if (!f_) throw Error(fmt::format("{}: cannot create the temporary row spill: {}", path_, std::strerror(errno)));
  std::setvbuf(f_, nullptr, _IOFBF, kStdioBuffer);
}

RowSpillWriter::~RowSpillWriter() {
  if (f_) std::fclose(f_);
}

void RowSpillWriter::write(const SpillRecord& r) {
  CTR_CHECK(f_ != nullptr, "write after close");
  const size_t n = r.bytes.size();
  if (std::fwrite(r.bytes.data(), 1, n, f_) != n)
    throw Error(fmt::format("{}: writing the temporary row spill failed: {} (preprocess keeps the parsed rows "
                            "there until the shards are written, a third to a half of the input's size; free disk "
                            "space where --output goes)",
                            path_, std::strerror(errno)));
  bytes_ += n;
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

RowSpillReader::RowSpillReader(std::string path) : path_(std::move(path)) {
  f_ = std::fopen(path_.c_str(), "rb");
  if (!f_) throw Error(fmt::format("{}: cannot open the temporary row spill: {}", path_, std::strerror(errno)));
  std::setvbuf(f_, nullptr, _IOFBF, kStdioBuffer);
  std::error_code ec;
  file_bytes_ = std::filesystem::file_size(path_, ec);  // progress only: 0 if unknown
}

RowSpillReader::~RowSpillReader() {
  if (f_) std::fclose(f_);
}

bool RowSpillReader::next(SpillRecord& out) {
  char head[kHeaderBytes];
  const size_t got = std::fread(head, 1, sizeof head, f_);
  if (got == 0 && std::feof(f_)) return false;
  uint32_t magic[2];
  uint64_t sizes[2];
  std::memcpy(magic, head, sizeof magic);
  std::memcpy(sizes, head + 8, sizeof sizes);
  if (got != sizeof head || magic[0] != kRecordMagic || magic[1] != 0 || sizes[0] > kMaxRecordRows ||
      sizes[1] > kMaxBodyBytes || sizes[1] < kPadBytes)
    throw Error(fmt::format("{}: damaged record header at byte {} in the temporary row spill (run preprocess "
                            "again)",
                            path_, bytes_));
  out.offset = bytes_;
  out.rows = sizes[0];
  out.bytes.resize(kHeaderBytes + sizes[1]);
  std::memcpy(out.bytes.data(), head, sizeof head);
  if (std::fread(out.bytes.data() + kHeaderBytes, 1, sizes[1], f_) != sizes[1])
    throw Error(fmt::format("{}: the temporary row spill ends early in the record at byte {} (it was changed or "
                            "cut short while preprocess ran; run preprocess again)",
                            path_, bytes_));
  bytes_ += out.bytes.size();
  return true;
}

}  // namespace ctr
