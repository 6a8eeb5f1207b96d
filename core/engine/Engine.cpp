// SPDX-License-Identifier: GPL-3.0-or-later
#include "Engine.h"

#include "api/ApiServer.h"
#include "catalog/TemplateRenderer.h"
#include "delivery/Dispatcher.h"
#include "domain/EndpointValidation.h"
#include "domain/Ids.h"
#include "receiver/ReceiverServer.h"
#include "store/DatabaseUrl.h"
#include "store/DeliverySearch.h"
#include "store/SecretBox.h"
#include "store/Store.h"
#include "store/StoreWriter.h"

#include <QHostAddress>
#include <QSet>
#include <QUrl>

namespace {
QString newId()
{
    return Ids::newTimeOrdered();
}
} // namespace

Engine::Engine(QObject *parent)
    : QObject(parent)
    , m_receiver(std::make_unique<ReceiverServer>())
{
    connect(m_receiver.get(), &ReceiverServer::requestCaptured, this, &Engine::requestCaptured);
    connect(m_receiver.get(), &ReceiverServer::connectionRefused, this,
            &Engine::receiverRefusedConnection);
    connect(&m_poll, &QTimer::timeout, this, &Engine::checkEndpoints);
    m_attemptLook.setSingleShot(true);
    m_attemptLook.setInterval(kAttemptLookMs);
    connect(&m_attemptLook, &QTimer::timeout, this, &Engine::lookForAttemptsElsewhere);
}

void Engine::checkEndpoints()
{
    // A shared store's server may have gone: say so (the window keeps what it shows) and
    // connect again at each look, every 5 s, until it answers.
    QString why;
    if (!m_store->checkConnection(&why)) {
        if (!m_unreachable) {
            m_unreachable = true;
            emit storeUnreachable(why);
        }
        return;
    }
    if (m_unreachable) {
        m_unreachable = false;
        if (!m_dispatcher->isStalled())
            emit storeRecovered();
        m_dispatcher->wake();
    }
    {
        // Endpoints may have been changed by another process (the CLI); keep ours fresh.
        const QList<Endpoint> stored = m_store->endpoints();
        QHash<QString, Endpoint> now, known;
        for (const Endpoint &e : stored)
            now.insert(e.id, e);
        for (const Endpoint &e : m_dispatcher->endpoints())
            known.insert(e.id, e);
        if (now != known) {
            m_dispatcher->setEndpoints(stored);
            emit endpointsChanged();
        }
    }
    lookForAttemptsElsewhere();
}

Engine::~Engine()
{
    close();
}

QString Engine::databaseUrlProblem(const QString &text)
{
    QString problem;
    return DatabaseUrl::parse(text, &problem) ? QString() : problem;
}

bool Engine::checkStore(const QString &url, QString *error)
{
    const QString problem = databaseUrlProblem(url);
    if (!problem.isEmpty()) {
        *error = problem;
        return false;
    }
    return Store::open(url, error) != nullptr;
}

namespace {
// What open() opens for a location: a database URL, else the store in a data directory.
QString storePath(const QString &location)
{
    QString path = location;
    if (path.isEmpty())
        path = qEnvironmentVariable("HOOKLINE_DATABASE");
    return Store::isDatabaseUrl(path) ? path : Store::defaultPath(location);
}
} // namespace

StoreCopyResult Engine::copyStore(const QString &from, const QString &to, bool merge,
                                  const std::function<void(qint64, qint64)> &progress,
                                  StoreCopyCounts *counts, QString *error)
{
    std::unique_ptr<Store> source = Store::open(storePath(from), error);
    if (!source)
        return StoreCopyResult::Failed;
    std::unique_ptr<Store> target = Store::open(storePath(to), error);
    if (!target)
        return StoreCopyResult::Failed;
    return ::copyStore(*source, *target, merge, progress, counts, error);
}

