// SPDX-License-Identifier: GPL-3.0-or-later
// Durable storage of everything Hookline knows: endpoints, custom event types, events,
// deliveries and their attempts, in one SQLite file (WAL mode) through QtSql - or, for team
// mode, in a PostgreSQL database shared by every Hookline process on every machine.
// The SQL is the same on both wherever it can be; where the two differ (schema types, the
// schema version, transactions, claims) the SQLite text is the default and the PostgreSQL
// one sits beside it, chosen by isPostgres(). SQLite-only tricks (the raw statement API,
// pragmas, the counting triggers of StoreCounts.cpp) stay on SQLite.
// A Store is one connection and must be used from one thread only; the delivery engine
// writes through StoreWriter (its own thread, batched transactions) while readers open
// their own Store on the same file. The schema is versioned (PRAGMA user_version) and
// migrated in order; a file from a newer Hookline is refused and left untouched.
// Every commit is synced to disk (synchronous=FULL) unless the writer says a transaction
// may be lost at a power cut (outcome records: losing one only means a resend).
// Work is handed out by claims: a delivery that is not final has a due time (`due_at`); a
// process takes due deliveries by moving their due time to the end of its lease and naming
// itself the owner, in one write transaction, so no other process or thread sends them
// until the lease runs out. Due work is found through a partial index on that time. On a
// server the rows are read FOR UPDATE SKIP LOCKED, so two processes claiming at once take
// different deliveries without waiting for each other.
#pragma once

#include "catalog/EventCatalog.h"
#include "domain/ApiToken.h"
#include "domain/Delivery.h"
#include "domain/DeliveryQuery.h"
#include "domain/Endpoint.h"
#include "domain/EndpointActivity.h"
#include "domain/Event.h"

#include <QHash>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

// A process's hold on deliveries it is about to send: nobody else takes them before `until`.
struct Claim
{
    QString owner;
    QDateTime until;
};

// Store::holdSlots: what a process asks of an endpoint's shared slots, and what it got.
struct SlotWish
{
    int want = 0;  // slots it could use now (in flight and ready)
    int limit = 0; // the endpoint's attempts at once
    int busy = 0;  // slots in use: never given back
    bool operator==(const SlotWish &o) const
    {
        return want == o.want && limit == o.limit && busy == o.busy;
    }
};

struct SlotGrant
{
    int held = 0;
    int share = 0;   // of the limit, among the processes with work for the endpoint
    int sharers = 1; // those processes (this one among them), for a part of the rate
};

// A claimed delivery with what is needed to send it.
struct ClaimedDelivery
{
    Delivery delivery;
    QByteArray payload;
};

struct sqlite3;

class Store
{
public:
    static constexpr int kSchemaVersion = 12;

    ~Store();
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    // Opens (creating if needed) the database and migrates it. `location` is a file path, or
    // a database URL (sqlite:PATH, postgresql://…, see DatabaseUrl). On failure returns null
    // and a message naming the file or server (never a password) and what to do.
    static std::unique_ptr<Store> open(const QString &location, QString *error);
    // Whether the text is a database URL rather than a file path.
    static bool isDatabaseUrl(const QString &location);
    // Whether it names a database server (PostgreSQL) rather than a file.
    static bool isServerLocation(const QString &location);
    // The default file: <user data dir>/hookline.sqlite, or <dataDir>/hookline.sqlite.
    static QString defaultPath(const QString &dataDir = {});

    // What a person can do about a failed read or write, from SQLite's message for it.
    static QString advice(const QString &error);

    // What open() was given: another connection to the same store opens it again.
    QString path() const { return m_path; }
    // The file, or the server's URL with the password masked: for people.
    QString displayName() const { return m_display; }
    bool isPostgres() const { return m_pg; }
    QString lastError() const { return m_lastError; }
    // The error classes of attempts that got no HTTP answer, as an SQL list ("error" in
    // History's Code filter).
    static QString noAnswerErrorsSql();
    // Deliveries are counted per bucket of 2^kSeqBucketBits consecutive seq values.
    static constexpr int kSeqBucketBits = 16;
    // The count of a query by endpoint, state and outcome from the kept totals; nullopt for
    // other filters (StoreCounts.cpp).
    std::optional<qint64> countFromTotals(const DeliveryQuery &query) const;
    // Where the query's row at `position` (0: newest) is: the rows older than
    // DeliverySeek::beforeSeq, skipping DeliverySeek::offset of them - at most a bucket's
    // worth, where an OFFSET from the top steps over every row above. nullopt for filters
    // the totals do not keep, position 0, and positions past the end.
    std::optional<DeliverySeek> seekPosition(const DeliveryQuery &query, qint64 position) const;

