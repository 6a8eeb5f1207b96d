// SPDX-License-Identifier: GPL-3.0-or-later
// hookline endpoints add|list|remove|enable|disable: the endpoints, from a script.
#include "CliCommon.h"
#include "Commands.h"

#include "engine/Engine.h"
#include "export/DeliveryJson.h"
#include "signing/WebhookSigner.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QUrl>

namespace Cli {

int endpointsCommand(const QString &dataDir, QStringList args)
{
    if (args.isEmpty())
        return usageError(
            msg("'endpoints' needs an action: add, list, remove, enable or disable."));
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
        if (p.isSet(QStringLiteral("json"))) {
            QJsonArray a;
            for (const Endpoint &e : all)
                a.append(endpointToJson(e));
            out() << QJsonDocument(a).toJson(QJsonDocument::Indented);
            return 0;
        }
        if (all.isEmpty()) {
            err() << msg("No endpoints yet. Add one with: hookline endpoints add --url URL")
                  << "\n";
            return 0;
        }
        out() << QStringLiteral("%1  %2  %3  %4  %5\n")
                     .arg(QStringLiteral("ID").leftJustified(36),
                          QStringLiteral("STATE").leftJustified(8),
                          QStringLiteral("EVENTS").leftJustified(7),
                          QStringLiteral("NAME").leftJustified(20), QStringLiteral("URL"));
        for (const Endpoint &e : all) {
            out() << QStringLiteral("%1  %2  %3  %4  %5")
                         .arg(e.id,
                              (e.enabled ? QStringLiteral("enabled") : QStringLiteral("disabled"))
                                  .leftJustified(8),
                              (e.allEvents ? QStringLiteral("all")
                                           : QString::number(e.eventTypes.size()))
                                  .leftJustified(7),
                              e.name.leftJustified(20), e.url);
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

    if (action != QLatin1String("add"))
        return usageError(msg("Unknown endpoints action “%1”.").arg(action));

    QCommandLineParser p;
    p.addOption({QStringLiteral("url"), msg("Receiving URL."), QStringLiteral("URL")});
    p.addOption({QStringLiteral("name"), msg("Name."), QStringLiteral("N")});
    p.addOption({QStringLiteral("description"), msg("Description."), QStringLiteral("TEXT")});
    p.addOption({QStringLiteral("event"), msg("Event type (repeatable)."), QStringLiteral("TYPE")});
    p.addOption({QStringLiteral("format"), msg("json, xml or form."), QStringLiteral("F"),
                 QStringLiteral("json")});
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
    p.addOption({QStringLiteral("no-verify-tls"), msg("Accept any TLS certificate.")});
    p.addOption(
        {QStringLiteral("http2-cleartext"), msg("HTTP/2 with prior knowledge over http://.")});
    if (!parse(p, QStringLiteral("endpoints add"), args, &error))
        return usageError(error);
    if (!p.positionalArguments().isEmpty())
        return usageError(msg("Unexpected argument “%1”.").arg(p.positionalArguments().first()));
    if (!p.isSet(QStringLiteral("url")))
        return usageError(msg("'endpoints add' needs --url."));

    Endpoint e;
    e.url = p.value(QStringLiteral("url"));
    e.name = p.value(QStringLiteral("name"));
    if (e.name.isEmpty())
        e.name = QUrl(e.url).host().isEmpty() ? e.url.left(60) : QUrl(e.url).host();
    e.description = p.value(QStringLiteral("description"));
    e.eventTypes = p.values(QStringLiteral("event"));
    e.allEvents = e.eventTypes.isEmpty();
    if (!payloadFormatFromName(p.value(QStringLiteral("format")), &e.format))
        return usageError(msg("--format must be json, xml or form, not “%1”.")
                              .arg(p.value(QStringLiteral("format"))));
    for (const QString &line : p.values(QStringLiteral("header"))) {
        HttpHeader h;
        const QString headerError = parseHeaderLine(line, &h);
        if (!headerError.isEmpty())
            return invalidInput(headerError);
        e.headers << h;
    }
    if (p.isSet(QStringLiteral("secret")) && p.isSet(QStringLiteral("generate-secret")))
        return usageError(msg("Use either --secret or --generate-secret, not both."));
    if (p.isSet(QStringLiteral("generate-secret")))
        e.secret = WebhookSigner::generateSecret();
    else
        e.secret = p.value(QStringLiteral("secret"));
    if (p.isSet(QStringLiteral("timeout-ms")) &&
        !toInt(p.value(QStringLiteral("timeout-ms")), kMinTimeoutMs, kMaxTimeoutMs, &e.timeoutMs))
        return usageError(msg("--timeout-ms must be a number from %1 to %2.")
                              .arg(kMinTimeoutMs)
                              .arg(kMaxTimeoutMs));
    if (p.isSet(QStringLiteral("max-attempts")) &&
        !toInt(p.value(QStringLiteral("max-attempts")), 1, kMaxAttemptsLimit, &e.retry.maxAttempts))
        return usageError(
            msg("--max-attempts must be a number from 1 to %1.").arg(kMaxAttemptsLimit));
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
    e.verifyTls = !p.isSet(QStringLiteral("no-verify-tls"));
    e.http2Cleartext = p.isSet(QStringLiteral("http2-cleartext"));
    const QList<ValidationError> invalid = engine.saveEndpoint(&e);
    if (!invalid.isEmpty()) {
        QStringList messages;
        for (const ValidationError &v : invalid)
            messages << v.message;
        return invalidInput(messages.join(u'\n'));
    }
    out() << e.id << "\n";
    if (p.isSet(QStringLiteral("generate-secret")))
        err() << msg("Signing secret (give it to the receiver): %1").arg(e.secret) << "\n";
    return 0;
}

} // namespace Cli