bool Engine::open(const QString &location, QString *error)
{
    const QString path = storePath(location);
    m_store = Store::open(path, error);
    if (!m_store)
        return false;
    m_writer = std::make_unique<StoreWriter>(path);
    // This engine's connections share one name in the notices they send, and skip them.
    const QString token = Ids::newTimeOrdered();
    m_store->setAnnounceToken(token);
    m_writer->setAnnounceToken(token);
    if (!m_writer->start(error)) {
        m_store.reset();
        return false;
    }
    m_dispatcher = std::make_unique<Dispatcher>(m_writer.get());
    m_catalog = m_store->catalog();
    {
        EgressPolicy policy;
        EgressPolicy::levelFromName(m_store->setting(QStringLiteral("egress.level")),
                                    &policy.level);
        for (const QString &entry :
             m_store->setting(QStringLiteral("egress.allow")).split(u' ', Qt::SkipEmptyParts))
            policy.addAllowed(entry);
        m_dispatcher->setEgressPolicy(policy);
        bool ok = false;
        const qint64 limit = m_store->setting(QStringLiteral("payload.maxBytes")).toLongLong(&ok);
        if (ok && limit > 0)
            m_maxPayloadBytes = limit;
        const int inFlight = m_store->setting(QStringLiteral("delivery.maxInFlight")).toInt(&ok);
        DispatcherOptions options = m_dispatcher->options();
        options.maxInFlight = ok && inFlight > 0 ? inFlight : kDefaultMaxInFlight;
        m_dispatcher->setOptions(options);
    }
    reloadEndpoints();
    connect(m_dispatcher.get(), &Dispatcher::endpointDisabled, this,
            [this] { emit endpointsChanged(); });
    connect(m_dispatcher.get(), &Dispatcher::storeFailing, this, &Engine::storeProblem);
    connect(m_dispatcher.get(), &Dispatcher::storeRecovered, this, &Engine::storeRecovered);
    const Dispatcher *d = m_dispatcher.get();
    connect(d, &Dispatcher::deliveriesQueued, this, &Engine::deliveriesQueued);
    connect(d, &Dispatcher::attemptStarted, this, &Engine::attemptStarted);
    connect(d, &Dispatcher::attemptFinished, this, &Engine::attemptFinished);
    connect(d, &Dispatcher::deliveryFinished, this, &Engine::deliveryFinished);
    connect(d, &Dispatcher::endpointDisabled, this, &Engine::endpointDisabled);
    connect(d, &Dispatcher::redeliveryRefused, this, &Engine::redeliveryRefused);
    connect(d, &Dispatcher::deliveryHeld, this, &Engine::deliveryHeld);
    connect(d, &Dispatcher::deliveryTakenElsewhere, this, &Engine::deliveryTakenElsewhere);
    // Team mode: what other processes change arrives as a notice, within a second.
    m_store->listen(this, [this](int changes) {
        if (changes & Store::WorkQueued)
            m_dispatcher->wake();
        if (changes & Store::EndpointsChanged)
            checkEndpoints();
        if (changes & Store::DeliveriesChanged) {
            emit deliveriesChangedElsewhere();
            // A busy team sends many notices a second: Live looks a few times a second.
            if (m_watchingAttempts && !m_attemptLook.isActive())
                m_attemptLook.start();
        }
    });
    connect(d, &Dispatcher::attemptFinished, this, [this](const Delivery &, const Attempt &a) {
        if (!m_watchingAttempts)
            return;
        const QString key = a.deliveryId + u'#' + QString::number(a.number);
        m_ownAttempts.insert(key);
        m_ownAttemptOrder.push_back(key);
        if (m_ownAttemptOrder.size() > kOwnAttemptsKept) {
            m_ownAttempts.remove(m_ownAttemptOrder.front());
            m_ownAttemptOrder.pop_front();
        }
    });
    m_search = new DeliverySearch(path, this);
    connect(m_search, &DeliverySearch::finished, this, &Engine::searchFinished);
    return true;
}

bool Engine::flush(QString *error)
{
    m_writer->flush();
    const qint64 failures = m_writer->failedOperations();
    if (failures == m_failuresSeen)
        return true;
    m_failuresSeen = failures;
    if (error)
        *error = m_writer->lastError();
    return false;
}

QString Engine::storeAdvice(const QString &error)
{
    return Store::advice(error);
}

bool Engine::isStoreFailing() const
{
    return m_unreachable || (m_dispatcher && m_dispatcher->isStalled());
}

void Engine::expireIdempotencyRecords()
{
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-kIdempotencyWindowMs);
    m_writer->submit([before](Store &s) { return s.expireIdempotencyRecords(before) >= 0; },
                     nullptr, {}, StoreWriter::Commit::Lazy);
}

QString Engine::databasePath() const
{
    return m_store ? m_store->path() : QString();
}

QString Engine::databaseName() const
{
    return m_store ? m_store->displayName() : QString();
}

bool Engine::isTeamStore() const
{
    return m_store && m_store->isPostgres();
}

int Engine::resume()
{
    return m_dispatcher->resume(*m_store);
}

