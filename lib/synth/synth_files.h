// Synthetic data as files: one file (`synth --rows`), or a multi-day log, DIR/day_0.gz ...
// (`synth --days`), the layout of the Criteo 1TB click logs. A file appears only when complete.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/byte_sink.h"
#include "synth/synth.h"

namespace ctr {

// Writes opts.rows rows to `path` (as PATH.tmp, renamed when complete, so a killed run leaves no
// complete-looking file; a device or pipe such as /dev/stdout is written directly).
SynthStats synth_to_file(const SynthOptions& opts, const std::string& path, Compression c);

struct SynthDaysOptions {
  uint64_t days = 24;
  uint64_t rows_per_day = 0;
  std::string dir;                           // created if missing
  Compression compression = Compression::gzip;
};

// The file of day `day` in `dir`: "DIR/day_7.gz" (".zst", or no extension without compression).
std::string synth_day_path(const std::string& dir, uint64_t day, Compression c);

// Writes days 0..days-1, one file each, several days at once (opts.threads of them, each day on
// one thread); every file's bytes depend on the options and its day only. Returns the totals.
SynthStats synth_days(const SynthOptions& opts, const SynthDaysOptions& d);

}  // namespace ctr
