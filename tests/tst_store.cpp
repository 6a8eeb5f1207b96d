// SPDX-License-Identifier: GPL-3.0-or-later
// The store, on SQLite and (HOOKLINE_TEST_BACKEND=postgresql, CTest's tst_store_postgresql)
// on a throw-away PostgreSQL server, each test on a database of its own: endpoints, event types,
// events, deliveries and attempts survive a reopen; the schema refuses a newer version without
// touching it; retention never deletes unfinished work; StoreWriter batches writes and calls back
// only after the commit.
#include "FaultVfs.h"
#include "TestBackend.h"
#include "domain/Ids.h"
#include "store/Store.h"
#include "store/StoreWriter.h"

#include <QDir>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSemaphore>
#include <QSet>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUuid>

#include <atomic>
#include <memory>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#endif

namespace {

using TestBackend::onPostgres;
QVariant scalar(const QString &path, const QString &sql);

QString uuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

Endpoint sampleEndpoint()
{
    Endpoint e;
    e.name = QStringLiteral("CRM");
    e.url = QStringLiteral("https://crm.example.com/hooks");
    e.description = QStringLiteral("Call log");
    e.allEvents = false;
    e.eventTypes = {QStringLiteral("call.ringing"), QStringLiteral("call.ended")};
    e.format = PayloadFormat::Xml;
    e.headers = {{QStringLiteral("x-api-key"), QStringLiteral("k-123")}};
    e.secret = QStringLiteral("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    e.timeoutMs = 2500;
    e.retry.scheduleSeconds = {1, 2, 3};
    e.retry.maxAttempts = 4;
    e.retry.disableAfterFailures = 3;
    e.verifyTls = false;
    return e;
}

Delivery sampleDelivery(const QString &eventId, const QString &endpointId, DeliveryState state,
                        const QDateTime &created)
{
    Delivery d;
    d.id = uuid();
    d.eventId = eventId;
    d.eventType = QStringLiteral("call.ringing");
    d.endpointId = endpointId;
    d.webhookId = QStringLiteral("msg_") + d.id.left(8);
    d.state = state;
    d.created = created;
    d.updated = created;
    return d;
}

} // namespace

class TestStore : public QObject
{
    Q_OBJECT

private slots:
    void countsFollowEveryChange();
    void jumpsStartInTheirBucket();
    void initTestCase();
    void cleanupTestCase();
    void init();
    void idsAreTimeOrderedUuids();
    void endpointsRoundTrip();
    void invalidEndpointIsRefused();
    void concurrentEditsAreRefused();
    void prefixLookup();
    void deliveriesAndAttemptsSurviveReopen();
    void newerSchemaIsRefusedUntouched();
    void notADatabase();
    void eventTypes();
    void retentionKeepsUnfinishedWork();
    void outcomeCountsFailures();
    void attemptsAreRecordedInOneBatch();
    void serverBatchesFindRowsByIndex();
    void writerBatchesAndCallsBackAfterCommit();
    void writerIsolatesAFailingOperation();
    void checkpointsRunOffTheWriterThread();
    void callbackForADestroyedContextIsDropped();
    void failedWriteFailsTheCommitAlone();
    void acceptedWritesSurviveAPowerCut();
    void claimsAreExclusiveAcrossConnections();
    void claimLifecycle();
    void dueWorkIsFoundByIndex();
    void requestBodyIsStoredOncePerDelivery();
    void schemaOneIsMigrated();
    void apiTokensKeepOnlyHashes();
    void idempotencyRecordsExpire();
    void readersSeeEveryCommitWhole();
    void backgroundThreadsRunBelowTheCaller();
    void updateKeepsAnUnchangedOutcome();
    void walIsCutBackWhenIdleNotInACommit();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path; // a file, or a database URL (TestBackend.h)
    QString path() const { return m_path; }
    std::unique_ptr<Store> open()
    {
        QString error;
        auto store = Store::open(path(), &error);
        if (!store)
            qWarning("%s", qPrintable(error));
        return store;
    }
};

void TestStore::initTestCase()
{
    FaultVfs::install();
}

void TestStore::cleanupTestCase()
{
    TestBackend::shutdown();
}

void TestStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = TestBackend::newStore(m_dir->path());
    QVERIFY(!m_path.isEmpty());
}

void TestStore::endpointsRoundTrip()
{
    Endpoint e = sampleEndpoint();
    {
        auto store = open();
        QVERIFY(store);
        QVERIFY(store->saveEndpoint(&e).isEmpty());
        QVERIFY(!e.id.isEmpty());
        QVERIFY(e.created.isValid());
    }
    auto store = open();
    const auto loaded = store->endpoint(e.id);
    QVERIFY(loaded);
    QCOMPARE(*loaded, e);
    QCOMPARE(store->endpoints().size(), 1);

    Endpoint changed = *loaded;
    changed.name = QStringLiteral("CRM 2");
    QVERIFY(store->saveEndpoint(&changed).isEmpty());
    QCOMPARE(store->endpoint(e.id)->name, QStringLiteral("CRM 2"));
    QCOMPARE(store->endpoint(e.id)->created, e.created);
    QCOMPARE(store->endpoints().size(), 1);

    QVERIFY(store->setEndpointEnabled(e.id, false, QStringLiteral("answered 410")));
    QCOMPARE(store->endpoint(e.id)->disabledReason, QStringLiteral("answered 410"));
    QVERIFY(!store->endpoint(e.id)->enabled);
    QVERIFY(store->removeEndpoint(e.id));
    QVERIFY(!store->endpoint(e.id));
}

void TestStore::invalidEndpointIsRefused()
{
    auto store = open();
    Endpoint e = sampleEndpoint();
    e.url = QStringLiteral("https://example.com/\r\nX: 1");
    const QString error = store->saveEndpoint(&e);
    QVERIFY(error.contains(QStringLiteral("carriage return")));
    QVERIFY(store->endpoints().isEmpty());
    e = sampleEndpoint();
    e.eventTypes = {QStringLiteral("call.exploded")};
    QVERIFY(!store->saveEndpoint(&e, store->catalog().ids()).isEmpty());
}

// Two admins edit one endpoint: the second save, made from the version both started from,
// is refused with who-when words and changes nothing; after a reload it goes through.
void TestStore::concurrentEditsAreRefused()
{
    auto first = open();
    auto second = open(); // another console's connection
    QVERIFY(first && second);
    Endpoint e = sampleEndpoint();
    QVERIFY(first->saveEndpoint(&e).isEmpty());
    QCOMPARE(e.version, 1);
    Endpoint mine = *first->endpoint(e.id);
    Endpoint theirs = *second->endpoint(e.id);
    QCOMPARE(theirs.version, 1);
    theirs.name = QStringLiteral("CRM (theirs)");
    QVERIFY(second->saveEndpoint(&theirs).isEmpty());
    QCOMPARE(theirs.version, 2);
    mine.url = QStringLiteral("https://crm.example.com/mine");
    mine.orderKey = QStringLiteral("/callID");
    const QString refused = first->saveEndpoint(&mine);
    QVERIFY2(refused.contains(QLatin1String("changed by someone else")), qPrintable(refused));
    QVERIFY2(refused.contains(QLatin1String("reload")), qPrintable(refused));
    Endpoint now = *first->endpoint(e.id);
    QCOMPARE(now.name, QStringLiteral("CRM (theirs)")); // their change stands
    QCOMPARE(now.url, e.url);                           // mine did not land
    QCOMPARE(now.version, 2);
    now.url = QStringLiteral("https://crm.example.com/mine");
    now.orderKey = QStringLiteral("/callID");
    QVERIFY(first->saveEndpoint(&now).isEmpty());
    const Endpoint saved = *second->endpoint(e.id);
    QCOMPARE(saved.url, QStringLiteral("https://crm.example.com/mine"));
    QCOMPARE(saved.orderKey, QStringLiteral("/callID")); // an update keeps the order key too
    QCOMPARE(saved.name, QStringLiteral("CRM (theirs)"));
    QCOMPARE(saved.version, 3);
}

void TestStore::prefixLookup()
{
    auto store = open();
    Endpoint a = sampleEndpoint();
    QVERIFY(store->saveEndpoint(&a).isEmpty());
    QString error;
    QCOMPARE(store->findEndpoint(a.id.left(6), &error)->id, a.id);
    QVERIFY(!store->findEndpoint(QStringLiteral("zzzz"), &error));
    QVERIFY(error.contains(QStringLiteral("zzzz")));
}