void Engine::setPollInterval(int ms)
{
    if (ms > 0)
        m_poll.start(qMax(ms, m_store ? m_store->pollIntervalMs() : ms));
    else
        m_poll.stop();
}

void Engine::watchAttemptsElsewhere()
{
    if (m_watchingAttempts || !m_store)
        return;
    m_watchingAttempts = true;
    m_attemptsSeenUpTo = m_store->lastAttemptId();
    // What is there already is history, not news.
    const qint64 from = qMax<qint64>(0, m_attemptsSeenUpTo - kAttemptOverlap);
    for (const Store::AttemptKey &k : m_store->attemptKeysAfter(from, kAttemptOverlap))
        m_attemptsSeen.insert(k.id);
}

void Engine::lookForAttemptsElsewhere()
{
    if (!m_watchingAttempts || m_unreachable || !m_store)
        return;
    const qint64 from = qMax<qint64>(0, m_attemptsSeenUpTo - kAttemptOverlap);
    // The newest first: when others send faster than Live can show, the oldest are skipped.
    const QList<Store::AttemptKey> keys = m_store->attemptKeysAfter(from, kAttemptsPerLook);
    QList<qint64> news;
    for (const Store::AttemptKey &k : keys) {
        if (m_attemptsSeen.contains(k.id))
            continue;
        m_attemptsSeen.insert(k.id);
        if (!m_ownAttempts.contains(k.deliveryId + u'#' + QString::number(k.number)))
            news << k.id;
    }
    if (!keys.isEmpty())
        m_attemptsSeenUpTo = qMax(m_attemptsSeenUpTo, keys.last().id);
    const qint64 floor = m_attemptsSeenUpTo - kAttemptOverlap;
    m_attemptsSeen.removeIf([floor](qint64 id) { return id <= floor; });
    for (const auto &[delivery, attempt] : m_store->recordedAttempts(news))
        emit attemptRecordedElsewhere(delivery, attempt);
}

void Engine::reloadEndpoints()
{
    m_dispatcher->setEndpoints(m_store->endpoints());
}

QList<Endpoint> Engine::endpoints() const
{
    return m_store->endpoints();
}

std::optional<Endpoint> Engine::endpoint(const QString &id) const
{
    return m_store->endpoint(id);
}

std::optional<Endpoint> Engine::findEndpoint(const QString &idOrPrefix, QString *error) const
{
    return m_store->findEndpoint(idOrPrefix, error);
}

QString Engine::endpointName(const QString &id) const
{
    for (const Endpoint &e : m_dispatcher->endpoints()) {
        if (e.id == id)
            return e.name;
    }
    return id.left(8);
}

QString Engine::heldBehind(const Delivery &delivery) const
{
    return m_store->heldBehind(delivery);
}

EndpointActivity Engine::endpointActivity(const QString &endpointId, const QDateTime &from,
                                          const QDateTime &to, int binMinutes) const
{
    return m_store->endpointActivity(endpointId, from, to, binMinutes);
}

EndpointStats Engine::endpointStats(const QString &endpointId) const
{
    EndpointStats stats = m_store->endpointStats(endpointId);
    stats.inFlight = m_dispatcher->inFlightFor(endpointId);
    return stats;
}

QList<ValidationError> Engine::saveEndpoint(Endpoint *endpoint)
{
    QList<ValidationError> errors = validateEndpoint(*endpoint, m_catalog.ids());
    if (!errors.isEmpty())
        return errors;
    // A literal address is judged now; a host name at every attempt (it may resolve anew).
    const QUrl url(endpoint->url);
    const QHostAddress literal(url.host());
    if (!literal.isNull()) {
        const QString refused =
            m_dispatcher->egressPolicy()
                .refusal(literal, url.host(),
                         quint16(url.port(url.scheme() == QLatin1String("https") ? 443 : 80)))
                .text();
        if (!refused.isEmpty())
            return {{QStringLiteral("url"), refused}};
    }
    const QString error = m_store->saveEndpoint(endpoint, m_catalog.ids());
    if (!error.isEmpty())
        return {{QStringLiteral("store"), error}};
    m_dispatcher->upsertEndpoint(*endpoint);
    syncInbox(*endpoint); // an endpoint on the built-in receiver gets its inbox and secret
    emit endpointsChanged();
    return {};
}

