// metrics.csv writer (see metrics_csv.h).
#include "train/metrics_csv.h"

#include <cerrno>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/json_writer.h"

namespace ctr {

const char* MetricsCsv::header() {
  return "kind,epoch,step,samples,train_loss,test_auc,test_logloss,clipped_fraction,lr,seconds,samples_per_sec";
}

MetricsCsv::MetricsCsv(const std::string& path, bool resume, uint64_t keep_epochs) : path_(path) {
  std::string kept = std::string(header()) + "\n";
  if (resume) {
    std::istringstream in(read_text_file(path));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      const size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
      if (c1 == std::string::npos || c2 == std::string::npos) continue;
      if (std::stoull(line.substr(c1 + 1, c2 - c1 - 1)) <= keep_epochs) kept += line + "\n";
    }
  }
  write_text_file(path, kept);
  f_ = std::fopen(path.c_str(), "a");
  if (!f_) throw Error(fmt::format("{}: cannot open for appending: {}", path, std::strerror(errno)));
}

MetricsCsv::~MetricsCsv() {
  if (f_) std::fclose(f_);
}

void MetricsCsv::train_row(uint64_t epoch, uint64_t step, uint64_t samples, double loss, double clipped_fraction,
                           double lr, double seconds) {
  fmt::print(f_, "train,{},{},{},{},,,{},{},{},{}\n", epoch, step, samples, json_number(loss),
             json_number(clipped_fraction), json_number(lr), json_number(seconds),
             json_number(seconds > 0 ? samples / seconds : 0));
  std::fflush(f_);
}

void MetricsCsv::epoch_row(const EpochRecord& e, uint64_t step, uint64_t samples) {
  fmt::print(f_, "epoch,{},{},{},{},{},{},{},{},{},{}\n", e.epoch, step, samples, json_number(e.train_loss),
             json_number(e.test_auc), json_number(e.test_logloss), json_number(e.clipped_fraction),
             json_number(e.lr), json_number(e.seconds), json_number(e.samples_per_sec));
  if (std::fflush(f_) != 0) throw Error(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
}

}  // namespace ctr
