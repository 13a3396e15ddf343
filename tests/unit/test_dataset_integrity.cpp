// Tests of what guards a preprocessed dataset: meta.json's checksum and consistency checks,
// shard headers against meta.json when a split opens, ids and dense values against their
// meaning (open, decode, verify), and vocabulary files against meta.json. Each case builds a
// small dataset with run_preprocess, damages it one way, and checks the error names the file
// and what is wrong.
#include <zstd.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>

#include "core/error.h"
#include "dataset/dataset_meta.h"
#include "io/byte_sink.h"
#include "io/byte_source.h"
#include "preprocess/preprocess.h"
#include "preprocess/vocab_io.h"
#include "reader/batch_reader.h"
#include "reader/dataset_split.h"
#include "shard/shard_layout.h"
#include "shard/shard_reader.h"
#include "shard/shard_writer.h"
#include "support/test_util.h"

using namespace ctr;
using Catch::Matchers::Contains;
using ctr::test::error_of;
using ctr::test::read_file;
using ctr::test::ScratchDir;
using ctr::test::write_file;
namespace fs = std::filesystem;
namespace L = ctr::shard_layout;

namespace {

// 200 real Criteo rows: train ~160 rows in shards of 40 (groups of 16), valid and test ~20.
std::string make_dataset(const ScratchDir& tmp, const std::string& name = "d", uint64_t seed = 2023) {
  PreprocessOptions o;
  o.schema = public_dataset(DatasetKind::criteo).schema;
  o.inputs = {ctr::test::data_file("criteo_sample.txt")};
  o.output = tmp / name;
  o.progress = false;
  o.threads = 2;
  o.shard_rows = 40;
  o.group_rows = 16;
  o.valid_ratio = 0.1;
  o.seed = seed;
  run_preprocess(o);
  return o.output;
}

std::string meta_file(const std::string& dir) { return dir + "/meta.json"; }

void replace_once(std::string& text, const std::string& from, const std::string& to, size_t start = 0) {
  const size_t at = text.find(from, start);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
}

// The value of `"key": ` after `anchor` (a number, or a string without its quotes), and where it is.
std::string value_after(const std::string& text, const std::string& anchor, const std::string& key,
                        size_t* at = nullptr) {
  const size_t a = text.find(anchor);
  REQUIRE(a != std::string::npos);
  const size_t k = text.find("\"" + key + "\": ", a);
  REQUIRE(k != std::string::npos);
  size_t v = k + key.size() + 4;
  if (text[v] == '"') ++v;
  const size_t end = text.find_first_of("\",\n", v);
  if (at) *at = v;
  return text.substr(v, end - v);
}

void set_value_after(std::string& text, const std::string& anchor, const std::string& key, const std::string& value) {
  size_t at = 0;
  const std::string old = value_after(text, anchor, key, &at);
  text.replace(at, old.size(), value);
}

uint64_t number_after(const std::string& text, const std::string& anchor, const std::string& key) {
  return std::stoull(value_after(text, anchor, key));
}

// Applies `edit` to meta.json and, by default, reseals its checksum: a consistent-looking file.
template <class Edit>
void edit_meta(const std::string& dir, Edit edit, bool reseal = true) {
  std::string text = read_file(meta_file(dir));
  edit(text);
  write_file(meta_file(dir), reseal ? reseal_meta_json(text) : text);
}

std::string read_error(const std::string& dir) {
  return error_of([&] { read_meta(dir); });
}

std::string open_error(const std::string& dir, const std::string& split = "train") {
  return error_of([&] { split_shard_paths(dir, read_meta(dir), split); });
}

std::string verify_error(const std::string& dir, const std::string& split, size_t index) {
  return error_of([&] { verify_dataset_shard(dir, read_meta(dir), split, index); });
}

RowBlock read_rows(const std::string& path) {
  const ShardReader r(path);
  RowBlock all(r.num_dense(), r.num_cat()), g;
  for (size_t i = 0; i < r.num_groups(); ++i) {
    r.read_group(i, g);
    all.append(g, 0, g.rows());
  }
  return all;
}

// Rewrites shard `rel` with `rows` (groups of 16) and records its new size and checksum in
// meta.json, resealed: only the checks of what the values mean can tell.
void replace_shard(const std::string& dir, const std::string& rel, const RowBlock& rows) {
  const std::string path = dir + "/" + rel;
  {
    ShardWriter w(path, static_cast<uint32_t>(rows.num_dense), static_cast<uint32_t>(rows.num_cat));
    for (size_t b = 0; b < rows.rows(); b += 16) w.write(rows, b, std::min<size_t>(16, rows.rows() - b));
    w.finish();
  }
  const ShardReader r(path);
  edit_meta(dir, [&](std::string& t) {
    set_value_after(t, "\"" + rel + "\"", "bytes", std::to_string(r.file_size()));
    set_value_after(t, "\"" + rel + "\"", "checksum", fmt::format("{:08x}", r.header_crc()));
  });
}

// The same shard as format version 1 wrote it: a 52-byte header without field statistics, and
// 12-byte index entries without group CRCs.
void to_version1(const std::string& path) {
  const std::string v2 = read_file(path);
  const uint32_t nc = L::get_u32(v2.data() + L::kHdrNumCat), groups = L::get_u32(v2.data() + L::kHdrNumGroups);
  const uint64_t hs = L::header_size(2, nc), index = L::get_u64(v2.data() + L::kHdrIndexOffset);
  const uint64_t shift = hs - L::kHeaderSize;
  std::string v1 = v2.substr(0, L::kHeaderSize) + v2.substr(hs, index - hs), entries;
  for (uint32_t g = 0; g < groups; ++g) {
    const char* e = v2.data() + index + g * L::kIndexEntrySize;
    char out[L::kIndexEntrySizeV1];
    L::put_u64(out, L::get_u64(e) - shift);
    std::memcpy(out + 8, e + 8, 4);
    entries.append(out, sizeof out);
  }
  char crc[4];
  L::put_u32(crc, L::crc32_of(entries.data(), entries.size()));
  v1 += entries + std::string(crc, 4) + std::string(L::kTrailerMagic, L::kTrailerSize);
  L::put_u32(v1.data() + L::kHdrVersion, 1);
  L::put_u64(v1.data() + L::kHdrIndexOffset, index - shift);
  L::put_u64(v1.data() + L::kHdrFileSize, v1.size());
  L::put_u32(v1.data() + L::kHdrCrc, L::crc32_of(v1.data(), L::kHdrCrc));
  write_file(path, v1);
}

std::string decompressed(const std::string& path) {
  auto src = ByteSource::open(path);
  std::string out(1 << 16, '\0'), all;
  while (size_t n = src->read(out.data(), out.size())) all.append(out.data(), n);
  return all;
}

void write_zstd(const std::string& path, const std::string& text) {
  auto sink = ByteSink::create(path, Compression::zstd, 1);
  sink->write(text.data(), text.size());
  sink->close();
}

// Records vocabulary file `field`'s new size in meta.json (resealed), so that the later checks
// (line count, checksum) are the ones that must catch the change.
void record_vocab_bytes(const std::string& dir, const std::string& field) {
  const std::string rel = "vocab/" + field + ".tsv.zst";
  edit_meta(dir, [&](std::string& t) {
    set_value_after(t, "\"" + rel + "\"", "bytes", std::to_string(fs::file_size(dir + "/" + rel)));
  });
}

}  // namespace

