#include "Engine.h"

#include "delivery/Dispatcher.h"
#include "domain/EndpointValidation.h"
#include "domain/Ids.h"
#include "receiver/ReceiverServer.h"
#include "store/Store.h"
#include "store/StoreWriter.h"

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
    connect(&m_poll, &QTimer::timeout, this, [this] {
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
    });
}

Engine::~Engine()
{
    close();
}

bool Engine::open(const QString &dataDir, QString *error)
{
    const QString path = Store::defaultPath(dataDir);
    m_store = Store::open(path, error);
    if (!m_store)
        return false;
    m_writer = std::make_unique<StoreWriter>(path);
    if (!m_writer->start(error)) {
        m_store.reset();
        return false;
    }
    m_dispatcher = std::make_unique<Dispatcher>(m_writer.get());
    m_catalog = m_store->catalog();
    reloadEndpoints();
    connect(m_dispatcher.get(), &Dispatcher::endpointDisabled, this,
            [this] { emit endpointsChanged(); });
    connect(m_dispatcher.get(), &Dispatcher::storeFailing, this, &Engine::storeProblem);
    connect(m_dispatcher.get(), &Dispatcher::storeRecovered, this, &Engine::storeRecovered);
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

QString Engine::databasePath() const
{
    return m_store ? m_store->path() : QString();
}

int Engine::resume()
{
    return m_dispatcher->resume(*m_store);
}

void Engine::setPollInterval(int ms)
{
    if (ms > 0)
        m_poll.start(ms);
    else
        m_poll.stop();
}

void Engine::reloadEndpoints()
{
    m_dispatcher->setEndpoints(m_store->endpoints());
}

QList<Endpoint> Engine::endpoints() const
{
    return m_store->endpoints();
}

QList<ValidationError> Engine::saveEndpoint(Endpoint *endpoint)
{
    QList<ValidationError> errors = validateEndpoint(*endpoint, m_catalog.ids());
    if (!errors.isEmpty())
        return errors;
    const QString error = m_store->saveEndpoint(endpoint, m_catalog.ids());
    if (!error.isEmpty())
        return {{QStringLiteral("store"), error}};
    m_dispatcher->upsertEndpoint(*endpoint);
    emit endpointsChanged();
    return {};
}

bool Engine::removeEndpoint(const QString &id)
{
    if (!m_store->removeEndpoint(id))
        return false;
    m_dispatcher->removeEndpoint(id);
    emit endpointsChanged();
    return true;
}

bool Engine::setEndpointEnabled(const QString &id, bool enabled)
{
    if (!m_store->setEndpointEnabled(id, enabled, tr("disabled by the admin")))
        return false;
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

QStringList Engine::sendTest(const QString &type, const QString &endpointId, QString *error)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const RenderResult r = m_catalog.render(type, m_sample, now);
    if (!r.ok()) {
        if (error)
            *error = r.error;
        return {};
    }
    const Event e{newId(), type, r.json, now, EventOrigin::Test, {}};
    return m_dispatcher->dispatch(e, endpointId, AttemptTrigger::Test, error);
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
                *step = nullptr; // break the self-reference
                emit scenarioFinished(kind);
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

quint16 Engine::startReceiver(quint16 port, QString *error)
{
    if (!m_receiver->isListening() && !m_receiver->listen(port, nullptr) &&
        !m_receiver->listen(0, error))
        return 0;
    for (const Endpoint &e : m_store->endpoints()) {
        const QUrl url(e.url);
        if (url.host() != QLatin1String("127.0.0.1") || url.port() != m_receiver->port() ||
            !url.path().startsWith(QLatin1String("/inbox/")))
            continue;
        const QString name = url.path().mid(7).section(u'/', 0, 0);
        InboxConfig config =
            m_receiver->inboxNames().contains(name) ? m_receiver->inbox(name) : InboxConfig();
        config.name = name;
        config.secret = e.secret;
        m_receiver->setInbox(config);
    }
    if (m_receiver->inboxNames().isEmpty()) {
        InboxConfig config;
        config.name = QStringLiteral("test");
        m_receiver->setInbox(config);
    }
    return m_receiver->port();
}

void Engine::close()
{
    m_poll.stop();
    if (m_dispatcher)
        m_dispatcher->shutdown(3000);
    m_dispatcher.reset();
    m_writer.reset();
    m_store.reset();
}
