// DirLock: one process at a time in a directory (a run directory), through flock() on DIR/run.lock.
// The kernel drops the lock when its holder exits, however it exits, so a lock left by a killed
// run is never mistaken for a live one; the file's text names the holder for the message.
#pragma once

#include <string>

namespace ctr {

class DirLock {
 public:
  // Takes the lock of `dir` (which must exist), writing "pid PID on HOST since TIME" into it.
  // A live holder is a UsageError naming its pid, host and start, and `what` (e.g. "output.dir").
  DirLock(const std::string& dir, const std::string& what);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  static const char* file_name() { return "run.lock"; }

 private:
  int fd_ = -1;
};

}  // namespace ctr