TEST_CASE("a freshly preprocessed dataset passes every check", "[integrity]") {
  ScratchDir tmp("integrity-clean");
  const std::string dir = make_dataset(tmp);
  const DatasetMeta m = read_meta(dir);
  CHECK(m.format_version == 4);
  CHECK(m.checked());
  REQUIRE(m.train.shards.size() >= 3);
  REQUIRE(m.vocab_files.size() == 26);
  CHECK(m.vocab_files[3].file == "vocab/C4.tsv.zst");
  CHECK(m.vocab_files[3].values == m.vocab_sizes[3] - 1);
  CHECK(meta_json_checksum(read_file(meta_file(dir))) ==
        std::stoul(value_after(read_file(meta_file(dir)), "\"inputs\"", "checksum"), nullptr, 16));
  for (const char* split : kSplitNames) {
    const auto paths = split_shard_paths(dir, m, split);
    for (size_t i = 0; i < paths.size(); ++i) {
      const ShardReader r(paths[i]);
      CHECK(r.version() == 2);
      CHECK(r.header_crc() == m.split(split).shard_checksums[i]);
      CHECK(r.file_size() == m.split(split).shard_bytes[i]);
      CHECK(verify_dataset_shard(dir, m, split, i).rows == m.split(split).shard_rows[i]);
    }
  }
  ThreadPool pool(2);
  CHECK(load_vocab_dir(dir, m, pool).size() == 26);
  std::string value;
  CHECK(lookup_vocab_value(dir, m, "C4", 1, value));
}

