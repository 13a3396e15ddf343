// Filesystem helpers (see fs_util.h).
#include "core/fs_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace fs = std::filesystem;

namespace ctr {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(fmt::format("{}: read failed", path));
  return ss.str();
}

namespace {

// Writes all of `text` to fd; false with errno set on failure.
bool write_fully(int fd, const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = ENOSPC;
      return false;
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno)));
  // fsync before the rename: after a crash the file is either the old one or the whole new one.
  const bool ok = write_fully(fd, text) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());  // a full disk leaves no half-written .tmp behind
    throw Error(fmt::format("{}: writing failed: {}{}", path, std::strerror(err),
                            err == ENOSPC ? " (the disk is full; free space and run again)" : ""));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    throw Error(fmt::format("{}: cannot rename into place: {}", path, ec.message()));
  }
}

uint64_t file_size_of(const std::string& path) {
  std::error_code ec;
  auto n = fs::file_size(path, ec);
  if (ec) throw Error(fmt::format("{}: cannot stat: {}", path, ec.message()));
  return n;
}

std::vector<std::string> list_files(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) throw Error(fmt::format("{}: cannot list directory: {}", dir, ec.message()));
  for (const auto& e : it) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

StagingDir::StagingDir(const std::string& final_path, bool overwrite)
    : final_(fs::path(final_path).lexically_normal().string()), overwrite_(overwrite) {
  if (!final_.empty() && final_.back() == '/') final_.pop_back();
  if (fs::exists(final_) && !overwrite_)
    throw UsageError(fmt::format("output '{}' already exists (choose another --output, delete "
                                 "it, or pass --force to replace it)", final_));
  temp_ = fmt::format("{}.tmp-{}", final_, ::getpid());
  std::error_code ec;
  fs::remove_all(temp_, ec);
  fs::path parent = fs::path(final_).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (!fs::create_directory(temp_, ec) || ec)
    throw Error(fmt::format("{}: cannot create directory: {}", temp_,
                            ec ? ec.message() : "already exists"));
}

StagingDir::~StagingDir() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);  // best effort: never throw from a destructor
  }
}

void StagingDir::commit() {
  CTR_CHECK(!committed_, "commit twice");
  std::error_code ec;
  std::string old;
  if (fs::exists(final_)) {
    // Move the old output aside first, so that a failure leaves either old or new, never neither.
    old = fmt::format("{}.old-{}", final_, ::getpid());
    fs::rename(final_, old, ec);
    if (ec) throw Error(fmt::format("{}: cannot move old output aside: {}", final_, ec.message()));
  }
  fs::rename(temp_, final_, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, final_, ec);
    throw Error(fmt::format("{}: cannot rename {} into place: {}", final_, temp_, ec.message()));
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace ctr
