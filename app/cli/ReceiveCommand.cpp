// SPDX-License-Identifier: GPL-3.0-or-later
// hookline receive: the built-in receiver on its own, printing each request it gets.
#include "CliCommon.h"
#include "Commands.h"

#include "api/ApiJson.h"
#include "engine/Engine.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

namespace Cli {

int receiveCommand(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("port"), msg("Port (0: any free one)."), QStringLiteral("P"),
                 QStringLiteral("0")});
    p.addOption({QStringLiteral("inbox"), msg("Inbox name."), QStringLiteral("NAME"),
                 QStringLiteral("default")});
    p.addOption({QStringLiteral("status"), msg("Response status."), QStringLiteral("CODE"),
                 QStringLiteral("200")});
    p.addOption({QStringLiteral("delay-ms"), msg("Delay before answering."), QStringLiteral("N"),
                 QStringLiteral("0")});
    p.addOption({QStringLiteral("fail-rate"), msg("Share of requests answered 503 (0..1)."),
                 QStringLiteral("R"), QStringLiteral("0")});
    p.addOption({QStringLiteral("fail-status"), msg("Status for simulated failures."),
                 QStringLiteral("CODE"), QStringLiteral("503")});
    p.addOption({QStringLiteral("retry-after"), msg("Retry-After seconds on 429/503."),
                 QStringLiteral("S"), QStringLiteral("0")});
    p.addOption({QStringLiteral("drip-ms"), msg("Send the body one byte per N ms."),
                 QStringLiteral("N"), QStringLiteral("0")});
    p.addOption({QStringLiteral("drop"), msg("Close connections without answering.")});
    p.addOption({QStringLiteral("script"), msg("Statuses in order, then --status (0 drops)."),
                 QStringLiteral("CODES")});
    p.addOption({QStringLiteral("secret"), msg("Secret to verify signatures with."),
                 QStringLiteral("whsec_...")});
    p.addOption({QStringLiteral("body"), msg("The answer's body (default {\"ok\":true})."),
                 QStringLiteral("TEXT")});
    p.addOption({QStringLiteral("content-type"), msg("The answer's content type."),
                 QStringLiteral("TYPE")});
    p.addOption({QStringLiteral("json"), msg("One JSON object per request.")});
    QString error;
    if (!parse(p, QStringLiteral("receive"), args, &error))
        return usageError(error);
    InboxConfig c;
    c.name = p.value(QStringLiteral("inbox"));
    int port = 0;
    bool ok = true;
    ok &= toInt(p.value(QStringLiteral("port")), 0, 65535, &port);
    ok &= toInt(p.value(QStringLiteral("status")), 200, 599, &c.status);
    ok &= toInt(p.value(QStringLiteral("fail-status")), 200, 599, &c.failStatus);
    ok &= toInt(p.value(QStringLiteral("delay-ms")), 0, 600000, &c.delayMs);
    ok &= toInt(p.value(QStringLiteral("retry-after")), 0, 86400, &c.retryAfterSeconds);
    ok &= toInt(p.value(QStringLiteral("drip-ms")), 0, 60000, &c.dripIntervalMs);
    bool rateOk = false;
    c.failRate = p.value(QStringLiteral("fail-rate")).toDouble(&rateOk);
    if (!rateOk) // the range (NaN included) is the inbox's rule, checked by setInbox
        return usageError(msg("--fail-rate must be a number from 0 to 1 (the share of requests "
                              "answered with the failure status), not “%1”.")
                              .arg(p.value(QStringLiteral("fail-rate"))));
    if (!ok)
        return usageError(msg("A numeric option is out of range: --port 0..65535, --status "
                              "200..599, --delay-ms 0..600000, --fail-rate 0..1, --retry-after "
                              "0..86400, --drip-ms 0..60000."));
    c.closeWithoutAnswer = p.isSet(QStringLiteral("drop"));
    for (const QString &s : p.value(QStringLiteral("script")).split(u',', Qt::SkipEmptyParts)) {
        int code = 0;
        if (!toInt(s.trimmed(), 0, 599, &code))
            return usageError(
                msg("--script takes statuses separated by commas, e.g. 503,503,200."));
        c.script << code;
    }
    c.secret = p.value(QStringLiteral("secret"));
    if (p.isSet(QStringLiteral("body")))
        c.body = p.value(QStringLiteral("body")).toUtf8();
    if (p.isSet(QStringLiteral("content-type")))
        c.contentType = p.value(QStringLiteral("content-type")).toUtf8();
    Engine engine; // the receiver alone: no database
    const QString configError = engine.setInbox(c);
    if (!configError.isEmpty())
        return invalidInput(configError);
    if (!engine.listenReceiver(quint16(port), &error))
        return failure(error);
    const bool json = p.isSet(QStringLiteral("json"));
    err() << msg("Receiving on %1 (and %2). Stop with Ctrl+C.")
                 .arg(engine.inboxUrl(c.name).toString(),
                      engine.receiverHasIpv6() ? engine.inboxUrl(c.name, true).toString()
                                               : msg("no IPv6"))
          << "\n";
    err().flush();
    QObject::connect(&engine, &Engine::requestCaptured, &engine, [json](const CapturedRequest &r) {
        if (json) {
            const QJsonObject o = ApiJson::capturedToJson(r); // as the API shows it
            out() << QJsonDocument(o).toJson(QJsonDocument::Compact) << "\n";
        } else {
            out() << QStringLiteral("%1  %2 %3  %4  signature %5  %6 B  %7")
                         .arg(r.received.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz")),
                              QString::fromLatin1(r.method), QString::fromUtf8(r.target),
                              r.responseStatus ? QString::number(r.responseStatus)
                                               : QStringLiteral("dropped"),
                              signatureVerdictName(r.signature.verdict))
                         .arg(r.bodySize)
                         .arg(QString::fromUtf8(r.header("webhook-id")));
            if (!r.note.isEmpty())
                out() << "  (" << r.note << ")";
            out() << "\n";
        }
        out().flush();
    });
    runUntilShutdownSignal();
    return 0;
}

} // namespace Cli