TEST_CASE("meta.json's checksum catches any edit", "[integrity]") {
  ScratchDir tmp("integrity-meta-checksum");
  const std::string dir = make_dataset(tmp);
  SECTION("a changed count") {
    edit_meta(
        dir, [](std::string& t) { replace_once(t, "\"total_vocab_size\": ", "\"total_vocab_size\": 1"); }, false);
    const std::string e = read_error(dir);
    CHECK_THAT(e, Contains(meta_file(dir) + ": checksum mismatch (stored 0x"));
    CHECK_THAT(e, Contains("re-run ctrtrain preprocess") && Contains("docs/dataset-format.md"));
  }
  SECTION("a checksum that is not the file's last key") {
    edit_meta(
        dir, [](std::string& t) { t.insert(t.rfind("\n}"), ",\n  \"note\": {\"checksum\": \"00000000\"}"); }, false);
    CHECK_THAT(read_error(dir), Contains("not the file's last \"checksum\" key"));
  }
  SECTION("resealed after an edit that changes nothing it checks, it reads again") {
    edit_meta(dir, [](std::string& t) { replace_once(t, "\"seed\": 2023", "\"seed\": 2024"); });
    CHECK(read_meta(dir).options.seed == 2024);
  }
}

TEST_CASE("meta.json that is consistent-looking but wrong is refused", "[integrity]") {
  ScratchDir tmp("integrity-meta-consistency");
  const std::string dir = make_dataset(tmp);
  const std::string rerun = "re-run ctrtrain preprocess";
  SECTION("format: other") {
    edit_meta(dir, [](std::string& t) { replace_once(t, "\"ctrtrain-dataset\"", "\"other\""); });
    CHECK_THAT(read_error(dir), Contains("format is 'other', expected 'ctrtrain-dataset'") && Contains(rerun));
  }
  SECTION("dataset: avazu over Criteo fields and shards") {
    edit_meta(dir, [](std::string& t) { replace_once(t, "\"dataset\": \"criteo\"", "\"dataset\": \"avazu\""); });
    CHECK_THAT(read_error(dir), Contains("dataset avazu with 13 dense and 26 categorical fields (I1..., C1...) is "
                                         "not what its schema criteo describes (13 dense and 26 categorical "
                                         "fields)"));
  }
  SECTION("an unknown dataset") {
    edit_meta(dir, [](std::string& t) { replace_once(t, "\"dataset\": \"criteo\"", "\"dataset\": \"kdd12\""); });
    CHECK_THAT(read_error(dir), Contains("dataset kdd12 with") && Contains("not what its schema criteo describes"));
  }
  SECTION("a schema column changed to another type") {
    edit_meta(dir, [](std::string& t) {
      replace_once(t, "{\"name\": \"I13\", \"type\": \"dense\", \"transform\": \"minmax\"}",
                   "{\"name\": \"I13\", \"type\": \"ignore\"}");
    });
    CHECK_THAT(read_error(dir), Contains("its schema criteo describes (12 dense and 26 categorical fields)"));
  }
  SECTION("a schema that breaks the schema rules") {
    edit_meta(dir, [](std::string& t) { replace_once(t, "\"type\": \"label\"", "\"type\": \"dense\""); });
    CHECK_THAT(read_error(dir), Contains("meta.json:") && Contains("0 label columns") && Contains(rerun));
  }
  SECTION("a dense column without its transform") {
    edit_meta(dir, [](std::string& t) {
      replace_once(t, "{\"name\": \"I1\", \"type\": \"dense\", \"transform\": \"minmax\"}",
                   "{\"name\": \"I1\", \"type\": \"dense\"}");
    });
    CHECK_THAT(read_error(dir), Contains("schema column I1 is dense but has no transform"));
  }
  SECTION("rows deleted") {
    edit_meta(dir, [](std::string& t) {
      const size_t a = t.find("\"rows\": {"), b = t.find("},", a);
      t.erase(a, b + 2 - a);
    });
    CHECK_THAT(read_error(dir), Contains("missing key 'rows'"));
  }
  SECTION("rows.train + 100") {
    edit_meta(dir, [](std::string& t) {
      set_value_after(t, "\"rows\": {", "train", std::to_string(number_after(t, "\"rows\": {", "train") + 100));
    });
    CHECK_THAT(read_error(dir), Contains("the train split's row counts disagree: rows.train") && Contains(rerun));
  }
  SECTION("splits.train.rows + 100, rows.train and rows.total too") {
    edit_meta(dir, [](std::string& t) {
      set_value_after(t, "\"splits\"", "rows", std::to_string(number_after(t, "\"splits\"", "rows") + 100));
      set_value_after(t, "\"rows\": {", "train", std::to_string(number_after(t, "\"rows\": {", "train") + 100));
      set_value_after(t, "\"rows\": {", "total", std::to_string(number_after(t, "\"rows\": {", "total") + 100));
    });
    CHECK_THAT(read_error(dir), Contains("its shards' rows add up to"));
  }
  SECTION("total_vocab_size + 1") {
    edit_meta(dir, [](std::string& t) {
      set_value_after(t, "{", "total_vocab_size", std::to_string(number_after(t, "{", "total_vocab_size") + 1));
    });
    CHECK_THAT(read_error(dir), Contains("total_vocab_size is") && Contains("but vocab_sizes add up to"));
  }
  SECTION("a shard's rows - 1") {
    edit_meta(dir, [](std::string& t) {
      const std::string s0 = "\"train/part-00000.ctrs\"";
      set_value_after(t, s0, "rows", std::to_string(number_after(t, s0, "rows") - 1));
    });
    CHECK_THAT(read_error(dir), Contains("the train split's row counts disagree"));
  }
  SECTION("the same shard listed twice") {
    edit_meta(dir, [](std::string& t) { replace_once(t, "\"train/part-00001.ctrs\"", "\"train/part-00000.ctrs\""); });
    CHECK_THAT(read_error(dir), Contains("shard 'train/part-00000.ctrs' is listed twice"));
  }
  SECTION("the same shard listed twice, spelled differently") {
    edit_meta(dir, [](std::string& t) { replace_once(t, "\"train/part-00001.ctrs\"", "\"train/./part-00000.ctrs\""); });
    CHECK_THAT(read_error(dir), Contains("is listed twice"));
  }
  SECTION("a shard outside the dataset directory") {
    edit_meta(dir, [](std::string& t) { replace_once(t, "\"train/part-00001.ctrs\"", "\"../x/part-00001.ctrs\""); });
    CHECK_THAT(read_error(dir), Contains("lies outside the dataset directory"));
  }
  SECTION("a vocabulary file's value count") {
    edit_meta(dir, [](std::string& t) {
      const std::string c4 = "\"vocab/C4.tsv.zst\"";
      set_value_after(t, c4, "values", std::to_string(number_after(t, c4, "values") - 1));
    });
    CHECK_THAT(read_error(dir), Contains("vocab_files[3] is vocab/C4.tsv.zst with"));
  }
  SECTION("bad_rows.total") {
    edit_meta(dir, [](std::string& t) { set_value_after(t, "\"bad_rows\"", "total", "3"); });
    CHECK_THAT(read_error(dir), Contains("bad_rows.total is 3, but its kinds add up to 0"));
  }
  SECTION("a malformed shard checksum") {
    edit_meta(dir, [](std::string& t) { set_value_after(t, "\"train/part-00000.ctrs\"", "checksum", "xyz"); });
    CHECK_THAT(read_error(dir), Contains("is 'xyz', expected 8 lowercase hex digits"));
  }
}

