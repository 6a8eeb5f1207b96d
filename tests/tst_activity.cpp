// SPDX-License-Identifier: GPL-3.0-or-later
// Per-endpoint activity counts: the latency buckets and percentiles, "since" as typed, and
// the store's per-minute rows - written in the attempt's transaction (a rollback takes both),
// summed into bins, filled from the history when a schema-7 store is upgraded, pruned after
// kActivityKeptDays and removed with their endpoint.
#include "domain/EndpointActivity.h"
#include "domain/SinceTime.h"
#include "store/Store.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <memory>

namespace {
QString uuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

Attempt attemptAt(const QString &deliveryId, const QDateTime &started, qint64 ms, int number = 1,
                  ErrorClass error = ErrorClass::None)
{
    Attempt a;
    a.deliveryId = deliveryId;
    a.number = number;
    a.started = started;
    a.durationMs = ms;
    a.requestUrl = QStringLiteral("http://127.0.0.1:9/");
    a.responseStatus = error == ErrorClass::None ? 204 : 503;
    a.errorClass = error;
    return a;
}
} // namespace

class TestActivity : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void bucketsCoverEveryDuration();
    void percentilesFromTheHistogram();
    void percentileIsWithinABucketOfTheExactFigure();
    void sinceAsTyped_data();
    void sinceAsTyped();
    void countsAddUpPerMinuteAndBin();
    void rollbackTakesTheCountsWithTheAttempt();
    void upgradeFillsCountsFromHistory();
    void oldCountsArePrunedAndRemovedWithTheEndpoint();
    void endpointViewReadsStayBounded();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString path() const { return m_dir->filePath(QStringLiteral("hookline.sqlite")); }
    std::unique_ptr<Store> open()
    {
        QString error;
        auto store = Store::open(path(), &error);
        if (!store)
            qWarning("%s", qPrintable(error));
        return store;
    }
    // A delivery (and its event) of `endpointId`, stored.
    Delivery addDelivery(Store &store, const QString &endpointId, DeliveryState state, int attempts,
                         const QDateTime &when)
    {
        const Event e{uuid(), QStringLiteral("call.ringing"), "{}", when, EventOrigin::Test, {}};
        store.insertEvent(e);
        Delivery d;
        d.id = uuid();
        d.eventId = e.id;
        d.eventType = e.type;
        d.endpointId = endpointId;
        d.webhookId = QStringLiteral("msg_") + d.id.left(8);
        d.state = state;
        d.attemptCount = attempts;
        d.created = when;
        d.updated = when;
        store.insertDelivery(d);
        return d;
    }
};

void TestActivity::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestActivity::bucketsCoverEveryDuration()
{
    QCOMPARE(LatencyBuckets::upperBound(0), 1);
    QCOMPARE(LatencyBuckets::upperBound(9), 10);
    QCOMPARE(LatencyBuckets::upperBound(10), 12);
    QCOMPARE(LatencyBuckets::upperBound(19), 100);
    QCOMPARE(LatencyBuckets::upperBound(LatencyBuckets::kCount - 2), 100000);
    QCOMPARE(LatencyBuckets::upperBound(LatencyBuckets::kCount - 1), -1); // open
    for (int i = 1; i < LatencyBuckets::kCount - 1; ++i) {
        QVERIFY(LatencyBuckets::upperBound(i) > LatencyBuckets::upperBound(i - 1));
        // Each bucket at most a third wider than its lower bound from 10 ms on.
        if (i > 10)
            QVERIFY(LatencyBuckets::upperBound(i) * 3 <= LatencyBuckets::upperBound(i - 1) * 4);
    }
    for (const qint64 ms : {0LL, 1LL, 2LL, 10LL, 11LL, 12LL, 13LL, 999LL, 1000LL, 1001LL, 99999LL,
                            100000LL, 100001LL, 10000000LL}) {
        const int b = LatencyBuckets::bucketOf(ms);
        QVERIFY(b >= 0 && b < LatencyBuckets::kCount);
        if (LatencyBuckets::upperBound(b) >= 0)
            QVERIFY2(ms <= LatencyBuckets::upperBound(b), qPrintable(QString::number(ms)));
        if (b > 0)
            QVERIFY2(ms > LatencyBuckets::upperBound(b - 1), qPrintable(QString::number(ms)));
    }
}