void TestStore::deliveriesAndAttemptsSurviveReopen()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Event event{uuid(), QStringLiteral("call.ringing"), QByteArray("{\"type\":\"ringing\"}"),
                now,    EventOrigin::Scenario,          QStringLiteral("s-1")};
    Delivery d = sampleDelivery(event.id, QStringLiteral("ep"), DeliveryState::Pending, now);
    Attempt a;
    a.deliveryId = d.id;
    a.number = 1;
    a.trigger = AttemptTrigger::Test;
    a.started = now;
    a.durationMs = 42;
    a.requestUrl = QStringLiteral("http://127.0.0.1:9/x");
    a.requestHeaders = {{QStringLiteral("webhook-id"), d.webhookId}};
    a.requestBody = event.payload;
    a.responseStatus = 503;
    a.responseReason = QStringLiteral("Service Unavailable");
    a.responseHeaders = {{QStringLiteral("Retry-After"), QStringLiteral("5")}};
    a.responseBody = QByteArray("\x00\xff binary", 9);
    a.responseBodySize = 9;
    a.errorClass = ErrorClass::Http5xx;
    a.error = AttemptError(AttemptError::Kind::HttpStatus,
                           {QStringLiteral("503"), QStringLiteral("Service Unavailable")})
                  .then(AttemptError::Kind::BodyCapped, {QStringLiteral("64")});
    {
        auto store = open();
        QVERIFY(store->insertEvent(event));
        QVERIFY(store->insertDelivery(d));
        QVERIFY(store->insertAttempt(&a));
        QVERIFY(a.id > 0);
        d.state = DeliveryState::Retrying;
        d.attemptCount = 1;
        d.nextAttempt = now.addSecs(5);
        d.lastStatus = 503;
        d.lastError = ErrorClass::Http5xx;
        QVERIFY(store->updateDelivery(d));
    }
    auto store = open();
    const auto loaded = store->delivery(d.id);
    QVERIFY(loaded);
    QCOMPARE(loaded->state, DeliveryState::Retrying);
    QCOMPARE(loaded->webhookId, d.webhookId);
    QCOMPARE(loaded->nextAttempt, d.nextAttempt);
    QCOMPARE(loaded->attempts.size(), 1);
    const Attempt &b = loaded->attempts.first();
    QCOMPARE(b.responseBody, a.responseBody);
    QCOMPARE(b.responseHeaders, a.responseHeaders);
    QCOMPARE(b.errorClass, ErrorClass::Http5xx);
    QVERIFY(b.error == a.error);
    QCOMPARE(b.error.text(),
             QStringLiteral("The endpoint answered 503 Service Unavailable. The response body "
                            "was longer than 64 KiB; Hookline read that much and discarded the "
                            "rest."));
    // A particular with a "%2" in it stays as it was; a damaged record shows what it holds.
    QCOMPARE(AttemptError(AttemptError::Kind::Refused, {QStringLiteral("h%2x:80")}).text(),
             QStringLiteral("Connection refused by h%2x:80: nothing is listening there. Is the "
                            "receiver running, and is the port right?"));
    QCOMPARE(AttemptError::decode(QStringLiteral("[[\"gone\",\"a\",\"b\"]]")).text(),
             QStringLiteral("gone: a, b"));
    QCOMPARE(b.trigger, AttemptTrigger::Test);
    QCOMPARE(store->event(event.id)->payload, event.payload);
    QCOMPARE(store->event(event.id)->origin, EventOrigin::Scenario);
    QCOMPARE(store->unfinishedDeliveries().size(), 1);
    DeliveryQuery q;
    q.state = DeliveryState::Retrying;
    QCOMPARE(store->deliveries(q).size(), 1);
    q.state = DeliveryState::Failed;
    QCOMPARE(store->deliveries(q).size(), 0);
}

void TestStore::newerSchemaIsRefusedUntouched()
{
    {
        auto store = open();
        QVERIFY(store);
    }
    if (onPostgres()) {
        // The version table says 99; nothing of the schema may change.
        scalar(path(), QStringLiteral("UPDATE hookline_schema SET version = 99"));
        QCOMPARE(scalar(path(), QStringLiteral("SELECT version FROM hookline_schema")).toInt(), 99);
        const QString schema = QStringLiteral(
            "SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER "
            "BY table_name, column_name) FROM information_schema.columns WHERE table_schema = "
            "'public'");
        const QString before = scalar(path(), schema).toString();
        QString error;
        QVERIFY(!Store::open(path(), &error));
        QVERIFY2(error.contains(QStringLiteral("newer Hookline")), qPrintable(error));
        QVERIFY(error.contains(QStringLiteral("99")));
        QVERIFY2(!error.contains(TestBackend::server()->password()), qPrintable(error));
        QCOMPARE(scalar(path(), schema).toString(), before);
        QCOMPARE(scalar(path(), QStringLiteral("SELECT version FROM hookline_schema")).toInt(), 99);
        return;
    }
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("raw"));
        db.setDatabaseName(path());
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("PRAGMA user_version = 99")));
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("raw"));
    QFile f(path());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray before = f.readAll();
    f.close();
    QString error;
    QVERIFY(!Store::open(path(), &error));
    QVERIFY2(error.contains(QStringLiteral("newer Hookline")), qPrintable(error));
    QVERIFY(error.contains(QStringLiteral("99")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), before);
}

void TestStore::notADatabase()
{
    SQLITE_ONLY();
    QFile f(path());
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(4096, 'x'));
    f.close();
    QString error;
    QVERIFY(!Store::open(path(), &error));
    QVERIFY2(error.contains(path()), qPrintable(error));
}

void TestStore::eventTypes()
{
    auto store = open();
    EventType custom{QStringLiteral("call.transferred"), QStringLiteral("Call Transferred"),
                     QStringLiteral("A call moves."), QStringLiteral(R"({"type":"transferred"})"),
                     false};
    QVERIFY(store->saveEventType(custom).isEmpty());
    EventType edited = EventCatalog::builtInType(QStringLiteral("call.ringing"));
    edited.payloadTemplate = QStringLiteral(R"({"type":"RINGING","callID":"{{call.id}}"})");
    QVERIFY(store->saveEventType(edited).isEmpty());
    EventType broken = custom;
    broken.payloadTemplate = QStringLiteral("{\"type\": }");
    QVERIFY(store->saveEventType(broken).contains(QStringLiteral("line 1")));

    const EventCatalog catalog = open()->catalog();
    QCOMPARE(catalog.types().size(), 7);
    QVERIFY(catalog.find(QStringLiteral("call.ringing"))->builtIn);
    QVERIFY(catalog.find(QStringLiteral("call.ringing"))
                ->payloadTemplate.contains(QStringLiteral("RINGING")));
    QVERIFY(!catalog.find(QStringLiteral("call.transferred"))->builtIn);
    // Removing a saved built-in resets it to the shipped template.
    QVERIFY(store->removeEventType(QStringLiteral("call.ringing")).isEmpty());
    QVERIFY(!store->catalog()
                 .find(QStringLiteral("call.ringing"))
                 ->payloadTemplate.contains(QStringLiteral("RINGING")));
}

void TestStore::retentionKeepsUnfinishedWork()
{
    auto store = open();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QDateTime old = now.addDays(-40);
    Event e{uuid(), QStringLiteral("call.ringing"), QByteArray("{}"), old, EventOrigin::Test, {}};
    QVERIFY(store->insertEvent(e));
    QStringList keep;
    for (DeliveryState s :
         {DeliveryState::Pending, DeliveryState::Retrying, DeliveryState::InFlight}) {
        const Delivery d = sampleDelivery(e.id, QStringLiteral("ep"), s, old);
        QVERIFY(store->insertDelivery(d));
        keep << d.id;
    }
    for (DeliveryState s :
         {DeliveryState::Succeeded, DeliveryState::Failed, DeliveryState::Cancelled})
        QVERIFY(store->insertDelivery(sampleDelivery(e.id, QStringLiteral("ep"), s, old)));
    Event fresh{uuid(), QStringLiteral("call.ended"), QByteArray("{}"), now, EventOrigin::Test, {}};
    QVERIFY(store->insertEvent(fresh));
    const Delivery recent =
        sampleDelivery(fresh.id, QStringLiteral("ep"), DeliveryState::Succeeded, now);
    QVERIFY(store->insertDelivery(recent));
    keep << recent.id;

    RetentionPolicy policy;
    policy.maxAgeDays = 30;
    QCOMPARE(store->applyRetention(policy, now), qint64(3));
    QCOMPARE(store->deliveryCount(), qint64(4));
    for (const QString &id : keep)
        QVERIFY(store->delivery(id));
    QVERIFY(store->event(e.id)); // still referenced by unfinished work

    // A row cap removes the oldest final rows only.
    policy = RetentionPolicy();
    policy.maxDeliveries = 1;
    QCOMPARE(store->applyRetention(policy, now), qint64(0)); // the only final row is the newest
    QCOMPARE(store->deliveryCount(), qint64(4));
}

void TestStore::outcomeCountsFailures()
{
    auto store = open();
    Endpoint e = sampleEndpoint();
    QVERIFY(store->saveEndpoint(&e).isEmpty());
    QCOMPARE(store->recordEndpointOutcome(e.id, false), 1);
    QCOMPARE(store->recordEndpointOutcome(e.id, false), 2);
    QCOMPARE(store->recordEndpointOutcome(e.id, true), 0);
    QCOMPARE(store->recordEndpointOutcome(e.id, false), 1);
    QVERIFY(store->setEndpointEnabled(e.id, true));
    QCOMPARE(store->recordEndpointOutcome(e.id, false), 1); // enabling resets the run
}

