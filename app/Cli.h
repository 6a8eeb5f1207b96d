// SPDX-License-Identifier: GPL-3.0-or-later
// The headless command line: the same binary as the GUI, but a subcommand (endpoints, fire,
// scenario, history, redeliver, run, receive, serve, tokens) means no window and no display. It
// drives the very same core as the GUI. Exit codes: 0 success, 1 a delivery or operation failed, 2
// bad arguments (with a usage message).
#pragma once

#include <QString>

namespace Cli {

// True when argv holds a positional argument (after global options such as --data-dir):
// a subcommand, or a typo that Cli::run reports with the usage.
bool isCommand(int argc, char **argv);
int run(int argc, char **argv);
// The --help text.
QString usage();

} // namespace Cli
