// SPDX-License-Identifier: GPL-3.0-or-later
// The delivery engine. It fans an event out to every enabled endpoint subscribed to its
// type, records each delivery durably *before* the first attempt (an outbox), sends
// attempts with QNetworkAccessManager under a per-endpoint and a global concurrency limit
// and each endpoint's rate limit (a token bucket),
// cuts each attempt off at the endpoint's total deadline, reads at most a capped share of
// the response, classifies failures, schedules retries, disables endpoints that answer 410
// or fail too often, and records every attempt.
// It sends only what it has claimed in the store (see Store.h): its own new deliveries are
// stored already claimed, due work of others is claimed in bounded batches from the due-time
// index (woken by a timer and a cheap one-second look at that index, never by a scan), and
// the leases of what it holds are renewed while it works. Several processes on one store
// therefore never send one delivery twice; a process that dies leaves its claims to expire
// (or to be released at once by the next start on the same machine), and whoever takes them
// sends them with the same webhook-id.
// When the store cannot write (a full disk, a read-only file), it stops starting attempts,
// keeps the outcomes it could not record and writes them once the store works again.
// It never blocks its thread: network I/O is asynchronous and writes go to StoreWriter.
#pragma once

#include "RequestBuilder.h"
#include "domain/Delivery.h"
#include "domain/DeliveryOptions.h"
#include "domain/EgressPolicy.h"
#include "domain/Endpoint.h"
#include "domain/Event.h"
#include "store/Store.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>
#include <QRandomGenerator>
#include <QSet>
#include <QTimer>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

class QNetworkAccessManager;
class QNetworkReply;
class StoreWriter;

class Dispatcher : public QObject
{
    Q_OBJECT
public:
    Dispatcher(StoreWriter *writer, QObject *parent = nullptr);
    ~Dispatcher() override;

    void setOptions(const DispatcherOptions &options) { m_options = options; }
    // Which addresses attempts may connect to (EgressPolicy.h). Host names are resolved here,
    // each address checked, and the connection pinned to an allowed one.
    void setEgressPolicy(const EgressPolicy &policy)
    {
        m_egress = policy;
        m_resolved.clear();
    }
    const EgressPolicy &egressPolicy() const { return m_egress; }
    // How names are resolved (tests give a stub; the default is QHostInfo). The answer comes
    // back through `done`, on this thread, with the addresses or an error sentence.
    using Resolver =
        std::function<void(const QString &host, QObject *context,
                           std::function<void(const QList<QHostAddress> &, const QString &)> done)>;
    void setResolver(Resolver resolver)
    {
        m_resolver = std::move(resolver);
        m_resolved.clear();
    }
    const DispatcherOptions &options() const { return m_options; }
    // How many network managers (each with its own connections and HTTP thread) are open.
    int connectionPools() const { return int(m_pool.size()); }

    void setEndpoints(const QList<Endpoint> &endpoints);
    void upsertEndpoint(const Endpoint &endpoint);
    void removeEndpoint(const QString &id);
    QList<Endpoint> endpoints() const { return m_endpoints.values(); }

    // Persists the event and one delivery per target, then attempts each once the write is
    // committed. With onlyEndpointId the event goes to that endpoint only (whether or not
    // it subscribes to the type). Returns the new delivery ids, or none and *error.
    // `hooks` (optional) add to the storing transaction and hear its outcome.
    QStringList dispatch(const Event &event, const QString &onlyEndpointId = {},
                         AttemptTrigger trigger = AttemptTrigger::Scheduled,
                         QString *error = nullptr, const PublishHooks &hooks = {});

    // Whether dispatch() and redeliver() send what they store (the default). Off, new
    // deliveries are stored due for whichever process delivers ('hookline fire' without
    // --wait).
    void setSending(bool sending) { m_sending = sending; }
    // Starts taking due work from the store (the window, 'hookline run'): releases the claims
    // of processes on this machine that have died, claims one batch of due deliveries now
    // (blocking until that commit) and returns how many; later batches come by themselves.
    // `reader` must outlive the dispatcher's use of it.
    int resume(const Store &reader);
    // Another process queued work or gave some back (a team store's notice): look for due
    // work now rather than at the next poll.
    void wake();
    // This process's name in the store's claims.
    QString owner() const { return m_owner; }
    // True while the store cannot record what this dispatcher does (see storeFailing).
    bool isStalled() const { return m_stalled; }
    // A new attempt now, trigger = manual, for any delivery in the store.
    bool redeliver(const Store &store, const QString &deliveryId, QString *error = nullptr);
    // Deliveries just made due again in the store (an outage recovery). A dispatcher that
    // takes due work (the window, 'hookline run') claims now rather than at its next poll; one
    // that does not ('hookline recover --wait') claims these, an ordered one only when its turn
    // comes, and leaves one that another process holds to it (deliveryTakenElsewhere). With
    // sending off, they wait in the store for whoever delivers.
    void sendDue(const QList<Delivery> &deliveries);
    // Redelivers every failed delivery of an endpoint updated since `since`.
    int retryFailedSince(const Store &store, const QString &endpointId, const QDateTime &since);