// What the engine records after a burst of replies (Dispatcher::writeOutcomes): one call for
// all of them, one statement on PostgreSQL. Same results as row by row: a delivery attempted
// twice in the batch ends as its last attempt left it, attempts keep their order, counts add up,
// the endpoint's run of failures ends, and text PostgreSQL cannot hold (U+0000) does not sink
// the batch.
void TestStore::attemptsAreRecordedInOneBatch()
{
    auto store = open();
    Endpoint e = sampleEndpoint();
    QVERIFY(store->saveEndpoint(&e).isEmpty());
    QCOMPARE(store->recordEndpointOutcome(e.id, false), 1);
    QCOMPARE(store->recordEndpointOutcome(e.id, false), 2);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Event event{uuid(), QStringLiteral("call.ringing"), QByteArray("{\"n\":1}"),
                now,    EventOrigin::Scenario,          QStringLiteral("s-1")};
    QVERIFY(store->insertEvent(event));
    Delivery first = sampleDelivery(event.id, e.id, DeliveryState::Pending, now);
    Delivery second = sampleDelivery(event.id, e.id, DeliveryState::Pending, now);
    QVERIFY(store->insertDelivery(first));
    QVERIFY(store->insertDelivery(second));

    const auto attempt = [&](const Delivery &d, int number, int status, qint64 ms) {
        Attempt a;
        a.deliveryId = d.id;
        a.number = number;
        a.started = now.addMSecs(number * 10);
        a.durationMs = ms;
        a.requestUrl = e.url;
        a.requestHeaders = {{QStringLiteral("webhook-id"), d.webhookId}};
        a.requestBody = event.payload;
        a.responseStatus = status;
        a.responseReason = status == 502 ? QStringLiteral("Bad") + QChar(0) + QStringLiteral("Gate")
                                         : QStringLiteral("No Content");
        a.responseBody = QByteArray("\x00\xff\"\\", 4);
        a.responseBodySize = 4;
        a.errorClass = status == 502 ? ErrorClass::Http5xx : ErrorClass::None;
        return a;
    };
    const auto after = [&](Delivery d, const Attempt &a, DeliveryState state) {
        d.state = state;
        d.attemptCount = a.number;
        d.updated = a.started.addMSecs(a.durationMs);
        d.nextAttempt = state == DeliveryState::Retrying ? now.addSecs(30) : QDateTime();
        d.lastStatus = a.responseStatus;
        d.lastError = a.errorClass;
        d.lastDurationMs = int(a.durationMs);
        return d;
    };
    const Attempt retried = attempt(first, 1, 502, 5);
    const Attempt other = attempt(second, 1, 204, 700);
    const Attempt last = attempt(first, 2, 204, 20);
    const QList<Store::RecordedAttempt> batch{
        {retried, after(first, retried, DeliveryState::Retrying), ErrorClass::None,
         ActivityOutcome::Retrying},
        {other, after(second, other, DeliveryState::Succeeded), ErrorClass::None,
         ActivityOutcome::Succeeded},
        {last, after(first, last, DeliveryState::Succeeded), ErrorClass::Http5xx,
         ActivityOutcome::Succeeded},
    };
    QVERIFY(store->begin());
    QVERIFY2(store->recordAttempts(batch, {e.id}), qPrintable(store->lastError()));
    QVERIFY(store->commit());

    const Delivery d1 = *store->delivery(first.id);
    QCOMPARE(d1.state, DeliveryState::Succeeded);
    QCOMPARE(d1.attemptCount, 2);
    QCOMPARE(d1.lastError, ErrorClass::None);
    QCOMPARE(d1.attempts.size(), 2);
    QCOMPARE(d1.attempts.at(0).number, 1);
    QCOMPARE(d1.attempts.at(1).number, 2);
    QVERIFY(d1.attempts.at(0).id < d1.attempts.at(1).id);
    QCOMPARE(
        QString(d1.attempts.at(0).responseReason).replace(QChar(0), QChar::ReplacementCharacter),
        QStringLiteral("Bad\uFFFDGate"));
    QCOMPARE(d1.attempts.at(1).requestBody, event.payload);
    QCOMPARE(d1.attempts.at(1).responseBody, QByteArray("\x00\xff\"\\", 4));
    QCOMPARE(d1.attempts.at(0).requestHeaders, retried.requestHeaders);
    const Delivery d2 = *store->delivery(second.id);
    QCOMPARE(d2.state, DeliveryState::Succeeded);
    QCOMPARE(d2.attempts.size(), 1);
    QCOMPARE(d2.lastDurationMs, 700);
    QCOMPARE(store->unfinishedDeliveries().size(), 0); // neither is due again

    const EndpointActivity activity =
        store->endpointActivity(e.id, now.addSecs(-60), now.addSecs(120), 0);
    QCOMPARE(activity.total.attempts, qint64(3));
    QCOMPARE(activity.total.succeeded, qint64(2));
    QCOMPARE(activity.total.retrying, qint64(1));
    QCOMPARE(activity.total.latencySumMs, qint64(725));
    QCOMPARE(activity.total.latency[LatencyBuckets::bucketOf(700)], qint64(1));
    QCOMPARE(store->recordEndpointOutcome(e.id, false), 1); // the run of 2 ended
}

