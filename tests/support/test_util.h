// Shared test helpers: scratch directories, running the ctrtrain binary, small file utilities.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ctr::test {

// A fresh, empty directory under the build tree, removed when the object dies.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Path of a file in tests/data.
std::string data_file(const std::string& name);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs `command` through the shell (stderr merged into the output).
CommandResult run_command(const std::string& command);
// Runs `ctrtrain <args>` through the shell; args are passed verbatim.
CommandResult run_ctrtrain(const std::string& args);
// The repository root (for scripts and configs).
std::string source_dir();

// A synthetic Criteo-shaped dataset, made once per test process and kept until it exits:
// DIR/raw.txt from `synth --rows ROWS --vocab-scale VOCAB_SCALE --seed SEED`, and DIR/data from
// `preprocess --quiet` of it with PREPROCESS_ARGS. `name` names the directory.
struct SynthDataset {
  uint64_t rows = 8000;
  double vocab_scale = 0.0005;
  uint64_t seed = 1;
  std::string preprocess_args;
};
const ScratchDir& synth_dataset(const std::string& name, const SynthDataset& spec);

std::string read_file(const std::string& path);
// The message of the ctr::Error that `f` throws; fails the current test if it throws none.
std::string error_of(const std::function<void()>& f);
// Splits text into lines and each line at `sep` (empty fields kept); optionally drops line 1.
std::vector<std::vector<std::string>> split_table(const std::string& text, char sep, bool skip_header);
void write_file(const std::string& path, const std::string& text);

}  // namespace ctr::test
