// The text of `ctrtrain --version`.
#pragma once

#include <string>

namespace ctr::app {
std::string version_text();
}