// On a server, the batch statements find their rows by index whatever plan PostgreSQL picks:
// with generic plans forced (what it switches to after five runs of a prepared statement when
// it guesses they are no worse), claiming and recording batches read no table from end to
// end. A hash join over all of deliveries once made each claim cost 0.65 ms per delivery at
// 20,000 rows, and grows with the history.
void TestStore::serverBatchesFindRowsByIndex()
{
    if (!onPostgres())
        QSKIP("PostgreSQL's query plans");
    const QString name = QStringLiteral("scans");
    QSqlDatabase db = TestBackend::rawConnection(path(), name);
    QVERIFY(db.open());
    const auto run = [&](const QString &sql) {
        QSqlQuery q(db);
        if (!q.exec(sql))
            qWarning("%s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
        return q.next() ? q.value(0).toLongLong() : 0;
    };
    run(QStringLiteral("ALTER DATABASE \"%1\" SET plan_cache_mode = force_generic_plan")
            .arg(QUrl(path()).path().mid(1)));
    Endpoint e = sampleEndpoint();
    {
        auto store = open();
        QVERIFY(store->saveEndpoint(&e).isEmpty());
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QVERIFY(store->begin());
        for (int i = 0; i < 3000; ++i) {
            Event event{uuid(), QStringLiteral("call.ringing"), QByteArray("{}"),
                        now,    EventOrigin::Scenario,          QString()};
            QVERIFY(store->insertEvent(event));
            QVERIFY(store->insertDelivery(
                sampleDelivery(event.id, e.id, DeliveryState::Pending, now.addSecs(-60))));
        }
        QVERIFY(store->commit());
    }
    run(QStringLiteral("ANALYZE"));
    // Sequential scans of the tables so far, once every other connection has gone (a server
    // process adds its counts when it ends).
    const auto scans = [&] {
        (void)QTest::qWaitFor(
            [&] {
                return run(QStringLiteral("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
                                          "current_database() AND pid <> pg_backend_pid()")) == 0;
            },
            10000);
        return run(QStringLiteral("SELECT SUM(seq_scan) FROM pg_stat_user_tables WHERE relname IN "
                                  "('deliveries', 'events', 'attempts', 'endpoint_activity')"));
    };
    const qint64 before = scans();
    open().reset();
    const qint64 opening = scans() - before; // what opening the store reads, whatever it is
    const qint64 opened = scans();
    {
        auto store = open();
        const Claim claim{QStringLiteral("test/1"), QDateTime::currentDateTimeUtc().addSecs(60)};
        for (int batch = 0; batch < 10; ++batch) {
            QList<ClaimedDelivery> claimed;
            QStringList full;
            QVERIFY(store->begin());
            QVERIFY2(store->claimDueByEndpoint(claim, QDateTime::currentDateTimeUtc(), {{e.id, 50}},
                                               32, &claimed, &full),
                     qPrintable(store->lastError()));
            QCOMPARE(claimed.size(), 50);
            QList<Store::RecordedAttempt> records;
            for (const ClaimedDelivery &c : std::as_const(claimed)) {
                Attempt a;
                a.deliveryId = c.delivery.id;
                a.number = 1;
                a.started = QDateTime::currentDateTimeUtc();
                a.durationMs = 3;
                a.responseStatus = 204;
                Delivery d = c.delivery;
                d.state = DeliveryState::Succeeded;
                d.attemptCount = 1;
                d.updated = a.started;
                records.append({a, d, ErrorClass::None, ActivityOutcome::Succeeded});
            }
            QVERIFY2(store->recordAttempts(records, {e.id}), qPrintable(store->lastError()));
            QVERIFY(store->commit());
        }
    }
    QCOMPARE(scans() - opened, opening);
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(name);
}

void TestStore::writerBatchesAndCallsBackAfterCommit()
{
    StoreWriter writer(path());
    QString error;
    QVERIFY2(writer.start(&error), qPrintable(error));
    auto reader = open();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Event e{uuid(), QStringLiteral("call.ringing"), QByteArray("{}"), now, EventOrigin::Test, {}};
    writer.submit([e](Store &s) { return s.insertEvent(e); });
    const int n = 2000;
    int callbacks = 0;
    bool visibleAtCallback = true;
    QStringList ids;
    for (int i = 0; i < n; ++i) {
        const Delivery d = sampleDelivery(e.id, QStringLiteral("ep"), DeliveryState::Pending, now);
        ids << d.id;
        writer.submit([d](Store &s) { return s.insertDelivery(d); }, this,
                      [&, id = d.id](bool ok) {
                          ++callbacks;
                          // The callback promises durability: another connection sees it.
                          if (!ok || !reader->delivery(id, false))
                              visibleAtCallback = false;
                      });
    }
    QTRY_COMPARE_WITH_TIMEOUT(callbacks, n, 20000);
    QVERIFY(visibleAtCallback);
    QCOMPARE(reader->deliveryCount(), qint64(n));
    QCOMPARE(writer.committedOperations(), qint64(n + 1));
    // Batching: far fewer transactions than operations.
    QVERIFY2(writer.committedBatches() < n / 4,
             qPrintable(QString::number(writer.committedBatches())));
}

void TestStore::writerIsolatesAFailingOperation()
{
    StoreWriter writer(path());
    QVERIFY(writer.start(nullptr));
    QSignalSpy failures(&writer, &StoreWriter::writeFailed);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Event e{uuid(), QStringLiteral("call.ringing"), QByteArray("{}"), now, EventOrigin::Test, {}};
    bool firstOk = false, dupOk = true, lastOk = false;
    const Delivery d = sampleDelivery(e.id, QStringLiteral("ep"), DeliveryState::Pending, now);
    Delivery other = sampleDelivery(e.id, QStringLiteral("ep"), DeliveryState::Pending, now);
    // Hold the writer in a batch of its own until the next three are queued, so that they
    // share one transaction: the failure then has neighbours to spare.
    QSemaphore entered, queued;
    writer.submit([&entered, &queued](Store &) {
        entered.release();
        queued.acquire();
        return true;
    });
    entered.acquire();
    // The batch runs again to isolate the failure, so an operation before it runs twice.
    auto runs = std::make_shared<std::atomic<int>>(0);
    writer.submit(
        [e, d, runs](Store &s) {
            ++*runs;
            return s.insertEvent(e) && s.insertDelivery(d);
        },
        this, [&](bool ok) { firstOk = ok; });
    // Half of this succeeds before the duplicate id fails: the savepoint undoes both halves.
    writer.submit([d, other](Store &s) { return s.insertDelivery(other) && s.insertDelivery(d); },
                  this, [&](bool ok) { dupOk = ok; });
    const Delivery last = sampleDelivery(e.id, QStringLiteral("ep"), DeliveryState::Pending, now);
    auto seen = std::make_shared<qint64>(-1);
    writer.submit(
        [last, seen](Store &s) {
            const bool ok = s.insertDelivery(last);
            *seen = s.deliveryCount();
            return ok;
        },
        this, [&](bool ok) { lastOk = ok; });
    queued.release();
    writer.flush();
    QTRY_VERIFY(firstOk && lastOk);
    QVERIFY(!dupOk);
    QTRY_COMPARE(failures.count(), 1); // reported once, though the batch ran twice
    QCOMPARE(runs->load(), 2);
    QCOMPARE(*seen, 2); // d and last; `other` was rolled back with the duplicate
    QCOMPARE(writer.committedBatches(), 2);
    auto reader = open();
    QVERIFY(reader->delivery(d.id));
    QVERIFY(reader->delivery(last.id));
    QVERIFY(!reader->delivery(other.id));
}

// Event and delivery ids sort by creation time (UUID version 7), so the store's indexes on
// them grow at one end; ids made in the same millisecond still differ.
void TestStore::idsAreTimeOrderedUuids()
{
    const qint64 t = 1795725000123; // 2026-11-26
    QStringList ids;
    for (qint64 ms = t; ms < t + 50; ++ms)
        ids << Ids::newTimeOrdered(ms);
    QStringList sorted = ids;
    sorted.sort();
    QCOMPARE(sorted, ids);
    for (const QString &id : std::as_const(ids)) {
        const QUuid u(id);
        QVERIFY2(!u.isNull(), qPrintable(id));
        QCOMPARE(id.at(14), u'7'); // version 7 (QUuid in Qt 6.4 knows only 1 to 5)
        QVERIFY(QStringLiteral("89ab").contains(id.at(19))); // RFC variant
        QCOMPARE(id, id.toLower());
    }
    // The first 48 bits are the time in milliseconds.
    QCOMPARE(Ids::newTimeOrdered(t).left(13).remove(u'-'), QStringLiteral("01a2198cfdbb"));
    QSet<QString> same;
    for (int i = 0; i < 10000; ++i)
        same.insert(Ids::newTimeOrdered(t));
    QCOMPARE(same.size(), 10000);
    QVERIFY(Ids::newTimeOrdered() > Ids::newTimeOrdered(t));
}

// The WAL is copied into the database file by the writer's checkpoint thread, not by the
// commits: the data reaches the main file while the writer keeps its WAL, and a reader
// without the WAL (the main file alone) sees it.
void TestStore::checkpointsRunOffTheWriterThread()
{
    SQLITE_ONLY();
    const QString db = path();
    StoreWriter writer(db);
    QString error;
    QVERIFY2(writer.start(&error), qPrintable(error));
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Event e{uuid(), QStringLiteral("call.ringing"), QByteArray(2000, 'x'), now, EventOrigin::Test,
            {}};
    writer.submit([e](Store &s) { return s.insertEvent(e); });
    for (int i = 0; i < 500; ++i) {
        const Delivery d = sampleDelivery(e.id, QStringLiteral("ep"), DeliveryState::Pending, now);
        writer.submit([d](Store &s) { return s.insertDelivery(d); });
    }
    writer.flush();
    // Far below the writer's own threshold: only the checkpoint thread copies these pages.
    QTRY_VERIFY_WITH_TIMEOUT(writer.checkpoints() > 0, 5000);
    QTest::qWait(300); // a round after the last commit has certainly run (every 10 ms)
    // A copy of the main file alone, without its -wal, holds every delivery.
    const QString copy = m_dir->filePath(QStringLiteral("copy.sqlite"));
    QVERIFY(QFile::copy(db, copy));
    QString openError;
    auto alone = Store::open(copy, &openError);
    QVERIFY2(alone, qPrintable(openError));
    QCOMPARE(alone->deliveryCount(), qint64(500));
}

// A context may die while its operation is still being committed (the dispatcher, when the
// command line exits): its callback is dropped, not called through a dangling pointer.
void TestStore::callbackForADestroyedContextIsDropped()
{
    StoreWriter writer(path());
    QString error;
    QVERIFY2(writer.start(&error), qPrintable(error));
    for (int round = 0; round < 20; ++round) {
        auto *context = new QObject;
        bool called = false;
        writer.submit(
            [](Store &) {
                QThread::msleep(5); // still writing when the context goes
                return true;
            },
            context, [&called](bool) { called = true; });
        delete context;
        writer.flush();
        QCoreApplication::sendPostedEvents();
        QVERIFY(!called);
    }
    // A live context is still called back.
    QObject alive;
    bool called = false;
    writer.submit([](Store &) { return true; }, &alive, [&called](bool ok) { called = ok; });
    QTRY_VERIFY(called);
}

namespace {
Event bigEvent(int kib)
{
    return Event{uuid(),
                 QStringLiteral("call.ringing"),
                 "{\"pad\":\"" + QByteArray(kib * 1024, 'x') + "\"}",
                 QDateTime::currentDateTimeUtc(),
                 EventOrigin::Test,
                 {}};
}
// The first row of a statement's result, from a connection of its own (QtSql, not the
// Store); empty if there is none.
QVariantList firstRow(const QString &path, const QString &sql)
{
    const QString name = QStringLiteral("hookline-scalar");
    QVariantList row;
    {
        QSqlDatabase db = TestBackend::rawConnection(path, name);
        QSqlQuery q(db);
        if (db.open() && q.exec(sql) && q.next()) {
            for (int i = 0; i < q.record().count(); ++i)
                row << q.value(i);
        }
    }
    QSqlDatabase::removeDatabase(name);
    return row;
}

// One value, the same way.
QVariant scalar(const QString &path, const QString &sql)
{
    return firstRow(path, sql).value(0);
}
} // namespace

// A write of the WAL that fails (a full disk, say) fails that commit - its operations are
// reported, nothing of them is kept - and the store goes on working; the file stays sound.
void TestStore::failedWriteFailsTheCommitAlone()
{
    SQLITE_ONLY();
    StoreWriter writer(path());
    QVERIFY(writer.start(nullptr));
    QSignalSpy failures(&writer, &StoreWriter::writeFailed);
    const Event before = bigEvent(1), lost = bigEvent(1), after = bigEvent(1);
    int okBefore = -1, okLost = -1, okAfter = -1;
    writer.submit([before](Store &s) { return s.insertEvent(before); }, this,
                  [&](bool ok) { okBefore = ok; });
    writer.flush();
    FaultVfs::setDiskFull(m_dir->path(), true);
    writer.submit([lost](Store &s) { return s.insertEvent(lost); }, this,
                  [&](bool ok) { okLost = ok; });
    writer.flush();
    FaultVfs::setDiskFull(m_dir->path(), false);
    writer.submit([after](Store &s) { return s.insertEvent(after); }, this,
                  [&](bool ok) { okAfter = ok; });
    writer.flush();
    QTRY_VERIFY(okBefore != -1 && okLost != -1 && okAfter != -1);
    QCOMPARE(okBefore, 1);
    QCOMPARE(okLost, 0);
    QCOMPARE(okAfter, 1);
    QVERIFY(failures.count() >= 1);
    // Said, not just counted: the writer reports SQLite's own words for it.
    QVERIFY2(failures.first().first().toString().contains(QLatin1String("full")),
             qPrintable(failures.first().first().toString()));
    QCOMPARE(writer.failedOperations(), 1);

    auto reader = open();
    QVERIFY(reader->event(before.id));
    QVERIFY(!reader->event(lost.id));
    QVERIFY(reader->event(after.id));
    QCOMPARE(scalar(path(), QStringLiteral("PRAGMA integrity_check")).toString(),
             QStringLiteral("ok"));
}

// While the writer commits, a reader on another thread only ever sees whole commits: the
// frames a commit gathered are in the file before any connection can read that commit.
void TestStore::readersSeeEveryCommitWhole()
{
    SQLITE_ONLY();
    StoreWriter writer(path());
    QVERIFY(writer.start(nullptr));
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0}, torn{0}, errors{0};
    std::unique_ptr<QThread> readerThread(QThread::create([&] {
        const QString name = QStringLiteral("hookline-reader");
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            db.setDatabaseName(path());
            db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
            if (!db.open())
                ++errors;
            QSqlQuery q(db);
            qint64 last = 0;
            while (!stop && db.isOpen()) {
                // Every commit adds events in fives; a count that is not a multiple of five,
                // or that goes back, would be a commit seen in part.
                if (!q.exec(QStringLiteral("SELECT count(*) FROM events")) || !q.next()) {
                    ++errors;
                    break;
                }
                const qint64 n = q.value(0).toLongLong();
                q.finish();
                if (n % 5 != 0 || n < last)
                    ++torn;
                last = qMax(last, n);
                ++reads;
            }
        }
        QSqlDatabase::removeDatabase(name);
    }));
    readerThread->start();
    for (int batch = 0; batch < 200; ++batch) {
        writer.submit([](Store &s) {
            for (int i = 0; i < 5; ++i) {
                if (!s.insertEvent(bigEvent(2)))
                    return false;
            }
            return true;
        });
        writer.flush(); // one commit each
    }
    QTRY_VERIFY(reads > 10);
    stop = true;
    readerThread->wait();
    QCOMPARE(errors.load(), 0);
    QCOMPARE(torn.load(), 0);
    QCOMPARE(scalar(path(), QStringLiteral("SELECT count(*) FROM events")).toLongLong(), 1000);
}

