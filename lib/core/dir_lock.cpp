// The run-directory lock (see dir_lock.h).
#include "core/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "core/error.h"
#include "core/system_info.h"

namespace ctr {

namespace {

std::string holder_of(int fd) {
  char buf[256] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text.empty() ? "another process" : text;
}

}  // namespace

DirLock::DirLock(const std::string& dir, const std::string& what) {
  const std::string path = dir + "/" + file_name();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(fmt::format("{}: cannot open the lock file: {}", path, std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = holder_of(fd_);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw UsageError(fmt::format("{} {} is in use by the run of {}; wait for it to end, or choose another {}",
                                   what, dir, holder, what));
    throw Error(fmt::format("{}: cannot lock: {}", path, std::strerror(err)));
  }
  const std::string text =
      fmt::format("pid {} on {} since {}\n", ::getpid(), host_name(), iso_utc(std::chrono::system_clock::now()));
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) != ssize_t(text.size())) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw Error(fmt::format("{}: cannot write the lock file: {}", path, std::strerror(err)));
  }
}

DirLock::~DirLock() {
  // Closing releases the lock. The file stays: removing it would let a process that opened it
  // just before lock an unlinked file while a third locks a new one.
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace ctr