bool Engine::removeEndpoint(const QString &id, QString *error)
{
    if (!m_store->removeEndpoint(id)) {
        if (error)
            *error = m_store->lastError();
        return false;
    }
    m_dispatcher->removeEndpoint(id);
    emit endpointsChanged();
    return true;
}

bool Engine::setEndpointEnabled(const QString &id, bool enabled, QString *error)
{
    if (!m_store->setEndpointEnabled(id, enabled, tr("disabled by the admin"))) {
        if (error)
            *error = m_store->lastError();
        return false;
    }
    if (const auto e = m_store->endpoint(id))
        m_dispatcher->upsertEndpoint(*e);
    emit endpointsChanged();
    return true;
}

QString Engine::saveEventType(const EventType &type)
{
    const QString error = m_store->saveEventType(type);
    if (!error.isEmpty())
        return error;
    m_catalog = m_store->catalog();
    emit catalogChanged();
    return {};
}

void Engine::setSending(bool sending)
{
    m_dispatcher->setSending(sending);
}

QStringList Engine::publish(const Event &event, const QString &endpointId, AttemptTrigger trigger,
                            QString *error, const PublishHooks &hooks)
{
    if (event.payload.size() > m_maxPayloadBytes) {
        if (error)
            *error = payloadTooLarge(event.payload.size());
        return {};
    }
    return m_dispatcher->dispatch(event, endpointId, trigger, error, hooks);
}

QString Engine::payloadTooLarge(qsizetype bytes) const
{
    return tr("The payload is %1 bytes; the limit is %2 bytes. Send less, or raise the limit "
              "(hookline settings set payload-limit BYTES).")
        .arg(bytes)
        .arg(m_maxPayloadBytes);
}

QString Engine::secretKeyLocation()
{
    return qEnvironmentVariableIsSet("HOOKLINE_SECRET_KEY") ? QStringLiteral("HOOKLINE_SECRET_KEY")
                                                            : SecretBox::keyFilePath();
}

EgressPolicy Engine::egressPolicy() const
{
    return m_dispatcher->egressPolicy();
}

bool Engine::setEgressPolicy(const EgressPolicy &policy, QString *error)
{
    EgressPolicy stored = policy;
    stored.receiverPort = m_receiver->isListening() ? m_receiver->port() : 0;
    if (!m_store->setSetting(QStringLiteral("egress.level"),
                             EgressPolicy::levelName(policy.level)) ||
        !m_store->setSetting(QStringLiteral("egress.allow"), policy.allowEntries().join(u' '))) {
        if (error)
            *error = m_store->lastError();
        return false;
    }
    m_dispatcher->setEgressPolicy(stored);
    return true;
}

bool Engine::setMaxPayloadBytes(qint64 bytes, QString *error)
{
    if (!m_store->setSetting(QStringLiteral("payload.maxBytes"), QString::number(bytes))) {
        if (error)
            *error = m_store->lastError();
        return false;
    }
    m_maxPayloadBytes = bytes;
    return true;
}

int Engine::maxInFlight() const
{
    return m_dispatcher->options().maxInFlight;
}

bool Engine::setMaxInFlight(int attempts, QString *error)
{
    if (attempts < 1 || attempts > kMaxGlobalInFlight) {
        if (error)
            *error = tr("%1 attempts at once is out of range; choose from 1 to %2.")
                         .arg(QString::number(attempts), QString::number(kMaxGlobalInFlight));
        return false;
    }
    if (!m_store->setSetting(QStringLiteral("delivery.maxInFlight"), QString::number(attempts))) {
        if (error)
            *error = m_store->lastError();
        return false;
    }
    DispatcherOptions options = m_dispatcher->options();
    options.maxInFlight = attempts;
    m_dispatcher->setOptions(options);
    return true;
}

PublishHooks Engine::onceOnly(const IdempotencyRecord &record,
                              std::function<QByteArray(const QStringList &)> answer,
                              std::function<void(PublishHooks::Outcome, const QString &)> done)
{
    PublishHooks hooks;
    hooks.admit = [record, answer](Store &store, const QStringList &ids) {
        // Inside the write transaction (BEGIN IMMEDIATE): no other process can slip a record
        // of the same key in between this read and the write below.
        const QDateTime now = QDateTime::currentDateTimeUtc();
        if (store.idempotencyRecord(record.tokenId, record.key,
                                    now.addMSecs(-kIdempotencyWindowMs)))
            return PublishHooks::Admit::No;
        IdempotencyRecord r = record;
        r.response = answer(ids);
        r.created = now;
        return store.putIdempotencyRecord(r) ? PublishHooks::Admit::Yes
                                             : PublishHooks::Admit::StoreFailed;
    };
    hooks.done = std::move(done);
    return hooks;
}

