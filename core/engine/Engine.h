// SPDX-License-Identifier: GPL-3.0-or-later
// Everything a front end needs from the core, in one object: the store (a reader on the
// calling thread), the batched writer, the dispatcher and the built-in receiver, opened
// together on one data directory. It is the only door: the window, the command line and the
// API call these methods and listen to these signals, never the parts behind them, so every
// rule (validation, claims, what "queued" means) lives in one place and the store and the
// dispatcher never disagree. (store(), writer(), dispatcher() and receiver() are for the
// core's own tests; a CTest check keeps ui/ and app/ off them.)
#pragma once

#include "api/ApiTypes.h"
#include "catalog/EventCatalog.h"
#include "domain/ApiToken.h"
#include "domain/Delivery.h"
#include "domain/DeliveryOptions.h"
#include "domain/DeliveryQuery.h"
#include "domain/EgressPolicy.h"
#include "domain/Endpoint.h"
#include "domain/EndpointActivity.h"
#include "domain/EndpointValidation.h"
#include "domain/Event.h"
#include "domain/Inbox.h"
#include "export/DeliveryExport.h"
#include "store/StoreCopy.h"

#include <QObject>
#include <QSet>
#include <QTimer>

#include <QUrl>
#include <deque>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class ApiServer;
class DeliverySearch;
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

    // Opens the store at `location`: a database URL (sqlite:PATH, postgresql://…), or a data
    // directory holding hookline.sqlite. Empty: HOOKLINE_DATABASE when it is set, else the
    // user's data directory.
    bool open(const QString &location, QString *error);
    bool isOpen() const { return m_store != nullptr; }
    // What open() opened, to open it again (a URL may hold a password: not for display).
    QString databasePath() const;
    // The file, or the server's URL with the password masked.
    QString databaseName() const;
    bool isTeamStore() const; // on a database server, shared with other machines
    // What is wrong with a database URL as typed (naming the bad part and what to write
    // instead), or empty when it is good.
    static QString databaseUrlProblem(const QString &text);
    // Opens the store at a database URL once (creating its schema if it is new) and closes it
    // again: false with what went wrong (server, password, schema) in *error.
    static bool checkStore(const QString &url, QString *error);
    // Copies one store into another (store/StoreCopy.h): `from` and `to` as open() takes them
    // (a database URL, or a data directory; empty: the default store).
    static StoreCopyResult copyStore(const QString &from, const QString &to, bool merge,
                                     const std::function<void(qint64 done, qint64 total)> &progress,
                                     StoreCopyCounts *counts, QString *error);

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
    // The Live page: report the attempts other processes record from now on.
    void watchAttemptsElsewhere();
    // Blocks until every write submitted so far is committed and synced. False, with the
    // store's reason, when any of them failed since the last call.
    bool flush(QString *error);
    // What a person can do about a store error (a full disk, a read-only file, a lock).
    static QString storeAdvice(const QString &error);
    // True between storeProblem() or storeUnreachable() and storeRecovered().
    bool isStoreFailing() const;
    // True between storeUnreachable() and storeRecovered(): nothing can be read either.
    bool isStoreUnreachable() const { return m_unreachable; }
    // Forgets Idempotency-Key records older than 24 h (on the writer thread).
    void expireIdempotencyRecords();

    // Endpoints.
    QList<Endpoint> endpoints() const;
    std::optional<Endpoint> endpoint(const QString &id) const;
    // An id or a unique prefix of one (as typed on the command line); nullopt and *error.
    std::optional<Endpoint> findEndpoint(const QString &idOrPrefix, QString *error) const;
    // The name the engine knows an endpoint by (no store read), or the id's start.
    QString endpointName(const QString &id) const;
    // Validates against the catalog; on success the endpoint has its id and timestamps.
    QList<ValidationError> saveEndpoint(Endpoint *endpoint);
    // False with the store's reason in *error.
    bool removeEndpoint(const QString &id, QString *error = nullptr);
    bool setEndpointEnabled(const QString &id, bool enabled, QString *error = nullptr);

    EndpointStats endpointStats(const QString &endpointId) const;
    // How an endpoint has been doing over [from, to), from the per-minute counts kept as
    // attempts are recorded (see domain/EndpointActivity.h); 0 bin minutes: totals only.
    EndpointActivity endpointActivity(const QString &endpointId, const QDateTime &from,
                                      const QDateTime &to, int binMinutes) const;
    // The delivery an unfinished ordered delivery waits for (empty: none).
    QString heldBehind(const Delivery &delivery) const;

    // Store-wide settings, shared by every process on the store (read when it opens).
    // Which addresses deliveries may reach (EgressPolicy.h); saving an endpoint whose URL is a
    // literal address the policy blocks is refused, names are checked at every attempt.
    EgressPolicy egressPolicy() const;
    bool setEgressPolicy(const EgressPolicy &policy, QString *error = nullptr);
    // The largest payload accepted for publishing, in bytes (default 1 MiB), checked before
    // anything is stored.
    qint64 maxPayloadBytes() const { return m_maxPayloadBytes; }
    bool setMaxPayloadBytes(qint64 bytes, QString *error = nullptr);
    static constexpr qint64 kDefaultMaxPayloadBytes = 1024 * 1024;
    // Attempts under way at once over all endpoints, in each process that delivers (each
    // endpoint has its own limit too, Endpoint::maxInFlight).
    int maxInFlight() const;
    bool setMaxInFlight(int attempts, QString *error = nullptr);
    static constexpr int kDefaultMaxInFlight = 1024;
    static constexpr int kMaxGlobalInFlight = 4096;
    // Where the key that seals endpoint secrets comes from (a file path, or the variable).
    static QString secretKeyLocation();

    const EventCatalog &catalog() const { return m_catalog; }
    QString saveEventType(const EventType &type);

    // Publishing. Every new delivery is stored (synced) before its first attempt. Whether
    // this process sends what it stores (the default) or leaves it due for whichever process
    // delivers ('hookline fire' without --wait stores work for 'hookline run').
    void setSending(bool sending);
    // Sends an event as given to one endpoint (even a non-subscriber) or, with an empty id,
    // to every enabled subscriber. Returns the delivery ids, or none and *error.
    // `hooks` (optional) add to the transaction that stores it and hear how it went.
    QStringList publish(const Event &event, const QString &endpointId, AttemptTrigger trigger,
                        QString *error, const PublishHooks &hooks = {});
    // Hooks that store an Idempotency-Key's record with the event (its response made from the
    // new delivery ids by `answer`) - unless a record of that key younger than 24 h is there
    // already, and then nothing at all is stored: a retried publish never publishes twice,
    // even from two processes at once.
    static PublishHooks onceOnly(const IdempotencyRecord &record,
                                 std::function<QByteArray(const QStringList &deliveryIds)> answer,
                                 std::function<void(PublishHooks::Outcome, const QString &)> done);
    // The first answer to (token, key), if younger than 24 h.
    std::optional<IdempotencyRecord> idempotencyRecord(const QString &tokenId,
                                                       const QString &key) const;
    static constexpr qint64 kIdempotencyWindowMs = 24 * 3600 * 1000;

    // Renders the type's template (or `templateText`, a template of the caller's) and
    // publishes it as a test event.
    QStringList sendTest(const QString &type, const QString &endpointId, QString *error,
                         const QString &templateText = {}, const PublishHooks &hooks = {});
    // The type's template rendered with sample data (a test event's payload), or empty and
    // *error.
    QByteArray renderTest(const QString &type, QString *error); // advances the sample ids
    // Whether an event of this type would go anywhere (an enabled endpoint subscribes).
    bool hasSubscribers(const QString &type) const;
    // Sends a call's four stages (or an agent's two) in order: each stage starts when the
    // previous one's first attempts are done; scenarioFinished() follows the last.
    // Returns false with *error if it cannot start.
    bool runScenario(const QString &kind, const QString &endpointId, QString *error);
    // Stores all of a scenario's stages at once, in order, for whichever process delivers.
    QStringList queueScenario(const QString &kind, const QString &endpointId, QString *error);
    // A new attempt now (trigger: manual), whatever the delivery's state.
    bool redeliver(const QString &deliveryId, QString *error);
    // Marks a delivery due now for whichever process delivers, and waits until that is
    // stored. False with *error when another live process holds it or the store failed.
    bool queueRedelivery(const QString &deliveryId, QString *error);
    // Outage recovery: how many of an endpoint's deliveries failed or were cancelled at or
    // after `since` (-1 when the store cannot say), and sending them all again. recover() makes
    // them due now in one synced write (so a crash right after loses none), fills *resent
    // (oldest first) and sends them from this process if it delivers (as the window and
    // 'hookline run' do; with sending off they wait for one that does). Refused for a
    // disabled endpoint: they would be cancelled again at once.
    qint64 countRecoverable(const QString &endpointId, const QDateTime &since) const;
    bool recover(const QString &endpointId, const QDateTime &since, QList<Delivery> *resent,
                 QString *error);
    // Redelivers every failed delivery of an endpoint updated since `since`; returns how many.
    int retryFailedSince(const QString &endpointId, const QDateTime &since);

    // API tokens. create returns the token (shown once; only its hash is kept) and fills
    // *created, or returns "" with *error.
    QString createToken(const QString &name, bool readOnly, ApiToken *created, QString *error);
    QList<ApiToken> tokens() const;
    std::optional<ApiToken> findToken(const QString &idOrPrefix, QString *error) const;
    bool revokeToken(const QString &id, QString *error);
    // The token a request's bearer string names (none: unknown or revoked). Notes its use
    // (at most once a minute per token).
    std::optional<ApiToken> authenticate(const QString &bearer);

    // History (newest first).
    std::optional<Delivery> delivery(const QString &id, bool withAttempts = true) const;
    std::optional<Delivery> findDelivery(const QString &idOrPrefix, QString *error) const;
    QList<Delivery> deliveries(const DeliveryQuery &query) const;
    qint64 countDeliveries(const DeliveryQuery &query) const;
    QList<Attempt> attempts(const QString &deliveryId) const;
    // An endpoint's retrying deliveries, soonest next try first (at most `limit`).
    QList<Delivery> retryingDeliveries(const QString &endpointId, int limit) const;
    // Smallest and largest seq (see Store::seqRange).
    std::pair<qint64, qint64> seqRange() const;
    // Where the query's row at `position` starts (see Store::seekPosition).
    std::optional<DeliverySeek> seekPosition(const DeliveryQuery &query, qint64 position) const;
    // Full-text search over payloads and responses on a worker thread; searchFinished()
    // answers with the number returned here. A new search cancels the running one.
    int searchDeliveries(const QString &text, int limit = 5000);
    void cancelSearch();
    bool isSearching() const;
    // Writes what `query` selects to `out` on the calling thread, through a connection of its
    // own (so a worker thread can run it while the window keeps working).
    static ExportResult exportDeliveries(const QString &databasePath, const DeliveryQuery &query,
                                         ExportFormat format, QIODevice *out,
                                         const std::atomic<bool> *cancel);
    // Deletes old final deliveries on the writer thread; `done` gets how many went.
    void applyRetention(const RetentionPolicy &policy, QObject *context = nullptr,
                        std::function<void(qint64 removed)> done = {});

    // Delivery limits and what the engine is doing now.
    DispatcherOptions deliveryOptions() const;
    void setDeliveryOptions(const DispatcherOptions &options);
    DispatcherCounters counters() const;

    // Starts the built-in receiver on `port` (a free one when busy or 0) and recreates the
    // inboxes that saved endpoints point at, with their secrets, so local test endpoints
    // keep working across restarts. Returns the port, or 0 with *error.
    quint16 startReceiver(quint16 port, QString *error);
    // Listens on exactly `port` (0: any free one); false with *error naming the port.
    bool listenReceiver(quint16 port, QString *error);
    void stopReceiver();
    bool isReceiverListening() const;
    quint16 receiverPort() const;
    bool receiverHasIpv6() const;
    // Inboxes (see domain/Inbox.h). setInbox validates and returns a message, or empty.
    QString setInbox(const InboxConfig &config);
    bool removeInbox(const QString &name);
    QStringList inboxNames() const;
    InboxConfig inbox(const QString &name) const;
    QUrl inboxUrl(const QString &name, bool ipv6 = false) const;
    QList<CapturedRequest> inboxRequests(const QString &name) const;
    void clearInboxRequests(const QString &name);
    // Points the endpoint at inbox `inboxName` of the built-in receiver, sharing its secret.
    void attachTestInbox(Endpoint *endpoint, const QString &inboxName);
    // Points the endpoint at an inbox of its own: the one its URL names already, else the
    // first of "test", "test-2", ... that no saved endpoint uses - so each local test
    // endpoint has its own secret and its own list of requests. Returns the inbox's name.
    QString attachOwnTestInbox(Endpoint *endpoint);
    // The inbox of the built-in receiver a URL points at, or empty.
    QString localInboxOf(const QString &url) const;

    // The admin API (api/ApiServer.h) on this engine: listens, or false with *error naming
    // the address. Serving again moves it to the new address.
    bool serveApi(const ApiOptions &options, QString *error);
    void stopApi();
    bool isApiServing() const;
    // http://127.0.0.1:8470 (https with TLS), or empty when off.
    QString apiUrl() const;

    // Shuts the dispatcher down (in-flight attempts finish or are recorded) and commits.
    void close();

