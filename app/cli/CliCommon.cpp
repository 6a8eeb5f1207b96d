// SPDX-License-Identifier: GPL-3.0-or-later
#include "CliCommon.h"

#include "ShutdownSignals.h"
#include "engine/Engine.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QSet>
#include <QTextStream>

namespace Cli {

QString msg(const char *text, const char *disambiguation, int n)
{
    return QCoreApplication::translate("Cli", text, disambiguation, n);
}

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

QString usageText()
{
    return msg(
        "Usage: hookline [--database URL | --data-dir DIR] COMMAND [options]\n"
        "\n"
        "Without a command, Hookline opens its window. Commands run headless:\n"
        "  endpoints add --url URL [--name N] [--event TYPE]... [--format json|xml|form]\n"
        "                [--header 'Name: value']... [--secret whsec_...|--generate-secret]\n"
        "                [--timeout-ms N] [--max-attempts N] [--retry-schedule S,S,...]\n"
        "                [--description TEXT] [--no-verify-tls] [--http2-cleartext]\n"
        "                [--max-in-flight N] [--rate-limit R] [--burst N] [--http1-only]\n"
        "                [--order-key /JSON/POINTER]\n"
        "  endpoints update ID [the options of add] [--all-events] [--verify-tls]\n"
        "                [--allow-http2]\n"
        "  endpoints list [--json]\n"
        "  endpoints remove|enable|disable ID\n"
        "  fire TYPE [--endpoint ID] [--payload FILE] [--count N] [--wait]\n"
        "  scenario call|agent [--endpoint ID] [--wait]\n"
        "  history [--limit N] [--status S] [--event TYPE] [--endpoint ID] [--json]\n"
        "  redeliver DELIVERY_ID [--wait]\n"
        "  recover --endpoint ID --since TIME [--wait]\n"
        "                       resend what failed or was cancelled since TIME (2h, 1d,\n"
        "                       or ISO 8601), after an outage\n"
        "  stats [--endpoint ID] [--since TIME] [--json]\n"
        "                       attempts, success rate and latency per endpoint\n"
        "  run                  deliver queued and retrying work until SIGINT/SIGTERM\n"
        "  serve [--listen HOST:PORT] [--receiver-port P | --no-receiver] [--log-json]\n"
        "        [--tls-cert FILE --tls-key FILE] [--insecure-http]\n"
        "        [--rate-limit N] [--burst N]\n"
        "                       the REST API (default 127.0.0.1:8470), delivery and the\n"
        "                       built-in receiver, headless, until SIGINT/SIGTERM\n"
        "  tokens create --name NAME [--read-only]\n"
        "  tokens list [--json]\n"
        "  tokens revoke ID\n"
        "  settings [show]      the settings every process on the store shares\n"
        "  settings set egress any|no-link-local|public-only\n"
        "  settings set egress-allow 'HOST|CIDR ...'\n"
        "  settings set payload-limit BYTES\n"
        "  settings set max-in-flight N   attempts at once in all (default 1024)\n"
        "  store copy --to URL | --from URL [--merge]\n"
        "                       copy this store's endpoints, event types, events, deliveries\n"
        "                       and attempts to (or from) another store, e.g. SQLite to\n"
        "                       PostgreSQL; --merge adds what a non-empty target lacks\n"
        "  receive [--port P] [--inbox NAME] [--status CODE] [--delay-ms N]\n"
        "          [--fail-rate R] [--retry-after S] [--drip-ms N] [--drop]\n"
        "          [--script CODE,CODE,...] [--secret whsec_...] [--json]\n"
        "          [--body TEXT] [--content-type TYPE]\n"
        "\n"
        "Global options:\n"
        "  --database URL       the store: sqlite:PATH, or postgresql://USER@HOST:PORT/DB\n"
        "                       shared by every Hookline process (also HOOKLINE_DATABASE)\n"
        "  --data-dir DIR       where the SQLite file lives (default: the user's data directory)\n"
        "  --version, --help\n"
        "\n"
        "Exit codes: 0 success, 1 a delivery or operation failed, 2 bad arguments.\n");
}

int usageError(const QString &message)
{
    err() << "hookline: " << message << "\n\n" << usageText();
    err().flush();
    return 2;
}

int invalidInput(const QString &message)
{
    err() << "hookline: " << message << "\n";
    err().flush();
    return 2;
}

int failure(const QString &message)
{
    err() << "hookline: " << message << "\n";
    err().flush();
    return 1;
}

bool parse(QCommandLineParser &parser, const QString &command, const QStringList &args,
           QString *error)
{
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    if (!parser.parse(QStringList{QStringLiteral("hookline ") + command} + args)) {
        *error = parser.errorText();
        return false;
    }
    return true;
}

bool toInt(const QString &text, int low, int high, int *value)
{
    bool ok = false;
    const int v = text.toInt(&ok);
    if (!ok || v < low || v > high)
        return false;
    *value = v;
    return true;
}

QString attemptLine(const QString &endpoint, const Delivery &d, const Attempt &a)
{
    const QString outcome = a.responseStatus > 0 && a.errorClass != ErrorClass::Timeout
                                ? QString::number(a.responseStatus)
                                : errorClassName(a.errorClass);
    QString line = QStringLiteral("%1  %2  %3 ms  %4  %5  attempt %6")
                       .arg(endpoint, outcome, QString::number(a.durationMs), d.eventType, d.id,
                            QString::number(a.number));
    if (a.errorClass != ErrorClass::None)
        line += QLatin1String("  ") + a.error.text();
    return line;
}

bool waitForFirstAttempts(Engine &engine, const QStringList &ids)
{
    QSet<QString> waiting(ids.begin(), ids.end());
    bool allOk = true;
    QEventLoop loop;
    QObject::connect(&engine, &Engine::attemptFinished, &loop,
                     [&](const Delivery &d, const Attempt &a) {
                         if (!waiting.remove(d.id))
                             return;
                         out() << attemptLine(engine.endpointName(d.endpointId), d, a) << "\n";
                         out().flush();
                         if (a.errorClass != ErrorClass::None)
                             allOk = false;
                         if (waiting.isEmpty())
                             loop.quit();
                     });
    QObject::connect(&engine, &Engine::deliveryFinished, &loop,
                     [&](const Delivery &d, const QString &why) {
                         if (d.attemptCount > 0 || !waiting.remove(d.id))
                             return;
                         out() << QStringLiteral("%1  %2  %3  %4\n")
                                      .arg(engine.endpointName(d.endpointId),
                                           deliveryStateName(d.state), d.id, why);
                         out().flush();
                         allOk = false;
                         if (waiting.isEmpty())
                             loop.quit();
                     });
    // Ordered deliveries behind an earlier one with their key: said, and still waited for
    // (this process sends them when their turn comes) unless another process takes them.
    QObject::connect(
        &engine, &Engine::deliveryHeld, &loop, [&](const Delivery &d, const QString &behind) {
            if (!waiting.contains(d.id))
                return;
            out() << QStringLiteral("%1  held  %2  behind %3 (same %4)\n")
                         .arg(engine.endpointName(d.endpointId), d.id, behind, d.orderKey);
            out().flush();
        });
    QObject::connect(&engine, &Engine::deliveryTakenElsewhere, &loop, [&](const QString &id) {
        if (!waiting.remove(id))
            return;
        out() << QStringLiteral("%1  sent by another Hookline process on this database\n").arg(id);
        out().flush();
        if (waiting.isEmpty())
            loop.quit();
    });
    ShutdownSignals shutdownSignals;
    QObject::connect(&shutdownSignals, &ShutdownSignals::requested, &loop, [&] {
        allOk = false;
        loop.quit();
    });
    if (!waiting.isEmpty())
        loop.exec();
    return allOk;
}

bool endpointOption(const Engine &engine, const QCommandLineParser &p, QString *endpointId,
                    QString *error)
{
    if (!p.isSet(QStringLiteral("endpoint")))
        return true;
    const auto e = engine.findEndpoint(p.value(QStringLiteral("endpoint")), error);
    if (e)
        *endpointId = e->id;
    return e.has_value();
}

int finishDispatch(Engine &engine, const QStringList &ids, bool wait)
{
    if (wait)
        return waitForFirstAttempts(engine, ids) ? 0 : 1;
    QSet<QString> unstored;
    const QMetaObject::Connection c = QObject::connect(
        &engine, &Engine::deliveryFinished, [&](const Delivery &d, const QString &) {
            if (d.attemptCount == 0 && d.state == DeliveryState::Failed)
                unstored.insert(d.id);
        });
    QString error;
    const bool stored = engine.flush(&error);
    // The dispatcher hears of each commit through a posted callback: take them now.
    QCoreApplication::sendPostedEvents();
    QObject::disconnect(c);
    if (!stored && unstored.isEmpty()) // failed writes that were not deliveries: say so
        return failure(msg("The database could not be written: %1. %2")
                           .arg(error, Engine::storeAdvice(error)));
    int queued = 0;
    for (const QString &id : ids) {
        if (unstored.contains(id))
            continue;
        out() << id << "\n";
        ++queued;
    }
    out().flush();
    if (!unstored.isEmpty())
        return failure(
            (queued == 0 ? msg("Nothing was queued: the database could not store the "
                               "deliveries (%1).")
                               .arg(error)
                         : msg("%1 of %2 deliveries could not be stored (%3); only "
                               "the %4 ids printed above were queued.")
                               .arg(QString::number(unstored.size()), QString::number(ids.size()),
                                    error, QString::number(queued))) +
            u' ' + Engine::storeAdvice(error));
    err() << msg("Queued %n delivery(s). They are sent by 'hookline run' or the Hookline window; "
                 "add --wait to send them now.",
                 nullptr, queued)
          << "\n";
    return 0;
}

void runUntilShutdownSignal()
{
    ShutdownSignals shutdownSignals;
    QEventLoop loop;
    QObject::connect(&shutdownSignals, &ShutdownSignals::requested, &loop,
                     [&](int) { loop.quit(); });
    loop.exec();
}

} // namespace Cli