void TestActivity::percentilesFromTheHistogram()
{
    ActivityCounts c;
    QCOMPARE(c.percentileMs(0.5), -1.0);
    QCOMPARE(c.successRate(), 0.0);
    // 100 attempts of 5 ms: every percentile inside (4, 5].
    c.attempts = 100;
    c.succeeded = 75;
    c.latency[LatencyBuckets::bucketOf(5)] = 100;
    QVERIFY(c.percentileMs(0.5) > 4 && c.percentileMs(0.5) <= 5);
    QVERIFY(c.percentileMs(0.99) > 4 && c.percentileMs(0.99) <= 5);
    QCOMPARE(c.successRate(), 0.75);
    // One slow one in a hundred shows at p99, not at p95.
    c.latency[LatencyBuckets::bucketOf(5)] = 98;
    c.latency[LatencyBuckets::bucketOf(2000)] = 2;
    QVERIFY(c.percentileMs(0.95) <= 5);
    QVERIFY(c.percentileMs(0.99) > 1500 && c.percentileMs(0.99) <= 2000);
    ActivityCounts sum;
    sum.add(c);
    sum.add(c);
    QCOMPARE(sum.attempts, 200);
    QCOMPARE(sum.latency[LatencyBuckets::bucketOf(2000)], 4);
}

void TestActivity::percentileIsWithinABucketOfTheExactFigure()
{
    // Durations spread from 1 ms to 3 s: the estimate lands within 25 % of the exact value.
    QList<qint64> values;
    ActivityCounts c;
    quint32 x = 12345;
    for (int i = 0; i < 5000; ++i) {
        x = x * 1103515245u + 12345u;
        const qint64 ms = 1 + qint64((x >> 8) % 3000) * qint64((x >> 20) % 3 + 1) / 3;
        values << ms;
        ++c.attempts;
        ++c.latency[LatencyBuckets::bucketOf(ms)];
    }
    std::sort(values.begin(), values.end());
    for (const double share : {0.5, 0.95, 0.99}) {
        const double exact = double(values[qsizetype(share * double(values.size())) - 1]);
        const double estimate = c.percentileMs(share);
        QVERIFY2(qAbs(estimate - exact) <= exact * 0.25 + 1,
                 qPrintable(QStringLiteral("p%1: %2 vs %3").arg(share).arg(estimate).arg(exact)));
    }
}

void TestActivity::sinceAsTyped_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("secondsBack"); // -1: refused; -2: an absolute time
    QTest::newRow("minutes") << "30m" << 1800LL;
    QTest::newRow("hours") << "2h" << 7200LL;
    QTest::newRow("days") << "7d" << 7 * 86400LL;
    QTest::newRow("week") << "1w" << 7 * 86400LL;
    QTest::newRow("combined") << "1h30m" << 5400LL;
    QTest::newRow("seconds") << "90s" << 90LL;
    QTest::newRow("spaces around") << " 2h " << 7200LL;
    QTest::newRow("iso utc") << "2026-11-30T06:00:00Z" << -2LL;
    QTest::newRow("iso local") << "2026-11-30T06:00" << -2LL;
    QTest::newRow("date") << "2026-11-30" << -2LL;
    QTest::newRow("empty") << "" << -1LL;
    QTest::newRow("word") << "yesterday" << -1LL;
    QTest::newRow("no unit") << "12" << -1LL;
    QTest::newRow("negative") << "-2h" << -1LL;
    QTest::newRow("unknown unit") << "2y" << -1LL;
    QTest::newRow("too far") << "999999w" << -1LL;
    QTest::newRow("future") << "2026-12-31T00:00:00Z" << -1LL;
}

void TestActivity::sinceAsTyped()
{
    QFETCH(QString, text);
    QFETCH(qint64, secondsBack);
    const QDateTime now(QDate(2026, 11, 30), QTime(12, 0), Qt::UTC);
    const std::optional<QDateTime> since = parseSince(text, now);
    if (secondsBack == -1) {
        QVERIFY(!since);
        return;
    }
    QVERIFY(since);
    if (secondsBack == -2) {
        QVERIFY(*since < now && since->isValid());
        QCOMPARE(since->timeSpec(), Qt::UTC);
        if (text.endsWith(u'Z'))
            QCOMPARE(*since, QDateTime(QDate(2026, 11, 30), QTime(6, 0), Qt::UTC));
        return;
    }
    QCOMPARE(since->secsTo(now), secondsBack);
}