signals:
    void endpointsChanged();
    void catalogChanged();
    void scenarioFinished(const QString &kind);
    // The store cannot be written: nothing new is accepted or sent until storeRecovered().
    void storeProblem(const QString &error);
    void storeRecovered();
    // A shared store's server does not answer (why, naming host and port): reads and writes
    // wait, what is shown stays; storeRecovered() once it answers again.
    void storeUnreachable(const QString &why);
    // The dispatcher's work, as it happens.
    void deliveriesQueued(const QStringList &deliveryIds);
    void attemptStarted(const Delivery &delivery, const Attempt &attempt);
    void attemptFinished(const Delivery &delivery, const Attempt &attempt);
    void deliveryFinished(const Delivery &delivery, const QString &why);
    void endpointDisabled(const QString &endpointId, const QString &reason);
    void redeliveryRefused(const QString &deliveryId, const QString &why);
    // An ordered delivery waits for an earlier one with its key; sent when its turn comes.
    void deliveryHeld(const Delivery &delivery, const QString &behindDeliveryId);
    // A held delivery of this process was sent by another process on the store.
    void deliveryTakenElsewhere(const QString &deliveryId);
    // Another process on a shared (PostgreSQL) store queued, sent or changed deliveries.
    void deliveriesChangedElsewhere();
    // An attempt another process on the store recorded (watchAttemptsElsewhere()): on its
    // notice on a server (within a second), at the next look for changes on SQLite.
    void attemptRecordedElsewhere(const Delivery &delivery, const Attempt &attempt);
    // The built-in receiver.
    void requestCaptured(const CapturedRequest &request);
    void receiverRefusedConnection(const QString &reason);
    // One API request answered (for a log).
    void apiRequestLogged(const ApiLogEntry &entry);
    void searchFinished(int searchId, const QList<qint64> &seqs, bool truncated,
                        const QString &error);

