// SPDX-License-Identifier: GPL-3.0-or-later
// The post-attempt rules as a table (core/delivery/AttemptOutcome): what each HTTP status and
// network error is classified as, whether it is retried, and when the endpoint is disabled.
#include "delivery/AttemptOutcome.h"

#include <QTest>

Q_DECLARE_METATYPE(ErrorClass)
Q_DECLARE_METATYPE(DeliveryState)

class TestAttemptOutcome : public QObject
{
    Q_OBJECT
private slots:
    void classification_data();
    void classification();
    void decision_data();
    void decision();
    void failureRuns();
};

void TestAttemptOutcome::classification_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("error");
    QTest::addColumn<bool>("timedOut");
    QTest::addColumn<bool>("tlsErrors");
    QTest::addColumn<ErrorClass>("expected");
    using E = QNetworkReply::NetworkError;
    const auto row = [](const char *name, int status, E error, bool timedOut, bool tls,
                        ErrorClass expected) {
        QTest::newRow(name) << status << int(error) << timedOut << tls << expected;
    };
    row("200", 200, E::NoError, false, false, ErrorClass::None);
    row("204", 204, E::NoError, false, false, ErrorClass::None);
    row("299", 299, E::NoError, false, false, ErrorClass::None);
    row("301 (not followed)", 301, E::NoError, false, false, ErrorClass::Http3xx);
    row("400", 400, E::ProtocolInvalidOperationError, false, false, ErrorClass::Http4xx);
    row("410", 410, E::ContentGoneError, false, false, ErrorClass::Http4xx);
    row("429", 429, E::UnknownContentError, false, false, ErrorClass::Http4xx);
    row("500", 500, E::InternalServerError, false, false, ErrorClass::Http5xx);
    row("503", 503, E::ServiceUnavailableError, false, false, ErrorClass::Http5xx);
    row("status beyond 599", 601, E::NoError, false, false, ErrorClass::Network);
    row("answer cut by the deadline", 200, E::OperationCanceledError, true, false,
        ErrorClass::Timeout);
    row("no answer by the deadline", 0, E::OperationCanceledError, true, false,
        ErrorClass::Timeout);
    row("DNS", 0, E::HostNotFoundError, false, false, ErrorClass::Dns);
    row("refused", 0, E::ConnectionRefusedError, false, false, ErrorClass::Refused);
    row("socket timeout", 0, E::TimeoutError, false, false, ErrorClass::Timeout);
    row("TLS handshake", 0, E::SslHandshakeFailedError, false, false, ErrorClass::Tls);
    row("insecure redirect", 0, E::InsecureRedirectError, false, false, ErrorClass::Tls);
    row("cancelled for certificate errors", 0, E::OperationCanceledError, false, true,
        ErrorClass::Tls);
    row("cancelled (shutdown)", 0, E::OperationCanceledError, false, false, ErrorClass::Aborted);
    row("closed without answer", 0, E::RemoteHostClosedError, false, false, ErrorClass::Network);
    row("other, after certificate errors", 0, E::UnknownNetworkError, false, true, ErrorClass::Tls);
    row("other", 0, E::UnknownNetworkError, false, false, ErrorClass::Network);
    row("proxy refused", 0, E::ProxyConnectionRefusedError, false, false, ErrorClass::Network);
}

void TestAttemptOutcome::classification()
{
    QFETCH(int, status);
    QFETCH(int, error);
    QFETCH(bool, timedOut);
    QFETCH(bool, tlsErrors);
    QFETCH(ErrorClass, expected);
    QCOMPARE(classifyAttempt({status, QNetworkReply::NetworkError(error), timedOut, tlsErrors}),
             expected);
}

void TestAttemptOutcome::decision_data()
{
    QTest::addColumn<ErrorClass>("errorClass");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("attempt");
    QTest::addColumn<qint64>("retryAfter");
    QTest::addColumn<DeliveryState>("state");
    QTest::addColumn<qint64>("delayMs");
    QTest::addColumn<bool>("disable");
    // Schedule 5 s, 300 s; 3 attempts; no jitter (0.0).
    QTest::newRow("success") << ErrorClass::None << 204 << 1 << qint64(-1)
                             << DeliveryState::Succeeded << qint64(0) << false;
    QTest::newRow("success after retries") << ErrorClass::None << 200 << 3 << qint64(-1)
                                           << DeliveryState::Succeeded << qint64(0) << false;
    QTest::newRow("503 first") << ErrorClass::Http5xx << 503 << 1 << qint64(-1)
                               << DeliveryState::Retrying << qint64(5000) << false;
    QTest::newRow("503 second") << ErrorClass::Http5xx << 503 << 2 << qint64(-1)
                                << DeliveryState::Retrying << qint64(300000) << false;
    QTest::newRow("503 last") << ErrorClass::Http5xx << 503 << 3 << qint64(-1)
                              << DeliveryState::Failed << qint64(0) << false;
    QTest::newRow("503 with Retry-After") << ErrorClass::Http5xx << 503 << 1 << qint64(60)
                                          << DeliveryState::Retrying << qint64(60000) << false;
    QTest::newRow("429 with Retry-After") << ErrorClass::Http4xx << 429 << 1 << qint64(2)
                                          << DeliveryState::Retrying << qint64(2000) << false;
    QTest::newRow("410 Gone") << ErrorClass::Http4xx << 410 << 1 << qint64(-1)
                              << DeliveryState::Failed << qint64(0) << true;
    QTest::newRow("404") << ErrorClass::Http4xx << 404 << 1 << qint64(-1) << DeliveryState::Retrying
                         << qint64(5000) << false;
    QTest::newRow("refused") << ErrorClass::Refused << 0 << 1 << qint64(-1)
                             << DeliveryState::Retrying << qint64(5000) << false;
    QTest::newRow("timeout last") << ErrorClass::Timeout << 0 << 3 << qint64(-1)
                                  << DeliveryState::Failed << qint64(0) << false;
    QTest::newRow("blocked by the egress policy")
        << ErrorClass::Blocked << 0 << 1 << qint64(-1) << DeliveryState::Retrying << qint64(5000)
        << false;
    QTest::newRow("redirect") << ErrorClass::Http3xx << 302 << 1 << qint64(-1)
                              << DeliveryState::Retrying << qint64(5000) << false;
}

void TestAttemptOutcome::decision()
{
    QFETCH(ErrorClass, errorClass);
    QFETCH(int, status);
    QFETCH(int, attempt);
    QFETCH(qint64, retryAfter);
    QFETCH(DeliveryState, state);
    QFETCH(qint64, delayMs);
    QFETCH(bool, disable);
    RetryPolicy policy;
    policy.scheduleSeconds = {5, 300};
    policy.maxAttempts = 3;
    const OutcomeDecision d = decideOutcome(errorClass, status, policy, attempt, retryAfter, 0.0);
    QCOMPARE(d.state, state);
    QCOMPARE(d.retryDelayMs, delayMs);
    QCOMPARE(d.disableEndpoint, disable);
}

void TestAttemptOutcome::failureRuns()
{
    QVERIFY(!failureRunDisables(100, 0)); // 0: never
    QVERIFY(!failureRunDisables(4, 5));
    QVERIFY(failureRunDisables(5, 5));
    QVERIFY(failureRunDisables(6, 5));
    QVERIFY(failureRunDisables(1, 1));
}

QTEST_APPLESS_MAIN(TestAttemptOutcome)
#include "tst_attemptoutcome.moc"
