#include "Cli.h"

#include "AppIdentity.h"
#include "ShutdownSignals.h"
#include "catalog/EventCatalog.h"
#include "delivery/Dispatcher.h"
#include "domain/EndpointValidation.h"
#include "domain/Ids.h"
#include "engine/Engine.h"
#include "export/DeliveryJson.h"
#include "receiver/ReceiverServer.h"
#include "signing/WebhookSigner.h"
#include "store/Store.h"
#include "store/StoreWriter.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTextStream>
#include <QTimer>

#include <memory>

namespace {

const QStringList kCommands = {
    QStringLiteral("endpoints"), QStringLiteral("fire"),      QStringLiteral("scenario"),
    QStringLiteral("history"),   QStringLiteral("redeliver"), QStringLiteral("run"),
    QStringLiteral("receive"),
};

// The command line speaks English in every locale: scripts parse what it prints, and its
// words are the same as in the README. (%n is still filled in.)
QString msg(const char *text, const char *disambiguation = nullptr, int n = -1)
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
        "Usage: hookline [--data-dir DIR] COMMAND [options]\n"
        "\n"
        "Without a command, Hookline opens its window. Commands run headless:\n"
        "  endpoints add --url URL [--name N] [--event TYPE]... [--format json|xml|form]\n"
        "                [--header 'Name: value']... [--secret whsec_...|--generate-secret]\n"
        "                [--timeout-ms N] [--max-attempts N] [--retry-schedule S,S,...]\n"
        "                [--description TEXT] [--no-verify-tls] [--http2-cleartext]\n"
        "  endpoints list [--json]\n"
        "  endpoints remove|enable|disable ID\n"
        "  fire TYPE [--endpoint ID] [--payload FILE] [--count N] [--wait]\n"
        "  scenario call|agent [--endpoint ID] [--wait]\n"
        "  history [--limit N] [--status S] [--event TYPE] [--endpoint ID] [--json]\n"
        "  redeliver DELIVERY_ID [--wait]\n"
        "  run                  deliver queued and retrying work until SIGINT/SIGTERM\n"
        "  receive [--port P] [--inbox NAME] [--status CODE] [--delay-ms N]\n"
        "          [--fail-rate R] [--retry-after S] [--drip-ms N] [--drop]\n"
        "          [--script CODE,CODE,...] [--secret whsec_...] [--json]\n"
        "\n"
        "Global options:\n"
        "  --data-dir DIR       where the database lives (default: the user's data directory)\n"
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

// Input that parsed but is not acceptable (a bad URL, an injected header): the message
// says what to fix; the usage text would only bury it.
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

// Parses one subcommand's options strictly: unknown options are usage errors (exit 2).
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

QString endpointName(const Engine &engine, const QString &id)
{
    for (const Endpoint &e : engine.dispatcher().endpoints()) {
        if (e.id == id)
            return e.name;
    }
    return id.left(8);
}

QString attemptLine(const QString &endpoint, const Delivery &d, const Attempt &a)
{
    const QString outcome = a.responseStatus > 0 && a.errorClass != ErrorClass::Timeout
                                ? QString::number(a.responseStatus)
                                : errorClassName(a.errorClass);
    QString line = QStringLiteral("%1  %2  %3 ms  %4  %5  attempt %6")
                       .arg(endpoint, outcome)
                       .arg(a.durationMs)
                       .arg(d.eventType, d.id)
                       .arg(a.number);
    if (a.errorClass != ErrorClass::None)
        line += QLatin1String("  ") + a.errorText;
    return line;
}

// Waits until each delivery has had its first attempt (or ended without one), printing a
// line per attempt. Returns true when every one succeeded.
bool waitForFirstAttempts(Engine &engine, const QStringList &ids)
{
    QSet<QString> waiting(ids.begin(), ids.end());
    bool allOk = true;
    QEventLoop loop;
    QObject::connect(&engine.dispatcher(), &Dispatcher::attemptFinished, &loop,
                     [&](const Delivery &d, const Attempt &a) {
                         if (!waiting.remove(d.id))
                             return;
                         out() << attemptLine(endpointName(engine, d.endpointId), d, a) << "\n";
                         out().flush();
                         if (a.errorClass != ErrorClass::None)
                             allOk = false;
                         if (waiting.isEmpty())
                             loop.quit();
                     });
    QObject::connect(&engine.dispatcher(), &Dispatcher::deliveryFinished, &loop,
                     [&](const Delivery &d, const QString &why) {
                         if (d.attemptCount > 0 || !waiting.remove(d.id))
                             return;
                         out() << QStringLiteral("%1  %2  %3  %4\n")
                                      .arg(endpointName(engine, d.endpointId),
                                           deliveryStateName(d.state), d.id, why);
                         out().flush();
                         allOk = false;
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

int endpointsCommand(const QString &dataDir, QStringList args)
{
    if (args.isEmpty())
        return usageError(
            msg("'endpoints' needs an action: add, list, remove, enable or disable."));
    const QString action = args.takeFirst();
    QString error;
    std::unique_ptr<Store> store = Store::open(Store::defaultPath(dataDir), &error);
    if (!store)
        return failure(error);

    if (action == QLatin1String("list")) {
        QCommandLineParser p;
        p.addOption({QStringLiteral("json"), msg("Print JSON.")});
        if (!parse(p, QStringLiteral("endpoints list"), args, &error))
            return usageError(error);
        const QList<Endpoint> all = store->endpoints();
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
            store->findEndpoint(p.positionalArguments().first(), &error);
        if (!e)
            return failure(error);
        bool ok = false;
        if (action == QLatin1String("remove"))
            ok = store->removeEndpoint(e->id);
        else
            ok = store->setEndpointEnabled(e->id, action == QLatin1String("enable"),
                                           msg("disabled from the command line"));
        if (!ok)
            return failure(
                msg("Could not %1 endpoint %2: %3").arg(action, e->id, store->lastError()));
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
        for (const QString &part :
             p.value(QStringLiteral("retry-schedule")).split(u',', Qt::SkipEmptyParts)) {
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
    const QString saveError = store->saveEndpoint(&e, store->catalog().ids());
    if (!saveError.isEmpty())
        return invalidInput(saveError);
    out() << e.id << "\n";
    if (p.isSet(QStringLiteral("generate-secret")))
        err() << msg("Signing secret (give it to the receiver): %1").arg(e.secret) << "\n";
    return 0;
}

// Resolves --endpoint (an id or a unique prefix); no option means every subscriber.
bool endpointOption(const Engine &engine, const QCommandLineParser &p, QString *endpointId,
                    QString *error)
{
    if (!p.isSet(QStringLiteral("endpoint")))
        return true;
    const auto e = engine.store().findEndpoint(p.value(QStringLiteral("endpoint")), error);
    if (e)
        *endpointId = e->id;
    return e.has_value();
}

// Prints ids or waits; shared by fire, scenario and redeliver. Without --wait an id is
// printed only once its delivery is committed and synced: what could not be stored (a full
// disk, a read-only file) is named instead, and the exit code is 1.
int finishDispatch(Engine &engine, const QStringList &ids, bool wait)
{
    if (wait)
        return waitForFirstAttempts(engine, ids) ? 0 : 1;
    QSet<QString> unstored;
    const QMetaObject::Connection c =
        QObject::connect(&engine.dispatcher(), &Dispatcher::deliveryFinished,
                         [&](const Delivery &d, const QString &) {
                             if (d.attemptCount == 0 && d.state == DeliveryState::Failed)
                                 unstored.insert(d.id);
                         });
    QString error;
    const bool stored = engine.flush(&error);
    // The dispatcher hears of each commit through a posted callback: take them now.
    QCoreApplication::sendPostedEvents();
    QObject::disconnect(c);
    if (!stored && unstored.isEmpty()) // failed writes that were not deliveries: say so
        return failure(
            msg("The database could not be written: %1. %2").arg(error, Store::advice(error)));
    int queued = 0;
    for (const QString &id : ids) {
        if (unstored.contains(id))
            continue;
        out() << id << "\n";
        ++queued;
    }
    out().flush();
    if (!unstored.isEmpty())
        return failure((queued == 0 ? msg("Nothing was queued: the database could not store the "
                                          "deliveries (%1).")
                                          .arg(error)
                                    : msg("%1 of %2 deliveries could not be stored (%3); only "
                                          "the %4 ids printed above were queued.")
                                          .arg(unstored.size())
                                          .arg(ids.size())
                                          .arg(error)
                                          .arg(queued)) +
                       u' ' + Store::advice(error));
    err() << msg("Queued %n delivery(s). They are sent by 'hookline run' or the Hookline window; "
                 "add --wait to send them now.",
                 nullptr, queued)
          << "\n";
    return 0;
}

int fireCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("TYPE"), msg("Event type."));
    p.addOption({QStringLiteral("endpoint"), msg("Only this endpoint."), QStringLiteral("ID")});
    p.addOption({QStringLiteral("payload"),
                 msg("JSON (template) file instead of the type's template."),
                 QStringLiteral("FILE")});
    p.addOption({QStringLiteral("count"), msg("How many events."), QStringLiteral("N"),
                 QStringLiteral("1")});
    p.addOption({QStringLiteral("wait"), msg("Wait for the first attempts and report them.")});
    QString error;
    if (!parse(p, QStringLiteral("fire"), args, &error))
        return usageError(error);
    if (p.positionalArguments().size() != 1)
        return usageError(
            msg("'fire' takes exactly one event type, e.g. hookline fire call.ringing."));
    int count = 1;
    if (!toInt(p.value(QStringLiteral("count")), 1, 100000, &count))
        return usageError(msg("--count must be a number from 1 to 100000."));
    const QString type = p.positionalArguments().first();

    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    // Without --wait, 'hookline run' or the window sends them: stored due, claimed by no one.
    engine.dispatcher().setSending(p.isSet(QStringLiteral("wait")));
    const EventCatalog &catalog = engine.catalog();
    if (!catalog.find(type))
        return invalidInput(
            msg("Unknown event type “%1”. Known types: %2.").arg(type, catalog.ids().join(u", ")));
    QString templateText;
    if (p.isSet(QStringLiteral("payload"))) {
        QFile f(p.value(QStringLiteral("payload")));
        if (!f.open(QIODevice::ReadOnly))
            return usageError(msg("Cannot read %1: %2").arg(f.fileName(), f.errorString()));
        templateText = QString::fromUtf8(f.readAll());
        const RenderResult check = TemplateRenderer::check(templateText);
        if (!check.ok())
            return invalidInput(QStringLiteral("%1: %2").arg(f.fileName(), check.error));
    }
    QString endpointId;
    if (!endpointOption(engine, p, &endpointId, &error))
        return usageError(error);
    SampleData sample;
    QStringList ids;
    for (int i = 0; i < count; ++i) {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const RenderResult r = templateText.isEmpty()
                                   ? catalog.render(type, sample, now)
                                   : TemplateRenderer::render(templateText, sample.anyContext(now));
        if (!r.ok())
            return failure(r.error);
        Event e{Ids::newTimeOrdered(), type, r.json, now, EventOrigin::Api, {}};
        const QStringList more =
            engine.dispatcher().dispatch(e, endpointId, AttemptTrigger::Test, &error);
        if (more.isEmpty())
            return failure(error);
        ids << more;
    }
    return finishDispatch(engine, ids, p.isSet(QStringLiteral("wait")));
}

int scenarioCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("KIND"), msg("call or agent."));
    p.addOption({QStringLiteral("endpoint"), msg("Only this endpoint."), QStringLiteral("ID")});
    p.addOption({QStringLiteral("wait"), msg("Send stage by stage and report each attempt.")});
    QString error;
    if (!parse(p, QStringLiteral("scenario"), args, &error))
        return usageError(error);
    const QStringList pos = p.positionalArguments();
    if (pos.size() != 1 ||
        (pos.first() != QLatin1String("call") && pos.first() != QLatin1String("agent")))
        return usageError(msg("'scenario' takes 'call' (created, ringing, answered, ended) or "
                              "'agent' (login, logout)."));
    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    engine.dispatcher().setSending(p.isSet(QStringLiteral("wait")));
    QString endpointId;
    if (!endpointOption(engine, p, &endpointId, &error))
        return usageError(error);
    SampleData sample;
    const EventCatalog &catalog = engine.catalog();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const ScenarioResult s = pos.first() == QLatin1String("call")
                                 ? catalog.callScenario(sample, now)
                                 : catalog.agentShift(sample, now);
    if (!s.ok())
        return failure(s.error);
    const QString scenarioId = Ids::newTimeOrdered();
    const bool wait = p.isSet(QStringLiteral("wait"));
    QStringList all;
    bool ok = true;
    for (const RenderedEvent &r : s.events) {
        Event e{Ids::newTimeOrdered(), r.type,    r.payload, QDateTime::currentDateTimeUtc(),
                EventOrigin::Scenario, scenarioId};
        const QStringList ids =
            engine.dispatcher().dispatch(e, endpointId, AttemptTrigger::Test, &error);
        if (ids.isEmpty())
            return failure(error);
        // Stage by stage, so a receiver sees created before ringing before answered...
        if (wait)
            ok = waitForFirstAttempts(engine, ids) && ok;
        all << ids;
    }
    return wait ? (ok ? 0 : 1) : finishDispatch(engine, all, false);
}

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
    std::unique_ptr<Store> store = Store::open(Store::defaultPath(dataDir), &error);
    if (!store)
        return failure(error);
    if (p.isSet(QStringLiteral("endpoint"))) {
        const auto e = store->findEndpoint(p.value(QStringLiteral("endpoint")), &error);
        if (!e)
            return usageError(error);
        q.endpointId = e->id;
    }
    const bool json = p.isSet(QStringLiteral("json"));
    QHash<QString, QString> names;
    for (const Endpoint &e : store->endpoints())
        names.insert(e.id, e.name);
    for (Delivery d : store->deliveries(q)) {
        if (json) {
            d.attempts = store->attempts(d.id);
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

int redeliverCommand(const QString &dataDir, const QStringList &args)
{
    QCommandLineParser p;
    p.addPositionalArgument(QStringLiteral("DELIVERY_ID"),
                            msg("Delivery id (or a unique prefix)."));
    p.addOption({QStringLiteral("wait"), msg("Wait for the attempt and report it.")});
    QString error;
    if (!parse(p, QStringLiteral("redeliver"), args, &error))
        return usageError(error);
    if (p.positionalArguments().size() != 1)
        return usageError(msg("'redeliver' takes exactly one delivery id."));
    Engine engine;
    if (!engine.open(dataDir, &error))
        return failure(error);
    const auto d = engine.store().findDelivery(p.positionalArguments().first(), &error);
    if (!d)
        return failure(error);
    if (!p.isSet(QStringLiteral("wait"))) {
        // Without --wait the attempt still has to happen somewhere: mark it due now, so
        // 'hookline run' or the window sends it - unless a process is sending it right now.
        Delivery due = *d;
        due.state = DeliveryState::Pending;
        due.nextAttempt = QDateTime::currentDateTimeUtc();
        due.updated = due.nextAttempt;
        auto refused = std::make_shared<QString>();
        engine.writer().submit([due, refused](Store &s) {
            refused->clear();
            std::optional<ClaimedDelivery> claimed;
            if (!s.claimOne(due.id, Claim{QString(), due.nextAttempt}, due.nextAttempt, &claimed,
                            refused.get()))
                return false;
            return !claimed || s.updateDelivery(due); // refused: nothing to write
        });
        if (!engine.flush(&error))
            return failure(
                msg("The database could not be written: %1. %2").arg(error, Store::advice(error)));
        if (!refused->isEmpty())
            return failure(*refused);
        out() << d->id << "\n";
        err() << msg("Queued for redelivery. It is sent by 'hookline run' or the Hookline "
                     "window; add --wait to send it now.")
              << "\n";
        return 0;
    }
    QSet<QString> ids{d->id};
    int result = 1;
    QEventLoop loop;
    QObject::connect(
        &engine.dispatcher(), &Dispatcher::attemptFinished, &loop,
        [&](const Delivery &delivery, const Attempt &a) {
            if (!ids.contains(delivery.id))
                return;
            out() << attemptLine(endpointName(engine, delivery.endpointId), delivery, a) << "\n";
            result = a.errorClass == ErrorClass::None ? 0 : 1;
            loop.quit();
        });
    QObject::connect(&engine.dispatcher(), &Dispatcher::redeliveryRefused, &loop,
                     [&](const QString &id, const QString &why) {
                         if (!ids.contains(id))
                             return;
                         err() << "hookline: " << why << "\n";
                         result = 1;
                         loop.quit();
                     });
    ShutdownSignals shutdownSignals;
    QObject::connect(&shutdownSignals, &ShutdownSignals::requested, &loop, [&] { loop.quit(); });
    if (!engine.dispatcher().redeliver(engine.store(), d->id, &error))
        return failure(error);
    loop.exec();
    return result;
}

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
    QObject::connect(&engine.dispatcher(), &Dispatcher::attemptFinished, &engine.dispatcher(),
                     [&](const Delivery &d, const Attempt &a) {
                         if (quiet)
                             return;
                         out() << attemptLine(endpointName(engine, d.endpointId), d, a) << "\n";
                         out().flush();
                     });
    QObject::connect(&engine, &Engine::storeProblem, &engine, [](const QString &why) {
        err() << msg("hookline run: the database cannot be written (%1). Attempts are paused "
                     "until it can, and resume by themselves. %2")
                     .arg(why, Store::advice(why))
              << "\n";
        err().flush();
    });
    QObject::connect(&engine, &Engine::storeRecovered, &engine, [] {
        err() << msg("hookline run: the database can be written again; delivering.") << "\n";
        err().flush();
    });
    const int resumed = engine.resume();
    err() << msg("hookline run: delivering from %1 (%n delivery(s) resumed). Stop with Ctrl+C.",
                 nullptr, resumed)
                 .arg(engine.store().path())
          << "\n";
    err().flush();
    // Endpoint changes made by other processes (due work is picked up by the engine itself).
    engine.setPollInterval(1000);
    ShutdownSignals shutdownSignals;
    QEventLoop loop;
    QObject::connect(&shutdownSignals, &ShutdownSignals::requested, &loop,
                     [&](int) { loop.quit(); });
    loop.exec();
    engine.setPollInterval(0);
    err() << msg("hookline run: stopping; finishing attempts in flight.") << "\n";
    err().flush();
    engine.dispatcher().shutdown(5000);
    return 0;
}

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
    if (!ok || !rateOk)
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
    ReceiverServer server;
    const QString configError = server.setInbox(c);
    if (!configError.isEmpty())
        return invalidInput(configError);
    if (!server.listen(quint16(port), &error))
        return failure(error);
    const bool json = p.isSet(QStringLiteral("json"));
    err() << msg("Receiving on %1 (and %2). Stop with Ctrl+C.")
                 .arg(server.inboxUrl(c.name).toString(),
                      server.hasIpv6() ? server.inboxUrl(c.name, true).toString() : msg("no IPv6"))
          << "\n";
    err().flush();
    QObject::connect(
        &server, &ReceiverServer::requestCaptured, &server, [json](const CapturedRequest &r) {
            if (json) {
                QJsonArray headers;
                for (const auto &h : r.headers)
                    headers.append(
                        QJsonArray{QString::fromLatin1(h.first), QString::fromUtf8(h.second)});
                QJsonObject o{
                    {QStringLiteral("received"), r.received.toString(Qt::ISODateWithMs)},
                    {QStringLiteral("inbox"), r.inbox},
                    {QStringLiteral("method"), QString::fromLatin1(r.method)},
                    {QStringLiteral("target"), QString::fromUtf8(r.target)},
                    {QStringLiteral("remote"), r.remoteAddress},
                    {QStringLiteral("headers"), headers},
                    {QStringLiteral("bodySize"), r.bodySize},
                    {QStringLiteral("body"), QString::fromUtf8(r.body)},
                    {QStringLiteral("signature"), signatureVerdictName(r.signature.verdict)},
                    {QStringLiteral("signatureReason"), r.signature.reason},
                    {QStringLiteral("status"), r.responseStatus},
                    {QStringLiteral("note"), r.note},
                };
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
    ShutdownSignals shutdownSignals;
    QEventLoop loop;
    QObject::connect(&shutdownSignals, &ShutdownSignals::requested, &loop,
                     [&](int) { loop.quit(); });
    loop.exec();
    return 0;
}

} // namespace

namespace Cli {

bool isCommand(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QString a = QString::fromLocal8Bit(argv[i]);
        // Options that take a value (the GUI's --page among them): skip the value too.
        if (a == QLatin1String("--data-dir") || a == QLatin1String("--lang") ||
            a == QLatin1String("--page")) {
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
    while (!args.isEmpty() && args.first().startsWith(QLatin1String("--"))) {
        const QString a = args.takeFirst();
        if (a == QLatin1String("--data-dir") || a == QLatin1String("--lang")) {
            if (args.isEmpty())
                return usageError(msg("%1 needs a value.").arg(a));
            const QString value = args.takeFirst();
            if (a == QLatin1String("--data-dir"))
                dataDir = value;
        } else if (a.startsWith(QLatin1String("--data-dir="))) {
            dataDir = a.mid(11);
        } else {
            return usageError(msg("Unknown option %1 before the command.").arg(a));
        }
    }
    if (args.isEmpty())
        return usageError(msg("No command given."));
    const QString command = args.takeFirst();
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
    return usageError(msg("Unknown command “%1”.").arg(command));
}

QString usage()
{
    return usageText();
}

} // namespace Cli