private:
    void reloadEndpoints();
    void checkEndpoints();
    void syncInbox(const Endpoint &endpoint);

    std::unique_ptr<Store> m_store;
    std::unique_ptr<StoreWriter> m_writer;
    std::unique_ptr<Dispatcher> m_dispatcher;
    std::unique_ptr<ReceiverServer> m_receiver;
    DeliverySearch *m_search = nullptr;
    std::unique_ptr<ApiServer> m_api;
    EventCatalog m_catalog;
    qint64 m_maxPayloadBytes = kDefaultMaxPayloadBytes;
    QString payloadTooLarge(qsizetype bytes) const;
    SampleData m_sample;
    QTimer m_poll;
    bool m_unreachable = false;
    qint64 m_failuresSeen = 0;
    QHash<QString, qint64> m_tokenTouched; // token id -> ms of the last recorded use
    // watchAttemptsElsewhere(): attempt ids are handed out when a row is inserted, so one
    // that commits late can have a smaller id than one already seen: each look goes back
    // kAttemptOverlap ids and skips those it saw. This process's own attempts (known by
    // delivery and number; it shows them as they happen) are skipped too.
    void lookForAttemptsElsewhere();
    bool m_watchingAttempts = false;
    qint64 m_attemptsSeenUpTo = 0;
    QSet<qint64> m_attemptsSeen; // ids above m_attemptsSeenUpTo - kAttemptOverlap
    QSet<QString> m_ownAttempts; // "delivery#number" of recent attempts of this process
    std::deque<QString> m_ownAttemptOrder;
    QTimer m_attemptLook; // after a notice
    static constexpr int kAttemptLookMs = 250;
    static constexpr int kAttemptOverlap = 256;
    static constexpr int kOwnAttemptsKept = 20000;
    static constexpr int kAttemptsPerLook = 500;
};