    // SQLite checkpoints the WAL into the database file after a commit once it holds this
    // many pages (1000 by default); 0 turns that off.
    // Settings shared by every process on this store (key -> text).
    QString setting(const QString &key, const QString &fallback = {}) const;
    bool setSetting(const QString &key, const QString &value);
    bool setAutoCheckpointPages(int pages);
    // Whether the next commits are synced to stable storage before they return (the
    // default), or may be lost at a power cut (never at a process crash). Outside a
    // transaction only.
    bool setDurableCommits(bool durable);

    // Team mode: what changed, told to the other processes on a shared store when the
    // transaction that changed it commits (PostgreSQL NOTIFY on the channel "hookline"; on
    // SQLite nothing: each process looks for due work once a second).
    enum Change : int { WorkQueued = 1, DeliveriesChanged = 2, EndpointsChanged = 4 };
    void announce(int changes);
    // Whose notices this connection sends and skips (default: this process's).
    void setAnnounceToken(const QString &token);
    // Calls `onChange` on this connection's thread with what another process announced
    // (LISTEN; notices a process sends are not given back to the same process). False on
    // SQLite, where there is nothing to listen to.
    bool listen(QObject *context, std::function<void(int changes)> onChange);
    // PostgreSQL: whether the server still answers; if it does not, one attempt to connect
    // again (statements prepared on the old connection are dropped, LISTEN is renewed).
    // False with the reason (naming host and port) while it cannot. Always true on SQLite.
    bool checkConnection(QString *why);
    // An endpoint's attempts at once, shared by every process on a server store: slot i of an
    // endpoint is a session advisory lock of this connection on (hashtext(id), i), which the
    // server drops with the connection (a killed process's slots are free at once). A
    // connection with work for the endpoint (a wish for slots, or slots in use) says so with a
    // shared lock on (hashtext(id), -1); its fair share is the limit divided among those
    // (rounded up). holdSlots takes or gives back slots so that this connection holds
    // max(busy, min(want, share)) of them - fewer if others hold the rest - and never gives
    // back one in use. On SQLite every wish is granted (limits hold per process there).
    bool holdSlots(const QHash<QString, SlotWish> &wishes, QHash<QString, SlotGrant> *granted);

    // How often a process must look for due work or changed endpoints by itself: 1 s on
    // SQLite, 5 s on a server that announces changes (a lost notice costs at most that).
    int pollIntervalMs() const { return m_pg ? 5000 : 1000; }

    // BEGIN IMMEDIATE: takes the write lock at once (waiting up to the busy timeout for
    // another process), so a transaction that reads and then claims never fails half-way.
    bool begin();
    bool commit();
    void rollback();
    // Nested scopes inside a transaction (StoreWriter runs each operation in one).
    bool savepoint();
    bool releaseSavepoint();
    bool rollbackToSavepoint();

    // Endpoints. saveEndpoint validates, assigns id/created on insert and updated always.
    QList<Endpoint> endpoints() const;
    std::optional<Endpoint> endpoint(const QString &id) const;
    // Accepts a unique id prefix too (as typed on the command line), or the endpoint's name
    // when no id starts with the text and exactly one endpoint has that name.
    std::optional<Endpoint> findEndpoint(const QString &idOrPrefix, QString *error) const;
    QString saveEndpoint(Endpoint *endpoint, const QStringList &knownEventTypes = {});
    bool removeEndpoint(const QString &id);
    bool setEndpointEnabled(const QString &id, bool enabled, const QString &reason = {});
    // Counts a delivery's final outcome; returns the run of consecutive failures after it.
    int recordEndpointOutcome(const QString &id, bool succeeded);

