// Validates `.ctrs` shard files and decodes their row groups (pread, zstd, CRC32, transpose).
#include "shard/shard_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>

#include <zstd.h>

#include "core/checksum.h"
#include "core/error.h"
#include "core/format_text.h"
#include "shard/shard_layout.h"

namespace ctr {

namespace L = shard_layout;

namespace {

[[noreturn]] void corrupt(const std::string& path, const std::string& where,
                          const std::string& what) {
  throw Error(fmt::format("{}: {}: {}; the file is corrupt: re-run ctrtrain preprocess", path,
                          where, what));
}

// Reads up to n bytes at `offset`; fewer only at end of file.
size_t pread_full(int fd, char* dst, size_t n, uint64_t offset, const std::string& path) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, dst + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      throw Error(
          fmt::format("{}: read failed at byte {}: {}", path, offset + got, std::strerror(errno)));
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

void read_exact(int fd, char* dst, size_t n, uint64_t offset, const std::string& path) {
  const size_t got = pread_full(fd, dst, n, offset, path);
  if (got != n)
    throw Error(
        fmt::format("{}: truncated: expected {} bytes at offset {}, got {} (did the file "
                    "shrink while open?); re-run ctrtrain preprocess", path, n, offset, got));
}

// Field-major [w][n] -> row-major [n][w], the inverse of the writer's dense layout. A tile of
// destination rows stays in L1 while each field's run is scattered into it.
void to_row_major(const float* src, size_t n, size_t w, float* dst) {
  constexpr size_t kTile = 32;
  if (w == 1) {
    std::memcpy(dst, src, n * sizeof(float));
    return;
  }
  for (size_t r0 = 0; r0 < n; r0 += kTile) {
    const size_t r1 = std::min(n, r0 + kTile);
    for (size_t f = 0; f < w; ++f) {
      const float* in = src + f * n;
      for (size_t r = r0; r < r1; ++r) dst[r * w + f] = in[r];
    }
  }
}

// Field-major byte planes [w][4][n] -> row-major u32 [n][w], the inverse of the writer's
// categorical layout; reassembling the bytes and transposing is one pass, which also raises
// field_max[f] to each field's largest id (free here: the loop waits on memory). Each tile
// touches 4*w short runs, too many streams for the hardware prefetcher (and with a power-of-two
// n they alias in L1), so the next tile's runs are prefetched explicitly: 2-4x faster on
// 64K-row groups.
void from_byte_planes(const uint8_t* src, size_t n, size_t w, uint32_t* dst, uint32_t* field_max) {
  constexpr size_t kTile = 256, kLine = 64;
  for (size_t r0 = 0; r0 < n; r0 += kTile) {
    const size_t r1 = std::min(n, r0 + kTile);
    for (size_t f = 0; f < w; ++f) {
      const uint8_t* p = src + f * 4 * n;
      for (size_t ahead = r1; ahead < std::min(n, r1 + kTile); ahead += kLine)
        for (size_t b = 0; b < 4; ++b) __builtin_prefetch(p + b * n + ahead);
      uint32_t m = field_max[f];
      for (size_t r = r0; r < r1; ++r) {
        const uint32_t v =
            uint32_t{p[r]} | uint32_t{p[n + r]} << 8 | uint32_t{p[2 * n + r]} << 16 | uint32_t{p[3 * n + r]} << 24;
        dst[r * w + f] = v;
        m = std::max(m, v);
      }
      field_max[f] = m;
    }
  }
}

struct DCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

// Per-thread decoding state: read_group runs concurrently on one reader, so nothing mutable
// may live in the reader itself; buffers keep their capacity between groups.
struct Scratch {
  std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx{ZSTD_createDCtx()};
  std::vector<char> stored;  // the whole on-disk row group
  std::vector<uint8_t> labels;
  std::vector<float> dense;
  std::vector<uint8_t> cat;  // byte planes
  std::vector<uint32_t> field_max;
};

Scratch& thread_scratch() {
  thread_local Scratch s;
  CTR_CHECK(s.dctx != nullptr, "ZSTD_createDCtx failed");
  return s;
}

// Names the group in every message: "FILE: row group G (rows A..B), PART: WHAT".
struct GroupContext {
  const std::string& path;
  size_t group;
  uint64_t first_row;
  uint32_t rows;

