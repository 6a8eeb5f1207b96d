// SPDX-License-Identifier: GPL-3.0-or-later
// hookline endpoints add|update|list|remove|enable|disable: the endpoints, from a script.
#include "CliCommon.h"
#include "Commands.h"

#include "engine/Engine.h"
#include "export/DeliveryJson.h"
#include "signing/WebhookSigner.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <QUrl>

#include <utility>

namespace Cli {

int endpointsCommand(const QString &dataDir, QStringList args)
{
    if (args.isEmpty())
        return usageError(
            msg("'endpoints' needs an action: add, update, list, remove, enable or disable."));
    const QString action = args.takeFirst();
    QString error;
    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);

    if (action == QLatin1String("list")) {
        QCommandLineParser p;
        p.addOption({QStringLiteral("json"), msg("Print JSON.")});
        if (!parse(p, QStringLiteral("endpoints list"), args, &error))
            return usageError(error);
        const QList<Endpoint> all = engine.endpoints();
        auto queued = [](const EndpointStats &s) {
            return s.queued >= EndpointStats::kCountCap ? QString::number(s.queued) + u'+'
                                                        : QString::number(s.queued);
        };
        if (p.isSet(QStringLiteral("json"))) {
            QJsonArray a;
            for (const Endpoint &e : all) {
                QJsonObject o = endpointToJson(e);
                const EndpointStats s = engine.endpointStats(e.id);
                o.insert(QStringLiteral("queued"), s.queued);
                o.insert(QStringLiteral("queuedAtLeast"), s.queued >= EndpointStats::kCountCap);
                a.append(o);
            }
            out() << QJsonDocument(a).toJson(QJsonDocument::Indented);
            return 0;
        }
        if (all.isEmpty()) {
            err() << msg("No endpoints yet. Add one with: hookline endpoints add --url URL")
                  << "\n";
            return 0;
        }
        out() << QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                     .arg(QStringLiteral("ID").leftJustified(36),
                          QStringLiteral("STATE").leftJustified(8),
                          QStringLiteral("EVENTS").leftJustified(7),
                          QStringLiteral("QUEUED").rightJustified(7),
                          QStringLiteral("LIMITS").leftJustified(16),
                          QStringLiteral("NAME").leftJustified(20), QStringLiteral("URL"));
        for (const Endpoint &e : all) {
            const QString limits =
                e.ratePerSecond > 0
                    ? QStringLiteral("%1x %2/s").arg(e.maxInFlight).arg(e.ratePerSecond)
                    : QStringLiteral("%1x").arg(e.maxInFlight);
            out() << QStringLiteral("%1  %2  %3  %4  %5  %6  %7")
                         .arg(e.id,
                              (e.enabled ? QStringLiteral("enabled") : QStringLiteral("disabled"))
                                  .leftJustified(8),
                              (e.allEvents ? QStringLiteral("all")
                                           : QString::number(e.eventTypes.size()))
                                  .leftJustified(7),
                              queued(engine.endpointStats(e.id)).rightJustified(7),
                              limits.leftJustified(16), e.name.leftJustified(20), e.url);
            if (!e.enabled && !e.disabledReason.isEmpty())
                out() << "  (" << e.disabledReason << ")";
            out() << "\n";
        }
        return 0;
    }