void TestActivity::countsAddUpPerMinuteAndBin()
{
    auto store = open();
    QVERIFY(store);
    const QDateTime t0 = QDateTime::fromSecsSinceEpoch(
        QDateTime::currentSecsSinceEpoch() / 3600 * 3600 - 7200, Qt::UTC);
    const QString ep = uuid();
    const Delivery d = addDelivery(*store, ep, DeliveryState::Succeeded, 1, t0);
    QVERIFY(store->begin());
    // Minute 0: two successes of 5 and 7 ms; minute 1: a retrying failure of 300 ms that
    // finishes in minute 2 (counted where it finished); minute 30: a final failure.
    QVERIFY(
        store->recordActivity(ep, attemptAt(d.id, t0.addSecs(1), 5), ActivityOutcome::Succeeded));
    QVERIFY(
        store->recordActivity(ep, attemptAt(d.id, t0.addSecs(50), 7), ActivityOutcome::Succeeded));
    QVERIFY(store->recordActivity(
        ep, attemptAt(d.id, t0.addSecs(119).addMSecs(900), 300, 2, ErrorClass::Http5xx),
        ActivityOutcome::Retrying));
    QVERIFY(store->recordActivity(ep, attemptAt(d.id, t0.addSecs(1800), 40, 3, ErrorClass::Timeout),
                                  ActivityOutcome::Failed));
    // Another endpoint's attempt never shows in this one's counts.
    QVERIFY(store->recordActivity(uuid(), attemptAt(d.id, t0, 5), ActivityOutcome::Succeeded));
    QVERIFY(store->commit());

    const EndpointActivity hour = store->endpointActivity(ep, t0, t0.addSecs(3600), 1);
    QCOMPARE(hour.bins.size(), 60);
    QCOMPARE(hour.bins[0].start, t0);
    QCOMPARE(hour.bins[0].counts.attempts, 2);
    QCOMPARE(hour.bins[0].counts.succeeded, 2);
    QCOMPARE(hour.bins[0].counts.latencySumMs, 12);
    QCOMPARE(hour.bins[1].counts.attempts, 0);
    QCOMPARE(hour.bins[2].counts.retrying, 1);
    QCOMPARE(hour.bins[30].counts.failed, 1);
    QCOMPARE(hour.total.attempts, 4);
    QCOMPARE(hour.total.succeeded, 2);
    QCOMPARE(hour.total.retrying, 1);
    QCOMPARE(hour.total.failed, 1);
    QCOMPARE(hour.total.latency[LatencyBuckets::bucketOf(300)], 1);
    QCOMPARE(hour.total.successRate(), 0.5);

    // 15-minute bins: the same counts, grouped; a span that ends mid-bin has a short last bin.
    const EndpointActivity quarters = store->endpointActivity(ep, t0, t0.addSecs(3600), 15);
    QCOMPARE(quarters.bins.size(), 4);
    QCOMPARE(quarters.bins[0].counts.attempts, 3);
    QCOMPARE(quarters.bins[2].counts.attempts, 1);
    QCOMPARE(quarters.bins[2].start, t0.addSecs(1800));
    // Totals only, and a span that leaves the first minute out.
    const EndpointActivity later = store->endpointActivity(ep, t0.addSecs(60), t0.addSecs(3600), 0);
    QVERIFY(later.bins.isEmpty());
    QCOMPARE(later.total.attempts, 2);
}

// The counts go in the transaction that records the attempt: what is rolled back is not counted.
void TestActivity::rollbackTakesTheCountsWithTheAttempt()
{
    auto store = open();
    QVERIFY(store);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QString ep = uuid();
    const Delivery d = addDelivery(*store, ep, DeliveryState::Succeeded, 1, now);
    QVERIFY(store->begin());
    Attempt a = attemptAt(d.id, now, 12);
    QVERIFY(store->insertAttempt(&a));
    QVERIFY(store->recordActivity(ep, a, ActivityOutcome::Succeeded));
    store->rollback();
    QCOMPARE(store->endpointActivity(ep, now.addSecs(-60), now.addSecs(60), 0).total.attempts, 0);
    QVERIFY(store->begin());
    QVERIFY(store->savepoint());
    QVERIFY(store->recordActivity(ep, a, ActivityOutcome::Succeeded));
    QVERIFY(store->rollbackToSavepoint());
    QVERIFY(store->recordActivity(ep, a, ActivityOutcome::Failed));
    QVERIFY(store->commit());
    const ActivityCounts c =
        store->endpointActivity(ep, now.addSecs(-60), now.addSecs(60), 0).total;
    QCOMPARE(c.attempts, 1);
    QCOMPARE(c.failed, 1);
}

