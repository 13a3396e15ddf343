// TEMPORARY placeholder until the synth helper lands it (preprocess/inspect now live in their own files).
#include "app/commands.h"
namespace ctr::app {
Command add_synth_command(CLI::App& root) { return {root.add_subcommand("synth", "x"), [] {}}; }
}