    if (action == QLatin1String("remove") || action == QLatin1String("enable") ||
        action == QLatin1String("disable")) {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("ID"), msg("Endpoint id (or a unique prefix)."));
        if (!parse(p, QStringLiteral("endpoints ") + action, args, &error))
            return usageError(error);
        if (p.positionalArguments().size() != 1)
            return usageError(msg("'endpoints %1' takes exactly one endpoint id.").arg(action));
        const std::optional<Endpoint> e =
            engine.findEndpoint(p.positionalArguments().first(), &error);
        if (!e)
            return failure(error);
        const bool ok =
            action == QLatin1String("remove")
                ? engine.removeEndpoint(e->id, &error)
                : engine.setEndpointEnabled(e->id, action == QLatin1String("enable"), &error);
        if (!ok)
            return failure(msg("Could not %1 endpoint %2: %3").arg(action, e->id, error));
        err() << msg("%1: %2 (%3)").arg(action, e->name, e->id) << "\n";
        return 0;
    }

    if (action != QLatin1String("add") && action != QLatin1String("update"))
        return usageError(msg("Unknown endpoints action “%1”.").arg(action));
    const bool update = action == QLatin1String("update");

    QCommandLineParser p;
    if (update)
        p.addPositionalArgument(QStringLiteral("ID"), msg("Endpoint id (or a unique prefix)."));
    p.addOption({QStringLiteral("url"), msg("Receiving URL."), QStringLiteral("URL")});
    p.addOption({QStringLiteral("name"), msg("Name."), QStringLiteral("N")});
    p.addOption({QStringLiteral("description"), msg("Description."), QStringLiteral("TEXT")});
    p.addOption({QStringLiteral("event"), msg("Event type (repeatable)."), QStringLiteral("TYPE")});
    p.addOption({QStringLiteral("all-events"), msg("Every event type.")});
    p.addOption({QStringLiteral("format"), msg("json, xml or form."), QStringLiteral("F")});
    p.addOption(
        {QStringLiteral("header"), msg("'Name: value' (repeatable)."), QStringLiteral("H")});
    p.addOption(
        {QStringLiteral("secret"), msg("Signing secret (whsec_...)."), QStringLiteral("S")});
    p.addOption({QStringLiteral("generate-secret"), msg("Generate a signing secret.")});
    p.addOption({QStringLiteral("timeout-ms"), msg("Timeout per attempt."), QStringLiteral("N")});
    p.addOption(
        {QStringLiteral("max-attempts"), msg("Attempts before giving up."), QStringLiteral("N")});
    p.addOption({QStringLiteral("retry-schedule"), msg("Delays in seconds, comma-separated."),
                 QStringLiteral("S,S")});
    p.addOption({QStringLiteral("max-in-flight"), msg("Attempts at once (1-256, default 16)."),
                 QStringLiteral("N")});
    p.addOption({QStringLiteral("rate-limit"), msg("Deliveries per second at most (0 = no limit)."),
                 QStringLiteral("R")});
    p.addOption({QStringLiteral("burst"), msg("Deliveries allowed at once above the rate."),
                 QStringLiteral("N")});
    p.addOption({QStringLiteral("order-key"),
                 msg("JSON pointer (such as /callID): deliveries with the same value there are "
                     "sent one at a time, in order. Empty: no ordering."),
                 QStringLiteral("POINTER")});
    p.addOption({QStringLiteral("no-verify-tls"), msg("Accept any TLS certificate.")});
    p.addOption({QStringLiteral("verify-tls"), msg("Check TLS certificates (the default).")});
    p.addOption(
        {QStringLiteral("http2-cleartext"), msg("HTTP/2 with prior knowledge over http://.")});
    p.addOption({QStringLiteral("http1-only"), msg("Never use HTTP/2.")});
    p.addOption(
        {QStringLiteral("allow-http2"), msg("HTTP/2 when a TLS server offers it (the default).")});
    if (!parse(p, QStringLiteral("endpoints ") + action, args, &error))
        return usageError(error);
    auto both = [&p](const char *a, const char *b) {
        return p.isSet(QLatin1String(a)) && p.isSet(QLatin1String(b));
    };
    for (const auto &[a, b] :
         {std::pair{"secret", "generate-secret"}, std::pair{"verify-tls", "no-verify-tls"},
          std::pair{"http1-only", "allow-http2"}, std::pair{"http1-only", "http2-cleartext"},
          std::pair{"event", "all-events"}}) {
        if (both(a, b))
            return usageError(
                msg("Use either --%1 or --%2, not both.").arg(QLatin1String(a), QLatin1String(b)));
    }

    Endpoint e;
    if (update) {
        if (p.positionalArguments().size() != 1)
            return usageError(msg("'endpoints update' takes exactly one endpoint id."));
        const std::optional<Endpoint> found =
            engine.findEndpoint(p.positionalArguments().first(), &error);
        if (!found)
            return failure(error);
        e = *found;
    } else {
        if (!p.positionalArguments().isEmpty())
            return usageError(
                msg("Unexpected argument “%1”.").arg(p.positionalArguments().first()));
        if (!p.isSet(QStringLiteral("url")))
            return usageError(msg("'endpoints add' needs --url."));
    }
    if (p.isSet(QStringLiteral("url")))
        e.url = p.value(QStringLiteral("url"));
    if (p.isSet(QStringLiteral("name")))
        e.name = p.value(QStringLiteral("name"));
    if (e.name.isEmpty())
        e.name = QUrl(e.url).host().isEmpty() ? e.url.left(60) : QUrl(e.url).host();
    if (p.isSet(QStringLiteral("description")))
        e.description = p.value(QStringLiteral("description"));
    if (p.isSet(QStringLiteral("event"))) {
        e.eventTypes = p.values(QStringLiteral("event"));
        e.allEvents = false;
    } else if (p.isSet(QStringLiteral("all-events")) || !update) {
        e.eventTypes.clear();
        e.allEvents = true;
    }
    if (p.isSet(QStringLiteral("format")) &&
        !payloadFormatFromName(p.value(QStringLiteral("format")), &e.format))
        return usageError(msg("--format must be json, xml or form, not “%1”.")
                              .arg(p.value(QStringLiteral("format"))));
    if (p.isSet(QStringLiteral("header"))) {
        e.headers.clear(); // the list given replaces the stored one
        for (const QString &line : p.values(QStringLiteral("header"))) {
            HttpHeader h;
            const QString headerError = parseHeaderLine(line, &h);
            if (!headerError.isEmpty())
                return invalidInput(headerError);
            e.headers << h;
        }
    }
    if (p.isSet(QStringLiteral("generate-secret")))
        e.secret = WebhookSigner::generateSecret();
    else if (p.isSet(QStringLiteral("secret")))
        e.secret = p.value(QStringLiteral("secret"));
    if (p.isSet(QStringLiteral("timeout-ms")) &&
        !toInt(p.value(QStringLiteral("timeout-ms")), kMinTimeoutMs, kMaxTimeoutMs, &e.timeoutMs))
        return usageError(msg("--timeout-ms must be a number from %1 to %2, not “%3”.")
                              .arg(QString::number(kMinTimeoutMs), QString::number(kMaxTimeoutMs),
                                   p.value(QStringLiteral("timeout-ms"))));
    if (p.isSet(QStringLiteral("max-attempts")) &&
        !toInt(p.value(QStringLiteral("max-attempts")), 1, kMaxAttemptsLimit, &e.retry.maxAttempts))
        return usageError(
            msg("--max-attempts must be a number from 1 to %1, not “%2”.")
                .arg(QString::number(kMaxAttemptsLimit), p.value(QStringLiteral("max-attempts"))));
    if (p.isSet(QStringLiteral("retry-schedule"))) {
        e.retry.scheduleSeconds.clear();
        for (const QString &part : p.value(QStringLiteral("retry-schedule")).split(u',')) {
            int seconds = 0;
            if (!toInt(part.trimmed(), 0, 7 * 24 * 3600, &seconds))
                return usageError(msg("--retry-schedule takes seconds separated by commas, e.g. "
                                      "5,300,1800; “%1” is not one.")
                                      .arg(part));
            e.retry.scheduleSeconds << seconds;
        }
    }
    if (p.isSet(QStringLiteral("max-in-flight")) &&
        !toInt(p.value(QStringLiteral("max-in-flight")), kMinInFlight, kMaxInFlight,
               &e.maxInFlight))
        return usageError(msg("--max-in-flight must be a number from %1 to %2, not “%3”.")
                              .arg(QString::number(kMinInFlight), QString::number(kMaxInFlight),
                                   p.value(QStringLiteral("max-in-flight"))));
    if (p.isSet(QStringLiteral("rate-limit"))) {
        QString rate = p.value(QStringLiteral("rate-limit")).trimmed();
        if (rate.endsWith(QLatin1String("/s")))
            rate.chop(2);
        bool ok = false;
        const double r = rate.toDouble(&ok);
        if (!ok || !(r >= 0 && r <= kMaxRatePerSecond))
            return usageError(msg("--rate-limit takes deliveries per second from 0 (no limit) to "
                                  "%1, such as 50 or 0.5; “%2” is not one.")
                                  .arg(QString::number(kMaxRatePerSecond),
                                       p.value(QStringLiteral("rate-limit"))));
        e.ratePerSecond = r;
    }
    if (p.isSet(QStringLiteral("burst")) &&
        !toInt(p.value(QStringLiteral("burst")), 0, kMaxRateBurst, &e.rateBurst))
        return usageError(
            msg("--burst must be a number from 0 (the rate, rounded up) to %1, not "
                "“%2”.")
                .arg(QString::number(kMaxRateBurst), p.value(QStringLiteral("burst"))));
    if (p.isSet(QStringLiteral("order-key")))
        e.orderKey = p.value(QStringLiteral("order-key")).trimmed();
    if (p.isSet(QStringLiteral("no-verify-tls")) || p.isSet(QStringLiteral("verify-tls")))
        e.verifyTls = p.isSet(QStringLiteral("verify-tls"));
    if (p.isSet(QStringLiteral("http2-cleartext")))
        e.http2Cleartext = true;
    if (p.isSet(QStringLiteral("http1-only")) || p.isSet(QStringLiteral("allow-http2")))
        e.http1Only = p.isSet(QStringLiteral("http1-only"));
    if (e.http1Only)
        e.http2Cleartext = false;
    const QList<ValidationError> invalid = engine.saveEndpoint(&e);
    if (!invalid.isEmpty()) {
        QStringList messages;
        for (const ValidationError &v : invalid)
            messages << v.message;
        return invalidInput(messages.join(u'\n'));
    }
    if (update)
        err() << msg("updated: %1 (%2)").arg(e.name, e.id) << "\n";
    else
        out() << e.id << "\n";
    if (p.isSet(QStringLiteral("generate-secret")))
        err() << msg("Signing secret (give it to the receiver): %1").arg(e.secret) << "\n";
    return 0;
}

} // namespace Cli