    // Event types: the built-ins plus what was saved (custom or edited built-ins).
    EventCatalog catalog() const;
    QString saveEventType(const EventType &type);
    QString removeEventType(const QString &id);

    bool insertEvent(const Event &event);
    std::optional<Event> event(const QString &id) const;
    // Without a claim the delivery is due at its nextAttempt for anyone to take.
    bool insertDelivery(const Delivery &delivery, const Claim &claim = {});
    // Also sets the due time from the new state: none when final, nextAttempt otherwise
    // (released for anyone, the caller's claim ends). `storedError`, when the caller knows it, is
    // the outcome the row holds now: an update that leaves it as it is then skips the column, and
    // with it an index delete and insert (on every successful delivery, the common case).
    bool updateDelivery(const Delivery &delivery,
                        std::optional<ErrorClass> storedError = std::nullopt);
    bool insertAttempt(Attempt *attempt);
    // One attempt's outcome as the engine records it: the attempt, its delivery's new state
    // (`storedError` as for updateDelivery) and what it counts as in the activity.
    struct RecordedAttempt
    {
        Attempt attempt;
        Delivery delivery;
        std::optional<ErrorClass> storedError;
        ActivityOutcome outcome = ActivityOutcome::Succeeded;
    };
    // Inserts the attempts, updates their deliveries and counts them (recordActivity), in
    // order, and ends the failure runs of `endingRuns` (as endFailureRuns): row by row on
    // SQLite; on PostgreSQL, where every statement is a round trip to the server, in one
    // statement. Run it inside a write transaction.
    bool recordAttempts(const QList<RecordedAttempt> &records, const QStringList &endingRuns = {});
    // Final successes: these endpoints' runs of consecutive failures end (what
    // recordEndpointOutcome(id, true) does for one).
    bool endFailureRuns(const QStringList &endpointIds);
    std::optional<Delivery> delivery(const QString &id, bool withAttempts = true) const;
    std::optional<Delivery> findDelivery(const QString &idOrPrefix, QString *error) const;
    QList<Attempt> attempts(const QString &deliveryId) const;
    // The Live page's view of other processes: the newest `limit` attempts with an id above
    // `afterId`, in id order - each its delivery id and number only, so that the caller can
    // skip its own before reading the rest with recordedAttempts().
    struct AttemptKey
    {
        qint64 id = 0;
        QString deliveryId;
        int number = 0;
    };
    QList<AttemptKey> attemptKeysAfter(qint64 afterId, int limit) const;
    qint64 lastAttemptId() const;
    // Recorded attempts (no bodies or headers), each with what Live shows of its delivery.
    QList<std::pair<Delivery, Attempt>> recordedAttempts(const QList<qint64> &ids) const;
    // Newest first.
    QList<Delivery> deliveries(const DeliveryQuery &query) const;
    qint64 countDeliveries(const DeliveryQuery &query) const;
    // Smallest and largest seq (0, 0 when empty): with the count, tells whether positions
    // map straight to seq values, which lets the unfiltered history jump without OFFSET.
    std::pair<qint64, qint64> seqRange() const;
    EndpointStats endpointStats(const QString &endpointId, int recent = 200) const;
    // An endpoint's retrying deliveries, soonest next try first.
    QList<Delivery> retryingDeliveries(const QString &endpointId, int limit) const;
    // Pending, in-flight and retrying deliveries, all of them (for checks and tools; the
    // engine finds due work through claimDue, never by reading this).
    QList<Delivery> unfinishedDeliveries() const;

