// The delivery engine. It fans an event out to every enabled endpoint subscribed to its
// type, records each delivery durably *before* the first attempt (an outbox), sends
// attempts with QNetworkAccessManager under a per-endpoint and a global concurrency limit,
// cuts each attempt off at the endpoint's total deadline, reads at most a capped share of
// the response, classifies failures, schedules retries, disables endpoints that answer 410
// or fail too often, and records every attempt. After a crash, resume() picks up whatever
// was not final, with the same webhook-id.
// It never blocks its thread: network I/O is asynchronous and writes go to StoreWriter.
#pragma once

#include "RequestBuilder.h"
#include "domain/Delivery.h"
#include "domain/Endpoint.h"
#include "domain/Event.h"

#include <QElapsedTimer>
#include <QHash>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>

#include <deque>
#include <map>

class QNetworkAccessManager;
class QNetworkReply;
class Store;
class StoreWriter;

struct DispatcherOptions
{
    int maxInFlight = 64;
    int perEndpointLimit = 6; // QNAM's own connection count per host for HTTP/1.1
    int responseReadCap = 64 * 1024;
    int storedBodyCap = kStoredResponseBodyCap;
};

struct DispatcherCounters
{
    qint64 started = 0;
    qint64 succeeded = 0; // attempts
    qint64 failed = 0;    // attempts
    qint64 retrying = 0;  // deliveries waiting for a retry now
    int inFlight = 0;
    int queued = 0;
};

class Dispatcher : public QObject
{
    Q_OBJECT
public:
    Dispatcher(StoreWriter *writer, QObject *parent = nullptr);
    ~Dispatcher() override;

    void setOptions(const DispatcherOptions &options) { m_options = options; }
    const DispatcherOptions &options() const { return m_options; }
    QNetworkAccessManager *networkAccessManager() const { return m_nam; }

    void setEndpoints(const QList<Endpoint> &endpoints);
    void upsertEndpoint(const Endpoint &endpoint);
    void removeEndpoint(const QString &id);
    QList<Endpoint> endpoints() const { return m_endpoints.values(); }

    // Persists the event and one delivery per target, then attempts each once the write is
    // committed. With onlyEndpointId the event goes to that endpoint only (whether or not
    // it subscribes to the type). Returns the new delivery ids, or none and *error.
    QStringList dispatch(const Event &event, const QString &onlyEndpointId = {},
                         AttemptTrigger trigger = AttemptTrigger::Scheduled,
                         QString *error = nullptr);

    // Picks up deliveries that are not final (pending, in flight at a crash, retrying).
    // Returns how many were resumed.
    int resume(const Store &store);
    // A new attempt now, trigger = manual, for any delivery in the store.
    bool redeliver(const Store &store, const QString &deliveryId, QString *error = nullptr);
    // Redelivers every failed delivery of an endpoint updated since `since`.
    int retryFailedSince(const Store &store, const QString &endpointId, const QDateTime &since);

    // Stops starting attempts; in-flight ones finish (up to graceMs) and everything is
    // written. Queued and scheduled work stays in the store for the next start.
    void shutdown(int graceMs = 5000);

    DispatcherCounters counters() const;
    bool isIdle() const { return m_active.isEmpty() && m_readyCount == 0; }

signals:
    void deliveriesQueued(const QStringList &deliveryIds);
    void attemptStarted(const Delivery &delivery, const Attempt &attempt);
    void attemptFinished(const Delivery &delivery, const Attempt &attempt);
    // A delivery reached succeeded, failed or cancelled (why: the last error, if any).
    void deliveryFinished(const Delivery &delivery, const QString &why);
    void endpointDisabled(const QString &endpointId, const QString &reason);
    void idle();

private:
    struct Job
    {
        Delivery delivery;
        QByteArray payload;
        AttemptTrigger trigger = AttemptTrigger::Scheduled;
    };
    struct Active
    {
        QString deliveryId;
        QString endpointId;
        int timeoutMs = 0;
        QPointer<QNetworkReply> reply;
        QElapsedTimer clock;
        std::multimap<qint64, QNetworkReply *>::iterator deadline;
        Attempt attempt;
        qint64 bytesRead = 0;
        bool timedOut = false;
        bool capped = false;
        QStringList tlsErrors;
    };

    // What every attempt to one endpoint shares, built once: the request template and a
    // QNetworkRequest carrying its URL and headers (only the signature headers differ).
    struct Target
    {
        RequestTemplate shared;
        QNetworkRequest request;
    };
    const Target &target(const Endpoint &endpoint);

    void makeReady(const QString &deliveryId);
    void schedule(const QString &deliveryId, const QDateTime &when);
    void pump();
    void onRetryTimer();
    void start(Job &job);
    void onReadyRead(QNetworkReply *reply);
    void onFinished(QNetworkReply *reply);
    void finishAttempt(Active &active, Job &job);
    void cancel(Job &job, const QString &why);
    void persistOutcome(const Job &job, const Attempt &attempt, ErrorClass storedError,
                        bool finalOutcome, bool succeeded, const QString &disableReason);
    void checkIdle();
    void armDeadlineTimer();
    void onDeadline();

    StoreWriter *m_writer;
    QNetworkAccessManager *m_nam;
    DispatcherOptions m_options;
    QHash<QString, Endpoint> m_endpoints;
    QHash<QString, Target> m_targets; // by endpoint id; dropped when the endpoint changes
    QHash<QString, Job> m_jobs;       // every delivery this engine holds, by id
    QHash<QString, std::deque<QString>> m_ready; // per endpoint, in order
    QStringList m_endpointRing;                  // round-robin over endpoints with ready work
    int m_readyCount = 0;
    QHash<QString, int> m_inFlightPerEndpoint;
    QHash<QNetworkReply *, Active> m_active;
    std::multimap<qint64, QString> m_scheduled; // due time (ms) -> delivery id
    QTimer m_retryTimer;
    // Attempt deadlines, earliest first, on one timer: cheaper than a timer per request.
    std::multimap<qint64, QNetworkReply *> m_deadlines;
    QTimer m_deadlineTimer;
    QElapsedTimer m_clock;
    QRandomGenerator m_rng;
    DispatcherCounters m_counters;
    bool m_stopping = false;
};