// The writer and the checkpointer run at a lower priority than the thread that started them,
// so that the dispatcher (or the GUI) never queues behind them for a core.
void TestStore::backgroundThreadsRunBelowTheCaller()
{
    SQLITE_ONLY();
#ifndef Q_OS_LINUX
    QSKIP("per-thread nice values are Linux's");
#else
    auto niceOf = [](const QString &comm) {
        const QDir tasks(QStringLiteral("/proc/self/task"));
        for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            QFile name(tasks.filePath(tid + QStringLiteral("/comm")));
            QFile stat(tasks.filePath(tid + QStringLiteral("/stat")));
            if (!name.open(QIODevice::ReadOnly) || name.readAll().trimmed() != comm.toLatin1() ||
                !stat.open(QIODevice::ReadOnly))
                continue;
            const QByteArray line = stat.readAll();
            // After the ")" that ends the name: state is field 3, nice field 19.
            const QList<QByteArray> f = line.mid(line.lastIndexOf(')') + 2).split(' ');
            return f.size() > 16 ? f.at(16).toInt() : -100;
        }
        return -100;
    };
    const int mine = getpriority(PRIO_PROCESS, 0);
    StoreWriter writer(path());
    QString error;
    QVERIFY2(writer.start(&error), qPrintable(error));
    QTRY_COMPARE(niceOf(QStringLiteral("hookline-writer")),
                 qMin(mine + StoreWriter::kWriterNiceSteps, 19));
    QTRY_COMPARE(niceOf(QStringLiteral("hookline-ckpt")),
                 qMin(mine + StoreWriter::kCheckpointNiceSteps, 19));
    // This thread, the one that delivers, keeps its priority.
    QCOMPARE(getpriority(PRIO_PROCESS, 0), mine);
    // And a lower writer still writes.
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const Delivery d = sampleDelivery(uuid(), QStringLiteral("ep"), DeliveryState::Pending, now);
    writer.submit([d](Store &s) { return s.insertDelivery(d); });
    writer.flush();
    QCOMPARE(open()->deliveryCount(), qint64(1));
#endif
}

// The dispatcher tells the store which outcome a delivery's row holds; an update that does
// not change it leaves the column (and its index) alone, and every filter still finds the row.
void TestStore::updateKeepsAnUnchangedOutcome()
{
    auto store = open();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Delivery d = sampleDelivery(uuid(), QStringLiteral("ep"), DeliveryState::Pending, now);
    QVERIFY(store->insertDelivery(d));

    // First attempt fails: the outcome changes from none to http-5xx.
    d.state = DeliveryState::Retrying;
    d.attemptCount = 1;
    d.lastStatus = 503;
    d.lastError = ErrorClass::Http5xx;
    QVERIFY(store->updateDelivery(d, ErrorClass::None));
    // Second fails the same way: the caller says the row already holds http-5xx.
    d.attemptCount = 2;
    d.lastStatus = 502;
    QVERIFY(store->updateDelivery(d, ErrorClass::Http5xx));
    auto loaded = store->delivery(d.id, false);
    QVERIFY(loaded);
    QCOMPARE(loaded->attemptCount, 2);
    QCOMPARE(loaded->lastStatus, 502);
    QCOMPARE(loaded->lastError, ErrorClass::Http5xx);
    DeliveryQuery byOutcome;
    byOutcome.codeClass = QStringLiteral("5xx");
    QCOMPARE(store->deliveries(byOutcome).size(), 1);

    // A caller that is wrong about the row (its last outcome write failed) still gets the
    // outcome written: the row holds http-5xx, the caller believes timeout.
    d.attemptCount = 3;
    d.lastError = ErrorClass::Timeout;
    QVERIFY(store->updateDelivery(d, ErrorClass::Timeout));
    loaded = store->delivery(d.id, false);
    QCOMPARE(loaded->attemptCount, 3);
    QCOMPARE(loaded->lastError, ErrorClass::Timeout);
    QCOMPARE(store->deliveries(byOutcome).size(), 0);

    // Then it succeeds: the outcome changes back; no stored outcome given means "unknown".
    d.state = DeliveryState::Succeeded;
    d.attemptCount = 4;
    d.lastStatus = 204;
    d.lastError = ErrorClass::None;
    QVERIFY(store->updateDelivery(d));
    loaded = store->delivery(d.id, false);
    QCOMPARE(loaded->lastError, ErrorClass::None);
    QCOMPARE(store->deliveries(byOutcome).size(), 0);
    DeliveryQuery succeeded;
    succeeded.state = DeliveryState::Succeeded;
    QCOMPARE(store->deliveries(succeeded).size(), 1);

    store.reset();
    if (!onPostgres())
        QCOMPARE(scalar(path(), QStringLiteral("PRAGMA integrity_check")).toString(),
                 QStringLiteral("ok"));
}

// A burst grows the WAL file well past StoreWriter::kWalTrimBytes. Cutting it back used to
// happen in the commit that restarted the WAL, and truncating tens of MiB blocked that
// commit - and every delivery waiting for it - for 3 to 18 ms. Now the commits leave the
// file's size alone and the checkpoint thread cuts it back once the writer has been idle.
void TestStore::walIsCutBackWhenIdleNotInACommit()
{
    SQLITE_ONLY();
    const QString wal = path() + QStringLiteral("-wal");
    StoreWriter writer(path());
    QVERIFY(writer.start(nullptr));
    QList<Event> burst;
    for (int i = 0; i < 12; ++i) {
        burst << bigEvent(2 * 1024);
        writer.submit([e = burst.last()](Store &s) { return s.insertEvent(e); });
    }
    writer.flush();
    const qint64 grown = QFileInfo(wal).size();
    QVERIFY2(grown > StoreWriter::kWalTrimBytes, qPrintable(QString::number(grown)));

    // Once a checkpoint has copied the whole WAL, the next commit starts it over from the top:
    // that commit must not truncate the file.
    // (A checkpoint of the test's own reports whether all of it is copied; it may find the
    // checkpoint thread at work and report busy.)
    const auto walCopied = [this] {
        // busy, frames in the WAL, frames copied
        const QVariantList r = firstRow(path(), QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)"));
        return r.size() == 3 && r.at(0).toInt() == 0 && r.at(1).toInt() == r.at(2).toInt();
    };
    QTRY_VERIFY(walCopied());
    const Event small = bigEvent(1);
    writer.submit([small](Store &s) { return s.insertEvent(small); });
    writer.flush();
    QCOMPARE(QFileInfo(wal).size(), grown);

    // Idle: the checkpoint thread empties the file.
    QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(wal).size(), qint64(0), StoreWriter::kWalTrimIdleMs + 5000);
    writer.submit([](Store &) { return true; });
    writer.flush();
    auto reader = open();
    QVERIFY(reader->event(small.id));
    for (const Event &e : std::as_const(burst)) {
        const auto got = reader->event(e.id);
        QVERIFY(got);
        QCOMPARE(got->payload.size(), e.payload.size());
    }
    QCOMPARE(scalar(path(), QStringLiteral("PRAGMA integrity_check")).toString(),
             QStringLiteral("ok"));
}