std::optional<IdempotencyRecord> Engine::idempotencyRecord(const QString &tokenId,
                                                           const QString &key) const
{
    return m_store->idempotencyRecord(
        tokenId, key, QDateTime::currentDateTimeUtc().addMSecs(-kIdempotencyWindowMs));
}

QString Engine::createToken(const QString &name, bool readOnly, ApiToken *created, QString *error)
{
    const QString invalid = ApiTokens::validateName(name);
    if (!invalid.isEmpty()) {
        if (error)
            *error = invalid;
        return {};
    }
    ApiToken t;
    t.id = newId().right(12);
    t.name = name.trimmed();
    t.readOnly = readOnly;
    t.created = QDateTime::currentDateTimeUtc();
    const QString token = ApiTokens::generate();
    if (!m_store->insertApiToken(t, ApiTokens::hash(token))) {
        if (error)
            *error = tr("The token could not be stored: %1. %2")
                         .arg(m_store->lastError(), storeAdvice(m_store->lastError()));
        return {};
    }
    if (created)
        *created = t;
    return token;
}

QList<ApiToken> Engine::tokens() const
{
    return m_store->apiTokens();
}

std::optional<ApiToken> Engine::findToken(const QString &idOrPrefix, QString *error) const
{
    return m_store->findApiToken(idOrPrefix, error);
}

bool Engine::revokeToken(const QString &id, QString *error)
{
    if (m_store->deleteApiToken(id))
        return true;
    if (error)
        *error = m_store->lastError().isEmpty()
                     ? tr("There is no API token %1.").arg(id)
                     : tr("The token could not be revoked: %1").arg(m_store->lastError());
    return false;
}

std::optional<ApiToken> Engine::authenticate(const QString &bearer)
{
    if (!bearer.startsWith(QLatin1String(ApiTokens::kPrefix)))
        return std::nullopt;
    std::optional<ApiToken> t = m_store->apiTokenByHash(ApiTokens::hash(bearer));
    if (!t)
        return t;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    qint64 &touched = m_tokenTouched[t->id];
    if (now.toMSecsSinceEpoch() - touched >= 60000) {
        touched = now.toMSecsSinceEpoch();
        const QString id = t->id;
        m_writer->submit([id, now](Store &s) { return s.touchApiToken(id, now); }, nullptr, {},
                         StoreWriter::Commit::Lazy);
    }
    return t;
}

QStringList Engine::sendTest(const QString &type, const QString &endpointId, QString *error,
                             const QString &templateText, const PublishHooks &hooks)
{
    const auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return QStringList();
    };
    if (!m_catalog.find(type))
        return fail(tr("Unknown event type “%1”. Known types: %2.")
                        .arg(type, m_catalog.ids().join(QLatin1String(", "))));
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const RenderResult r = templateText.isEmpty()
                               ? m_catalog.render(type, m_sample, now)
                               : TemplateRenderer::render(templateText, m_sample.anyContext(now));
    if (!r.ok())
        return fail(r.error);
    if (r.json.size() > m_maxPayloadBytes)
        return fail(payloadTooLarge(r.json.size()));
    const Event e{newId(), type, r.json, now, EventOrigin::Test, {}};
    return m_dispatcher->dispatch(e, endpointId, AttemptTrigger::Test, error, hooks);
}

QByteArray Engine::renderTest(const QString &type, QString *error)
{
    const RenderResult r = m_catalog.render(type, m_sample, QDateTime::currentDateTimeUtc());
    if (!r.ok() && error)
        *error = r.error;
    return r.ok() ? r.json : QByteArray();
}

bool Engine::hasSubscribers(const QString &type) const
{
    for (const Endpoint &e : m_dispatcher->endpoints()) {
        if (e.enabled && e.subscribesTo(type))
            return true;
    }
    return false;
}

QStringList Engine::queueScenario(const QString &kind, const QString &endpointId, QString *error)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const ScenarioResult s = kind == QLatin1String("agent") ? m_catalog.agentShift(m_sample, now)
                                                            : m_catalog.callScenario(m_sample, now);
    if (!s.ok()) {
        if (error)
            *error = s.error;
        return {};
    }
    const QString scenarioId = newId();
    QStringList all;
    for (const RenderedEvent &stage : s.events) {
        const Event e{newId(),
                      stage.type,
                      stage.payload,
                      QDateTime::currentDateTimeUtc(),
                      EventOrigin::Scenario,
                      scenarioId};
        const QStringList ids = m_dispatcher->dispatch(e, endpointId, AttemptTrigger::Test, error);
        if (ids.isEmpty())
            return {}; // *error says why; stages stored before it stay queued
        all << ids;
    }
    return all;
}

