// synth_to_file and synth_days: files that appear only when complete, days written in parallel.
#include "synth/synth_files.h"

#include <algorithm>
#include <filesystem>
#include <future>
#include <memory>

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "core/thread_pool.h"

namespace ctr {

SynthStats synth_to_file(const SynthOptions& opts, const std::string& path, Compression c) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::error_code ec;
  const bool special = std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec);
  const std::string target = special ? path : path + ".tmp";
  SynthStats s;
  try {
    auto sink = ByteSink::create(target, c);
    s = synth_write(opts, *sink);
    sink->close();
  } catch (...) {
    if (!special) std::filesystem::remove(target, ec);
    throw;
  }
  if (!special) {
    std::filesystem::rename(target, path, ec);
    if (ec) throw Error(fmt::format("{}: cannot rename {} into place: {}", path, target, ec.message()));
  }
  return s;
}

std::string synth_day_path(const std::string& dir, uint64_t day, Compression c) {
  const char* ext = c == Compression::gzip ? ".gz" : c == Compression::zstd ? ".zst" : "";
  return (std::filesystem::path(dir) / ("day_" + std::to_string(day) + ext)).string();
}

SynthStats synth_days(const SynthOptions& opts, const SynthDaysOptions& d) {
  if (d.days < 1) throw UsageError("synth --days must be at least 1");
  if (d.rows_per_day < 1) throw UsageError("synth --days needs --rows-per-day of at least 1");
  std::filesystem::create_directories(d.dir);
  // A day per thread: compression (gzip above all) is single-threaded per file, so whole days
  // in parallel keep every core busy where blocks of one file would wait on its compressor.
  const int threads = std::min<int>(resolve_thread_count(opts.threads), static_cast<int>(std::min<uint64_t>(d.days, 4096)));
  ThreadPool pool(threads);
  std::vector<std::future<SynthStats>> done;
  for (uint64_t day = 0; day < d.days; ++day) {
    done.push_back(pool.submit([&opts, &d, day] {
      SynthOptions o = opts;
      o.day = day;
      o.rows = d.rows_per_day;
      o.threads = 1;
      const std::string path = synth_day_path(d.dir, day, d.compression);
      const SynthStats s = synth_to_file(o, path, d.compression);
      spdlog::info("synth: {} ({} rows, {:.2f}% positive)", path, s.rows, 100.0 * double(s.positives) / double(s.rows));
      return s;
    }));
  }
  for (auto& f : done) f.wait();  // every task ends before any error propagates
  SynthStats total;
  for (auto& f : done) {
    const SynthStats s = f.get();
    total.rows += s.rows;
    total.positives += s.positives;
    total.bytes += s.bytes;
  }
  return total;
}

}  // namespace ctr
