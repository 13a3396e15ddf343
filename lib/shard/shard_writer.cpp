// Encodes row groups (field-major, zstd, CRC32) and writes `.ctrs` shard files.
#include "shard/shard_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>

#include <zstd.h>

#include "core/error.h"
#include "shard/shard_layout.h"

namespace ctr {

namespace L = shard_layout;

namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

// One compression context per thread: contexts are expensive to create and not thread-safe,
// and encode_row_group may run on a pool.
ZSTD_CCtx* thread_cctx(int level) {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  CTR_CHECK(cctx != nullptr, "ZSTD_createCCtx failed");
  ZSTD_CCtx* c = cctx.get();
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
  CTR_CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)),
            "zstd level {}", level);
  // zstd's own XXH64 of the decompressed bytes: catches a decoder or memory fault that the
  // CRC of the compressed bytes cannot see.
  CTR_CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)), "zstd checksum flag");
  return c;
}

// Field-major u32 ids [w][stride] -> byte planes [w][4][n] (low byte first). Ids are mostly
// far below 2^32, so the high planes are near-constant runs and the low planes entropy-coded
// literals: 30% smaller than plain field-major and twice as fast to decompress.
void to_byte_planes(const ColumnBlock& c, uint8_t* dst) {
  const size_t n = c.rows;
  for (size_t f = 0; f < c.num_cat; ++f) {
    const uint32_t* src = c.cat_col(f);
    uint8_t* p = dst + f * 4 * n;
    for (size_t r = 0; r < n; ++r) {
      const uint32_t v = src[r];
      p[r] = static_cast<uint8_t>(v);
      p[n + r] = static_cast<uint8_t>(v >> 8);
      p[2 * n + r] = static_cast<uint8_t>(v >> 16);
      p[3 * n + r] = static_cast<uint8_t>(v >> 24);
    }
  }
}

// Compresses `raw` onto the end of `bytes` and fills chunk descriptor `k` of the group header.
void append_chunk(UninitVector<char>& bytes, size_t k, const void* raw, size_t raw_size,
                  ZSTD_CCtx* cctx) {
  const size_t start = bytes.size();
  const size_t bound = ZSTD_compressBound(raw_size);
  bytes.resize(start + bound);
  const size_t stored = ZSTD_compress2(cctx, bytes.data() + start, bound, raw, raw_size);
  CTR_CHECK(!ZSTD_isError(stored), "zstd compression failed: {}", ZSTD_getErrorName(stored));
  bytes.resize(start + stored);
  char* desc = bytes.data() + L::kGrpChunks + k * L::kChunkDescSize;
  L::put_u32(desc, static_cast<uint32_t>(raw_size));
  L::put_u32(desc + 4, static_cast<uint32_t>(stored));
  L::put_u32(desc + 8, L::crc32_of(bytes.data() + start, stored));
}

// Labels go to disk as u8 0/1, and a label that is neither is a bug.
void append_labels(UninitVector<char>& bytes, const ColumnBlock& c, ZSTD_CCtx* cctx) {
  uint8_t any = 0;
  for (size_t i = 0; i < c.rows; ++i) any |= c.labels[i];
  CTR_CHECK(any <= 1, "labels of a row group are not all 0 or 1");
  append_chunk(bytes, L::kLabels, c.labels.data(), c.rows, cctx);
}

// The dense chunk is the columns back to back: the block's own array when it is full, else
// a compacted copy (a group cut short at the end of a shard).
void append_dense(UninitVector<char>& bytes, const ColumnBlock& c, ZSTD_CCtx* cctx) {
  const size_t n = c.rows, size = n * c.num_dense * sizeof(float);
  if (n == c.capacity) return append_chunk(bytes, L::kDense, c.dense.data(), size, cctx);
  thread_local std::vector<float> dense;
  dense.resize(n * c.num_dense);
  for (size_t d = 0; d < c.num_dense; ++d) std::copy(c.dense_col(d), c.dense_col(d) + n, dense.data() + d * n);
  append_chunk(bytes, L::kDense, dense.data(), size, cctx);
}

void append_cat(UninitVector<char>& bytes, const ColumnBlock& c, ZSTD_CCtx* cctx) {
  thread_local std::vector<uint8_t> planes;
  planes.resize(c.rows * c.num_cat * 4);
  to_byte_planes(c, planes.data());
  append_chunk(bytes, L::kCat, planes.data(), planes.size(), cctx);
}