    // Claims up to `limit` deliveries due at `now` (oldest due first) for `claim`; returns
    // them with their payloads in *claimed. Run it inside a write transaction (StoreWriter's).
    bool claimDue(const Claim &claim, const QDateTime &now, int limit,
                  QList<ClaimedDelivery> *claimed);
    // The same, endpoint by endpoint, so that one endpoint's backlog never keeps another's
    // work waiting: at most rooms[id] for each endpoint (`otherRoom` for endpoints not
    // named), oldest due first within each. *full lists the endpoints whose share came back
    // full (more of their work may be due).
    bool claimDueByEndpoint(const Claim &claim, const QDateTime &now,
                            const QHash<QString, int> &rooms, int otherRoom,
                            QList<ClaimedDelivery> *claimed, QStringList *full);
    // For an unfinished ordered delivery: the id of the earliest unfinished delivery to the
    // same endpoint with the same key published before it (it waits for that one); empty
    // when it waits for none.
    QString heldBehind(const Delivery &delivery) const;
    // Claims those of these deliveries that wait for no earlier one (as claimDue would).
    // *gone lists the ones that are final or held by another owner's running lease.
    bool claimIfFirst(const QStringList &deliveryIds, const Claim &claim, const QDateTime &now,
                      QList<ClaimedDelivery> *claimed, QStringList *gone);
    // A delivery with what is needed to send it again, or nullopt and *why (it does not
    // exist, or retention removed its event).
    std::optional<ClaimedDelivery> sendable(const QString &deliveryId, QString *why) const;
    // Claims one delivery (a manual redelivery: whatever its state; a retry that came due:
    // only while it is not final), unless another owner's lease on it is still running. When
    // it is not claimed, *claimed stays empty and *refusal says why. Returns false only when
    // the store failed.
    enum class ClaimState { Any, Unfinished };
    bool claimOne(const QString &deliveryId, const Claim &claim, const QDateTime &now,
                  std::optional<ClaimedDelivery> *claimed, QString *refusal,
                  ClaimState state = ClaimState::Any);
    // Extends the owner's leases on these deliveries (those it still holds).
    bool renewClaims(const QStringList &deliveryIds, const Claim &claim);
    // Gives deliveries back, due at `now`, for anyone (an engine shutting down).
    bool releaseClaims(const QStringList &deliveryIds, const QString &owner, const QDateTime &now);
    // Releases every claim whose owner `isDead` says has gone (a crashed process on this
    // machine): its deliveries are due again at once rather than when the lease runs out.
    int releaseDeadOwners(const std::function<bool(const QString &owner)> &isDead,
                          const QDateTime &now);
    // The earliest due time of any delivery that is not final (invalid when there is none).
    QDateTime nextDue() const;
    // Activity counts (store/StoreActivity.cpp). Adds one recorded attempt to its endpoint's
    // count for the minute it finished in; run it in the transaction that records the attempt.
    bool recordActivity(const QString &endpointId, const Attempt &attempt, ActivityOutcome outcome);
    // An endpoint's counts over [from, to) in whole minutes: in bins of `binMinutes` (every
    // bin, empty ones too) and in total; 0 bin minutes: the total only.
    EndpointActivity endpointActivity(const QString &endpointId, const QDateTime &from,
                                      const QDateTime &to, int binMinutes) const;
    // Drops counts older than kActivityKeptDays.
    bool pruneActivity(const QDateTime &now);

    // Outage recovery: an endpoint's failed and cancelled deliveries that ended at or after
    // `since`, oldest first - how many, and all of them made due now (pending, claimed by
    // nobody) in one statement, returned as they are now.
    qint64 countRecoverable(const QString &endpointId, const QDateTime &since) const;
    bool requeueRecoverable(const QString &endpointId, const QDateTime &since, const QDateTime &now,
                            QList<Delivery> *requeued);
    // Final failures of one endpoint since a time (for "retry all failed since T").
    QList<Delivery> failedDeliveries(const QString &endpointId, const QDateTime &since) const;
    qint64 deliveryCount() const;

    // API tokens (store/StoreApi.cpp). Only hashes are stored.
    bool insertApiToken(const ApiToken &token, const QByteArray &hash);
    QList<ApiToken> apiTokens() const;
    // An id or a unique prefix of one.
    std::optional<ApiToken> findApiToken(const QString &idOrPrefix, QString *error) const;
    std::optional<ApiToken> apiTokenByHash(const QByteArray &hash) const;
    bool deleteApiToken(const QString &id);
    bool touchApiToken(const QString &id, const QDateTime &when);
    // Idempotency keys: the first answer, while it is younger than `notBefore`.
    std::optional<IdempotencyRecord> idempotencyRecord(const QString &tokenId, const QString &key,
                                                       const QDateTime &notBefore) const;
    bool putIdempotencyRecord(const IdempotencyRecord &record);
    qint64 expireIdempotencyRecords(const QDateTime &before);

