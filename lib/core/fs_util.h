// Filesystem helpers: whole-file I/O and an output directory that appears only when complete.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ctr {

std::string read_text_file(const std::string& path);  // throws ctr::Error naming the path
// Writes via PATH.tmp + rename, so a reader never sees half a file.
void write_text_file(const std::string& path, const std::string& text);
uint64_t file_size_of(const std::string& path);
// Regular files in `dir` whose names end with `suffix`, sorted by name.
std::vector<std::string> list_files(const std::string& dir, const std::string& suffix);

// A directory built under a temporary name next to its final path and renamed into place by
// commit(). If the object dies without commit() (an exception, say), the temporary tree is
// removed, so no output ever looks complete unless it is.
class StagingDir {
 public:
  // Throws UsageError if `final_path` exists and `overwrite` is false.
  StagingDir(const std::string& final_path, bool overwrite);
  ~StagingDir();
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  const std::string& path() const { return temp_; }  // write here
  const std::string& final_path() const { return final_; }
  void commit();

 private:
  std::string final_, temp_;
  bool overwrite_;
  bool committed_ = false;
};

}  // namespace ctr
