// SPDX-License-Identifier: GPL-3.0-or-later
// hookline run: a headless deliverer - what is due in the store, until SIGINT/SIGTERM.
#include "CliCommon.h"
#include "Commands.h"

#include "engine/Engine.h"

#include <QCommandLineParser>
#include <QTextStream>

namespace Cli {

int runCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("quiet"), msg("Do not print a line per attempt.")});
    QString error;
    if (!parse(p, QStringLiteral("run"), args, &error))
        return usageError(error);
    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    const bool quiet = p.isSet(QStringLiteral("quiet"));
    QObject::connect(&engine, &Engine::attemptFinished, &engine,
                     [&](const Delivery &d, const Attempt &a) {
                         if (quiet)
                             return;
                         out() << attemptLine(engine.endpointName(d.endpointId), d, a) << "\n";
                         out().flush();
                     });
    QObject::connect(&engine, &Engine::storeProblem, &engine, [](const QString &why) {
        err() << msg("hookline run: the database cannot be written (%1). Attempts are paused "
                     "until it can, and resume by themselves. %2")
                     .arg(why, Engine::storeAdvice(why))
              << "\n";
        err().flush();
    });
    QObject::connect(&engine, &Engine::storeRecovered, &engine, [] {
        err() << msg("hookline run: the database can be written again; delivering.") << "\n";
        err().flush();
    });
    const int resumed = engine.resume();
    err() << msg("hookline run: delivering from %1 (resumed: %2). Stop with Ctrl+C.")
                 .arg(engine.databaseName())
                 .arg(resumed)
          << "\n";
    err().flush();
    // Endpoint changes made by other processes (due work is picked up by the engine itself).
    engine.setPollInterval(1000);
    runUntilShutdownSignal();
    engine.setPollInterval(0);
    err() << msg("hookline run: stopping; finishing attempts in flight.") << "\n";
    err().flush();
    engine.close();
    return 0;
}

} // namespace Cli
