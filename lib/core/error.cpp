// Formatting of internal check failures (see error.h).
#include "core/error.h"

namespace ctr {

void throw_check_failure(const char* file, int line, const char* expr, const std::string& detail) {
  throw InternalError(fmt::format("internal error at {}:{}: check `{}` failed{}{} (this is a ctrtrain bug; "
                          "please report it with the command that triggered it)",
                          file, line, expr, detail.empty() ? "" : ": ", detail));
}

}  // namespace ctr
