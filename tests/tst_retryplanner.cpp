// SPDX-License-Identifier: GPL-3.0-or-later
// Retry decisions: the schedule with ±20 % jitter, the attempt budget, Retry-After within
// bounds (seconds and HTTP dates), and 410 never retried.
#include "delivery/RetryPlanner.h"

#include <QTest>

class TestRetryPlanner : public QObject
{
    Q_OBJECT

private slots:
    void schedule_data();
    void schedule();
    void retryAfterParsing_data();
    void retryAfterParsing();
    void retryAfterWins();
    void goneIsFinal();
};

void TestRetryPlanner::schedule_data()
{
    QTest::addColumn<int>("attempt");
    QTest::addColumn<double>("jitter");
    QTest::addColumn<bool>("retry");
    QTest::addColumn<qint64>("delayMs");
    // Default schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; 8 attempts.
    QTest::newRow("after 1st, no jitter") << 1 << 0.0 << true << qint64(5000);
    QTest::newRow("after 1st, +20 %") << 1 << 1.0 << true << qint64(6000);
    QTest::newRow("after 1st, -20 %") << 1 << -1.0 << true << qint64(4000);
    QTest::newRow("jitter clamped") << 1 << 7.0 << true << qint64(6000);
    QTest::newRow("after 2nd") << 2 << 0.0 << true << qint64(300000);
    QTest::newRow("after 3rd") << 3 << 0.5 << true << qint64(1980000);
    QTest::newRow("after 4th") << 4 << 0.0 << true << qint64(7200000);
    QTest::newRow("after 7th") << 7 << 0.0 << true << qint64(36000000);
    QTest::newRow("after 8th: budget used") << 8 << 0.0 << false << qint64(0);
    QTest::newRow("beyond budget") << 12 << 0.0 << false << qint64(0);
}

void TestRetryPlanner::schedule()
{
    QFETCH(int, attempt);
    QFETCH(double, jitter);
    QFETCH(bool, retry);
    QFETCH(qint64, delayMs);
    const RetryDecision d = planRetry(RetryPolicy(), attempt, 500, -1, jitter);
    QCOMPARE(d.retry, retry);
    if (retry)
        QCOMPARE(d.delayMs, delayMs);
    QVERIFY(!d.reason.isEmpty());
}

void TestRetryPlanner::retryAfterParsing_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<qint64>("seconds");
    QTest::newRow("seconds") << QByteArray("120") << qint64(120);
    QTest::newRow("spaces") << QByteArray(" 7 ") << qint64(7);
    QTest::newRow("zero") << QByteArray("0") << qint64(0);
    QTest::newRow("negative") << QByteArray("-3") << qint64(-1);
    QTest::newRow("garbage") << QByteArray("soon") << qint64(-1);
    QTest::newRow("empty") << QByteArray() << qint64(-1);
    QTest::newRow("http date") << QByteArray("Thu, 26 Nov 2026 12:01:30 GMT") << qint64(90);
    QTest::newRow("http date in the past")
        << QByteArray("Thu, 26 Nov 2026 11:00:00 GMT") << qint64(0);
}

void TestRetryPlanner::retryAfterParsing()
{
    QFETCH(QByteArray, value);
    QFETCH(qint64, seconds);
    const QDateTime now(QDate(2026, 11, 26), QTime(12, 0, 0), Qt::UTC);
    QCOMPARE(parseRetryAfterSeconds(value, now), seconds);
}

void TestRetryPlanner::retryAfterWins()
{
    // The server's word replaces the schedule (no jitter), within bounds.
    RetryDecision d = planRetry(RetryPolicy(), 1, 429, 2, 1.0);
    QVERIFY(d.retry);
    QCOMPARE(d.delayMs, qint64(2000));
    d = planRetry(RetryPolicy(), 2, 503, 0, 0.0);
    QCOMPARE(d.delayMs, kMinRetryAfterMs);
    d = planRetry(RetryPolicy(), 1, 503, 10 * 24 * 3600, 0.0);
    QCOMPARE(d.delayMs, kMaxRetryAfterMs);
    // Not past the attempt budget, though.
    RetryPolicy single;
    single.maxAttempts = 1;
    QVERIFY(!planRetry(single, 1, 429, 2, 0.0).retry);
}

void TestRetryPlanner::goneIsFinal()
{
    const RetryDecision d = planRetry(RetryPolicy(), 1, 410, 5, 0.0);
    QVERIFY(!d.retry);
    QVERIFY(d.reason.contains(QStringLiteral("410")));
}

QTEST_GUILESS_MAIN(TestRetryPlanner)
#include "tst_retryplanner.moc"
