// SPDX-License-Identifier: GPL-3.0-or-later
// hookline stats: how each endpoint has been doing (attempts by outcome, success rate,
// latency percentiles), from the per-minute counts the store keeps; with --endpoint, also
// bin by bin.
#include "CliCommon.h"
#include "Commands.h"

#include "domain/SinceTime.h"
#include "engine/Engine.h"
#include "export/DeliveryJson.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QTextStream>

namespace Cli {
namespace {

QString latencyText(double ms)
{
    if (ms < 0)
        return QStringLiteral("-");
    return ms < 10 ? QStringLiteral("%1 ms").arg(ms, 0, 'f', 1)
                   : QStringLiteral("%1 ms").arg(qRound64(ms));
}

QString countsLine(const QString &label, const ActivityCounts &c)
{
    const QLocale c_locale = QLocale::c();
    return QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8  %9\n")
        .arg(label.leftJustified(18, u' ', true), QString::number(c.attempts).rightJustified(8),
             QString::number(c.succeeded).rightJustified(9),
             QString::number(c.retrying).rightJustified(8),
             QString::number(c.failed).rightJustified(6),
             (c.attempts > 0
                  ? c_locale.toString(c.successRate() * 100, 'f', 1) + QStringLiteral(" %")
                  : QStringLiteral("-"))
                 .rightJustified(7),
             latencyText(c.percentileMs(0.50)).rightJustified(9),
             latencyText(c.percentileMs(0.95)).rightJustified(9),
             latencyText(c.percentileMs(0.99)).rightJustified(9));
}

QString header(const QString &first)
{
    return QStringLiteral("%1  ATTEMPTS  SUCCEEDED  RETRYING  FAILED  SUCCESS        P50"
                          "        P95        P99\n")
        .arg(first.leftJustified(18));
}

// Rows of a readable length for the span: 5-minute bins up to an hour, hours up to two
// days, days beyond.
int binMinutesFor(qint64 spanMinutes)
{
    if (spanMinutes <= 60)
        return 5;
    if (spanMinutes <= 2 * 24 * 60)
        return 60;
    return 24 * 60;
}

} // namespace

int statsCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("endpoint"), msg("Endpoint id (or a unique prefix), or its name."),
                 QStringLiteral("ID")});
    p.addOption({QStringLiteral("since"),
                 msg("From when: a span back from now (30m, 2h, 7d) or an ISO 8601 time."),
                 QStringLiteral("TIME"), QStringLiteral("24h")});
    p.addOption({QStringLiteral("json"), msg("One JSON object.")});
    QString error;
    if (!parse(p, QStringLiteral("stats"), args, &error))
        return usageError(error);
    if (!p.positionalArguments().isEmpty())
        return usageError(msg("'stats' takes no arguments; name an endpoint with --endpoint ID."));
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QString sinceText = p.value(QStringLiteral("since"));
    std::optional<QDateTime> since = parseSince(sinceText, now);
    if (!since)
        return invalidInput(msg("--since “%1” is not a time: give a span back from now such as "
                                "30m, 2h or 7d, or an ISO 8601 time such as 2026-11-30T08:00.")
                                .arg(sinceText));
    const QDateTime oldest = now.addDays(-kActivityKeptDays);
    if (*since < oldest) {
        err() << msg("hookline: counts are kept %1 days; showing from %2.")
                     .arg(kActivityKeptDays)
                     .arg(oldest.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")))
              << "\n";
        since = oldest;
    }
    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    QList<Endpoint> endpoints;
    if (p.isSet(QStringLiteral("endpoint"))) {
        const auto e = engine.findEndpoint(p.value(QStringLiteral("endpoint")), &error);
        if (!e)
            return invalidInput(error);
        endpoints << *e;
    } else {
        endpoints = engine.endpoints();
    }
    const bool one = p.isSet(QStringLiteral("endpoint"));
    const int bin = one ? binMinutesFor(since->secsTo(now) / 60 + 1) : 0;
    QList<EndpointActivity> activities;
    for (const Endpoint &e : std::as_const(endpoints))
        activities << engine.endpointActivity(e.id, *since, now, bin);

    if (p.isSet(QStringLiteral("json"))) {
        QJsonArray list;
        for (int i = 0; i < activities.size(); ++i)
            list.append(activityToJson(activities[i], endpoints[i].name));
        const QJsonObject o{{QStringLiteral("from"), since->toString(Qt::ISODate)},
                            {QStringLiteral("to"), now.toString(Qt::ISODate)},
                            {QStringLiteral("endpoints"), list}};
        out() << QJsonDocument(o).toJson(QJsonDocument::Indented).trimmed() << "\n";
        return 0;
    }
    out() << msg("Since %1 (local time).")
                 .arg(since->toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")))
          << "\n";
    if (endpoints.isEmpty()) {
        out() << msg("No endpoints yet: add one with 'hookline endpoints add --url URL'.") << "\n";
        return 0;
    }
    out() << header(QStringLiteral("ENDPOINT"));
    for (int i = 0; i < activities.size(); ++i)
        out() << countsLine(endpoints[i].name, activities[i].total);
    if (one) {
        const QString format =
            bin >= 24 * 60 ? QStringLiteral("yyyy-MM-dd") : QStringLiteral("yyyy-MM-dd HH:mm");
        out() << "\n" << header(QStringLiteral("FROM"));
        for (const ActivityBin &s : std::as_const(activities.first().bins))
            out() << countsLine(s.start.toLocalTime().toString(format), s.counts);
    }
    return 0;
}

} // namespace Cli
