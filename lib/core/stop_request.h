// Stop requests: SIGINT (Ctrl-C) and SIGTERM ask a long command to stop at its next safe point
// (training: after the current step, with a checkpoint) instead of dying mid-write. A second
// signal ends the process at once, as if no handler were installed.
#pragma once

namespace ctr {

// Installs the handlers; safe to call more than once.
void install_stop_handlers();
// The signal received since the handlers were installed, or 0.
int stop_signal();
// "SIGINT", "SIGTERM", or "signal N".
const char* signal_name(int signal);

}  // namespace ctr
