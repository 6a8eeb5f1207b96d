// SPDX-License-Identifier: GPL-3.0-or-later
// hookline store copy --to URL | --from URL [--merge]: moves a store between SQLite and
// PostgreSQL (core/store/StoreCopy.h), with a progress line on stderr.
#include "CliCommon.h"
#include "Commands.h"

#include "engine/Engine.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTextStream>

#include <unistd.h>

namespace Cli {

int storeCommand(const QString &dataDir, QStringList args)
{
    const QString action = args.isEmpty() ? QString() : args.takeFirst();
    if (action != QLatin1String("copy"))
        return usageError(action.isEmpty()
                              ? msg("'store' needs an action: copy.")
                              : msg("Unknown store action “%1”: use copy.").arg(action));
    QCommandLineParser p;
    p.addOption({QStringLiteral("to"), msg("Copy this store into URL."), QStringLiteral("URL")});
    p.addOption({QStringLiteral("from"), msg("Copy the store at URL into this one."),
                 QStringLiteral("URL")});
    p.addOption({QStringLiteral("merge"),
                 msg("Copy into a store that is not empty: add only what it lacks.")});
    QString error;
    if (!parse(p, QStringLiteral("store copy"), args, &error))
        return usageError(error);
    if (!p.positionalArguments().isEmpty())
        return usageError(msg("'store copy' takes no arguments besides its options."));
    const bool to = p.isSet(QStringLiteral("to"));
    if (to == p.isSet(QStringLiteral("from")))
        return usageError(msg("'store copy' needs either --to URL (copy this store there) or "
                              "--from URL (copy that store here)."));
    const QString option = to ? QStringLiteral("to") : QStringLiteral("from");
    const QString other = p.value(option);
    if (const QString problem = Engine::databaseUrlProblem(other); !problem.isEmpty())
        return invalidInput(msg("--%1: %2").arg(option, problem));
    const bool tty = isatty(STDERR_FILENO);
    QElapsedTimer shown;
    shown.start();
    const auto progress = [&](qint64 done, qint64 total) {
        if (done < total && shown.elapsed() < (tty ? 200 : 2000))
            return;
        shown.restart();
        const QString line = msg("copied %1 of %2 deliveries").arg(done).arg(total);
        if (tty)
            err() << "\r" << line << (done >= total ? "\n" : "");
        else
            err() << line << "\n";
        err().flush();
    };
    StoreCopyCounts counts;
    const StoreCopyResult result =
        to ? Engine::copyStore(dataDir, other, p.isSet(QStringLiteral("merge")), progress, &counts,
                               &error)
           : Engine::copyStore(other, dataDir, p.isSet(QStringLiteral("merge")), progress, &counts,
                               &error);
    if (result == StoreCopyResult::Refused)
        return invalidInput(error);
    if (result == StoreCopyResult::Failed)
        return failure(msg("%1 What was copied stays; run the same command with --merge to "
                           "finish.")
                           .arg(error));
    out() << msg("Copied %1 endpoints, %2 event types, %3 deliveries with %4 attempts; %5 were "
                 "there already.")
                 .arg(counts.endpoints)
                 .arg(counts.eventTypes)
                 .arg(counts.deliveries)
                 .arg(counts.attempts)
                 .arg(counts.alreadyThere)
          << "\n";
    return 0;
}

} // namespace Cli