bool Engine::runScenario(const QString &kind, const QString &endpointId, QString *error)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const ScenarioResult s = kind == QLatin1String("agent") ? m_catalog.agentShift(m_sample, now)
                                                            : m_catalog.callScenario(m_sample, now);
    if (!s.ok()) {
        if (error)
            *error = s.error;
        return false;
    }
    // Stage by stage: a stage's deliveries are dispatched once the previous stage's
    // deliveries have had their first attempt, so receivers see the call in order.
    struct Run
    {
        QList<RenderedEvent> stages;
        QString scenarioId = newId();
        QSet<QString> waiting;
        int next = 0;
    };
    auto run = std::make_shared<Run>();
    run->stages = s.events;
    auto connection = std::make_shared<QMetaObject::Connection>();
    auto cancelledConnection = std::make_shared<QMetaObject::Connection>();
    auto step = std::make_shared<std::function<void()>>();
    *step = [this, run, endpointId, kind, connection, cancelledConnection, step] {
        while (run->waiting.isEmpty()) {
            if (run->next >= run->stages.size()) {
                disconnect(*connection);
                disconnect(*cancelledConnection);
                emit scenarioFinished(kind);
                // Break the self-reference last: it destroys this closure (its captures
                // included), so nothing after it may touch them; `hold` keeps the function
                // object itself alive until we return.
                const auto hold = step;
                *hold = nullptr;
                return;
            }
            const RenderedEvent &stage = run->stages.at(run->next++);
            const Event e{newId(),
                          stage.type,
                          stage.payload,
                          QDateTime::currentDateTimeUtc(),
                          EventOrigin::Scenario,
                          run->scenarioId};
            const QStringList ids = m_dispatcher->dispatch(e, endpointId, AttemptTrigger::Test);
            run->waiting = QSet<QString>(ids.begin(), ids.end());
        }
    };
    auto onDone = [run, step](const QString &deliveryId) {
        if (run->waiting.remove(deliveryId) && run->waiting.isEmpty() && *step)
            (*step)();
    };
    *connection = connect(m_dispatcher.get(), &Dispatcher::attemptFinished, this,
                          [onDone](const Delivery &d, const Attempt &) { onDone(d.id); });
    *cancelledConnection = connect(m_dispatcher.get(), &Dispatcher::deliveryFinished, this,
                                   [onDone](const Delivery &d, const QString &) { onDone(d.id); });
    // Check the first stage can go anywhere before starting.
    QString why;
    const RenderedEvent &first = run->stages.first();
    const Event e{newId(),
                  first.type,
                  first.payload,
                  QDateTime::currentDateTimeUtc(),
                  EventOrigin::Scenario,
                  run->scenarioId};
    const QStringList ids = m_dispatcher->dispatch(e, endpointId, AttemptTrigger::Test, &why);
    if (ids.isEmpty()) {
        disconnect(*connection);
        disconnect(*cancelledConnection);
        *step = nullptr;
        if (error)
            *error = why;
        return false;
    }
    run->next = 1;
    run->waiting = QSet<QString>(ids.begin(), ids.end());
    return true;
}

bool Engine::redeliver(const QString &deliveryId, QString *error)
{
    return m_dispatcher->redeliver(*m_store, deliveryId, error);
}

bool Engine::queueRedelivery(const QString &deliveryId, QString *error)
{
    const auto d = m_store->delivery(deliveryId, false);
    if (!d) {
        if (error)
            *error = tr("No delivery has the id “%1”.").arg(deliveryId);
        return false;
    }
    Delivery due = *d;
    due.state = DeliveryState::Pending;
    due.nextAttempt = QDateTime::currentDateTimeUtc();
    due.updated = due.nextAttempt;
    auto refused = std::make_shared<QString>();
    // Claimed by nobody and due now - unless a live process holds it (then nothing changes).
    m_writer->submit([due, refused](Store &s) {
        refused->clear();
        std::optional<ClaimedDelivery> claimed;
        if (!s.claimOne(due.id, Claim{QString(), due.nextAttempt}, due.nextAttempt, &claimed,
                        refused.get()))
            return false;
        return !claimed || s.updateDelivery(due);
    });
    QString why;
    if (!flush(&why)) {
        if (error)
            *error = tr("The database could not be written: %1. %2").arg(why, storeAdvice(why));
        return false;
    }
    if (!refused->isEmpty()) {
        if (error)
            *error = *refused;
        return false;
    }
    return true;
}