TEST_CASE("older meta.json formats still read, unchecked", "[integrity]") {
  ScratchDir tmp("integrity-legacy");
  const std::string dir = make_dataset(tmp);
  // What format 2 looked like as far as the reader is concerned: the version, no checksums read.
  edit_meta(
      dir, [](std::string& t) { replace_once(t, "\"format_version\": 4", "\"format_version\": 2"); }, false);
  const DatasetMeta m = read_meta(dir);
  CHECK(m.format_version == 2);
  CHECK_FALSE(m.checked());
  CHECK(m.vocab_files.empty());
  CHECK(m.train.shard_checksums.empty());
  CHECK(split_shard_paths(dir, m, "train").size() == m.train.shards.size());
  SECTION("the checks that need no checksum still apply: a shard's row count") {
    edit_meta(
        dir,
        [](std::string& t) {
          const std::string s0 = "\"train/part-00000.ctrs\"";
          set_value_after(t, s0, "rows", std::to_string(number_after(t, s0, "rows") - 1));
        },
        false);
    CHECK_THAT(open_error(dir), Contains("meta.json: the train split has") && Contains("its shards' rows add up to"));
  }
  SECTION("and a shard of another dataset's schema") {
    PreprocessOptions o;
    o.schema = public_dataset(DatasetKind::avazu).schema;
    o.inputs = {ctr::test::data_file("avazu_sample.csv")};
    o.output = tmp / "avazu";
    o.progress = false;
    o.shard_rows = 40;
    o.test_ratio = 0;
    run_preprocess(o);
    fs::copy_file(tmp / "avazu/train/part-00000.ctrs", dir + "/train/part-00000.ctrs",
                  fs::copy_options::overwrite_existing);
    CHECK_THAT(open_error(dir), Contains(dir + "/train/part-00000.ctrs: the shard has 0 dense and 22 categorical "
                                               "fields, but meta.json's dataset (criteo) has 13 and 26"));
  }
}