// What a Durable operation's callback reports is on stable storage: a power cut right after
// it (only what was synced survives) keeps every accepted row. With synchronous=NORMAL the
// rows are only in the page cache at that moment, and this fails.
void TestStore::acceptedWritesSurviveAPowerCut()
{
    SQLITE_ONLY();
    FaultVfs::reset();
    StoreWriter writer(path());
    QVERIFY(writer.start(nullptr));
    QList<Event> accepted;
    QString imageDir;
    int round = 0;
    for (int i = 0; i < 5; ++i) {
        const Event e = bigEvent(1);
        // With a delivery whose outcome lands in the same commit: the counts History reads
        // are written by the same statements, so a power cut keeps both or neither.
        Delivery d = sampleDelivery(e.id, QStringLiteral("ep"), DeliveryState::Pending,
                                    QDateTime::currentDateTimeUtc());
        bool done = false;
        writer.submit(
            [e, d, i](Store &s) mutable {
                if (!s.insertEvent(e) || !s.insertDelivery(d))
                    return false;
                d.state = i % 2 ? DeliveryState::Failed : DeliveryState::Succeeded;
                d.lastStatus = i % 2 ? 503 : 200;
                d.lastError = errorClassForStatus(d.lastStatus);
                return s.updateDelivery(d);
            },
            this,
            [&, e](bool ok) {
                // The moment a front end reports "queued": the power goes out now.
                if (ok)
                    accepted << e;
                imageDir = m_dir->filePath(QStringLiteral("cut%1").arg(round++));
                FaultVfs::writePowerCutImage(m_dir->path(), imageDir);
                done = true;
            });
        QTRY_VERIFY(done);
        QCOMPARE(accepted.size(), i + 1);
        QString error;
        auto survivor =
            Store::open(QDir(imageDir).filePath(QStringLiteral("hookline.sqlite")), &error);
        QVERIFY2(survivor, qPrintable(error));
        for (const Event &kept : std::as_const(accepted))
            QVERIFY2(survivor->event(kept.id), qPrintable(kept.id));
        for (const std::optional<DeliveryState> &state :
             {std::optional<DeliveryState>(), std::optional(DeliveryState::Succeeded),
              std::optional(DeliveryState::Failed)}) {
            DeliveryQuery kept;
            kept.state = state;
            DeliveryQuery scanned = kept;
            scanned.from = QDateTime::fromMSecsSinceEpoch(0); // not kept: a COUNT(*)
            QCOMPARE(survivor->countDeliveries(kept), survivor->countDeliveries(scanned));
        }
        QCOMPARE(survivor->countDeliveries({}), i + 1);
    }
    QVERIFY(FaultVfs::syncCount(QStringLiteral("-wal")) >= 5);
}

// Two connections (two processes, in effect) claiming due work never get the same row, and
// a claim holds until its lease runs out.
void TestStore::claimsAreExclusiveAcrossConnections()
{
    auto a = open();
    auto b = open();
    QVERIFY(a && b);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const Event e = bigEvent(1);
    QVERIFY(a->insertEvent(e));
    for (int i = 0; i < 10; ++i) {
        Delivery d = sampleDelivery(e.id, QStringLiteral("ep"), DeliveryState::Pending,
                                    now.addMSecs(-100 + i));
        d.nextAttempt = d.created;
        QVERIFY(a->insertDelivery(d));
    }
    const Claim leaseA{QStringLiteral("a"), now.addSecs(60)};
    const Claim leaseB{QStringLiteral("b"), now.addSecs(60)};
    QList<ClaimedDelivery> gotA, gotB;
    QVERIFY(a->begin());
    QVERIFY(a->claimDue(leaseA, now, 4, &gotA));
    QVERIFY(a->commit());
    QVERIFY(b->begin());
    QVERIFY(b->claimDue(leaseB, now, 100, &gotB));
    QVERIFY(b->commit());
    QCOMPARE(gotA.size(), 4);
    QCOMPARE(gotB.size(), 6);
    QSet<QString> ids;
    for (const ClaimedDelivery &c : gotA + gotB) {
        ids.insert(c.delivery.id);
        QCOMPARE(c.payload, e.payload);
    }
    QCOMPARE(ids.size(), 10);
    // Oldest due first.
    QVERIFY(gotA.first().delivery.created <= gotA.last().delivery.created);
    QVERIFY(gotA.last().delivery.created <= gotB.first().delivery.created);
    // Nothing left for anyone while the leases run...
    QList<ClaimedDelivery> none;
    QVERIFY(a->claimDue(leaseA, now.addSecs(59), 100, &none));
    QVERIFY(none.isEmpty());
    // ...and all of it once they have run out.
    QVERIFY(a->claimDue(leaseA, now.addSecs(61), 100, &none));
    QCOMPARE(none.size(), 10);
}

void TestStore::claimLifecycle()
{
    auto store = open();
    QVERIFY(store);
    // Due work is found endpoint by endpoint: the deliveries' endpoint exists.
    Endpoint endpoint = sampleEndpoint();
    QVERIFY(store->saveEndpoint(&endpoint).isEmpty());
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const Event e = bigEvent(1);
    QVERIFY(store->insertEvent(e));
    Delivery d = sampleDelivery(e.id, endpoint.id, DeliveryState::Pending, now);
    d.nextAttempt = now;
    const Claim mine{QStringLiteral("me"), now.addSecs(60)};
    QVERIFY(store->insertDelivery(d, mine)); // stored already claimed: not due for others
    QList<ClaimedDelivery> got;
    QVERIFY(store->claimDue({QStringLiteral("other"), now.addSecs(60)}, now.addSecs(1), 10, &got));
    QVERIFY(got.isEmpty());
    QCOMPARE(store->nextDue(), mine.until);

    // Another owner cannot take it by hand either, and is told why; the owner can.
    QString why;
    std::optional<ClaimedDelivery> one;
    QVERIFY(store->claimOne(d.id, {QStringLiteral("other"), now.addSecs(60)}, now, &one, &why));
    QVERIFY(!one);
    QVERIFY2(why.contains(QLatin1String("another Hookline process")), qPrintable(why));
    why.clear();
    QVERIFY(store->claimOne(d.id, mine, now, &one, &why));
    QVERIFY(one);
    QCOMPARE(one->delivery.id, d.id);
    QCOMPARE(one->payload, e.payload);
    QVERIFY(why.isEmpty());

    // Renewing moves the lease; releasing makes it due at once.
    QVERIFY(store->renewClaims({d.id}, {QStringLiteral("me"), now.addSecs(120)}));
    QCOMPARE(store->nextDue(), now.addSecs(120));
    QVERIFY(store->renewClaims({d.id}, {QStringLiteral("not-me"), now.addSecs(500)}));
    QCOMPARE(store->nextDue(), now.addSecs(120)); // only the owner renews
    QVERIFY(store->releaseClaims({d.id}, QStringLiteral("me"), now));
    QCOMPARE(store->nextDue(), now);

    // A retry is due at its next attempt; a final outcome is never due again, and a renewal
    // that comes late does not bring it back.
    QVERIFY(store->claimOne(d.id, mine, now, &one, &why));
    QVERIFY(one);
    d.state = DeliveryState::Retrying;
    d.nextAttempt = now.addSecs(30);
    QVERIFY(store->updateDelivery(d));
    QCOMPARE(store->nextDue(), now.addSecs(30));
    d.state = DeliveryState::Succeeded;
    d.nextAttempt = QDateTime();
    QVERIFY(store->updateDelivery(d));
    QVERIFY(!store->nextDue().isValid());
    QVERIFY(store->renewClaims({d.id}, mine));
    QVERIFY(!store->nextDue().isValid());
    // A retry that comes due after someone finished the delivery is not claimed; a manual
    // redelivery is.
    why.clear();
    QVERIFY(store->claimOne(d.id, mine, now, &one, &why, Store::ClaimState::Unfinished));
    QVERIFY(!one);
    QVERIFY2(why.contains(QLatin1String("already succeeded")), qPrintable(why));
    QVERIFY(!store->nextDue().isValid());
    QVERIFY(store->claimDue(mine, now.addDays(1), 10, &got));
    QVERIFY(got.isEmpty());

    // A dead owner's claims are released at once; a live one's are left alone.
    Delivery held = sampleDelivery(e.id, endpoint.id, DeliveryState::Pending, now);
    Delivery alive = sampleDelivery(e.id, endpoint.id, DeliveryState::Pending, now);
    QVERIFY(store->insertDelivery(held, {QStringLiteral("dead"), now.addSecs(600)}));
    QVERIFY(store->insertDelivery(alive, {QStringLiteral("alive"), now.addSecs(600)}));
    const int released = store->releaseDeadOwners(
        [](const QString &owner) { return owner == QLatin1String("dead"); }, now);
    QCOMPARE(released, 1);
    QVERIFY(store->claimDue(mine, now, 10, &got));
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().delivery.id, held.id);
}

