// `ctrtrain synth`: writes synthetic Criteo-, Criteo-1TB- or Avazu-shaped data in the RAW text
// format, so the whole pipeline (parse, vocabulary, shards, training) runs exactly as on real data.
#pragma once

#include <cstdint>

#include "dataset/public_datasets.h"
#include "io/byte_sink.h"

namespace ctr {

struct SynthOptions {
  DatasetKind dataset = DatasetKind::criteo;
  uint64_t rows = 100000;
  uint64_t seed = 1;
  // Per-field cardinalities are the real ones (PublicDataset::reference_cardinalities) times this,
  // at least 2 per field.
  double vocab_scale = 1.0;
  // Generation threads; 0 = all hardware threads. The output does not depend on it.
  int threads = 0;
  // Which day of a multi-day log this is (synth_files.h): each day has its own rows, and the
  // popularity of each field's rarer values moves by `daily_drift` of them per day (docs/synth.md).
  // Day 0 is what a single file holds.
  uint64_t day = 0;
  double daily_drift = 0.02;
};

struct SynthStats {
  uint64_t rows = 0;
  uint64_t positives = 0;
  uint64_t bytes = 0;  // uncompressed text bytes written
};

// Generates opts.rows rows into `sink` (the Avazu header line first). The same options give the
// same bytes. Throws UsageError for out-of-range options.
SynthStats synth_write(const SynthOptions& opts, ByteSink& sink);

}  // namespace ctr
