// synth_write: the row loop. Each row is drawn from the schema, labelled by the teacher, formatted
// as a raw line into a large buffer, and the buffer goes to the sink a megabyte at a time.
#include "synth/synth.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "synth/row_format.h"
#include "synth/row_sampler.h"
#include "synth/synth_schema.h"
#include "synth/teacher.h"

namespace ctr {
namespace {

// A megabyte of text per sink write, with room past it for one more line.
class LineBuffer {
 public:
  explicit LineBuffer(ByteSink& sink) : sink_(sink), buf_(kFlushBytes + RowFormatter::kMaxLineBytes) {}
  char* end() { return buf_.data() + used_; }
  void advance_to(char* p) {
    used_ = static_cast<size_t>(p - buf_.data());
    if (used_ >= kFlushBytes) flush();
  }
  void flush() {
    if (used_) sink_.write(buf_.data(), used_);
    bytes_ += used_;
    used_ = 0;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kFlushBytes = 1 << 20;
  ByteSink& sink_;
  std::vector<char> buf_;
  size_t used_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace

SynthStats synth_write(const SynthOptions& opts, ByteSink& sink) {
  if (opts.rows < 1) throw UsageError("synth needs at least 1 row (--rows)");
  SynthSchema schema = make_synth_schema(opts);
  Teacher teacher(schema, opts.seed);
  RowSampler sampler(schema);
  RowFormatter formatter(schema);
  Rng rng = Rng::derive(opts.seed, 0x726f7773ULL);
  SynthRow row = sampler.make_row();

  LineBuffer out(sink);
  std::string header = formatter.header();  // shorter than one line: it fits the buffer's slack
  out.advance_to(std::copy(header.begin(), header.end(), out.end()));
  SynthStats stats;
  for (uint64_t r = 0; r < opts.rows; ++r) {
    sampler.draw(rng, row);
    int label = rng.unit() < 1.0 / (1.0 + std::exp(-teacher.logit(row)));
    stats.positives += label;
    out.advance_to(formatter.write(out.end(), rng, label, row));
  }
  out.flush();
  stats.rows = opts.rows;
  stats.bytes = out.bytes();
  return stats;
}

}  // namespace ctr
