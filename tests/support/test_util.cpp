// Shared test helpers (see test_util.h).
#include "support/test_util.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "core/error.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace ctr::test {

ScratchDir::ScratchDir(const std::string& name) {
  static std::atomic<int> counter{0};
  path_ = std::string(CTR_TEST_TMP_ROOT) + "/" + name + "-" + std::to_string(::getpid()) + "-" +
          std::to_string(counter++);
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

const ScratchDir& synth_dataset(const std::string& name, const SynthDataset& spec) {
  static std::map<std::string, std::unique_ptr<ScratchDir>> made;
  std::unique_ptr<ScratchDir>& dir = made[name];
  if (!dir) {
    auto d = std::make_unique<ScratchDir>(name);
    REQUIRE(run_ctrtrain(fmt::format("synth --dataset criteo --rows {} --vocab-scale {} --seed {} --output {}",
                                     spec.rows, spec.vocab_scale, spec.seed, *d / "raw.txt")).exit_code == 0);
    REQUIRE(run_ctrtrain(fmt::format("preprocess --quiet --dataset criteo --input {} --output {} {}", *d / "raw.txt",
                                     *d / "data", spec.preprocess_args)).exit_code == 0);
    dir = std::move(d);
  }
  return *dir;
}

std::string data_file(const std::string& name) { return std::string(CTR_TEST_DATA_DIR) + "/" + name; }

CommandResult run_ctrtrain(const std::string& args) { return run_command(std::string(CTR_BINARY) + " " + args); }

std::string source_dir() { return std::filesystem::path(CTR_TEST_DATA_DIR).parent_path().parent_path().string(); }

CommandResult run_command(const std::string& command) {
  std::string cmd = command + " 2>&1";
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + cmd);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ctr::Error& e) {
    return e.what();
  }
  FAIL("expected a ctr::Error");
  return {};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::vector<std::string>> split_table(const std::string& text, char sep, bool skip_header) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  if (skip_header) std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    size_t start = 0;
    for (;;) {
      size_t p = line.find(sep, start);
      cols.push_back(line.substr(start, p == std::string::npos ? std::string::npos : p - start));
      if (p == std::string::npos) break;
      start = p + 1;
    }
    rows.push_back(std::move(cols));
  }
  return rows;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot create " + path);
  out << text;
}

}  // namespace ctr::test