TEST_CASE("shard headers are checked against meta.json when a split opens", "[integrity]") {
  ScratchDir tmp("integrity-open");
  const std::string dir = make_dataset(tmp);
  const std::string s0 = dir + "/train/part-00000.ctrs", s1 = dir + "/train/part-00001.ctrs";
  SECTION("two train shards swapped") {
    fs::rename(s0, tmp / "x.ctrs");
    fs::rename(s1, s0);
    fs::rename(tmp / "x.ctrs", s1);
    const std::string e = open_error(dir);
    CHECK_THAT(e, Contains(s0 + ": this is not train shard 0 (train/part-00000.ctrs) that meta.json lists"));
    CHECK_THAT(e, Contains("is the one meta.json records for train/part-00001.ctrs, so shards were swapped"));
    CHECK_THAT(verify_error(dir, "train", 1), Contains("records for train/part-00000.ctrs"));
  }
  SECTION("a shard copied over another") {
    fs::copy_file(s0, s1, fs::copy_options::overwrite_existing);
    CHECK_THAT(open_error(dir),
               Contains(s1 + ": this is not train shard 1") && Contains("records for train/part-00000.ctrs"));
  }
  SECTION("a shard of another preprocess run (another seed: other rows in train)") {
    make_dataset(tmp, "other", 7);
    fs::copy_file(tmp / "other/train/part-00000.ctrs", s0, fs::copy_options::overwrite_existing);
    CHECK_THAT(open_error(dir), Contains(s0 + ": this is not train shard 0") && Contains("its header checksum is") &&
                                    Contains("replaced or rewritten after preprocess"));
  }
  SECTION("a shard whose rows meta.json understates everywhere") {
    edit_meta(dir, [](std::string& t) {
      set_value_after(t, "\"train/part-00000.ctrs\"", "rows", "39");
      set_value_after(t, "\"splits\"", "rows", std::to_string(number_after(t, "\"splits\"", "rows") - 1));
      set_value_after(t, "\"rows\": {", "train", std::to_string(number_after(t, "\"rows\": {", "train") - 1));
      set_value_after(t, "\"rows\": {", "total", std::to_string(number_after(t, "\"rows\": {", "total") - 1));
    });
    CHECK_THAT(open_error(dir), Contains(s0 + ": the shard holds 40 rows, but meta.json says 39 (train shard 0)"));
  }
  SECTION("a shard's size") {
    edit_meta(dir, [](std::string& t) { set_value_after(t, "\"train/part-00000.ctrs\"", "bytes", "12"); });
    CHECK_THAT(open_error(dir), Contains(s0 + ": ") && Contains("bytes, but meta.json records 12"));
  }
  SECTION("a missing shard") {
    fs::remove(s1);
    CHECK_THAT(open_error(dir), Contains(s1 + ": cannot open shard"));
  }
}