// A store from before the counts existed gets them from its recorded attempts: successes,
// failures that were retried and the final failure of a delivery that failed.
void TestActivity::upgradeFillsCountsFromHistory()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QString ep = uuid();
    {
        auto store = open();
        QVERIFY(store);
        const Delivery ok = addDelivery(*store, ep, DeliveryState::Succeeded, 2, now.addSecs(-600));
        Attempt a1 = attemptAt(ok.id, now.addSecs(-600), 20, 1, ErrorClass::Http5xx);
        Attempt a2 = attemptAt(ok.id, now.addSecs(-590), 8, 2);
        const Delivery failed =
            addDelivery(*store, ep, DeliveryState::Failed, 2, now.addSecs(-300));
        Attempt b1 = attemptAt(failed.id, now.addSecs(-300), 30, 1, ErrorClass::Http5xx);
        Attempt b2 = attemptAt(failed.id, now.addSecs(-290), 30, 2, ErrorClass::Http5xx);
        // Older than the days kept: not counted.
        const Delivery old = addDelivery(*store, ep, DeliveryState::Succeeded, 1, now.addDays(-9));
        Attempt c1 = attemptAt(old.id, now.addDays(-9), 5, 1);
        for (Attempt *a : {&a1, &a2, &b1, &b2, &c1})
            QVERIFY(store->insertAttempt(a));
    }
    const QString name = QStringLiteral("downgrade-activity");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path());
        QVERIFY(db.open());
        QSqlQuery q(db);
        for (const char *sql :
             {"ALTER TABLE endpoints DROP COLUMN version",
              "ALTER TABLE event_types DROP COLUMN position", "DROP TRIGGER delivery_counts_insert",
              "DROP TRIGGER delivery_counts_update", "DROP TRIGGER delivery_counts_delete",
              "DROP TABLE delivery_counts", "ALTER TABLE attempts DROP COLUMN error_detail"})
            QVERIFY2(q.exec(QString::fromLatin1(sql)), sql);
        QVERIFY(q.exec(QStringLiteral("DROP INDEX deliveries_by_webhook_id")));
        QVERIFY(q.exec(QStringLiteral("DROP TABLE endpoint_activity")));
        QVERIFY(q.exec(QStringLiteral("PRAGMA user_version = 7")));
    }
    QSqlDatabase::removeDatabase(name);
    auto store = open();
    QVERIFY(store);
    const ActivityCounts c =
        store->endpointActivity(ep, now.addDays(-10), now.addSecs(60), 0).total;
    QCOMPARE(c.attempts, 4);
    QCOMPARE(c.succeeded, 1);
    QCOMPARE(c.retrying, 2);
    QCOMPARE(c.failed, 1);
    QCOMPARE(c.latencySumMs, 88);
    QCOMPARE(c.latency[LatencyBuckets::bucketOf(30)], 2);
}

void TestActivity::oldCountsArePrunedAndRemovedWithTheEndpoint()
{
    auto store = open();
    QVERIFY(store);
    Endpoint e;
    e.name = QStringLiteral("CRM");
    e.url = QStringLiteral("http://127.0.0.1:9/hook");
    QVERIFY(store->saveEndpoint(&e).isEmpty());
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QVERIFY(store->recordActivity(e.id, attemptAt(uuid(), now.addDays(-kActivityKeptDays - 1), 5),
                                  ActivityOutcome::Succeeded));
    QVERIFY(store->recordActivity(e.id, attemptAt(uuid(), now.addSecs(-60), 5),
                                  ActivityOutcome::Succeeded));
    const auto count = [&] {
        return store->endpointActivity(e.id, now.addDays(-30), now.addSecs(60), 0).total.attempts;
    };
    QCOMPARE(count(), 2);
    store->applyRetention({}, now);
    QCOMPARE(count(), 1);
    QVERIFY(store->removeEndpoint(e.id));
    QCOMPARE(count(), 0);
}

// What the endpoint view reads besides the counts: the retrying deliveries, soonest next try
// first, and a count of recent deliveries that stops at its cap.
void TestActivity::endpointViewReadsStayBounded()
{
    auto store = open();
    QVERIFY(store);
    const QString ep = uuid();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (int i = 0; i < 5; ++i)
        addDelivery(*store, ep, DeliveryState::Succeeded, 1, now.addSecs(-i));
    QStringList retryingIds;
    for (int i = 0; i < 3; ++i) {
        Delivery d = addDelivery(*store, ep, DeliveryState::Retrying, 1, now);
        d.nextAttempt = now.addSecs(300 - i * 100); // the last one published is due first
        d.updated = now;
        QVERIFY(store->updateDelivery(d));
        retryingIds.prepend(d.id);
    }
    addDelivery(*store, uuid(), DeliveryState::Retrying, 1, now); // another endpoint's
    const QList<Delivery> retrying = store->retryingDeliveries(ep, 10);
    QCOMPARE(retrying.size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(retrying[i].id, retryingIds[i]);
    QCOMPARE(store->retryingDeliveries(ep, 2).size(), 2);
    DeliveryQuery q;
    q.endpointId = ep;
    QCOMPARE(store->countDeliveries(q), 8);
    q.countCap = 6;
    QCOMPARE(store->countDeliveries(q), 6);
    q.countCap = 100;
    QCOMPARE(store->countDeliveries(q), 8);
}

QTEST_GUILESS_MAIN(TestActivity)
#include "tst_activity.moc"
