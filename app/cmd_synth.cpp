// TEMPORARY placeholder until the synth helper lands it.
#include "app/commands.h"
namespace ctr::app {
Command add_synth_command(CLI::App& root) { return {root.add_subcommand("synth", "x"), [] {}}; }
Command add_preprocess_command(CLI::App& root) { return {root.add_subcommand("preprocess", "x"), [] {}}; }
Command add_inspect_command(CLI::App& root) { return {root.add_subcommand("inspect", "x"), [] {}}; }
}
