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

namespace {

// The header before the valid columns existed; a resumed older run's rows gain two empty cells.
constexpr const char* kHeaderWithoutValid =
    "kind,epoch,step,samples,train_loss,test_auc,test_logloss,clipped_fraction,lr,seconds,samples_per_sec";

std::string with_valid_cells(const std::string& old_row) {
  size_t at = 0;
  for (int i = 0; i < 5 && at != std::string::npos; ++i) at = old_row.find(',', at + 1);
  return at == std::string::npos ? old_row : old_row.substr(0, at) + ",," + old_row.substr(at);
}

std::string kept_rows(const std::string& path, uint64_t keep_steps) {
  std::istringstream in(read_text_file(path));
  std::string line, kept;
  std::getline(in, line);
  const bool old = line == kHeaderWithoutValid;
  while (std::getline(in, line)) {
    const size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
    if (c3 == std::string::npos || line.compare(0, c1, "final") == 0) continue;
    if (std::stoull(line.substr(c2 + 1, c3 - c2 - 1)) <= keep_steps) kept += (old ? with_valid_cells(line) : line) + "\n";
  }
  return kept;
}

std::string cells(const std::optional<SplitScore>& s) {
  return s ? fmt::format("{},{}", json_number(s->auc), json_number(s->logloss)) : std::string(",");
}

}  // namespace

const char* MetricsCsv::header() {
  return "kind,epoch,step,samples,train_loss,valid_auc,valid_logloss,test_auc,test_logloss,clipped_fraction,lr,"
         "seconds,samples_per_sec";
}

MetricsCsv::MetricsCsv(const std::string& path, bool resume, uint64_t keep_steps, std::string eval_split)
    : path_(path), eval_split_(std::move(eval_split)) {
  write_text_file(path, std::string(header()) + "\n" + (resume ? kept_rows(path, keep_steps) : ""));
  f_ = std::fopen(path.c_str(), "a");
  if (!f_) throw Error(fmt::format("{}: cannot open for appending: {}", path, std::strerror(errno)));
}

MetricsCsv::~MetricsCsv() {
  if (f_) std::fclose(f_);
}

std::string MetricsCsv::eval_cells(double auc, double logloss) const {
  const SplitScore s{auc, logloss};
  if (eval_split_ == "valid") return cells(s) + ",,";
  if (eval_split_ == "test") return ",," + cells(s);
  return ",,,";
}

void MetricsCsv::write(const std::string& line) {
  std::fputs(line.c_str(), f_);
  if (std::fflush(f_) != 0) throw Error(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
}

void MetricsCsv::train_row(uint64_t epoch, uint64_t step, uint64_t samples, double loss, double clipped_fraction,
                           double lr, double seconds) {
  write(fmt::format("train,{},{},{},{},,,,,{},{},{},{}\n", epoch, step, samples, json_number(loss),
                    json_number(clipped_fraction), json_number(lr), json_number(seconds),
                    json_number(seconds > 0 ? samples / seconds : 0)));
}

void MetricsCsv::eval_row(const EvalRecord& e, uint64_t samples) {
  write(fmt::format("eval,{},{},{},,{},,,,\n", e.epoch, e.step, samples, eval_cells(e.auc, e.logloss)));
}

void MetricsCsv::epoch_row(const EpochRecord& e, uint64_t step, uint64_t samples) {
  const std::string eval = eval_split_.empty() ? ",,," : eval_cells(e.eval_auc, e.eval_logloss);
  write(fmt::format("epoch,{},{},{},{},{},{},{},{},{}\n", e.epoch, step, samples, json_number(e.train_loss), eval,
                    json_number(e.clipped_fraction), json_number(e.lr), json_number(e.seconds),
                    json_number(e.samples_per_sec)));
}

void MetricsCsv::final_row(uint64_t epoch, uint64_t step, const std::optional<SplitScore>& valid,
                           const std::optional<SplitScore>& test) {
  write(fmt::format("final,{},{},,,{},{},,,,\n", epoch, step, cells(valid), cells(test)));
}

}  // namespace ctr
