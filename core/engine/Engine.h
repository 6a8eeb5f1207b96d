// Everything a front end needs from the core, in one object: the store (a reader on the
// calling thread), the batched writer, the dispatcher and the built-in receiver, opened
// together on one data directory. The GUI and the command line both drive it; neither
// touches SQL or the network directly. Endpoint and event-type changes go through here so
// the store and the dispatcher never disagree.
#pragma once

#include "catalog/EventCatalog.h"
#include "domain/Delivery.h"
#include "domain/Endpoint.h"
#include "domain/EndpointValidation.h"

#include <QObject>
#include <QTimer>

#include <memory>

class Dispatcher;
class ReceiverServer;
class Store;
class StoreWriter;

class Engine : public QObject
{
    Q_OBJECT
public:
    explicit Engine(QObject *parent = nullptr);
    ~Engine() override;

    // Opens <dataDir>/hookline.sqlite (the user's data directory when empty).
    bool open(const QString &dataDir, QString *error);
    bool isOpen() const { return m_store != nullptr; }
    QString databasePath() const;

    Store &store() const { return *m_store; }
    StoreWriter &writer() const { return *m_writer; }
    Dispatcher &dispatcher() const { return *m_dispatcher; }
    ReceiverServer &receiver() const { return *m_receiver; }

    // Starts taking due work from the store (claimed, so several processes never send one
    // delivery twice): what was not final when Hookline last stopped, what other processes
    // queue, retries that come due. Returns how many deliveries the first batch claimed.
    int resume();
    // Every `ms` picks up endpoint changes made by other processes. 0 stops.
    void setPollInterval(int ms);
    // Blocks until every write submitted so far is committed and synced. False, with the
    // store's reason, when any of them failed since the last call.
    bool flush(QString *error);
    // What a person can do about a store error (a full disk, a read-only file, a lock).
    static QString storeAdvice(const QString &error);

    QList<Endpoint> endpoints() const;
    // Validates against the catalog; on success the endpoint has its id and timestamps.
    QList<ValidationError> saveEndpoint(Endpoint *endpoint);
    bool removeEndpoint(const QString &id);
    bool setEndpointEnabled(const QString &id, bool enabled);

    const EventCatalog &catalog() const { return m_catalog; }
    QString saveEventType(const EventType &type);

    // Renders the type's template and sends it to one endpoint (even a non-subscriber) or,
    // with an empty id, to every subscribed endpoint. Returns the delivery ids.
    QStringList sendTest(const QString &type, const QString &endpointId, QString *error);
    // Sends a call's four stages (or an agent's two) in order: each stage starts when the
    // previous one's first attempts are done. Returns false with *error if it cannot start.
    bool runScenario(const QString &kind, const QString &endpointId, QString *error);
    bool redeliver(const QString &deliveryId, QString *error);

    // Starts the built-in receiver on `port` (a free one when busy or 0) and recreates the
    // inboxes that saved endpoints point at, with their secrets, so local test endpoints
    // keep working across restarts. Returns the port, or 0 with *error.
    quint16 startReceiver(quint16 port, QString *error);

    // Shuts the dispatcher down (in-flight attempts finish or are recorded) and commits.
    void close();

signals:
    void endpointsChanged();
    void catalogChanged();
    void scenarioFinished(const QString &kind);
    // The store cannot be written: nothing new is accepted or sent until storeRecovered().
    void storeProblem(const QString &error);
    void storeRecovered();

private:
    void reloadEndpoints();

    std::unique_ptr<Store> m_store;
    std::unique_ptr<StoreWriter> m_writer;
    std::unique_ptr<Dispatcher> m_dispatcher;
    std::unique_ptr<ReceiverServer> m_receiver;
    EventCatalog m_catalog;
    SampleData m_sample;
    QTimer m_poll;
    qint64 m_failuresSeen = 0;
};
