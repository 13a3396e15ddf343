// The one error policy of ctrtrain: exceptions with context, caught once in main().
//
//   ctr::Error       runtime failure (bad data, I/O, corruption)  -> exit code 1
//   ctr::UsageError  bad command line or config                   -> exit code 2
//   ctr::InternalError  a CTR_CHECK failed: a ctrtrain bug         -> exit code 1
//   ctr::Interrupted SIGINT / SIGTERM stopped the command cleanly  -> exit code 128 + signal
//
// Messages about user input name the input (FILE:LINE, config key), say what was expected
// and what to do. CTR_CHECK is for internal invariants: it carries our source file, line
// and the failing expression, because such a failure is a bug in ctrtrain.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace ctr {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  virtual int exit_code() const { return 1; }
};

class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what) {}
  int exit_code() const override { return 2; }
};

// What CTR_CHECK throws: an invariant of ctrtrain itself broke. Never the answer to bad input, so
// the fuzz targets (tests/fuzz) count one as a finding.
class InternalError : public Error {
 public:
  explicit InternalError(const std::string& what) : Error(what) {}
};

class Interrupted : public Error {
 public:
  Interrupted(const std::string& what, int signal) : Error(what), signal_(signal) {}
  int exit_code() const override { return 128 + signal_; }  // what a shell reports for the signal
  int signal() const { return signal_; }

 private:
  int signal_;
};

[[noreturn]] void throw_check_failure(const char* file, int line, const char* expr,
                                      const std::string& detail);

}  // namespace ctr

#define CTR_CHECK(cond, ...)                                                                 \
  do {                                                                                       \
    if (!(cond)) ::ctr::throw_check_failure(__FILE__, __LINE__, #cond, fmt::format(__VA_ARGS__)); \
  } while (0)