    // Stops starting attempts; in-flight ones finish (up to graceMs) and everything is
    // written. Queued and scheduled work stays in the store for the next start.
    void shutdown(int graceMs = 5000);

    DispatcherCounters counters() const;
    // Deliveries this process holds for one endpoint: claimed and waiting their turn, and
    // being attempted now.
    int queuedFor(const QString &endpointId) const;
    int inFlightFor(const QString &endpointId) const
    {
        return m_inFlightPerEndpoint.value(endpointId);
    }
    bool isIdle() const { return m_active.isEmpty() && m_readyCount == 0; }

signals:
    void deliveriesQueued(const QStringList &deliveryIds);
    void attemptStarted(const Delivery &delivery, const Attempt &attempt);
    void attemptFinished(const Delivery &delivery, const Attempt &attempt);
    // A delivery reached succeeded, failed or cancelled (why: the last error, if any).
    void deliveryFinished(const Delivery &delivery, const QString &why);
    void endpointDisabled(const QString &endpointId, const QString &reason);
    // An ordered delivery waits for an earlier one with its key (Endpoint::orderKey) to
    // succeed or become final; it is sent when its turn comes.
    void deliveryHeld(const Delivery &delivery, const QString &behindDeliveryId);
    // A held delivery of ours was sent (or finished) by another process on the store.
    void deliveryTakenElsewhere(const QString &deliveryId);
    // The store refused a write: attempts are paused until it works again (storeRecovered).
    void storeFailing(const QString &error);
    void storeRecovered();
    // redeliver() accepted the request but the store would not hand the delivery over (another
    // process is sending it, or the store cannot be written).
    void redeliveryRefused(const QString &deliveryId, const QString &why);
    void idle();

private:
    // An attempt's outcome as it goes to the store.
    struct Outcome
    {
        Delivery delivery;
        Attempt attempt;
        ErrorClass storedError = ErrorClass::None;
        bool finalOutcome = false;
        bool succeeded = false;
        QString disableReason;
        int threshold = 0;
    };
    struct Job
    {
        Delivery delivery;
        QByteArray payload;
        AttemptTrigger trigger = AttemptTrigger::Scheduled;
        // In a ready queue, or an attempt in flight: makeReady() leaves such a job alone, so
        // that two routes to the same delivery (a claim and the publish that stored it, a
        // redelivery of work in hand) never send it twice.
        bool ready = false;
        bool sending = false;
    };
    // One QNetworkAccessManager and what it carries. Qt 6.4 opens at most 6 HTTP/1.1
    // connections per host and port in one manager (and runs each manager's sockets on its own
    // thread), so an endpoint allowed more attempts at once spreads them over several.
    struct NamSlot
    {
        QNetworkAccessManager *nam = nullptr;
        int position = 0; // in m_pool
        int inFlight = 0;
        qint64 idleSince = 0; // m_clock time inFlight last dropped to 0
    };
    // Attempts in flight to one connection key, per manager (by position in m_pool).
    struct KeyLoad
    {
        std::vector<int> perSlot;
        int total = 0;
    };
    // The manager for the next attempt on this key; *load is the key's tally (stable until
    // its total drops to 0).
    NamSlot *slotFor(const QString &connectionKey, KeyLoad **load);
    NamSlot *newSlot();
    void closeIdlePools();
    struct Active
    {
        QString deliveryId;
        QString endpointId;
        NamSlot *slot = nullptr;
        KeyLoad *load = nullptr;
        QString connectionKey;
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
    void writeOutcomes(const QList<Outcome> &outcomes);
    // Records a batch of outcomes (in the writer's thread); *disabled gets the endpoints a
    // run of failures disabled.
    static bool recordOutcomes(Store &store, const QList<Outcome> &outcomes,
                               QList<std::pair<QString, QString>> *disabled);
    Claim lease() const;
    void requestClaim();
    void takeClaimed(const QList<ClaimedDelivery> &claimed, AttemptTrigger trigger);
    void reclaimForRetry(const QString &deliveryId);
    void onPoll();
    void renewLeases();
    void stall(const QString &error);
    void probeStore();
    void recovered();
    void checkIdle();
    void armDeadlineTimer();
    void onDeadline();

