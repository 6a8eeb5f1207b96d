// SPDX-License-Identifier: GPL-3.0-or-later
// hookline recover --endpoint ID --since TIME: after an outage, sends again everything the
// endpoint missed - its failed and cancelled deliveries since TIME - and prints what it
// resends. Without --wait they are stored due now for whichever process delivers.
#include "CliCommon.h"
#include "Commands.h"

#include "domain/SinceTime.h"
#include "engine/Engine.h"

#include <QCommandLineParser>
#include <QTextStream>

namespace Cli {

int recoverCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("endpoint"), msg("Endpoint id (or a unique prefix), or its name."),
                 QStringLiteral("ID")});
    p.addOption({QStringLiteral("since"),
                 msg("From when: a span back from now (30m, 2h, 7d) or an ISO 8601 time."),
                 QStringLiteral("TIME")});
    p.addOption({QStringLiteral("wait"), msg("Send them now and report each attempt.")});
    QString error;
    if (!parse(p, QStringLiteral("recover"), args, &error))
        return usageError(error);
    if (!p.positionalArguments().isEmpty())
        return usageError(msg("'recover' takes no arguments: hookline recover --endpoint ID "
                              "--since TIME."));
    if (!p.isSet(QStringLiteral("endpoint")) || !p.isSet(QStringLiteral("since")))
        return usageError(msg("'recover' needs --endpoint ID and --since TIME (say --since 2h "
                              "for the last two hours)."));
    const QString sinceText = p.value(QStringLiteral("since"));
    const std::optional<QDateTime> since = parseSince(sinceText, QDateTime::currentDateTimeUtc());
    if (!since)
        return invalidInput(msg("--since “%1” is not a time: give a span back from now such as "
                                "30m, 2h or 7d, or an ISO 8601 time such as 2026-11-30T08:00.")
                                .arg(sinceText));
    const bool wait = p.isSet(QStringLiteral("wait"));
    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    const auto e = engine.findEndpoint(p.value(QStringLiteral("endpoint")), &error);
    if (!e)
        return invalidInput(error);
    engine.setSending(wait);
    QList<Delivery> resent;
    if (!engine.recover(e->id, *since, &resent, &error))
        return failure(error);
    const QString from = since->toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    if (resent.isEmpty()) {
        err() << msg("Nothing to resend: %1 has no failed or cancelled deliveries since %2.")
                     .arg(e->name, from)
              << "\n";
        return 0;
    }
    QStringList ids;
    for (const Delivery &d : std::as_const(resent)) {
        ids << d.id;
        if (!wait)
            out() << QStringLiteral("%1  %2  %3\n")
                         .arg(d.created.toLocalTime().toString(
                                  QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                              d.eventType.leftJustified(14), d.id);
    }
    err() << msg("Resending %n deliveries to %1 that failed or were cancelled since %2.", nullptr,
                 int(resent.size()))
                 .arg(e->name, from)
          << "\n";
    if (!wait) {
        err() << msg("They are sent by 'hookline run' or the Hookline window; add --wait to send "
                     "them now.")
              << "\n";
        return 0;
    }
    const bool allOk = waitForFirstAttempts(engine, ids);
    engine.close();
    return allOk ? 0 : 1;
}

} // namespace Cli