    // Deletes old final deliveries (never pending, in-flight or retrying work), their
    // attempts and events no delivery refers to. Returns how many deliveries went.
    qint64 applyRetention(const RetentionPolicy &policy, const QDateTime &now);

    // For moving a store (store/StoreCopy.cpp).
    // How many endpoints, events and deliveries it holds (0 for a new store).
    qint64 contentCount() const;
    // Unfinished deliveries under a lease that has not run out: some process is sending them.
    qint64 liveClaims(const QDateTime &now) const;
    // Deliveries after `seq`, in seq order, without their attempts.
    bool deliveriesAfter(qint64 seq, int limit, QList<Delivery> *out) const;
    bool hasDelivery(const QString &id) const;
    // An endpoint's last change as its source had it (saveEndpoint stamps the time of saving).
    bool setEndpointUpdated(const QString &id, const QDateTime &updated);
    // The event types saved in this store (custom ones and edited built-ins).
    QList<EventType> savedEventTypes() const;
    // Adds the activity counts of `source` that this store has no row for (StoreActivity.cpp).
    bool copyActivityFrom(const Store &source);

private:
    Store() = default;
    bool migrate(QString *error);
    bool sealPlainSecrets();
    static QString activitySchemaSql();
    static QStringList countSchemaStatements(); // StoreCounts.cpp
    bool backfillActivity(const QDateTime &now);
    bool exec(const QString &sql) const;
    // Claims these due rows for `claim` (cancelling any whose event is gone).
    bool claimRows(const QList<Delivery> &due, const Claim &claim, QList<ClaimedDelivery> *claimed);
    bool claimRowsOnServer(const QList<Delivery> &due, const Claim &claim,
                           QList<ClaimedDelivery> *claimed);
    bool cancelEventless(const QString &deliveryId);
    bool claimDueOnServer(const Claim &claim, const QDateTime &now,
                          const QHash<QString, int> &rooms, int otherRoom,
                          QList<ClaimedDelivery> *claimed, QStringList *full);
    // recordAttempts on a server: one statement for all of them.
    bool recordAttemptsOnServer(const QList<RecordedAttempt> &records,
                                const QStringList &endingRuns);
    // Its endpoint_activity part (StoreActivity.cpp): the upsert, which reads one JSON
    // parameter, and that parameter for these attempts.
    static QString activityUpsertSql();
    static QString activityRowsJson(const QList<RecordedAttempt> &records);
    // Whether a retry's body is what the delivery's previous attempt stored (kept once).
    bool sameBodyAsBefore(const Attempt &attempt);
    // A statement prepared once per connection and reused.
    QSqlQuery &prepared(const char *sql);
    // The same for the hot write path (events, deliveries, attempts), on SQLite's own API:
    // QtSql's positional binding formats a placeholder name and goes through a QVariant for
    // every value, and that was a third of the writer thread's time.
    class Statement;
    Statement &statement(const char *sql);
    class JsonRows; // rows as one JSON parameter, for batches on a server

    // Runs SQL that is not a prepared DML statement (transactions, settings) on either backend.
    bool execDirect(const char *sql);
    static std::unique_ptr<Store> openPostgres(std::unique_ptr<Store> store, QString *error);
    bool readSchemaVersion(int *version, QString *error);
    bool writeSchemaVersion(int version);
    QStringList migrationStatements(int version) const;

    QString m_path;
    QString m_display;
    bool m_pg = false;
    bool m_inTransaction = false; // between begin() and commit() or rollback()
    int m_announce = 0;           // Change bits to send with the next commit
    bool m_listening = false;     // subscribed to the notices (renewed on reconnecting)
    QString m_announceToken;
    QHash<QString, QList<int>> m_slots; // holdSlots: the endpoint's slots this connection holds
    QSet<QString> m_wanting;            // endpoints this connection wants slots of
    bool sendAnnouncements();
    QString m_connection;
    QSqlDatabase m_db;
    mutable QString m_lastError;
    std::unordered_map<const char *, std::unique_ptr<QSqlQuery>> m_statements;
    sqlite3 *m_sqlite = nullptr; // the connection QtSql opened, for Statement
    std::unordered_map<const char *, std::unique_ptr<Statement>> m_sqliteStatements;
};
