// What the command line says beyond CLI11's defaults: --help without noise (no default shown for a
// required option, an empty list or a sentinel), and a suggestion for a misspelled flag or command.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace ctr::app {

// Hides, on `app` and every subcommand, the default of required options and of options whose
// default is an empty list ("[]"): neither tells the reader anything.
void tidy_help(CLI::App& app);

// For a CLI11 parse error about unexpected arguments, " (did you mean '--config'?)" naming the
// closest flag or subcommand of the command that was being parsed; "" when nothing is close.
std::string suggestion_for(const CLI::App& root, const CLI::ParseError& e);

}  // namespace ctr::app