// The claim query walks one endpoint's part of the due-time index from its start: its cost
// does not grow with the history or the backlog (its own or another endpoint's).
void TestStore::dueWorkIsFoundByIndex()
{
    auto store = open();
    QVERIFY(store);
    if (onPostgres()) {
        // The planner's choice with sequential scans priced out (the test table is tiny).
        QString plan;
        {
            QSqlDatabase db = TestBackend::rawConnection(path(), QStringLiteral("plan"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SET enable_seqscan = off")));
            QVERIFY(q.exec(QStringLiteral("EXPLAIN SELECT id FROM deliveries WHERE endpoint_id = "
                                          "'e' AND due_at IS NOT NULL AND due_at <= 5 ORDER BY "
                                          "due_at, seq LIMIT 10")));
            while (q.next())
                plan += q.value(0).toString() + u'\n';
        }
        QSqlDatabase::removeDatabase(QStringLiteral("plan"));
        QVERIFY2(plan.contains(QLatin1String("deliveries_due_by_endpoint")), qPrintable(plan));
        return;
    }
    const QString plan =
        firstRow(path(), QStringLiteral("EXPLAIN QUERY PLAN SELECT id FROM deliveries WHERE "
                                        "endpoint_id = 'e' AND due_at IS NOT NULL AND "
                                        "due_at <= 5 ORDER BY due_at, seq LIMIT 10"))
            .value(3)
            .toString();
    QVERIFY2(plan.contains(QLatin1String("deliveries_due_by_endpoint")), qPrintable(plan));
    QVERIFY2(!plan.contains(QLatin1String("TEMP B-TREE")), qPrintable(plan));
    const QString next =
        firstRow(path(), QStringLiteral("EXPLAIN QUERY PLAN SELECT MIN((SELECT due_at FROM "
                                        "deliveries AS d WHERE d.endpoint_id = e.id AND "
                                        "d.due_at IS NOT NULL ORDER BY d.due_at LIMIT 1)) "
                                        "FROM endpoints AS e"))
            .value(3)
            .toString();
    QVERIFY2(!next.contains(QLatin1String("TEMP B-TREE")), qPrintable(next));
}

// A database from the first schema keeps its unfinished work: it becomes due.
// A 5 MB body retried three times is stored once; an attempt whose body differs (the endpoint's
// format changed between attempts) keeps its own; every attempt reads back with its body.
void TestStore::requestBodyIsStoredOncePerDelivery()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QByteArray big = "{\"a\":\"" + QByteArray(5 * 1000 * 1000, 'x') + "\"}";
    Event event{uuid(), QStringLiteral("call.ringing"), big, now, EventOrigin::Test, {}};
    Delivery d = sampleDelivery(event.id, QStringLiteral("ep"), DeliveryState::Pending, now);
    auto store = open();
    QVERIFY(store->insertEvent(event));
    QVERIFY(store->insertDelivery(d));
    const QList<QByteArray> bodies = {big, big, big, QByteArrayLiteral("payload=short"), big};
    for (int i = 0; i < bodies.size(); ++i) {
        Attempt a;
        a.deliveryId = d.id;
        a.number = i + 1;
        a.started = now.addSecs(i);
        a.requestUrl = QStringLiteral("http://127.0.0.1:9/x");
        a.requestBody = bodies.at(i);
        QVERIFY(store->insertAttempt(&a));
    }
    const qint64 stored =
        scalar(path(), QStringLiteral("SELECT SUM(LENGTH(request_body)) FROM attempts"))
            .toLongLong();
    QCOMPARE(stored, 2 * big.size() + 13); // attempt 1, the short one, and attempt 5 after it
    const QList<Attempt> back = store->attempts(d.id);
    QCOMPARE(back.size(), bodies.size());
    for (int i = 0; i < bodies.size(); ++i)
        QVERIFY2(back.at(i).requestBody == bodies.at(i), qPrintable(QString::number(i + 1)));
}

void TestStore::schemaOneIsMigrated()
{
    SQLITE_ONLY();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const Event e = bigEvent(1);
    Delivery pending = sampleDelivery(e.id, QStringLiteral("ep"), DeliveryState::Pending, now);
    pending.nextAttempt = now;
    Delivery done = sampleDelivery(e.id, QStringLiteral("ep"), DeliveryState::Succeeded, now);
    {
        auto store = open();
        QVERIFY(store);
        QVERIFY(store->insertEvent(e));
        QVERIFY(store->insertDelivery(pending));
        QVERIFY(store->insertDelivery(done));
    }
    // Back to what schema 1 had.
    const QString name = QStringLiteral("downgrade");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path());
        QVERIFY(db.open());
        QSqlQuery q(db);
        for (const char *sql : {"DROP TRIGGER delivery_counts_insert",
                                "DROP TRIGGER delivery_counts_update",
                                "DROP TRIGGER delivery_counts_delete",
                                "ALTER TABLE endpoints DROP COLUMN version",
                                "ALTER TABLE event_types DROP COLUMN position",
                                "DROP TABLE delivery_counts",
                                "ALTER TABLE attempts DROP COLUMN error_detail",
                                "DROP INDEX deliveries_by_webhook_id",
                                "DROP TABLE endpoint_activity",
                                "DROP INDEX deliveries_in_order",
                                "ALTER TABLE deliveries DROP COLUMN order_key",
                                "ALTER TABLE endpoints DROP COLUMN order_key",
                                "DROP INDEX deliveries_due_by_endpoint",
                                "ALTER TABLE attempts DROP COLUMN protocol",
                                "ALTER TABLE endpoints DROP COLUMN max_in_flight",
                                "ALTER TABLE endpoints DROP COLUMN rate_per_second",
                                "ALTER TABLE endpoints DROP COLUMN rate_burst",
                                "ALTER TABLE endpoints DROP COLUMN http1_only",
                                "ALTER TABLE attempts DROP COLUMN request_body_same",
                                "DROP TABLE settings",
                                "DROP TABLE api_tokens",
                                "DROP TABLE api_idempotency",
                                "ALTER TABLE deliveries DROP COLUMN due_at",
                                "ALTER TABLE deliveries DROP COLUMN claim_owner",
                                "PRAGMA user_version = 1"})
            QVERIFY2(q.exec(QString::fromLatin1(sql)), qPrintable(q.lastError().text()));
        // An attempt as schema 1 recorded it: its error in words.
        QVERIFY2(
            q.exec(QStringLiteral(
                       "INSERT INTO attempts (delivery_id, number, trigger, started, duration_ms, "
                       "request_url, request_headers, request_body, response_status, "
                       "response_headers, response_body, response_body_size, error_class, "
                       "error_text) VALUES ('%1', 1, 'scheduled', 0, 5, 'http://127.0.0.1:9/', "
                       "'[]', x'', 0, '[]', x'', 0, 'refused', 'Connection refused by "
                       "127.0.0.1:9.')")
                       .arg(done.id)),
            qPrintable(q.lastError().text()));
    }
    QSqlDatabase::removeDatabase(name);
    auto store = open();
    QVERIFY(store);
    QCOMPARE(scalar(path(), QStringLiteral("PRAGMA user_version")).toInt(), Store::kSchemaVersion);
    QList<ClaimedDelivery> got;
    QVERIFY(store->claimDue({QStringLiteral("me"), now.addSecs(60)}, now.addSecs(1), 10, &got));
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().delivery.id, pending.id);
    // The counts of schema 11 start from the deliveries already there.
    QCOMPARE(store->countDeliveries({}), 2);
    DeliveryQuery succeeded;
    succeeded.state = DeliveryState::Succeeded;
    QCOMPARE(store->countDeliveries(succeeded), 1);
    const QList<Attempt> old = store->attempts(done.id);
    QCOMPARE(old.size(), 1);
    QCOMPARE(old.first().error.text(), QStringLiteral("Connection refused by 127.0.0.1:9."));
}

// Only a token's hash is stored; it is found by that hash, by id or a unique id prefix, and
// gone once deleted.
void TestStore::apiTokensKeepOnlyHashes()
{
    auto store = open();
    QVERIFY(store);
    const QString secret = ApiTokens::generate();
    QVERIFY(secret.startsWith(QLatin1String("hl_")));
    QCOMPARE(secret.size(), 3 + 43); // 256 bits in base64url
    ApiToken t{QStringLiteral("abc123"),
               QStringLiteral("crm deploy"),
               true,
               QDateTime::currentDateTimeUtc(),
               {}};
    QVERIFY(store->insertApiToken(t, ApiTokens::hash(secret)));
    const auto found = store->apiTokenByHash(ApiTokens::hash(secret));
    QVERIFY(found);
    QCOMPARE(found->name, t.name);
    QVERIFY(found->readOnly);
    QVERIFY(!store->apiTokenByHash(ApiTokens::hash(secret + u'x')));
    QString error;
    QVERIFY(store->findApiToken(QStringLiteral("abc"), &error));
    QVERIFY(!store->findApiToken(QStringLiteral("zzz"), &error));
    QVERIFY(error.contains(QLatin1String("zzz")));
    // Nothing in the file (the server's table) holds the token itself.
    if (onPostgres()) {
        const QString rows = scalar(path(), QStringLiteral("SELECT string_agg(t::text, ',') "
                                                           "FROM api_tokens AS t"))
                                 .toString();
        QVERIFY(rows.contains(t.name));
        QVERIFY(!rows.contains(secret));
    } else {
        QFile f(path());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(!f.readAll().contains(secret.toLatin1()));
    }
    QVERIFY(store->deleteApiToken(t.id));
    QVERIFY(!store->apiTokenByHash(ApiTokens::hash(secret)));
    QVERIFY(!store->deleteApiToken(t.id));
}

void TestStore::idempotencyRecordsExpire()
{
    auto store = open();
    QVERIFY(store);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    IdempotencyRecord r{QStringLiteral("tok"),  QStringLiteral("key-1"), "hash", 202, "{}",
                        now.addSecs(-25 * 3600)};
    QVERIFY(store->putIdempotencyRecord(r));
    QVERIFY(store->idempotencyRecord(r.tokenId, r.key, now.addSecs(-26 * 3600)));
    QVERIFY(!store->idempotencyRecord(r.tokenId, r.key, now.addSecs(-24 * 3600)));
    QVERIFY(!store->idempotencyRecord(QStringLiteral("other"), r.key, now.addSecs(-26 * 3600)));
    QCOMPARE(store->expireIdempotencyRecords(now.addSecs(-24 * 3600)), 1);
    QVERIFY(!store->idempotencyRecord(r.tokenId, r.key, now.addSecs(-26 * 3600)));
}

