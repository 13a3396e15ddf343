// ctr_bench_reader: rows/s of a batch reader over preprocessed shards (scripts/bench_data.sh).
//
// The clock starts after a warm-up (the first batches of epoch 0: thread start, the first
// decodes, filling the shuffle buffer) and stops at the end of the last epoch, so epoch
// boundaries count. The last line is the figure the script records.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/fs_util.h"
#include "reader/batch_reader.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::vector<std::string> shards;
  std::string reader = "streaming";
  ctr::BatchReaderOptions opts;
  int epochs = 2;
  size_t warmup_batches = 20;
};

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Directories stand for the .ctrs files inside them, in name order.
std::vector<std::string> expand_shards(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  for (const std::string& a : args) {
    if (std::filesystem::is_directory(a)) {
      for (std::string& p : ctr::list_files(a, ".ctrs")) paths.push_back(std::move(p));
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) throw ctr::UsageError("--shards names no .ctrs files");
  return paths;
}

struct Tally {
  uint64_t rows = 0;
  double label_sum = 0;  // touches every batch, so the reading cannot be optimised away
};

void consume(const ctr::HostBatch& b, Tally& t) {
  t.rows += b.rows;
  for (size_t i = 0; i < b.rows; ++i) t.label_sum += b.labels[i];
}

std::string threads_text(int threads) {
  if (threads == 0) return "all threads";
  return std::to_string(threads) + (threads == 1 ? " thread" : " threads");
}

void run(const Args& a) {
  const auto t_open = Clock::now();
  auto reader = a.reader == "memory" ? ctr::open_memory_reader(expand_shards(a.shards), a.opts)
                                     : ctr::open_streaming_reader(expand_shards(a.shards), a.opts);
  const auto t_opened = Clock::now();
  std::printf("opened %s reader in %.2f s: %llu rows per epoch\n", a.reader.c_str(),
              seconds(t_open, t_opened), static_cast<unsigned long long>(reader->rows_per_epoch()));

  Tally warm, measured;
  Clock::time_point t_start = t_opened;
  for (int e = 0; e < a.epochs; ++e) {
    const auto t_epoch = Clock::now();
    const uint64_t before = measured.rows + warm.rows;
    reader->start_epoch(e);
    size_t batches = 0;
    while (ctr::BatchPtr b = reader->next()) {
      const bool warming = e == 0 && batches++ < a.warmup_batches;
      consume(*b, warming ? warm : measured);
      if (warming && batches == a.warmup_batches) t_start = Clock::now();
    }
    if (e == 0 && batches < a.warmup_batches) t_start = Clock::now();  // all of epoch 0 was warm-up
    const double s = seconds(t_epoch, Clock::now());
    const uint64_t rows = measured.rows + warm.rows - before;
    std::printf("epoch %d: %llu rows in %.2f s (%.0f rows/s)\n", e, static_cast<unsigned long long>(rows),
                s, rows / s);
  }
  const double s = seconds(t_start, Clock::now());
  std::printf("%.2fM rows/s (%llu rows in %.2f s after %zu warm-up batches; %s reader, batch %zu, "
              "%s, %d epochs; input wait %.2f s; label mean %.4f)\n",
              measured.rows / s / 1e6, static_cast<unsigned long long>(measured.rows), s,
              a.warmup_batches, a.reader.c_str(), a.opts.batch_size,
              threads_text(a.opts.threads).c_str(),
              a.epochs, reader->input_wait_seconds(),
              (warm.label_sum + measured.label_sum) / static_cast<double>(warm.rows + measured.rows));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Measures batch-reader throughput (rows/s) over .ctrs shards."};
  app.option_defaults()->always_capture_default();
  Args a;
  app.add_option("--shards", a.shards, "Shard files, or directories of .ctrs files")->required()->expected(1, -1);
  app.add_option("--batch-size", a.opts.batch_size, "Rows per batch");
  app.add_option("--threads", a.opts.threads, "Reader threads (0 = all hardware threads)");
  app.add_option("--reader", a.reader, "streaming | memory")->check(CLI::IsMember({"streaming", "memory"}));
  app.add_option("--epochs", a.epochs, "Epochs to read")->check(CLI::PositiveNumber);
  app.add_option("--seed", a.opts.seed, "Shuffle seed");
  app.add_option("--shuffle-buffer-rows", a.opts.shuffle_buffer_rows, "Streaming shuffle buffer (rows)");
  app.add_option("--queue-batches", a.opts.queue_batches, "Ready batches kept ahead");
  app.add_option("--warmup-batches", a.warmup_batches, "Batches of epoch 0 not timed");
  CLI11_PARSE(app, argc, argv);
  try {
    run(a);
  } catch (const ctr::Error& e) {
    std::fprintf(stderr, "ctr_bench_reader: %s\n", e.what());
    return e.exit_code();
  }
  return 0;
}
