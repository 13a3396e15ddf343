// synth_write: the row loop. Rows are generated in fixed blocks, each from its own random stream
// derived from (seed, block), on a pool of threads; blocks are written in order, so the bytes
// depend on the options only, never on the thread count.
#include "synth/synth.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "synth/row_format.h"
#include "synth/row_sampler.h"
#include "synth/synth_schema.h"
#include "synth/teacher.h"

namespace ctr {
namespace {

// Rows per block: about 2 MB of Criteo text, large enough that hand-offs cost nothing, small
// enough that a window of 2 blocks per thread stays small.
constexpr uint64_t kBlockRows = 8192;
constexpr uint64_t kRowsStream = 0x726f7773ULL;

struct Block {
  std::unique_ptr<char[]> text;  // not zero-filled: only the bytes written are ever touched
  size_t bytes = 0;
  uint64_t positives = 0;
};

// What every block shares, read-only once built.
struct Generator {
  explicit Generator(const SynthOptions& o)
      : schema(make_synth_schema(o)), teacher(schema, o.seed), sampler(schema), formatter(schema),
        seed(o.seed), day(o.day) {}
  SynthSchema schema;
  Teacher teacher;
  RowSampler sampler;
  RowFormatter formatter;
  uint64_t seed;
  uint64_t day;  // its own rows each day; day 0's stream is the single file's

  Block make(uint64_t block, uint64_t rows) const {
    Rng rng = Rng::derive(hash_combine(seed, kRowsStream + day), block);
    SynthRow row = sampler.make_row();
    Block out;
    out.text.reset(new char[rows * RowFormatter::kMaxLineBytes]);
    char* p = out.text.get();
    for (uint64_t r = 0; r < rows; ++r) {
      sampler.draw(rng, row);
      const int label = rng.unit() < 1.0 / (1.0 + std::exp(-teacher.logit(row)));
      out.positives += label;
      p = formatter.write(p, rng, label, row);
    }
    out.bytes = static_cast<size_t>(p - out.text.get());
    return out;
  }
};

}  // namespace

SynthStats synth_write(const SynthOptions& opts, ByteSink& sink) {
  if (opts.rows < 1) throw UsageError("synth needs at least 1 row (--rows)");
  const Generator gen(opts);
  SynthStats stats;
  const std::string header = gen.formatter.header();
  sink.write(header.data(), header.size());
  stats.bytes += header.size();

  const int threads = resolve_thread_count(opts.threads);
  const uint64_t blocks = (opts.rows + kBlockRows - 1) / kBlockRows;
  ThreadPool pool(threads);
  std::deque<std::future<Block>> window;
  uint64_t submitted = 0;
  auto submit = [&] {
    const uint64_t k = submitted++;
    const uint64_t rows = std::min(kBlockRows, opts.rows - k * kBlockRows);
    window.push_back(pool.submit([&gen, k, rows] { return gen.make(k, rows); }));
  };
  while (submitted < blocks && window.size() < size_t(2 * threads)) submit();
  while (!window.empty()) {
    Block b = window.front().get();
    window.pop_front();
    if (submitted < blocks) submit();
    sink.write(b.text.get(), b.bytes);
    stats.bytes += b.bytes;
    stats.positives += b.positives;
  }
  stats.rows = opts.rows;
  return stats;
}

}  // namespace ctr