    StoreWriter *m_writer;
    std::vector<std::unique_ptr<NamSlot>> m_pool; // the first one is never closed
    std::unordered_map<QString, KeyLoad> m_keyLoad;
    QSet<QString> m_h2Keys; // connection keys whose server speaks HTTP/2: one carries many
    QTimer m_poolTimer;
    DispatcherOptions m_options;
    EgressPolicy m_egress;
    Resolver m_resolver;
    struct Resolution
    {
        QList<QHostAddress> addresses;
        QString error;
        qint64 expires = 0; // m_clock time
        bool pending = false;
    };
    QHash<QString, Resolution> m_resolved; // host name -> what it resolved to, kept briefly
    bool addressReady(const QString &endpointId);
    QHash<QString, Endpoint> m_endpoints;
    QHash<QString, Target> m_targets; // by endpoint id; dropped when the endpoint changes
    QHash<QString, Job> m_jobs;       // every delivery this engine holds, by id
    QHash<QString, std::deque<QString>> m_ready; // per endpoint, in order
    QStringList m_endpointRing;                  // round-robin over endpoints with ready work
    int m_readyCount = 0;
    QHash<QString, int> m_inFlightPerEndpoint;
    // Rate limits: a token bucket per endpoint with a rate. Buckets start empty, so a
    // restart never grants a second burst.
    struct Bucket
    {
        double tokens = 0;
        qint64 refilled = 0; // m_clock time
    };
    QHash<QString, Bucket> m_buckets;
    QTimer m_rateTimer;
    // Whether the endpoint may start an attempt now by its rate limit; if not, *waitMs says
    // when it may.
    bool rateAllows(const Endpoint &endpoint, qint64 *waitMs);
    // How many claimed deliveries of an endpoint this dispatcher keeps ready at most: enough
    // to keep its attempts going while the next claim is on its way.
    int readyWindow(const Endpoint &endpoint) const;
    // On a server a claim is a round trip to another process, not a write in this one: the
    // window holds this many times more (more held by a process killed with kill -9 until
    // their leases run out; at most 2,048 per endpoint).
    static constexpr int kServerClaimAhead = 4;
    int m_claimAhead = 1;
    // On a server store an endpoint's attempts at once are shared by every process that
    // delivers (Store::holdSlots): this process starts an attempt only in a slot it holds, and
    // no more than its fair share among the processes that have work for the endpoint.
    bool m_sharedLimits = false;
    QHash<QString, SlotGrant> m_slots; // endpoint id -> slots held and the share
    bool m_slotsPending = false;
    QHash<QString, SlotWish> m_slotsAsked; // the last wishes asked for
    QTimer m_slotCheck;
    // How soon slots that were refused are asked for again, and how often a holder learns its
    // share anew (a new process with work for the endpoint gets its part within this).
    static constexpr int kSlotCheckMs = 250;
    int limitFor(const QString &endpointId) const;
    void learnEndpoint(const QString &id);
    void syncSlots(bool all = false);
    QHash<QString, SlotWish> slotWishes(bool all = false) const;
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

    // Claims.
    QString m_owner;
    bool m_sending = true;
    const Store *m_reader = nullptr; // set by resume(): this dispatcher takes due work
    bool m_claimPending = false;
    // Endpoints whose last claim came back full: more of their work may be due, and is
    // claimed as soon as their ready queue has room.
    QSet<QString> m_moreDue;
    struct ClaimRequest
    {
        QHash<QString, int> rooms;
        QStringList asked; // endpoints with room, whose "more due" the answer settles
    };
    ClaimRequest claimRooms() const;
    int roomFor(const QString &endpointId) const;
    void claimed(const ClaimRequest &request, const QList<ClaimedDelivery> &claimed,
                 const QStringList &full);
    int m_polls = 0;
    int m_pollMs = kPollMs; // the store's pollIntervalMs()
    QTimer m_pollTimer;
    QTimer m_renewTimer;
    // Ordered deliveries this dispatcher stored but holds back behind an earlier one, per
    // endpoint and key, in publishing order: only the first of each key can be next, so only
    // those are asked for (after an ordered outcome of ours, or a look once a second) and
    // the cost follows the number of keys, not of waiting deliveries.
    QHash<QString, std::deque<QString>> m_waitingOrdered; // endpoint + key -> delivery ids
    QHash<QString, QString> m_waitingGroup;               // delivery id -> endpoint + key
    void addWaiting(const Delivery &delivery);
    bool removeWaiting(const QString &deliveryId);
    bool m_orderedClaimPending = false;
    QTimer m_orderedTimer;
    void claimWaitingOrdered();
    // Store failures.
    bool m_stalled = false;
    bool m_probePending = false;
    QList<Outcome> m_unrecorded; // outcomes the store could not take yet
    // Outcomes submitted to the writer that its operation has not taken yet (it takes them
    // on the writer's thread).
    struct OutcomeQueue
    {
        QMutex mutex;
        QList<Outcome> waiting;
    };
    std::shared_ptr<OutcomeQueue> m_outcomes = std::make_shared<OutcomeQueue>();
    QTimer m_probeTimer;

public:
    static constexpr int kLeaseMs = 60000;
    static constexpr int kRenewMs = 20000;
    static constexpr int kClaimBatch = 256;
    // Ready deliveries kept per endpoint the store knows but this dispatcher does not yet.
    static constexpr int kUnknownEndpointWindow = 32;
    // A retry due later than this is left to the store's due-time index rather than held.
    static constexpr int kHoldRetryMs = 30000;
    static constexpr int kHttp1Connections = 6; // Qt 6.4, per host and port and manager
    static constexpr int kHttp2Streams = 100;   // Qt's default concurrent streams
    static constexpr int kPoolIdleMs = 60000;
    static constexpr int kPollMs = 1000;
    static constexpr int kProbeMs = 1000;
};
