// SPDX-License-Identifier: GPL-3.0-or-later
#include "Cli.h"

#include "AppIdentity.h"
#include "cli/CliCommon.h"
#include "cli/Commands.h"
#include "engine/Engine.h"

#include <QCoreApplication>
#include <QStringList>

namespace Cli {

bool isCommand(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QString a = QString::fromLocal8Bit(argv[i]);
        // Options that take a value (the GUI's --page among them): skip the value too.
        if (a == QLatin1String("--data-dir") || a == QLatin1String("--database") ||
            a == QLatin1String("--lang") || a == QLatin1String("--page")) {
            ++i;
            continue;
        }
        if (a.startsWith(QLatin1String("-")))
            continue;
        return true; // the GUI takes no positional arguments: Cli::run names a typo
    }
    return false;
}

int run(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    setAppIdentity();
    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    QString dataDir;
    QString database;
    bool databaseGiven = false;
    while (!args.isEmpty() && args.first().startsWith(QLatin1String("--"))) {
        const QString a = args.takeFirst();
        if (a == QLatin1String("--data-dir") || a == QLatin1String("--database") ||
            a == QLatin1String("--lang")) {
            if (args.isEmpty())
                return usageError(msg("%1 needs a value.").arg(a));
            const QString value = args.takeFirst();
            if (a == QLatin1String("--data-dir"))
                dataDir = value;
            else if (a == QLatin1String("--database"))
                database = value, databaseGiven = true;
        } else if (a.startsWith(QLatin1String("--data-dir="))) {
            dataDir = a.mid(11);
        } else if (a.startsWith(QLatin1String("--database="))) {
            database = a.mid(11);
            databaseGiven = true;
        } else {
            return usageError(msg("Unknown option %1 before the command.").arg(a));
        }
    }
    // Where the store is: --database, else --data-dir, else HOOKLINE_DATABASE, else the
    // user's data directory. A bad URL stops here, before anything is opened or sent.
    if (databaseGiven && !dataDir.isEmpty())
        return usageError(msg("Give --database or --data-dir, not both: --database names the "
                              "whole store (sqlite:PATH or postgresql://…)."));
    if (!databaseGiven && dataDir.isEmpty() && qEnvironmentVariableIsSet("HOOKLINE_DATABASE")) {
        database = qEnvironmentVariable("HOOKLINE_DATABASE");
        databaseGiven = true;
        if (const QString problem = Engine::databaseUrlProblem(database); !problem.isEmpty())
            return usageError(msg("HOOKLINE_DATABASE: %1").arg(problem));
    } else if (databaseGiven) {
        if (const QString problem = Engine::databaseUrlProblem(database); !problem.isEmpty())
            return usageError(msg("--database: %1").arg(problem));
    }
    if (databaseGiven)
        dataDir = database; // the commands open what they are given: a URL or a directory
    if (args.isEmpty())
        return usageError(msg("No command given."));
    const QString command = args.takeFirst();
    // "hookline fire --help": the usage, as for "hookline --help" (no command runs).
    if (args.contains(QLatin1String("--help")) || args.contains(QLatin1String("-h"))) {
        out() << usageText();
        return 0;
    }
    if (command == QLatin1String("stats"))
        return statsCommand(dataDir, args);
    if (command == QLatin1String("recover"))
        return recoverCommand(dataDir, args);
    if (command == QLatin1String("endpoints"))
        return endpointsCommand(dataDir, args);
    if (command == QLatin1String("fire"))
        return fireCommand(dataDir, args);
    if (command == QLatin1String("scenario"))
        return scenarioCommand(dataDir, args);
    if (command == QLatin1String("history"))
        return historyCommand(dataDir, args);
    if (command == QLatin1String("redeliver"))
        return redeliverCommand(dataDir, args);
    if (command == QLatin1String("run"))
        return runCommand(dataDir, args);
    if (command == QLatin1String("receive"))
        return receiveCommand(args);
    if (command == QLatin1String("serve"))
        return serveCommand(dataDir, args);
    if (command == QLatin1String("tokens"))
        return tokensCommand(dataDir, args);
    if (command == QLatin1String("settings"))
        return settingsCommand(dataDir, args);
    if (command == QLatin1String("store"))
        return storeCommand(dataDir, args);
    return usageError(msg("Unknown command “%1”.").arg(command));
}

QString usage()
{
    return usageText();
}

} // namespace Cli
