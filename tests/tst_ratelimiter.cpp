// SPDX-License-Identifier: GPL-3.0-or-later
// The API's per-token budget: a steady rate and a burst, as rows of (time, expected).
#include "api/RateLimiter.h"

#include <QTest>

class TestRateLimiter : public QObject
{
    Q_OBJECT
private slots:
    void burstThenRate();
    void keysAreIndependent();
    void retryAfterIsWhenATokenIsBack();
};

void TestRateLimiter::burstThenRate()
{
    RateLimiter r(10, 3); // 10/s, burst 3
    QVERIFY(r.take(QStringLiteral("a"), 0));
    QVERIFY(r.take(QStringLiteral("a"), 0));
    QVERIFY(r.take(QStringLiteral("a"), 0));
    QVERIFY(!r.take(QStringLiteral("a"), 0));  // burst spent
    QVERIFY(!r.take(QStringLiteral("a"), 50)); // half a token back
    QVERIFY(r.take(QStringLiteral("a"), 100)); // one token per 100 ms
    QVERIFY(!r.take(QStringLiteral("a"), 100));
    QVERIFY(r.take(QStringLiteral("a"), 10000)); // refills to the burst, not beyond
    QVERIFY(r.take(QStringLiteral("a"), 10000));
    QVERIFY(r.take(QStringLiteral("a"), 10000));
    QVERIFY(!r.take(QStringLiteral("a"), 10000));
}

void TestRateLimiter::keysAreIndependent()
{
    RateLimiter r(1, 1);
    QVERIFY(r.take(QStringLiteral("a"), 0));
    QVERIFY(!r.take(QStringLiteral("a"), 0));
    QVERIFY(r.take(QStringLiteral("b"), 0));
}

void TestRateLimiter::retryAfterIsWhenATokenIsBack()
{
    RateLimiter r(0.5, 1); // one every 2 s
    QVERIFY(r.take(QStringLiteral("a"), 0));
    int after = 0;
    QVERIFY(!r.take(QStringLiteral("a"), 0, &after));
    QCOMPARE(after, 2);
    QVERIFY(!r.take(QStringLiteral("a"), 1900, &after));
    QCOMPARE(after, 1); // rounded up, never 0
}

QTEST_GUILESS_MAIN(TestRateLimiter)
#include "tst_ratelimiter.moc"