TEST_CASE("ids at or beyond vocab_size are refused with the shard and row", "[integrity]") {
  ScratchDir tmp("integrity-ids");
  const std::string dir = make_dataset(tmp);
  const DatasetMeta m = read_meta(dir);
  const std::string rel = "train/part-00001.ctrs", path = dir + "/" + rel;
  RowBlock rows = read_rows(path);
  const uint32_t vocab = static_cast<uint32_t>(m.vocab_sizes[2]);  // C3
  rows.cat[21 * 26 + 2] = vocab;                                   // row 21: group 1, row 5 of it
  replace_shard(dir, rel, rows);
  REQUIRE_NOTHROW(read_meta(dir));
  SECTION("opening the split (training, eval, predict) fails before any batch") {
    CHECK_THAT(open_error(dir), Contains(path + ": field C3 holds ids up to " + std::to_string(vocab)) &&
                                    Contains(fmt::format("vocab_size {} (ids 0..{})", vocab, vocab - 1)) &&
                                    Contains("--verify"));
  }
  SECTION("verify names the row") {
    CHECK_THAT(verify_error(dir, "train", 1), Contains(path + ": row group 1, row 21: field C3 holds id " +
                                                       std::to_string(vocab) + ", outside its vocabulary"));
  }
  SECTION("an id above what the shard header records is corruption, found when its group decodes") {
    std::string bytes = read_file(path);
    L::put_u32(bytes.data() + L::kHdrMaxIds + 4 * 2, vocab - 1);
    const size_t crc_at = L::header_crc_offset(2, 26);
    L::put_u32(bytes.data() + crc_at, L::crc32_of(bytes.data(), crc_at));
    write_file(path, bytes);
    const ShardReader r(path);
    RowBlock g;
    r.read_group(0, g);
    CHECK_THAT(error_of([&] { r.read_group(1, g); }),
               Contains(path +
                        ": row group 1 (rows 16..31), categorical chunk: row 21, categorical field 2 "
                        "(0-based) holds id " +
                        std::to_string(vocab) + ", above the field's largest id in the shard header"));
  }
}

TEST_CASE("NaN and infinite dense values are refused with the shard and row", "[integrity]") {
  ScratchDir tmp("integrity-nonfinite");
  const std::string dir = make_dataset(tmp);
  const std::string rel = "train/part-00002.ctrs", path = dir + "/" + rel;
  RowBlock rows = read_rows(path);
  const float bad = GENERATE(std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity());
  rows.dense[35 * 13 + 4] = bad;  // row 35 (group 2), I5
  replace_shard(dir, rel, rows);
  const std::string shown = fmt::format("{}", bad);
  SECTION("opening the split fails before any batch") {
    CHECK_THAT(open_error(dir), Contains(path + ": the shard holds 1 NaN or infinite dense values"));
  }
  SECTION("verify names the row and field") {
    CHECK_THAT(
        verify_error(dir, "train", 2),
        Contains(path + ": row group 2 (rows 32..39), dense chunk: row 35, dense field 4 (0-based) holds " + shown));
  }
  SECTION("a reader given the shard directly fails in the batch that holds the row") {
    BatchReaderOptions o;
    o.batch_size = 8;
    o.shuffle = false;
    o.threads = 1;
    auto reader = open_streaming_reader({path}, o);
    reader->start_epoch(0);
    size_t rows_before = 0;
    const std::string e = error_of([&] {
      while (BatchPtr b = reader->next()) rows_before += b->rows;
    });
    CHECK_THAT(e, Contains(path + ": row group 2") && Contains("holds " + shown));
    CHECK(rows_before == 32);  // the two whole groups before it
  }
}

