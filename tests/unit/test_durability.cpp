// Tests of the promises about files on disk: write_text_file leaves the old file or the whole new
// one and no .tmp behind when the write fails, and DirLock lets one process into a run directory,
// naming the holder to the next, with no stale lock after the holder is gone.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "core/dir_lock.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "support/test_util.h"

using Catch::Contains;
using ctr::test::read_file;
using ctr::test::ScratchDir;
namespace fs = std::filesystem;

namespace {

// While alive, files of this process may not grow past `bytes` (writes past it fail with EFBIG,
// as writes on a full disk fail with ENOSPC), and SIGXFSZ is ignored so that the write returns.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &old_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim = old_;
    lim.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

}  // namespace

TEST_CASE("write_text_file: a failed write keeps the old file and leaves no .tmp", "[durability]") {
  ScratchDir tmp("durability-write");
  const std::string path = tmp / "report.json";
  ctr::write_text_file(path, "old");
  {
    const FileSizeLimit limit(1000);
    const std::string big(100000, 'x');
    CHECK_THAT(ctr::test::error_of([&] { ctr::write_text_file(path, big); }),
               Contains(path + ": writing failed"));
  }
  CHECK(read_file(path) == "old");
  CHECK_FALSE(fs::exists(path + ".tmp"));
  ctr::write_text_file(path, "new");
  CHECK(read_file(path) == "new");
}

TEST_CASE("DirLock: a second holder is refused with the first's pid, and the lock ends with its holder",
          "[durability]") {
  ScratchDir tmp("durability-lock");
  {
    const ctr::DirLock first(tmp.path(), "output.dir");
    CHECK_THAT(read_file(tmp / "run.lock"), Contains("pid " + std::to_string(getpid()) + " on "));
    try {
      const ctr::DirLock second(tmp.path(), "output.dir");
      FAIL("the second lock was granted");
    } catch (const ctr::UsageError& e) {
      CHECK_THAT(e.what(), Contains("output.dir " + tmp.path() + " is in use by the run of pid " +
                                    std::to_string(getpid())));
    }
  }
  // The file stays behind, but no process holds it: the next run takes it.
  CHECK(fs::exists(tmp / "run.lock"));
  const ctr::DirLock again(tmp.path(), "output.dir");
}