  [[noreturn]] void fail(const std::string& part, const std::string& what) const {
    corrupt(
        path,
        fmt::format("row group {} (rows {}..{}), {}", group, first_row, first_row + rows - 1, part),
        what);
  }
  [[noreturn]] void fail_chunk(size_t k, const std::string& what) const {
    fail(fmt::format("{} chunk", L::kChunkNames[k]), what);
  }
};

struct ChunkDesc {
  uint32_t raw_size, stored_size, crc;
};

// Checks the group header against the index and the schema, and fills `chunks` from it.
void parse_group_header(const GroupContext& ctx, const char* h, uint64_t extent,
                        const uint64_t expected_raw[L::kNumChunks],
                        ChunkDesc chunks[L::kNumChunks]) {
  if (std::memcmp(h, L::kGroupMagic, sizeof L::kGroupMagic) != 0)
    ctx.fail("group header", fmt::format("bad magic {} (expected \"CTRG\")", shown_bytes(h, 4)));
  const uint32_t stored_crc = L::get_u32(h + L::kGrpCrc), crc = L::crc32_of(h, L::kGrpCrc);
  if (checksums_differ(stored_crc, crc)) ctx.fail("group header", checksum_mismatch(stored_crc, crc));
  const uint32_t rows = L::get_u32(h + L::kGrpRows);
  if (rows != ctx.rows)
    ctx.fail("group header", fmt::format("holds {} rows, the index says {}", rows, ctx.rows));
  uint64_t payload = 0;
  for (size_t k = 0; k < L::kNumChunks; ++k) {
    const char* d = h + L::kGrpChunks + k * L::kChunkDescSize;
    chunks[k] = {L::get_u32(d), L::get_u32(d + 4), L::get_u32(d + 8)};
    if (chunks[k].raw_size != expected_raw[k])
      ctx.fail_chunk(k, fmt::format("uncompressed size {} bytes, expected {} for this schema",
                                    chunks[k].raw_size, expected_raw[k]));
    payload += chunks[k].stored_size;
  }
  if (L::kGroupHeaderSize + payload != extent)
    ctx.fail("group header", fmt::format("chunk sizes add up to {} bytes, the index gives {}",
                                         L::kGroupHeaderSize + payload, extent));
}

// CRC-checks and decompresses one chunk into `dst` (exactly raw_size bytes).
void decode_chunk(const GroupContext& ctx, size_t k, const char* src, const ChunkDesc& c, void* dst,
                  ZSTD_DCtx* dctx) {
  const uint32_t crc = L::crc32_of(src, c.stored_size);
  if (checksums_differ(c.crc, crc)) ctx.fail_chunk(k, checksum_mismatch(c.crc, crc));
  const unsigned long long frame_size = ZSTD_getFrameContentSize(src, c.stored_size);
  if (frame_size != c.raw_size)
    ctx.fail_chunk(k, frame_size == ZSTD_CONTENTSIZE_ERROR || frame_size == ZSTD_CONTENTSIZE_UNKNOWN
                          ? std::string("not a complete zstd frame")
                          : fmt::format("zstd frame holds {} bytes, the group header says {}",
                                        frame_size, c.raw_size));
  const size_t got = ZSTD_decompressDCtx(dctx, dst, c.raw_size, src, c.stored_size);
  if (ZSTD_isError(got))
    ctx.fail_chunk(k, fmt::format("zstd decompression failed: {}", ZSTD_getErrorName(got)));
  if (got != c.raw_size)
    ctx.fail_chunk(k, fmt::format("decompressed to {} bytes, expected {}", got, c.raw_size));
}

// u8 0/1 -> float; any other byte is corruption the checksums could not see (a writer bug).
void decode_labels(const GroupContext& ctx, const uint8_t* src, size_t n, std::vector<float>& out) {
  out.resize(n);
  uint8_t seen = 0;
  for (size_t i = 0; i < n; ++i) {
    seen |= src[i];
    out[i] = static_cast<float>(src[i]);
  }
  if (seen <= 1) return;
  const size_t bad =
      static_cast<size_t>(std::find_if(src, src + n, [](uint8_t v) { return v > 1; }) - src);
  ctx.fail_chunk(L::kLabels, fmt::format("row {} has label byte {} (expected 0 or 1)",
                                         ctx.first_row + bad, src[bad]));
}

// Dense values must be finite: preprocess never writes NaN or infinity, and one would surface
// much later as a diverged loss. All-finite is the norm, so one branch-free pass decides, and
// only a failing group is searched for its first bad value.
void check_finite(const GroupContext& ctx, const float* v, size_t n, size_t w) {
  uint32_t bad = 0;
  for (size_t i = 0; i < n * w; ++i) {
    uint32_t bits;
    std::memcpy(&bits, v + i, 4);
    bad |= (bits & 0x7f800000u) == 0x7f800000u;  // exponent all ones: NaN or infinity
  }
  if (!bad) return;
  const size_t i = static_cast<size_t>(std::find_if(v, v + n * w, [](float x) { return !std::isfinite(x); }) - v);
  ctx.fail_chunk(L::kDense, fmt::format("row {}, dense field {} (0-based) holds {} (dense values are finite)",
                                        ctx.first_row + i % n, i / n, v[i]));
}

// Version 2: no id may exceed its field's maximum in the shard header, which is what readers
// compare with the vocabulary when they open a dataset's shards.
void check_ids(const GroupContext& ctx, const uint32_t* ids, size_t n, size_t w, const uint32_t* seen_max,
               const std::vector<uint32_t>& header_max) {
  for (size_t f = 0; f < w; ++f) {
    if (seen_max[f] <= header_max[f]) continue;
    size_t r = 0;
    while (r + 1 < n && ids[r * w + f] <= header_max[f]) ++r;
    ctx.fail_chunk(L::kCat, fmt::format("row {}, categorical field {} (0-based) holds id {}, above the field's "
                                        "largest id in the shard header ({})",
                                        ctx.first_row + r, f, ids[r * w + f], header_max[f]));
  }
}

}  // namespace

ShardReader::ShardReader(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(fmt::format("{}: cannot open shard: {}", path, std::strerror(errno)));
  try {
    load_header_and_index();
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

ShardReader::~ShardReader() { ::close(fd_); }

void ShardReader::load_header_and_index() {
  struct stat st;
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(fmt::format("{}: not a regular file (expected a .ctrs shard)", path_));
  file_size_ = static_cast<uint64_t>(st.st_size);
  uint32_t num_groups = 0;
  read_header(num_groups);  // which also checks that file_size_ is what the header says
  if (num_dense_ > L::kMaxFields || index_offset_ < header_size_ || index_offset_ > file_size_ ||
      file_size_ - index_offset_ != L::index_bytes(num_groups, version_))
    corrupt(path_, "header",
            fmt::format("inconsistent fields ({} dense, {} categorical, {} groups, index at "
                        "byte {}, {} bytes)",
                        num_dense_, num_cat_, num_groups, index_offset_, file_size_));
  load_index(num_groups);
}

// The header: magic, version, then the rest of it (its size depends on the version and, from
// version 2 on, on num_cat), its CRC, and its sizes against the real file.
void ShardReader::read_header(uint32_t& num_groups) {
  char fixed[L::kHeaderSize];
  const size_t got = pread_full(fd_, fixed, sizeof fixed, 0, path_);
  const size_t magic_got = std::min(got, sizeof L::kMagic);
  if (std::memcmp(fixed, L::kMagic, magic_got) != 0)
    throw Error(
        fmt::format("{}: not a ctrtrain shard (it starts with {}, expected the magic "
                    "\"CTRSHARD\")",
                    path_, shown_bytes(fixed, magic_got)));
  if (got < L::kHeaderSize)
    throw Error(
        fmt::format("{}: truncated: the file has {} bytes, fewer than the {}-byte minimum of a shard "
                    "header; re-run ctrtrain preprocess",
                    path_, got, L::kHeaderSize));
  // Magic and version sit at fixed offsets in every version; the CRC's place and coverage
  // differ, so a failing version-1 CRC beside an unknown version only adds a hint.
  version_ = L::get_u32(fixed + L::kHdrVersion);
  if (version_ < L::kOldestVersion || version_ > L::kVersion)
    throw Error(fmt::format(
        "{}: shard format version {} is not supported (this ctrtrain reads "
        "{}{}); re-create the shards with this ctrtrain's preprocess",
        path_, version_, L::kReadableVersions,
        L::get_u32(fixed + L::kHdrCrc) == L::crc32_of(fixed, L::kHdrCrc) ? "" : ", or the header is corrupt"));
  num_cat_ = L::get_u32(fixed + L::kHdrNumCat);
  if (num_cat_ > L::kMaxFields)  // not yet checked by the CRC, which it helps locate
    corrupt(path_, "header", fmt::format("{} categorical fields (at most {})", num_cat_, L::kMaxFields));
  header_size_ = L::header_size(version_, num_cat_);
  const uint64_t expected_size = L::get_u64(fixed + L::kHdrFileSize);
  if (file_size_ < header_size_)
    throw Error(
        fmt::format("{}: truncated: the header says the file has {} bytes, it has {}; re-run ctrtrain "
                    "preprocess",
                    path_, expected_size, file_size_));
  std::vector<char> h(header_size_);  // bounded: it fits in the real file
  read_exact(fd_, h.data(), h.size(), 0, path_);
  const size_t crc_at = L::header_crc_offset(version_, num_cat_);
  header_crc_ = L::get_u32(h.data() + crc_at);
  const uint32_t crc = L::crc32_of(h.data(), crc_at);
  if (checksums_differ(header_crc_, crc)) corrupt(path_, "header", checksum_mismatch(header_crc_, crc));
  parse_header(h.data(), num_groups);
  if (index_offset_ == 0)
    throw Error(fmt::format("{}: the shard was never finished (the writer crashed or was "
                            "interrupted); re-run ctrtrain preprocess", path_));
  if (file_size_ < expected_size)
    throw Error(fmt::format("{}: truncated: the header says the file has {} bytes, it has {}; "
                            "re-run ctrtrain preprocess", path_, expected_size, file_size_));
  if (file_size_ > expected_size)
    corrupt(path_, "end of file",
            fmt::format("the file has {} bytes, its header says {} (data appended after the "
                        "shard?)", file_size_, expected_size));
}

// The header's fields once its CRC has matched.
void ShardReader::parse_header(const char* h, uint32_t& num_groups) {
  num_dense_ = L::get_u32(h + L::kHdrNumDense);
  num_rows_ = L::get_u64(h + L::kHdrNumRows);
  index_offset_ = L::get_u64(h + L::kHdrIndexOffset);
  num_groups = L::get_u32(h + L::kHdrNumGroups);
  if (version_ < 2) return;
  nonfinite_ = L::get_u64(h + L::kHdrNonfinite);
  index_crc_ = L::get_u32(h + L::kHdrIndexCrc);
  max_ids_.resize(num_cat_);
  for (size_t f = 0; f < num_cat_; ++f) max_ids_[f] = L::get_u32(h + L::kHdrMaxIds + 4 * f);
}

void ShardReader::load_index(uint32_t num_groups) {
  std::vector<char> tail(L::index_bytes(num_groups, version_));  // bounded: it fits in the real file
  read_exact(fd_, tail.data(), tail.size(), index_offset_, path_);
  const char* trailer = tail.data() + tail.size() - L::kTrailerSize;
  if (std::memcmp(trailer, L::kTrailerMagic, L::kTrailerSize) != 0)
    corrupt(path_, "trailer",
            fmt::format("found {} instead of the end magic \"CTRS_END\"",
                        shown_bytes(trailer, L::kTrailerSize)));
  const size_t entry = L::index_entry_size(version_), entries = size_t{num_groups} * entry;
  const uint32_t stored_crc = L::get_u32(tail.data() + entries),
                 crc = L::crc32_of(tail.data(), entries);
  if (checksums_differ(stored_crc, crc)) corrupt(path_, "row-group index", checksum_mismatch(stored_crc, crc));
  if (version_ >= 2 && checksums_differ(index_crc_, stored_crc))
    corrupt(path_, "row-group index",
            fmt::format("its checksum 0x{:08x} is not the one the header records (0x{:08x})", stored_crc, index_crc_));

  // A group's rows bound every chunk's uncompressed size; reject any that could not be decoded
  // within the format's chunk limit before a caller sizes buffers from group_rows().
  const uint64_t widest = 4 * std::max<uint64_t>({num_dense_, num_cat_, 1});
  uint64_t expected_offset = header_size_, rows = 0;
  for (uint32_t g = 0; g < num_groups; ++g) {
    const char* e = tail.data() + g * entry;
    const uint64_t off = L::get_u64(e);
    const uint32_t r = L::get_u32(e + 8);
    if (off < expected_offset || off > index_offset_ - L::kGroupHeaderSize || (g == 0 && off != header_size_) ||
        r == 0 || r * widest > L::kMaxChunkRawBytes)
      corrupt(path_, fmt::format("row-group index, entry {}", g),
              fmt::format("group at byte {} with {} rows is out of bounds", off, r));
    group_offsets_.push_back(off);
    group_rows_.push_back(r);
    if (version_ >= 2) group_crcs_.push_back(L::get_u32(e + 12));
    group_first_row_.push_back(rows);
    expected_offset = off + L::kGroupHeaderSize;
    rows += r;
  }
  if (rows != num_rows_)
    corrupt(path_, "row-group index",
            fmt::format("groups hold {} rows, the header says {}", rows, num_rows_));
}

void ShardReader::read_group(size_t g, RowBlock& out) const {
  CTR_CHECK(g < num_groups(), "{}: row group {} of {}", path_, g, num_groups());
  const GroupContext ctx{path_, g, group_first_row_[g], group_rows_[g]};
  const uint64_t begin = group_offsets_[g];
  const uint64_t end = g + 1 < num_groups() ? group_offsets_[g + 1] : index_offset_;
  const size_t rows = ctx.rows, nd = num_dense_, nc = num_cat_;
  Scratch& s = thread_scratch();

  s.stored.resize(end - begin);
  read_exact(fd_, s.stored.data(), s.stored.size(), begin, path_);
  const uint64_t expected_raw[L::kNumChunks] = {rows, rows * nd * 4, rows * nc * 4};
  ChunkDesc chunks[L::kNumChunks];
  parse_group_header(ctx, s.stored.data(), s.stored.size(), expected_raw, chunks);
  // The group's header is sound by itself; from version 2 on it must also be the one the
  // index (and through it the file header and meta.json) vouches for.
  const uint32_t group_crc = L::get_u32(s.stored.data() + L::kGrpCrc);
  if (version_ >= 2 && checksums_differ(group_crcs_[g], group_crc))
    ctx.fail("group header", fmt::format("its checksum 0x{:08x} is not the one the row-group index records "
                                         "(0x{:08x})",
                                         group_crc, group_crcs_[g]));

  const char* src = s.stored.data() + L::kGroupHeaderSize;
  s.labels.resize(rows);
  decode_chunk(ctx, L::kLabels, src, chunks[L::kLabels], s.labels.data(), s.dctx.get());
  src += chunks[L::kLabels].stored_size;
  s.dense.resize(rows * nd);
  decode_chunk(ctx, L::kDense, src, chunks[L::kDense], s.dense.data(), s.dctx.get());
  src += chunks[L::kDense].stored_size;
  s.cat.resize(rows * nc * 4);
  decode_chunk(ctx, L::kCat, src, chunks[L::kCat], s.cat.data(), s.dctx.get());

  out.num_dense = nd;
  out.num_cat = nc;
  decode_labels(ctx, s.labels.data(), rows, out.labels);
  check_finite(ctx, s.dense.data(), rows, nd);
  out.dense.resize(rows * nd);
  to_row_major(s.dense.data(), rows, nd, out.dense.data());
  out.cat.resize(rows * nc);
  s.field_max.assign(nc, 0);
  from_byte_planes(s.cat.data(), rows, nc, out.cat.data(), s.field_max.data());
  if (version_ >= 2) check_ids(ctx, out.cat.data(), rows, nc, s.field_max.data(), max_ids_);
}

namespace {

// Each id against its field's vocabulary size: what the ids mean, which the shard alone cannot know.
void check_vocab(const ShardReader& reader, size_t g, uint64_t first_row, const RowBlock& block,
                 const ShardIdLimits& limits) {
  const size_t nc = block.num_cat;
  for (size_t r = 0; r < block.rows(); ++r)
    for (size_t f = 0; f < nc; ++f) {
      const uint32_t id = block.cat[r * nc + f];
      if (id < limits.vocab_sizes[f]) continue;
      throw Error(fmt::format(
          "{}: row group {}, row {}: field {} holds id {}, outside its vocabulary of {} ids (0..{}): the shard was "
          "not encoded with this vocabulary; re-run ctrtrain preprocess",
          reader.path(), g, first_row + r, limits.fields[f], id, limits.vocab_sizes[f], limits.vocab_sizes[f] - 1));
    }
}

}  // namespace

ShardVerifyResult verify_shard(const ShardReader& reader, const ShardIdLimits& limits) {
  const bool check_ids = !limits.vocab_sizes.empty();
  if (check_ids && (limits.vocab_sizes.size() != reader.num_cat() || limits.fields.size() != reader.num_cat()))
    throw Error(fmt::format("{}: the shard has {} categorical fields, its vocabulary {}; re-run ctrtrain preprocess",
                            reader.path(), reader.num_cat(), limits.vocab_sizes.size()));
  ShardVerifyResult result;
  result.groups = reader.num_groups();
  RowBlock block;
  for (size_t g = 0; g < reader.num_groups(); ++g) {
    reader.read_group(g, block);
    if (check_ids) check_vocab(reader, g, result.rows, block, limits);
    result.rows += block.rows();
    result.positives +=
        static_cast<uint64_t>(std::count(block.labels.begin(), block.labels.end(), 1.0f));
  }
  return result;
}

ShardVerifyResult verify_shard(const std::string& path, const ShardIdLimits& limits) {
  const ShardReader reader(path);
  return verify_shard(reader, limits);
}

}  // namespace ctr