TEST_CASE("vocabulary files are checked against meta.json", "[integrity]") {
  ScratchDir tmp("integrity-vocab");
  const std::string dir = make_dataset(tmp);
  const std::string c4 = dir + "/vocab/C4.tsv.zst";
  const std::string text = decompressed(c4);
  std::string value;
  const auto lookup_error = [&] { return error_of([&] { lookup_vocab_value(dir, read_meta(dir), "C4", 1, value); }); };
  const auto load_error = [&] {
    ThreadPool pool(2);
    return error_of([&] { load_vocab_dir(dir, read_meta(dir), pool); });
  };
  SECTION("a line dropped: the size differs from meta.json's") {
    write_zstd(c4, text.substr(text.find('\n') + 1));
    CHECK_THAT(lookup_error(), Contains(c4 + ": ") && Contains("bytes, but meta.json records"));
    CHECK_THAT(load_error(), Contains(c4 + ": "));
  }
  SECTION("a line dropped, the size recorded: the line count differs") {
    write_zstd(c4, text.substr(text.find('\n') + 1));
    record_vocab_bytes(dir, "C4");
    CHECK_THAT(lookup_error(), Contains(c4 + ": has 156 values but meta.json says 157"));
  }
  SECTION("a line dropped in an unchecked (format 2) dataset: the line count still differs") {
    write_zstd(c4, text.substr(text.find('\n') + 1));
    edit_meta(
        dir, [](std::string& t) { replace_once(t, "\"format_version\": 4", "\"format_version\": 2"); }, false);
    CHECK_THAT(lookup_error(), Contains(c4 + ": has 156 values but meta.json says 157"));
  }
  SECTION("a value changed, the size recorded: the checksum differs") {
    std::string changed = text;
    const size_t second = text.find('\n') + 1;  // line 2: a value that is not the missing one
    changed[second] = changed[second] == 'z' ? 'y' : 'z';
    write_zstd(c4, changed);
    record_vocab_bytes(dir, "C4");
    CHECK_THAT(lookup_error(), Contains(c4 + ": checksum mismatch (stored 0x"));
  }
  SECTION("a 1 MB value") {
    write_zstd(c4, std::string(1 << 20, 'x') + "\t1\n" + text.substr(text.find('\n') + 1));
    record_vocab_bytes(dir, "C4");
    // Stopped by the reader's line limit before the whole line is buffered.
    CHECK_THAT(load_error(), Contains(c4 + ":1: line is longer than 4096 bytes"));
  }
  SECTION("a value longer than preprocess keeps") {
    write_zstd(c4, std::string(65, 'x') + "\t1\n" + text.substr(text.find('\n') + 1));
    record_vocab_bytes(dir, "C4");
    CHECK_THAT(lookup_error(), Contains(c4 + ":1: the value is 65 bytes long (preprocess keeps values of at most 64)"));
  }
  SECTION("an uncompressed file") {
    write_file(c4, text);
    record_vocab_bytes(dir, "C4");
    CHECK_THAT(lookup_error(), Contains(c4 + ": not a zstd-compressed file"));
  }
  SECTION("a zstd frame without zstd's content checksum") {
    std::string frame(ZSTD_compressBound(text.size()), '\0');
    frame.resize(ZSTD_compress(frame.data(), frame.size(), text.data(), text.size(), 1));
    write_file(c4, frame);
    record_vocab_bytes(dir, "C4");
    CHECK_THAT(lookup_error(), Contains(c4 + ": the zstd stream has no content checksum"));
  }
  SECTION("a count that is not a number") {
    std::string changed = text;
    replace_once(changed, "\t", "\tx");
    write_zstd(c4, changed);
    record_vocab_bytes(dir, "C4");
    CHECK_THAT(lookup_error(), Contains(c4 + ":1: count 'x"));
  }
}