void check_encodable(const ColumnBlock& c, const ShardWriterOptions& opts) {
  CTR_CHECK(c.rows > 0, "empty row group");
  CTR_CHECK(c.rows <= c.capacity && c.labels.size() == c.capacity && c.dense.size() == c.capacity * c.num_dense &&
                c.cat.size() == c.capacity * c.num_cat,
            "ColumnBlock arrays ({} labels, {} dense, {} cat) disagree with {} rows of capacity {} x ({}, {})",
            c.labels.size(), c.dense.size(), c.cat.size(), c.rows, c.capacity, c.num_dense, c.num_cat);
  CTR_CHECK(c.num_dense <= L::kMaxFields && c.num_cat <= L::kMaxFields,
            "schema ({} dense, {} cat) exceeds the format's field limit", c.num_dense, c.num_cat);
  const uint64_t widest = 4 * std::max<uint64_t>({c.num_dense, c.num_cat, 1});
  CTR_CHECK(c.rows * widest <= L::kMaxChunkRawBytes,
            "row group of {} rows exceeds the format's 1 GiB chunk limit; use fewer rows per group", c.rows);
  CTR_CHECK(opts.zstd_level >= 1 && opts.zstd_level <= 19, "zstd level {}", opts.zstd_level);
}

// The statistics the shard header keeps, so that a reader can check a shard against its
// dataset's vocabulary and refuse NaN before decoding any of it.
void compute_stats(const ColumnBlock& c, EncodedRowGroup& g) {
  g.max_ids.assign(c.num_cat, 0);
  for (size_t f = 0; f < c.num_cat; ++f) g.max_ids[f] = *std::max_element(c.cat_col(f), c.cat_col(f) + c.rows);
  g.nonfinite = 0;
  for (size_t d = 0; d < c.num_dense; ++d)
    for (size_t r = 0; r < c.rows; ++r) g.nonfinite += !std::isfinite(c.dense_col(d)[r]);
}

struct HeaderFields {
  uint32_t num_dense = 0, num_cat = 0, num_groups = 0;
  uint64_t num_rows = 0, index_offset = 0, file_size = 0, nonfinite = 0;
  uint32_t index_crc = 0;
  const std::vector<uint32_t>* max_ids = nullptr;  // null: all 0 (the placeholder header)
};

std::vector<char> header_bytes(const HeaderFields& f) {
  std::vector<char> h(L::header_size(L::kVersion, f.num_cat), 0);
  std::memcpy(h.data(), L::kMagic, sizeof L::kMagic);
  L::put_u32(h.data() + L::kHdrVersion, L::kVersion);
  L::put_u32(h.data() + L::kHdrNumDense, f.num_dense);
  L::put_u32(h.data() + L::kHdrNumCat, f.num_cat);
  L::put_u32(h.data() + L::kHdrNumGroups, f.num_groups);
  L::put_u64(h.data() + L::kHdrNumRows, f.num_rows);
  L::put_u64(h.data() + L::kHdrIndexOffset, f.index_offset);
  L::put_u64(h.data() + L::kHdrFileSize, f.file_size);
  L::put_u64(h.data() + L::kHdrNonfinite, f.nonfinite);
  L::put_u32(h.data() + L::kHdrIndexCrc, f.index_crc);
  if (f.max_ids)
    for (size_t i = 0; i < f.num_cat; ++i) L::put_u32(h.data() + L::kHdrMaxIds + 4 * i, (*f.max_ids)[i]);
  const size_t crc_at = h.size() - 4;
  L::put_u32(h.data() + crc_at, L::crc32_of(h.data(), crc_at));
  return h;
}

}  // namespace

EncodedRowGroup encode_row_group(const ColumnBlock& cols, const ShardWriterOptions& opts) {
  check_encodable(cols, opts);
  ZSTD_CCtx* cctx = thread_cctx(opts.zstd_level);

  EncodedRowGroup g;
  g.rows = static_cast<uint32_t>(cols.rows);
  g.bytes.assign(L::kGroupHeaderSize, 0);
  std::memcpy(g.bytes.data(), L::kGroupMagic, sizeof L::kGroupMagic);
  L::put_u32(g.bytes.data() + L::kGrpRows, g.rows);

  append_labels(g.bytes, cols, cctx);
  append_dense(g.bytes, cols, cctx);
  append_cat(g.bytes, cols, cctx);
  L::put_u32(g.bytes.data() + L::kGrpCrc, L::crc32_of(g.bytes.data(), L::kGrpCrc));
  compute_stats(cols, g);
  return g;
}

EncodedRowGroup encode_row_group(const RowBlock& rows, size_t begin, size_t count, const ShardWriterOptions& opts) {
  CTR_CHECK(count > 0, "empty row group (begin {})", begin);
  return encode_row_group(ColumnBlock::from_rows(rows, begin, count), opts);
}

ShardWriter::ShardWriter(const std::string& path, uint32_t num_dense, uint32_t num_cat)
    : path_(path), num_dense_(num_dense), num_cat_(num_cat), max_ids_(num_cat, 0) {
  CTR_CHECK(num_dense <= L::kMaxFields && num_cat <= L::kMaxFields,
            "schema ({} dense, {} cat) exceeds the format's field limit", num_dense, num_cat);
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) throw Error(fmt::format("{}: cannot create shard: {}", path, std::strerror(errno)));
  // A placeholder header (index offset 0) marks the file unfinished until finish() rewrites it.
  try {
    HeaderFields placeholder;
    placeholder.num_dense = num_dense;
    placeholder.num_cat = num_cat;
    const std::vector<char> header = header_bytes(placeholder);
    append(header.data(), header.size());
  } catch (...) {
    std::fclose(f_);
    throw;
  }
}