QTEST_GUILESS_MAIN(TestStore)
// History's counts by endpoint, state and outcome come from totals kept by triggers: after
// inserts, outcomes, claims, recovery, retention, removing an endpoint and a write from
// another connection, every combination of those filters counts what COUNT(*) over the
// deliveries counts.
void TestStore::countsFollowEveryChange()
{
    auto store = open();
    QVERIFY(store);
    QStringList endpoints;
    for (const QString &name : {QStringLiteral("A"), QStringLiteral("B")}) {
        Endpoint e;
        e.name = name;
        e.url = QStringLiteral("http://127.0.0.1:9/") + name;
        QVERIFY(store->saveEndpoint(&e).isEmpty());
        endpoints << e.id;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const Event event = bigEvent(1);
    QVERIFY(store->insertEvent(event));
    const QList<QPair<int, ErrorClass>> outcomes = {
        {0, ErrorClass::None},      {200, ErrorClass::None},    {204, ErrorClass::None},
        {301, ErrorClass::Http3xx}, {404, ErrorClass::Http4xx}, {503, ErrorClass::Http5xx},
        {0, ErrorClass::Refused},   {0, ErrorClass::Blocked},   {0, ErrorClass::Timeout},
        {101, ErrorClass::None}};
    const QList<DeliveryState> states = {DeliveryState::Pending,   DeliveryState::InFlight,
                                         DeliveryState::Succeeded, DeliveryState::Retrying,
                                         DeliveryState::Failed,    DeliveryState::Cancelled};
    QRandomGenerator rng(7);
    QList<Delivery> all;
    const auto randomize = [&](Delivery *d) {
        d->state = states.at(int(rng.bounded(states.size())));
        const auto o = outcomes.at(int(rng.bounded(outcomes.size())));
        d->lastStatus = o.first;
        d->lastError = o.second;
        d->nextAttempt = isFinal(d->state) ? QDateTime() : now;
    };
    for (int i = 0; i < 80; ++i) {
        Delivery d = sampleDelivery(event.id, endpoints.at(i % 2), DeliveryState::Pending,
                                    now.addSecs(-1000 + i));
        randomize(&d);
        QVERIFY(store->insertDelivery(d));
        all << d;
    }
    const QStringList codes = {QString(),
                               QStringLiteral("2xx"),
                               QStringLiteral("3xx"),
                               QStringLiteral("4xx"),
                               QStringLiteral("5xx"),
                               QStringLiteral("error")};
    const auto codeSql = [](const QString &code) {
        if (code == QLatin1String("2xx"))
            return QStringLiteral("last_error = 'none' AND last_status BETWEEN 200 AND 299");
        if (code == QLatin1String("error"))
            return QStringLiteral("last_error IN ('dns', 'refused', 'timeout', 'tls', 'aborted', "
                                  "'network', 'blocked')");
        return QStringLiteral("last_error = 'http-%1'").arg(code);
    };
    const auto check = [&](const char *step) {
        QStringList wrong;
        for (const QString &endpoint : QStringList{QString()} + endpoints) {
            for (int s = -1; s < int(states.size()); ++s) {
                for (const QString &code : codes) {
                    DeliveryQuery q;
                    q.endpointId = endpoint;
                    QStringList where{QStringLiteral("1 = 1")};
                    if (!endpoint.isEmpty())
                        where << QStringLiteral("endpoint_id = '%1'").arg(endpoint);
                    if (s >= 0) {
                        q.state = states.at(s);
                        where << QStringLiteral("state = '%1'").arg(deliveryStateName(*q.state));
                    }
                    q.codeClass = code;
                    if (!code.isEmpty())
                        where << codeSql(code);
                    const qint64 exact =
                        scalar(path(), QStringLiteral("SELECT COUNT(*) FROM deliveries WHERE ") +
                                           where.join(QLatin1String(" AND ")))
                            .toLongLong();
                    const qint64 kept = store->countDeliveries(q);
                    if (kept != exact)
                        wrong << QStringLiteral("%1: %2 counted, %3 there")
                                     .arg(where.join(QLatin1String(" AND ")))
                                     .arg(kept)
                                     .arg(exact);
                }
            }
        }
        return wrong.isEmpty() ? QString()
                               : QLatin1String(step) + QLatin1String(":\n") + wrong.join(u'\n');
    };
    QString wrong = check("inserted");
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));

    // Outcomes, including ones that change the class and not the state, and the reverse.
    for (int i = 0; i < all.size(); i += 2) {
        Delivery &d = all[i];
        const ErrorClass stored = d.lastError;
        randomize(&d);
        d.attemptCount += 1;
        QVERIFY(store->updateDelivery(d, i % 4 ? std::optional<ErrorClass>(stored) : std::nullopt));
    }
    wrong = check("outcomes");
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));

    QList<ClaimedDelivery> claimed;
    QVERIFY(store->claimDue({QStringLiteral("me"), now.addSecs(60)}, now.addSecs(1), 10, &claimed));
    QVERIFY(!claimed.isEmpty());
    wrong = check("claimed");
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));

    QList<Delivery> requeued;
    QVERIFY(store->requeueRecoverable(endpoints.first(), now.addSecs(-2000), now, &requeued));
    QVERIFY(!requeued.isEmpty());
    wrong = check("recovered");
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));

    {
        auto other = open(); // another process's connection
        QVERIFY(other);
        Delivery d = sampleDelivery(event.id, endpoints.last(), DeliveryState::Failed, now);
        d.lastStatus = 503;
        d.lastError = ErrorClass::Http5xx;
        QVERIFY(other->insertDelivery(d));
    }
    wrong = check("another connection");
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));

    RetentionPolicy keep;
    keep.maxDeliveries = 50;
    QVERIFY(store->applyRetention(keep, now) > 0);
    wrong = check("retention");
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));

    QVERIFY(store->removeEndpoint(endpoints.last()));
    wrong = check("endpoint removed");
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
}

// A jump to row N of a filter starts from the counted bucket of seq values that holds it:
// the rows found that way are the rows an OFFSET from the top finds, for every filter the
// totals keep, across buckets, gaps and both ends.
void TestStore::jumpsStartInTheirBucket()
{
    SQLITE_ONLY();
    auto store = open();
    QVERIFY(store);
    const QString name = QStringLiteral("spread");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path());
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("BEGIN")));
        QVERIFY(q.prepare(QStringLiteral(
            "INSERT INTO deliveries (seq, id, event_id, event_type, endpoint_id, webhook_id, "
            "state, created, updated, last_status, last_error) VALUES (?, ?, 'ev', "
            "'call.ringing', ?, ?, ?, 0, 0, ?, ?)")));
        QRandomGenerator rng(11);
        qint64 seq = 1;
        for (int i = 0; i < 3000; ++i) {
            seq += 1 + rng.bounded(200); // about 5 buckets of 65,536, with gaps
            const bool ok = rng.bounded(10) < 8;
            q.addBindValue(seq);
            q.addBindValue(QStringLiteral("d-%1").arg(i));
            q.addBindValue(i % 3 ? QStringLiteral("A") : QStringLiteral("B"));
            q.addBindValue(QStringLiteral("msg_%1").arg(i));
            q.addBindValue(ok ? QStringLiteral("succeeded") : QStringLiteral("failed"));
            q.addBindValue(ok ? 200 : 503);
            q.addBindValue(ok ? QStringLiteral("none") : QStringLiteral("http-5xx"));
            QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
        }
        QVERIFY(q.exec(QStringLiteral("COMMIT")));
        QVERIFY(scalar(path(), QStringLiteral("SELECT COUNT(DISTINCT bucket) FROM delivery_counts"))
                    .toInt() >= 4);
    }
    QSqlDatabase::removeDatabase(name);

    DeliveryQuery all, failed, fiveXx, aSucceeded;
    failed.state = DeliveryState::Failed;
    fiveXx.codeClass = QStringLiteral("5xx");
    aSucceeded.endpointId = QStringLiteral("A");
    aSucceeded.state = DeliveryState::Succeeded;
    for (const DeliveryQuery &filter : {all, failed, fiveXx, aSucceeded}) {
        const qint64 count = store->countDeliveries(filter);
        QVERIFY(count > 300);
        for (qint64 position :
             {qint64(1), qint64(255), qint64(256), count / 3, count / 2, count - 5, count - 1}) {
            const auto seek = store->seekPosition(filter, position);
            QVERIFY2(seek, qPrintable(QString::number(position)));
            QVERIFY(seek->offset < (qint64(1) << Store::kSeqBucketBits));
            DeliveryQuery bySeek = filter, byOffset = filter;
            bySeek.limit = byOffset.limit = 5;
            bySeek.beforeSeq = seek->beforeSeq;
            bySeek.offset = seek->offset;
            byOffset.offset = position;
            QStringList a, b;
            for (const Delivery &d : store->deliveries(bySeek))
                a << d.id;
            for (const Delivery &d : store->deliveries(byOffset))
                b << d.id;
            QVERIFY(!a.isEmpty());
            QCOMPARE(a, b);
        }
        QVERIFY(!store->seekPosition(filter, count));
    }
    DeliveryQuery byType; // not kept in the totals: the caller uses an OFFSET
    byType.eventType = QStringLiteral("call.ringing");
    QVERIFY(!store->seekPosition(byType, 10));
}

#include "tst_store.moc"