TEST_CASE("shard format version 1 still reads, with the checks that need no header statistics", "[integrity]") {
  ScratchDir tmp("integrity-shard-v1");
  const std::string dir = make_dataset(tmp);
  const std::string path = dir + "/train/part-00001.ctrs";
  const RowBlock rows = read_rows(path);
  SECTION("its rows are the same") {
    to_version1(path);
    const ShardReader r(path);
    CHECK(r.version() == 1);
    CHECK_FALSE(r.has_field_stats());
    const RowBlock back = read_rows(path);
    CHECK(back.cat == rows.cat);
    CHECK(back.dense == rows.dense);
    // In a format 3 dataset it is not the shard preprocess wrote.
    CHECK_THAT(open_error(dir), Contains(path + ": this is not train shard 1") && Contains("an older ctrtrain's"));
    // In an older dataset it opens.
    edit_meta(
        dir, [](std::string& t) { replace_once(t, "\"format_version\": 4", "\"format_version\": 2"); }, false);
    CHECK(split_shard_paths(dir, read_meta(dir), "train").size() == 4);
  }
  SECTION("NaN is refused there too, when its group decodes") {
    RowBlock bad = rows;
    bad.dense[3 * 13] = std::numeric_limits<float>::quiet_NaN();
    replace_shard(dir, "train/part-00001.ctrs", bad);
    to_version1(path);
    const ShardReader r(path);
    RowBlock g;
    CHECK_THAT(error_of([&] { r.read_group(0, g); }),
               Contains(path + ": row group 0 (rows 0..15), dense chunk: row 3, dense field 0 (0-based) holds nan"));
  }
}

TEST_CASE("a --vocab-from output records its copied vocabulary files and passes every check", "[integrity]") {
  ScratchDir tmp("integrity-vocab-from");
  const std::string src = make_dataset(tmp);
  PreprocessOptions o;
  o.schema = public_dataset(DatasetKind::criteo).schema;
  o.inputs = {ctr::test::data_file("criteo_sample.txt")};
  o.output = tmp / "enc";
  o.progress = false;
  o.vocab_from = src;
  o.test_ratio = 1;
  run_preprocess(o);
  const DatasetMeta m = read_meta(o.output);
  const DatasetMeta s = read_meta(src);
  REQUIRE(m.vocab_files.size() == 26);
  for (size_t f = 0; f < 26; ++f) {
    CHECK(m.vocab_files[f].checksum == s.vocab_files[f].checksum);
    CHECK(m.vocab_files[f].bytes == fs::file_size(o.output + "/" + m.vocab_files[f].file));
  }
  ThreadPool pool(2);
  CHECK(load_vocab_dir(o.output, m, pool).size() == 26);
  CHECK(verify_dataset_shard(o.output, m, "test", 0).rows == 200);
}

TEST_CASE("a shard of a newer format version is refused, naming the versions this ctrtrain reads", "[integrity]") {
  ScratchDir tmp("integrity-shard-v3");
  const std::string path = tmp / "a.ctrs";
  RowBlock rows(1, 1);
  rows.labels = {0, 1};
  rows.dense = {0.5f, 0.25f};
  rows.cat = {3, 7};
  ShardWriter w(path, 1, 1);
  w.write(rows, 0, 2);
  w.finish();
  // As a future writer might: the version changed and the first 48 bytes sealed as version 1 did.
  std::string h = read_file(path);
  L::put_u32(h.data() + L::kHdrVersion, 3);
  L::put_u32(h.data() + L::kHdrCrc, L::crc32_of(h.data(), L::kHdrCrc));
  write_file(path, h);
  CHECK_THAT(error_of([&] { verify_shard(path); }),
             Contains(path + ": shard format version 3 is not supported (this ctrtrain reads versions 1 and 2);"));
}