ShardWriter::~ShardWriter() {
  if (f_) std::fclose(f_);
}

void ShardWriter::put(const char* p, size_t n) {
  if (std::fwrite(p, 1, n, f_) != n)
    throw Error(fmt::format("{}: writing the shard failed at byte {}: {} (disk full?)", path_,
                            offset_, std::strerror(errno)));
}

void ShardWriter::append(const char* p, size_t n) {
  put(p, n);
  offset_ += n;
}

void ShardWriter::write(const EncodedRowGroup& group) {
  CTR_CHECK(f_ != nullptr, "{}: write after finish()", path_);
  CTR_CHECK(group.rows > 0, "{}: empty row group", path_);
  CTR_CHECK(group.bytes.size() >= L::kGroupHeaderSize &&
                L::get_u32(group.bytes.data() + L::kGrpRows) == group.rows,
            "{}: malformed encoded row group", path_);
  const char* desc = group.bytes.data() + L::kGrpChunks;
  CTR_CHECK(L::get_u32(desc + L::kDense * L::kChunkDescSize) == group.rows * 4ull * num_dense_ &&
                L::get_u32(desc + L::kCat * L::kChunkDescSize) == group.rows * 4ull * num_cat_,
            "{}: row group encoded for another schema (writer has {} dense, {} cat)", path_,
            num_dense_, num_cat_);
  CTR_CHECK(group.max_ids.size() == num_cat_, "{}: row group without the statistics of its {} fields", path_, num_cat_);
  CTR_CHECK(group_offsets_.size() < UINT32_MAX, "{}: too many row groups", path_);
  group_offsets_.push_back(offset_);
  group_rows_.push_back(group.rows);
  group_crcs_.push_back(L::get_u32(group.bytes.data() + L::kGrpCrc));
  for (size_t f = 0; f < num_cat_; ++f) max_ids_[f] = std::max(max_ids_[f], group.max_ids[f]);
  nonfinite_ += group.nonfinite;
  append(group.bytes.data(), group.bytes.size());
  rows_ += group.rows;
}

void ShardWriter::write(const RowBlock& rows, size_t begin, size_t count,
                        const ShardWriterOptions& opts) {
  CTR_CHECK(rows.num_dense == num_dense_ && rows.num_cat == num_cat_,
            "{}: RowBlock schema ({}, {}) differs from the writer's ({}, {})", path_,
            rows.num_dense, rows.num_cat, num_dense_, num_cat_);
  write(encode_row_group(rows, begin, count, opts));
}

void ShardWriter::finish() {
  CTR_CHECK(f_ != nullptr, "{}: finish() called twice", path_);
  const uint64_t index_offset = offset_;
  const size_t n = group_offsets_.size();
  std::vector<char> tail(L::index_bytes(n));
  for (size_t g = 0; g < n; ++g) {
    L::put_u64(tail.data() + g * L::kIndexEntrySize, group_offsets_[g]);
    L::put_u32(tail.data() + g * L::kIndexEntrySize + 8, group_rows_[g]);
    L::put_u32(tail.data() + g * L::kIndexEntrySize + 12, group_crcs_[g]);
  }
  const size_t entries = n * L::kIndexEntrySize;
  const uint32_t index_crc = L::crc32_of(tail.data(), entries);
  L::put_u32(tail.data() + entries, index_crc);
  std::memcpy(tail.data() + entries + L::kIndexCrcSize, L::kTrailerMagic, L::kTrailerSize);
  append(tail.data(), tail.size());

  // The real header goes in last, so a crash anywhere before leaves an "unfinished" file.
  if (std::fseek(f_, 0, SEEK_SET) != 0)
    throw Error(
        fmt::format("{}: cannot seek to rewrite the header: {}", path_, std::strerror(errno)));
  HeaderFields fields;
  fields.num_dense = num_dense_;
  fields.num_cat = num_cat_;
  fields.num_groups = static_cast<uint32_t>(n);
  fields.num_rows = rows_;
  fields.index_offset = index_offset;
  fields.file_size = offset_;
  fields.nonfinite = nonfinite_;
  fields.index_crc = index_crc;
  fields.max_ids = &max_ids_;
  const std::vector<char> header = header_bytes(fields);
  put(header.data(), header.size());
  if (std::fflush(f_) != 0 || ::fsync(fileno(f_)) != 0)
    throw Error(fmt::format("{}: flushing the shard to disk failed: {} (disk full?)", path_,
                            std::strerror(errno)));
  FILE* f = f_;
  f_ = nullptr;
  if (std::fclose(f) != 0)
    throw Error(fmt::format("{}: closing the shard failed: {}", path_, std::strerror(errno)));
}

}  // namespace ctr