qint64 Engine::countRecoverable(const QString &endpointId, const QDateTime &since) const
{
    return m_store->countRecoverable(endpointId, since);
}

bool Engine::recover(const QString &endpointId, const QDateTime &since, QList<Delivery> *resent,
                     QString *error)
{
    const auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    resent->clear();
    const std::optional<Endpoint> e = m_store->endpoint(endpointId);
    if (!e)
        return fail(tr("There is no endpoint %1.").arg(endpointId));
    if (!e->enabled)
        return fail(tr("The endpoint “%1” is disabled: enable it first, then resend. (Send it a "
                       "test to check that it answers again.)")
                        .arg(e->name));
    auto requeued = std::make_shared<QList<Delivery>>();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_writer->submit([endpointId, since, now, requeued](Store &s) {
        return s.requeueRecoverable(endpointId, since, now, requeued.get());
    });
    QString why;
    if (!flush(&why))
        return fail(tr("The database could not be written: %1. %2").arg(why, storeAdvice(why)));
    *resent = *requeued;
    m_dispatcher->sendDue(*resent);
    return true;
}

int Engine::retryFailedSince(const QString &endpointId, const QDateTime &since)
{
    return m_dispatcher->retryFailedSince(*m_store, endpointId, since);
}

std::optional<Delivery> Engine::delivery(const QString &id, bool withAttempts) const
{
    return m_store->delivery(id, withAttempts);
}

std::optional<Delivery> Engine::findDelivery(const QString &idOrPrefix, QString *error) const
{
    return m_store->findDelivery(idOrPrefix, error);
}

QList<Delivery> Engine::deliveries(const DeliveryQuery &query) const
{
    return m_store->deliveries(query);
}

qint64 Engine::countDeliveries(const DeliveryQuery &query) const
{
    return m_store->countDeliveries(query);
}

QList<Delivery> Engine::retryingDeliveries(const QString &endpointId, int limit) const
{
    return m_store->retryingDeliveries(endpointId, limit);
}

QList<Attempt> Engine::attempts(const QString &deliveryId) const
{
    return m_store->attempts(deliveryId);
}

std::pair<qint64, qint64> Engine::seqRange() const
{
    return m_store->seqRange();
}

std::optional<DeliverySeek> Engine::seekPosition(const DeliveryQuery &query, qint64 position) const
{
    return m_store->seekPosition(query, position);
}

int Engine::searchDeliveries(const QString &text, int limit)
{
    return m_search->start(text, limit);
}

void Engine::cancelSearch()
{
    if (m_search)
        m_search->cancel();
}

bool Engine::isSearching() const
{
    return m_search && m_search->isRunning();
}

ExportResult Engine::exportDeliveries(const QString &databasePath, const DeliveryQuery &query,
                                      ExportFormat format, QIODevice *out,
                                      const std::atomic<bool> *cancel)
{
    ExportResult result;
    const auto store = Store::open(databasePath, &result.error);
    if (store)
        result = ::exportDeliveries(*store, query, format, out, cancel);
    return result;
}

void Engine::applyRetention(const RetentionPolicy &policy, QObject *context,
                            std::function<void(qint64)> done)
{
    auto removed = std::make_shared<qint64>(0);
    m_writer->submit(
        [policy, removed](Store &store) {
            *removed = store.applyRetention(policy, QDateTime::currentDateTimeUtc());
            return true;
        },
        context ? context : this,
        [removed, done](bool) {
            if (done)
                done(*removed);
        });
}

DispatcherOptions Engine::deliveryOptions() const
{
    return m_dispatcher->options();
}

void Engine::setDeliveryOptions(const DispatcherOptions &options)
{
    m_dispatcher->setOptions(options);
}

DispatcherCounters Engine::counters() const
{
    return m_dispatcher->counters();
}

