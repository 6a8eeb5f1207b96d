// SPDX-License-Identifier: GPL-3.0-or-later
// What every command of the command line shares: its English wording, its two output
// streams, its exit codes (0 done, 1 a delivery or operation failed, 2 bad input), strict
// option parsing, and the ways a command waits for the deliveries it started.
// Commands reach the core through Engine only.
#pragma once

#include <QString>
#include <QStringList>

class Engine;
class QCommandLineParser;
class QTextStream;
struct Attempt;
struct Delivery;

namespace Cli {

// The command line speaks English in every locale: scripts parse what it prints, and its
// words are the same as in the README. (%n is still filled in.)
QString msg(const char *text, const char *disambiguation = nullptr, int n = -1);
QTextStream &out();
QTextStream &err();

QString usageText();
// Exit 2 with the message and the usage text.
int usageError(const QString &message);
// Exit 2: input that parsed but is not acceptable (a bad URL, an injected header); the
// message says what to fix, the usage text would only bury it.
int invalidInput(const QString &message);
// Exit 1.
int failure(const QString &message);

// Parses one subcommand's options strictly: unknown options are usage errors (exit 2).
bool parse(QCommandLineParser &parser, const QString &command, const QStringList &args,
           QString *error);
bool toInt(const QString &text, int low, int high, int *value);

// One line per attempt, as 'fire --wait', 'redeliver --wait' and 'run' print them.
QString attemptLine(const QString &endpoint, const Delivery &d, const Attempt &a);
// Waits until each delivery has had its first attempt (or ended without one), printing a
// line per attempt. Returns true when every one succeeded.
bool waitForFirstAttempts(Engine &engine, const QStringList &ids);
// Resolves --endpoint (an id or a unique prefix); no option means every subscriber.
bool endpointOption(const Engine &engine, const QCommandLineParser &p, QString *endpointId,
                    QString *error);
// Prints ids or waits; shared by fire, scenario and redeliver. Without --wait an id is
// printed only once its delivery is committed and synced: what could not be stored (a full
// disk, a read-only file) is named instead, and the exit code is 1.
int finishDispatch(Engine &engine, const QStringList &ids, bool wait);
// Runs the event loop until SIGINT or SIGTERM (run, receive, serve).
void runUntilShutdownSignal();

} // namespace Cli
