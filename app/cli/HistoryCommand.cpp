// SPDX-License-Identifier: GPL-3.0-or-later
// hookline history: recent deliveries, filtered, as a table or JSON Lines with attempts.
#include "CliCommon.h"
#include "Commands.h"

#include "engine/Engine.h"
#include "export/DeliveryJson.h"

#include <QCommandLineParser>
#include <QHash>
#include <QJsonDocument>
#include <QTextStream>

namespace Cli {

int historyCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addOption(
        {QStringLiteral("limit"), msg("How many."), QStringLiteral("N"), QStringLiteral("20")});
    p.addOption({QStringLiteral("status"),
                 msg("pending, in-flight, succeeded, retrying, failed or cancelled."),
                 QStringLiteral("S")});
    p.addOption({QStringLiteral("event"), msg("Event type."), QStringLiteral("TYPE")});
    p.addOption({QStringLiteral("endpoint"), msg("Endpoint id."), QStringLiteral("ID")});
    p.addOption(
        {QStringLiteral("json"), msg("JSON Lines, one delivery per line with its attempts.")});
    QString error;
    if (!parse(p, QStringLiteral("history"), args, &error))
        return usageError(error);
    DeliveryQuery q;
    if (!toInt(p.value(QStringLiteral("limit")), 1, 1000000, &q.limit))
        return usageError(msg("--limit must be a number from 1 to 1000000."));
    if (p.isSet(QStringLiteral("status"))) {
        DeliveryState s;
        if (!deliveryStateFromName(p.value(QStringLiteral("status")), &s))
            return usageError(msg("--status must be one of pending, in-flight, succeeded, "
                                  "retrying, failed, cancelled; not “%1”.")
                                  .arg(p.value(QStringLiteral("status"))));
        q.state = s;
    }
    q.eventType = p.value(QStringLiteral("event"));
    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    if (p.isSet(QStringLiteral("endpoint"))) {
        const auto e = engine.findEndpoint(p.value(QStringLiteral("endpoint")), &error);
        if (!e)
            return usageError(error);
        q.endpointId = e->id;
    }
    const bool json = p.isSet(QStringLiteral("json"));
    QHash<QString, QString> names;
    for (const Endpoint &e : engine.endpoints())
        names.insert(e.id, e.name);
    for (Delivery d : engine.deliveries(q)) {
        if (json) {
            d.attempts = engine.attempts(d.id);
            out() << QJsonDocument(deliveryToJson(d)).toJson(QJsonDocument::Compact) << "\n";
            continue;
        }
        out() << QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                     .arg(d.created.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                          deliveryStateName(d.state).leftJustified(9),
                          (d.lastStatus                      ? QString::number(d.lastStatus)
                           : d.lastError == ErrorClass::None ? QStringLiteral("-")
                                                             : errorClassName(d.lastError))
                              .leftJustified(7),
                          QString::number(d.attemptCount).leftJustified(2),
                          d.eventType.leftJustified(14),
                          names.value(d.endpointId, d.endpointId.left(8)).leftJustified(16), d.id);
    }
    return 0;
}

} // namespace Cli