quint16 Engine::startReceiver(quint16 port, QString *error)
{
    if (!m_receiver->isListening() && !m_receiver->listen(port, nullptr) &&
        !m_receiver->listen(0, error))
        return 0;
    const QList<Endpoint> saved = m_store ? m_store->endpoints() : QList<Endpoint>();
    for (const Endpoint &e : saved)
        syncInbox(e);
    if (m_receiver->inboxNames().isEmpty()) {
        InboxConfig config;
        config.name = QStringLiteral("test");
        m_receiver->setInbox(config);
    }
    return m_receiver->port();
}

QString Engine::localInboxOf(const QString &text) const
{
    const QUrl url(text);
    if (!m_receiver->isListening() ||
        (url.host() != QLatin1String("127.0.0.1") && url.host() != QLatin1String("localhost") &&
         url.host() != QLatin1String("::1")) ||
        url.port() != m_receiver->port() || !url.path().startsWith(QLatin1String("/inbox/")))
        return {};
    return url.path().mid(7).section(u'/', 0, 0);
}

QString Engine::attachOwnTestInbox(Endpoint *endpoint)
{
    QString name = localInboxOf(endpoint->url);
    if (name.isEmpty()) {
        QSet<QString> used;
        for (const Endpoint &e : m_store->endpoints()) {
            if (e.id != endpoint->id)
                used.insert(localInboxOf(e.url));
        }
        name = QStringLiteral("test");
        for (int n = 2; used.contains(name); ++n)
            name = QStringLiteral("test-%1").arg(n);
    }
    m_receiver->attachEndpoint(endpoint, name);
    return name;
}

void Engine::syncInbox(const Endpoint &e)
{
    const QString name = localInboxOf(e.url);
    if (name.isEmpty())
        return;
    InboxConfig config =
        m_receiver->inboxNames().contains(name) ? m_receiver->inbox(name) : InboxConfig();
    config.name = name;
    config.secret = e.secret;
    m_receiver->setInbox(config);
}

bool Engine::listenReceiver(quint16 port, QString *error)
{
    const bool ok = m_receiver->isListening() || m_receiver->listen(port, error);
    if (ok && m_dispatcher) { // the built-in receiver is always reachable
        EgressPolicy policy = m_dispatcher->egressPolicy();
        policy.receiverPort = m_receiver->port();
        m_dispatcher->setEgressPolicy(policy);
    }
    return ok;
}

void Engine::stopReceiver()
{
    m_receiver->close();
}

bool Engine::isReceiverListening() const
{
    return m_receiver->isListening();
}

quint16 Engine::receiverPort() const
{
    return m_receiver->port();
}

bool Engine::receiverHasIpv6() const
{
    return m_receiver->hasIpv6();
}

QString Engine::setInbox(const InboxConfig &config)
{
    return m_receiver->setInbox(config);
}

bool Engine::removeInbox(const QString &name)
{
    return m_receiver->removeInbox(name);
}

QStringList Engine::inboxNames() const
{
    return m_receiver->inboxNames();
}

InboxConfig Engine::inbox(const QString &name) const
{
    return m_receiver->inbox(name);
}

QUrl Engine::inboxUrl(const QString &name, bool ipv6) const
{
    return m_receiver->inboxUrl(name, ipv6);
}

QList<CapturedRequest> Engine::inboxRequests(const QString &name) const
{
    return m_receiver->requests(name);
}

void Engine::clearInboxRequests(const QString &name)
{
    m_receiver->clearRequests(name);
}

void Engine::attachTestInbox(Endpoint *endpoint, const QString &inboxName)
{
    m_receiver->attachEndpoint(endpoint, inboxName);
}

bool Engine::serveApi(const ApiOptions &options, QString *error)
{
    auto api = std::make_unique<ApiServer>(this);
    api->setTls(options.tls);
    api->setRateLimit(options.ratePerSecond, options.burst);
    connect(api.get(), &ApiServer::requestLogged, this, &Engine::apiRequestLogged);
    m_api.reset(); // frees the old address first (serving again on the same one)
    if (!api->listen(options.address, options.port, error))
        return false;
    m_api = std::move(api);
    return true;
}

void Engine::stopApi()
{
    m_api.reset();
}

bool Engine::isApiServing() const
{
    return m_api && m_api->isListening();
}

QString Engine::apiUrl() const
{
    return isApiServing() ? m_api->baseUrl() : QString();
}

void Engine::close()
{
    m_api.reset(); // no new requests while the rest shuts down
    m_poll.stop();
    if (m_dispatcher)
        m_dispatcher->shutdown(3000);
    m_dispatcher.reset();
    delete m_search;
    m_search = nullptr;
    m_writer.reset();
    m_store.reset();
}
