// SPDX-License-Identifier: GPL-3.0-or-later
// The delivery engine against a real HTTP server on 127.0.0.1 (Hookline's own receiver, or
// small raw servers for what a real receiver would never do): what is recorded on success,
// retries, deadlines, refused connections, redirects, 410, Retry-After, huge and garbage
// responses, TLS failures, signatures, fan-out, limits, redelivery and resume after a crash.
#include "DeliveryFixture.h"
#include "FaultVfs.h"

#include "delivery/BufferedDirectProxy.h"
#include "signing/WebhookSigner.h"
#include "store/SecretBox.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QHostInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkProxy>
#include <QProcess>
#include <QScopeGuard>
#include <QSemaphore>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTcpSocket>
#include <QXmlStreamReader>

namespace {

QString header(const QList<HttpHeader> &headers, const QString &name)
{
    for (const HttpHeader &h : headers) {
        if (h.name.compare(name, Qt::CaseInsensitive) == 0)
            return h.value;
    }
    return {};
}

qint64 peakRssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return 0;
}

// Answers every connection with `head`, then streams `bodyBytes` of filler as the client
// takes it; counts what it managed to send.
class StreamingServer : public QObject
{
public:
    StreamingServer(const QByteArray &head, qint64 bodyBytes)
        : m_head(head)
        , m_bodyBytes(bodyBytes)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    s->readAll();
                    if (s->property("answered").toBool())
                        return;
                    s->setProperty("answered", true);
                    s->write(m_head);
                    feed(s);
                });
                connect(s, &QTcpSocket::bytesWritten, s, [this, s] { feed(s); });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    qint64 sent() const { return m_sent; }

private:
    void feed(QTcpSocket *s)
    {
        // Keep at most 1 MiB queued: we want to see how much the client really pulls.
        while (m_sent < m_bodyBytes && s->bytesToWrite() < 1024 * 1024) {
            const qint64 n = qMin<qint64>(256 * 1024, m_bodyBytes - m_sent);
            s->write(QByteArray(n, 'z'));
            m_sent += n;
        }
        if (m_sent >= m_bodyBytes && m_bodyBytes >= 0 && s->bytesToWrite() == 0)
            s->disconnectFromHost();
    }

    QTcpServer m_server;
    QByteArray m_head;
    qint64 m_bodyBytes;
    qint64 m_sent = 0;
};

// read() system calls made so far by Qt's network thread ("QNetworkAccessManager thread",
// cut to 15 characters by the kernel), or -1 where /proc does not tell.
qint64 networkThreadReadCalls()
{
    qint64 total = -1;
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + QStringLiteral("/comm")));
        QFile io(tasks.filePath(tid + QStringLiteral("/io")));
        if (!comm.open(QIODevice::ReadOnly) || !comm.readAll().startsWith("QNetworkAccess") ||
            !io.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray &line : io.readAll().split('\n')) {
            if (line.startsWith("syscr: "))
                total = qMax<qint64>(total, 0) + line.mid(7).toLongLong();
        }
    }
    return total;
}

// A port on 127.0.0.1 where nothing listens.
quint16 closedPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost);
    return probe.serverPort();
}

// Proxies for TCP connections only, direct for URLs: a direct URL whose socket would not go
// direct when it resolves the application's settings itself.
class TcpOnlyProxyFactory : public QNetworkProxyFactory
{
public:
    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery &query) override
    {
        if (query.queryType() == QNetworkProxyQuery::TcpSocket)
            return {QNetworkProxy(QNetworkProxy::Socks5Proxy, QStringLiteral("127.0.0.1"), 9)};
        return {QNetworkProxy::NoProxy};
    }
};

} // namespace

class TestDispatcher : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void successIsRecorded();
    void editedEndpointIsSentAsEdited();
    void xmlAndFormFormats();
    void failureThenSuccessOnRetry();
    void idleServerHitsTheDeadline();
    void slowDripHitsTheDeadline();
    void connectionRefused();
    void redirectIsNotFollowed();
    void goneDisablesTheEndpoint();
    void testReachesADisabledEndpoint();
    void activityCountsEveryRecordedAttempt();
    void retryAfterIsHonoured();
    void hugeResponseIsNotHeldInMemory();
    void garbageResponse();
    void tlsFailureIsClassified();
    void rotationSignsWithBothSecrets();
    void fanOutFollowsSubscriptions();
    void autoDisableAfterFailureRun();
    void perEndpointConcurrencyLimit();
    void manyAttemptsAtOnceReachTheReceiver();
    void globalCapHoldsAcrossEndpoints();
    void rateLimitHolds();
    void rateLimitAllowsItsBurst();
    void oneEndpointsBacklogDoesNotHoldUpAnother();
    void http2IsUsedAndRecordedForTls();
    void http1OnlyNeverUsesHttp2();
    void orderedDeliveryKeepsOrderThroughFailures();
    void orderedKeysGoInParallel();
    void orderedDeliveryWaitsForAnotherProcess();
    void manualRedeliverKeepsWebhookId();
    void redeliveringWorkInHandSendsItOnce();
    void retryFailedSince();
    void resumeAfterCrash();
    void unreachableEndpointIsCancelled();
    void droppedConnectionIsRetried();
    void failureRateExhaustsAttempts();
    void responsesAreReadInBulk();
    void configuredProxiesStillApply();
    void cleartextHttp2UsesPriorKnowledge();
    void twoEnginesOnOneStoreNeverSendTwice();
    void workStoredBeforeResumingIsSentOnce();
    void endpointLimitIsSharedFairlyByEngines();
    void endpointRateIsSharedByEngines();
    void deadProcessClaimsAreTakenOverAtOnce();
    void liveClaimsOfAnotherProcessAreLeftAlone();
    void fullDiskPausesAttemptsAndLosesNothing();
    void outcomesSurviveAFailingNeighbourInTheirBatch();
    void redeliveryOfAnotherProcessesWorkIsRefused();
    void workForAnEndpointAddedElsewhereIsSent();
    void secretsAreNotStoredInPlainText();
    void unreadableSecretsAreNeverSentWithout();
    void egressPolicyBlocksLiteralAddresses();
    void egressPolicyChecksTheResolvedAddressAtEachAttempt();

private:
    // Queues `n` events for endpoint `e` without sending them (as 'hookline fire' does).
    QStringList queue(const Endpoint &e, int n);
    // Stores a delivery to `e` that `owner` (a live dispatcher: a process that is alive)
    // holds for ten minutes; returns its id, empty on failure.
    QString heldBy(const Dispatcher &owner, const Endpoint &e);
    std::unique_ptr<DeliveryFixture> f;
};

void TestDispatcher::initTestCase()
{
    FaultVfs::install();
}

void TestDispatcher::cleanupTestCase()
{
    TestBackend::shutdown();
}

void TestDispatcher::init()
{
    f = std::make_unique<DeliveryFixture>();
    QVERIFY(f->ok());
}

void TestDispatcher::cleanup()
{
    f.reset();
}

void TestDispatcher::successIsRecorded()
{
    InboxConfig inbox;
    inbox.body = "{\"received\":true}";
    const Endpoint e = f->addEndpoint(QStringLiteral("crm"), inbox, [](Endpoint &e) {
        e.headers = {{QStringLiteral("x-api-key"), QStringLiteral("k-123")}};
    });
    const Event event = f->event();
    const Delivery d = f->deliverAndWait(event, e.id);
    QCOMPARE(d.state, DeliveryState::Succeeded);
    QCOMPARE(d.attemptCount, 1);
    QCOMPARE(d.lastStatus, 200);
    QCOMPARE(d.attempts.size(), 1);
    const Attempt &a = d.attempts.first();
    QCOMPARE(a.responseStatus, 200);
    QCOMPARE(a.responseReason, QStringLiteral("OK"));
    QCOMPARE(a.responseBody, QByteArray("{\"received\":true}"));
    QCOMPARE(a.responseBodySize, qint64(17));
    QCOMPARE(header(a.responseHeaders, QStringLiteral("X-Hookline-Inbox")), QStringLiteral("crm"));
    QCOMPARE(a.errorClass, ErrorClass::None);
    QCOMPARE(a.trigger, AttemptTrigger::Test);
    QVERIFY(a.durationMs >= 0 && a.durationMs < 5000);
    QCOMPARE(a.requestUrl, e.url);
    QCOMPARE(a.requestBody, event.payload);
    QCOMPARE(header(a.requestHeaders, QStringLiteral("webhook-id")), d.webhookId);
    QVERIFY(header(a.requestHeaders, QStringLiteral("User-Agent"))
                .startsWith(QLatin1String("Hookline/")));

    // What arrived is what was recorded, and the receiver verified the signature.
    const QList<CapturedRequest> got = f->receiver.requests(QStringLiteral("crm"));
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().body, event.payload);
    QCOMPARE(got.first().header("content-type"), QByteArray("application/json"));
    QCOMPARE(got.first().header("x-api-key"), QByteArray("k-123"));
    QCOMPARE(got.first().header("webhook-id"), d.webhookId.toLatin1());
    QCOMPARE(got.first().signature.verdict, SignatureVerdict::Valid);
}

// The dispatcher keeps each endpoint's request template; an edit must replace it, so the
// next attempt carries the new headers, format and URL.
void TestDispatcher::editedEndpointIsSentAsEdited()
{
    Endpoint e = f->addEndpoint(QStringLiteral("before"), {}, [](Endpoint &e) {
        e.headers = {{QStringLiteral("x-api-key"), QStringLiteral("old")}};
    });
    QCOMPARE(f->deliverAndWait(f->event(), e.id).state, DeliveryState::Succeeded);
    InboxConfig after;
    after.name = QStringLiteral("after");
    f->receiver.setInbox(after);
    e.url = f->receiver.inboxUrl(QStringLiteral("after")).toString();
    e.headers = {{QStringLiteral("x-api-key"), QStringLiteral("new")},
                 {QStringLiteral("Content-Type"), QStringLiteral("application/vnd.crm+json")}};
    f->dispatcher->upsertEndpoint(e);
    QCOMPARE(f->deliverAndWait(f->event(), e.id).state, DeliveryState::Succeeded);
    const CapturedRequest before = f->receiver.requests(QStringLiteral("before")).first();
    QCOMPARE(before.header("x-api-key"), QByteArray("old"));
    QCOMPARE(before.header("content-type"), QByteArray("application/json"));
    const QList<CapturedRequest> got = f->receiver.requests(QStringLiteral("after"));
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().header("x-api-key"), QByteArray("new"));
    QCOMPARE(got.first().header("content-type"), QByteArray("application/vnd.crm+json"));
    QCOMPARE(f->receiver.requests(QStringLiteral("before")).size(), 1);
}

void TestDispatcher::xmlAndFormFormats()
{
    const Endpoint xml = f->addEndpoint(QStringLiteral("xml"), {},
                                        [](Endpoint &e) { e.format = PayloadFormat::Xml; });
    const Endpoint form = f->addEndpoint(QStringLiteral("form"), {},
                                         [](Endpoint &e) { e.format = PayloadFormat::Form; });
    const Event event = f->event();
    QCOMPARE(f->deliverAndWait(event, xml.id).state, DeliveryState::Succeeded);
    QCOMPARE(f->deliverAndWait(event, form.id).state, DeliveryState::Succeeded);
    const CapturedRequest x = f->receiver.requests(QStringLiteral("xml")).first();
    QVERIFY(x.header("content-type").startsWith("application/xml"));
    QXmlStreamReader reader(x.body);
    while (!reader.atEnd())
        reader.readNext();
    QVERIFY2(!reader.hasError(), qPrintable(reader.errorString()));
    QCOMPARE(x.signature.verdict, SignatureVerdict::Valid); // signed over the XML bytes
    const CapturedRequest fm = f->receiver.requests(QStringLiteral("form")).first();
    QCOMPARE(fm.header("content-type"), QByteArray("application/x-www-form-urlencoded"));
    QCOMPARE(fm.formFields.first().first, QStringLiteral("payload"));
    QCOMPARE(fm.formFields.first().second.toUtf8(), event.payload);
}

void TestDispatcher::failureThenSuccessOnRetry()
{
    InboxConfig inbox;
    inbox.script = {500};
    const Endpoint e = f->addEndpoint(QStringLiteral("flaky"), inbox);
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Succeeded);
    QCOMPARE(d.attempts.size(), 2);
    QCOMPARE(d.attempts.at(0).responseStatus, 500);
    QCOMPARE(d.attempts.at(0).errorClass, ErrorClass::Http5xx);
    QVERIFY(d.attempts.at(0).error.text().contains(QStringLiteral("500")));
    QCOMPARE(d.attempts.at(1).responseStatus, 200);
    QCOMPARE(d.attempts.at(1).trigger, AttemptTrigger::Scheduled);
    const auto got = f->receiver.requests(QStringLiteral("flaky"));
    QCOMPARE(got.size(), 2);
    QCOMPARE(got.at(0).header("webhook-id"), got.at(1).header("webhook-id"));
}

void TestDispatcher::idleServerHitsTheDeadline()
{
    InboxConfig inbox;
    inbox.delayMs = 5000;
    const Endpoint e = f->addEndpoint(QStringLiteral("slow"), inbox, [](Endpoint &e) {
        e.timeoutMs = 300;
        e.retry.maxAttempts = 1;
    });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Failed);
    const Attempt &a = d.attempts.first();
    QCOMPARE(a.errorClass, ErrorClass::Timeout);
    QVERIFY2(a.durationMs >= 250 && a.durationMs < 2000, qPrintable(QString::number(a.durationMs)));
    QVERIFY(!a.error.text().isEmpty());
}

void TestDispatcher::slowDripHitsTheDeadline()
{
    InboxConfig inbox;
    inbox.body = QByteArray(200, 'd');
    inbox.dripIntervalMs = 20; // 4 s for the body, a byte every 20 ms: never idle
    const Endpoint e = f->addEndpoint(QStringLiteral("drip"), inbox, [](Endpoint &e) {
        e.timeoutMs = 500;
        e.retry.maxAttempts = 1;
    });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Failed);
    const Attempt &a = d.attempts.first();
    QCOMPARE(a.errorClass, ErrorClass::Timeout);
    QCOMPARE(a.responseStatus, 200); // the head came, the body did not finish
    QVERIFY2(a.durationMs < 2000, qPrintable(QString::number(a.durationMs)));
    QVERIFY(a.error.text().contains(QStringLiteral("500 ms")));
}

void TestDispatcher::connectionRefused()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    const Endpoint e = f->addEndpoint(QStringLiteral("gone"), {}, [port](Endpoint &e) {
        e.url = QStringLiteral("http://127.0.0.1:%1/hook").arg(port);
        e.retry.maxAttempts = 1;
    });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Failed);
    QCOMPARE(d.lastError, ErrorClass::Refused);
    QVERIFY(d.attempts.first().error.text().contains(QString::number(port)));
    QCOMPARE(d.attempts.first().responseStatus, 0);
}

void TestDispatcher::redirectIsNotFollowed()
{
    InboxConfig inbox;
    inbox.status = 302;
    inbox.headers = {{"Location", "http://127.0.0.1:1/elsewhere"}};
    const Endpoint e = f->addEndpoint(QStringLiteral("moved"), inbox,
                                      [](Endpoint &e) { e.retry.maxAttempts = 1; });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Failed);
    QCOMPARE(d.lastError, ErrorClass::Http3xx);
    QCOMPARE(d.lastStatus, 302);
    QVERIFY(
        d.attempts.first().error.text().contains(QStringLiteral("http://127.0.0.1:1/elsewhere")));
    QCOMPARE(f->receiver.requests(QStringLiteral("moved")).size(), 1);
}

void TestDispatcher::goneDisablesTheEndpoint()
{
    InboxConfig inbox;
    inbox.status = 410;
    const Endpoint e =
        f->addEndpoint(QStringLiteral("gone"), inbox, [](Endpoint &e) { e.retry.maxAttempts = 5; });
    QSignalSpy disabled(f->dispatcher.get(), &Dispatcher::endpointDisabled);
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Failed);
    QCOMPARE(d.attempts.size(), 1); // 410 is never retried
    QCOMPARE(disabled.count(), 1);
    QCOMPARE(disabled.first().at(0).toString(), e.id);
    const Endpoint stored = *f->store->endpoint(e.id);
    QVERIFY(!stored.enabled);
    QVERIFY(stored.disabledReason.contains(QStringLiteral("410")));
    QString error;
    QVERIFY(f->dispatcher->dispatch(f->event(), {}, AttemptTrigger::Test, &error).isEmpty());
    QVERIFY(error.contains(QStringLiteral("No enabled endpoint")));
    QVERIFY(f->dispatcher->dispatch(f->event(), e.id, AttemptTrigger::Scheduled, &error).isEmpty());
    QVERIFY(error.contains(QStringLiteral("disabled")));
}

// "Send test" reaches a disabled endpoint (how an admin checks that it is back before enabling
// it); a failed test is not retried while it stays disabled, and nothing else gets through.
void TestDispatcher::testReachesADisabledEndpoint()
{
    InboxConfig inbox;
    inbox.script = {503, 204};
    Endpoint e = f->addEndpoint(QStringLiteral("resting"), inbox);
    e.enabled = false;
    e.disabledReason = QStringLiteral("20 deliveries in a row failed");
    QVERIFY(f->store->saveEndpoint(&e).isEmpty());
    f->dispatcher->upsertEndpoint(e);
    const Delivery failedTest = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(failedTest.attempts.size(), 1);
    QCOMPARE(failedTest.attempts.first().trigger, AttemptTrigger::Test);
    QCOMPARE(failedTest.state, DeliveryState::Cancelled); // its retry is scheduled work
    const Delivery test = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(test.state, DeliveryState::Succeeded);
    QCOMPARE(f->receiver.requests(QStringLiteral("resting")).size(), 2);
    QString error;
    QVERIFY(f->dispatcher->dispatch(f->event(), e.id, AttemptTrigger::Scheduled, &error).isEmpty());
    QVERIFY(f->dispatcher->dispatch(f->event(), {}, AttemptTrigger::Test, &error).isEmpty());
    QVERIFY(!f->store->endpoint(e.id)->enabled);
}

// Every recorded attempt is counted in its endpoint's activity, as what it was: a success, a
// failure with a retry to come, or the last failure of a delivery.
void TestDispatcher::activityCountsEveryRecordedAttempt()
{
    InboxConfig inbox;
    inbox.script = {503, 200, 500, 500, 500, 204};
    const Endpoint e = f->addEndpoint(QStringLiteral("counted"), inbox, [](Endpoint &e) {
        e.retry.maxAttempts = 3;
        e.maxInFlight = 1; // the script's answers in publishing order
    });
    QList<Delivery> done;
    for (int i = 0; i < 3; ++i)
        done << f->deliverAndWait(f->event(), e.id);
    QCOMPARE(done[0].state, DeliveryState::Succeeded); // 503, 200
    QCOMPARE(done[1].state, DeliveryState::Failed);    // 500, 500, 500
    QCOMPARE(done[2].state, DeliveryState::Succeeded); // 204
    f->writer->flush();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const EndpointActivity a = f->store->endpointActivity(e.id, now.addSecs(-300), now, 1);
    QCOMPARE(a.total.attempts, 6);
    QCOMPARE(a.total.succeeded, 2);
    QCOMPARE(a.total.retrying, 3);
    QCOMPARE(a.total.failed, 1);
    qint64 latency = 0;
    for (const Delivery &d : std::as_const(done)) {
        for (const Attempt &at : d.attempts)
            latency += at.durationMs;
    }
    QCOMPARE(a.total.latencySumMs, latency);
    qint64 histogram = 0;
    for (qint64 n : a.total.latency)
        histogram += n;
    QCOMPARE(histogram, 6);
    QCOMPARE(a.bins.size(), 6); // whole minutes: five and the one now under way
}

void TestDispatcher::retryAfterIsHonoured()
{
    InboxConfig inbox;
    inbox.script = {429};
    inbox.retryAfterSeconds = 1;
    // The schedule says an hour; the server says one second.
    const Endpoint e = f->addEndpoint(QStringLiteral("busy"), inbox,
                                      [](Endpoint &e) { e.retry.scheduleSeconds = {3600}; });
    const Delivery d = f->deliverAndWait(f->event(), e.id, 10000);
    QCOMPARE(d.state, DeliveryState::Succeeded);
    QCOMPARE(d.attempts.size(), 2);
    QCOMPARE(d.attempts.at(0).responseStatus, 429);
    const qint64 gap = d.attempts.at(0).started.msecsTo(d.attempts.at(1).started);
    QVERIFY2(gap >= 900 && gap < 4000, qPrintable(QString::number(gap)));
}

void TestDispatcher::hugeResponseIsNotHeldInMemory()
{
    const qint64 fifty = 50LL * 1024 * 1024;
    StreamingServer server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
            QByteArray::number(fifty) + "\r\n\r\n",
        fifty);
    const Endpoint e = f->addEndpoint(QStringLiteral("big"), {}, [&server](Endpoint &e) {
        e.url = QStringLiteral("http://127.0.0.1:%1/big").arg(server.port());
    });
    const qint64 before = peakRssKiB();
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    const qint64 growthKiB = peakRssKiB() - before;
    QCOMPARE(d.state, DeliveryState::Succeeded);
    const Attempt &a = d.attempts.first();
    QCOMPARE(a.responseStatus, 200);
    QCOMPARE(a.responseBody.size(), kStoredResponseBodyCap);
    QCOMPARE(a.responseBodySize, fifty); // the declared size, though we read only the cap
    QVERIFY(a.error.text().contains(QStringLiteral("discarded")));
    QVERIFY2(server.sent() < fifty / 2, qPrintable(QString::number(server.sent())));
    QVERIFY2(growthKiB < 40 * 1024, qPrintable(QString::number(growthKiB)));
}

void TestDispatcher::garbageResponse()
{
    StreamingServer server("THIS IS NOT HTTP\r\n\x01\x02\x03\r\n\r\n", 0);
    const Endpoint e = f->addEndpoint(QStringLiteral("junk"), {}, [&server](Endpoint &e) {
        e.url = QStringLiteral("http://127.0.0.1:%1/").arg(server.port());
        e.retry.maxAttempts = 1;
        e.timeoutMs = 3000;
    });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Failed);
    QVERIFY(d.lastError != ErrorClass::None);
    QVERIFY(!d.attempts.first().error.text().isEmpty());
}

void TestDispatcher::tlsFailureIsClassified()
{
    // https:// to a plain-HTTP server: the TLS handshake gets an HTTP error page back.
    ReceiverLimits limits = f->receiver.limits();
    limits.headerTimeoutMs = 200;
    f->receiver.setLimits(limits);
    const Endpoint e = f->addEndpoint(QStringLiteral("tls"), {}, [this](Endpoint &e) {
        e.url = QStringLiteral("https://127.0.0.1:%1/inbox/tls").arg(f->receiver.port());
        e.retry.maxAttempts = 1;
    });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Failed);
    QCOMPARE(d.lastError, ErrorClass::Tls);
    QVERIFY2(d.attempts.first().error.text().contains(QStringLiteral("TLS")),
             qPrintable(d.attempts.first().error.text()));
}

void TestDispatcher::rotationSignsWithBothSecrets()
{
    const QString oldSecret = WebhookSigner::generateSecret();
    InboxConfig inbox;
    const Endpoint e = f->addEndpoint(QStringLiteral("rot"), inbox, [&](Endpoint &e) {
        e.previousSecret = oldSecret;
        e.previousSecretExpires = QDateTime::currentDateTimeUtc().addSecs(3600);
    });
    // The receiver still has only the old secret.
    inbox.name = QStringLiteral("rot");
    inbox.secret = oldSecret;
    QVERIFY(f->receiver.setInbox(inbox).isEmpty());
    QCOMPARE(f->deliverAndWait(f->event(), e.id).state, DeliveryState::Succeeded);
    const CapturedRequest r = f->receiver.requests(QStringLiteral("rot")).first();
    QCOMPARE(r.header("webhook-signature").split(' ').size(), 2);
    QCOMPARE(r.signature.verdict, SignatureVerdict::Valid);
}

void TestDispatcher::fanOutFollowsSubscriptions()
{
    const Endpoint calls = f->addEndpoint(QStringLiteral("calls"), {}, [](Endpoint &e) {
        e.allEvents = false;
        e.eventTypes = {QStringLiteral("call.ringing")};
    });
    const Endpoint agents = f->addEndpoint(QStringLiteral("agents"), {}, [](Endpoint &e) {
        e.allEvents = false;
        e.eventTypes = {QStringLiteral("agent.login")};
    });
    const Endpoint everything = f->addEndpoint(QStringLiteral("all"));
    f->addEndpoint(QStringLiteral("off"), {}, [](Endpoint &e) { e.enabled = false; });
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    const QStringList ids = f->dispatcher->dispatch(f->event(QStringLiteral("call.ringing")));
    QCOMPARE(ids.size(), 2);
    QTRY_COMPARE(finished.count(), 2);
    QCOMPARE(f->receiver.requests(QStringLiteral("calls")).size(), 1);
    QCOMPARE(f->receiver.requests(QStringLiteral("all")).size(), 1);
    QCOMPARE(f->receiver.requests(QStringLiteral("agents")).size(), 0);
    QCOMPARE(f->receiver.requests(QStringLiteral("off")).size(), 0);
    Q_UNUSED(calls);
    Q_UNUSED(agents);
    Q_UNUSED(everything);
}

void TestDispatcher::autoDisableAfterFailureRun()
{
    InboxConfig inbox;
    inbox.status = 500;
    const Endpoint e = f->addEndpoint(QStringLiteral("bad"), inbox, [](Endpoint &e) {
        e.retry.maxAttempts = 1;
        e.retry.disableAfterFailures = 2;
    });
    QSignalSpy disabled(f->dispatcher.get(), &Dispatcher::endpointDisabled);
    QCOMPARE(f->deliverAndWait(f->event(), e.id).state, DeliveryState::Failed);
    QCOMPARE(disabled.count(), 0);
    QCOMPARE(f->deliverAndWait(f->event(), e.id).state, DeliveryState::Failed);
    QTRY_COMPARE(disabled.count(), 1);
    const Endpoint stored = *f->store->endpoint(e.id);
    QVERIFY(!stored.enabled);
    QVERIFY2(stored.disabledReason.contains(QStringLiteral("2")),
             qPrintable(stored.disabledReason));
    // Reversible: enabling resets the run.
    QVERIFY(f->store->setEndpointEnabled(e.id, true));
    QVERIFY(f->store->endpoint(e.id)->enabled);
}

void TestDispatcher::perEndpointConcurrencyLimit()
{
    InboxConfig inbox;
    inbox.delayMs = 150;
    const Endpoint e =
        f->addEndpoint(QStringLiteral("limited"), inbox, [](Endpoint &e) { e.maxInFlight = 3; });
    int inFlight = 0, peak = 0, done = 0;
    connect(f->dispatcher.get(), &Dispatcher::attemptStarted, this,
            [&] { peak = qMax(peak, ++inFlight); });
    connect(f->dispatcher.get(), &Dispatcher::attemptFinished, this, [&] {
        --inFlight;
        ++done;
    });
    for (int i = 0; i < 12; ++i)
        QCOMPARE(f->dispatcher->dispatch(f->event(), e.id).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(done, 12, 15000);
    QCOMPARE(peak, 3);
}

void TestDispatcher::manyAttemptsAtOnceReachTheReceiver()
{
    // 64 allowed at once: 64 requests really wait at the receiver together (Qt 6.4 opens 6
    // connections per host in one manager, so this needs several), and never a 65th.
    InboxConfig inbox;
    inbox.delayMs = 1500;
    const Endpoint e =
        f->addEndpoint(QStringLiteral("wide"), inbox, [](Endpoint &e) { e.maxInFlight = 64; });
    f->receiver.resetPeakHeld();
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    for (int i = 0; i < 80; ++i)
        QCOMPARE(f->dispatcher->dispatch(f->event(), e.id).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(f->receiver.heldAnswers(), 64, 10000);
    QVERIFY(f->dispatcher->connectionPools() >= 64 / Dispatcher::kHttp1Connections);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 80, 20000);
    QCOMPARE(f->receiver.peakHeldAnswers(), 64);
    for (const auto &args : finished)
        QCOMPARE(args.at(0).value<Delivery>().state, DeliveryState::Succeeded);
    // Every attempt went over a kept-alive connection of its manager: far fewer connections
    // than requests.
    QSet<quint16> ports;
    for (const CapturedRequest &r : f->receiver.requests(QStringLiteral("wide")))
        ports.insert(r.remotePort);
    QVERIFY2(ports.size() <= 72, qPrintable(QString::number(ports.size())));
}

void TestDispatcher::globalCapHoldsAcrossEndpoints()
{
    DispatcherOptions options = f->dispatcher->options();
    options.maxInFlight = 20;
    f->dispatcher->setOptions(options);
    InboxConfig inbox;
    inbox.delayMs = 800;
    QList<Endpoint> endpoints;
    for (int i = 0; i < 3; ++i)
        endpoints << f->addEndpoint(QStringLiteral("cap%1").arg(i), inbox,
                                    [](Endpoint &e) { e.maxInFlight = 16; });
    f->receiver.resetPeakHeld();
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    for (int i = 0; i < 16; ++i) {
        for (const Endpoint &e : std::as_const(endpoints))
            QCOMPARE(f->dispatcher->dispatch(f->event(), e.id).size(), 1);
    }
    QTRY_COMPARE_WITH_TIMEOUT(f->receiver.heldAnswers(), 20, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 48, 20000);
    QCOMPARE(f->receiver.peakHeldAnswers(), 20);
    // Round-robin: every endpoint got a share of the first 20, not one endpoint all of them.
    for (const Endpoint &e : std::as_const(endpoints))
        QCOMPARE(f->receiver.requests(e.name).size(), 16);
}

void TestDispatcher::rateLimitHolds()
{
    // 20 per second, burst 1: after a quiet spell (which would fill a bigger bucket), 40
    // deliveries span 1.95 s; the measured rate within 10 %.
    const Endpoint e = f->addEndpoint(QStringLiteral("paced"), {}, [](Endpoint &e) {
        e.ratePerSecond = 20;
        e.rateBurst = 1;
    });
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    // When each request left, on a monotonic clock: what the limiter controls. The receiver's
    // clock adds the loopback's and the event loop's jitter (a request that waited 30 ms in a
    // busy loop arrives 20 ms before the next), so spacing is checked where it is made.
    QElapsedTimer clock;
    clock.start();
    QList<qint64> sent;
    QObject listening; // the connection ends with this test
    connect(f->dispatcher.get(), &Dispatcher::attemptStarted, &listening,
            [&](const Delivery &d, const Attempt &) {
                if (d.endpointId == e.id)
                    sent << clock.elapsed();
            });
    QCOMPARE(f->dispatcher->dispatch(f->event(), e.id).size(), 1); // makes the bucket
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 5000);
    QTest::qWait(300); // six intervals: one token kept, not six
    sent.clear();
    for (int i = 0; i < 40; ++i)
        QCOMPARE(f->dispatcher->dispatch(f->event(), e.id).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 41, 20000);
    QCOMPARE(sent.size(), 40);
    const QList<CapturedRequest> got = f->receiver.requests(QStringLiteral("paced"));
    QCOMPARE(got.size(), 41);
    const double seconds = got.at(1).received.msecsTo(got.last().received) / 1000.0;
    const double rate = 39 / seconds;
    QVERIFY2(rate >= 18 && rate <= 22, qPrintable(QString::number(rate)));
    // Never two sent within one interval (50 ms, less the few the dispatcher spends between its
    // decision and the signal; a second token would send two within a millisecond or two).
    for (qsizetype i = 1; i < sent.size(); ++i)
        QVERIFY2(sent.at(i) - sent.at(i - 1) >= 40,
                 qPrintable(QStringLiteral("%1: %2 ms").arg(i).arg(sent.at(i) - sent.at(i - 1))));
}

void TestDispatcher::rateLimitAllowsItsBurst()
{
    // 2 per second with a burst of 5: after a quiet second, 5 go at once, then 2 a second.
    // A new bucket starts empty (a restart never grants an extra burst), so wait it full.
    const Endpoint e = f->addEndpoint(QStringLiteral("bursty"), {}, [](Endpoint &e) {
        e.ratePerSecond = 2;
        e.rateBurst = 5;
    });
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    // A new bucket (a restart) is empty: the first delivery waits for its token, 0.5 s.
    const QDateTime first = QDateTime::currentDateTimeUtc();
    QCOMPARE(f->dispatcher->dispatch(f->event(), e.id).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 5000);
    QVERIFY(first.msecsTo(f->receiver.requests(QStringLiteral("bursty")).first().received) >= 450);
    QTest::qWait(3000); // refills to 5 (2.5 s at 2/s)
    const QDateTime start = QDateTime::currentDateTimeUtc();
    for (int i = 0; i < 7; ++i)
        QCOMPARE(f->dispatcher->dispatch(f->event(), e.id).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 8, 10000);
    const QList<CapturedRequest> got = f->receiver.requests(QStringLiteral("bursty"));
    QCOMPARE(got.size(), 8);
    for (int i = 1; i <= 5; ++i)
        QVERIFY2(start.msecsTo(got.at(i).received) < 400, qPrintable(QString::number(i)));
    QVERIFY(start.msecsTo(got.at(6).received) >= 450);
    QVERIFY(start.msecsTo(got.at(7).received) >= 950);
}

void TestDispatcher::oneEndpointsBacklogDoesNotHoldUpAnother()
{
    // A thousand queued for a throttled endpoint, then one for another: claims go endpoint
    // by endpoint, so the second is sent at once rather than behind the first's backlog.
    const Endpoint slow =
        f->addEndpoint(QStringLiteral("throttled"), {}, [](Endpoint &e) { e.ratePerSecond = 1; });
    const Endpoint quick = f->addEndpoint(QStringLiteral("quick"));
    queue(slow, 1000);
    const QStringList mine = queue(quick, 1);
    QCOMPARE(f->dispatcher->resume(*f->store) > 0, true);
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QTRY_VERIFY_WITH_TIMEOUT(!f->receiver.requests(QStringLiteral("quick")).isEmpty(), 5000);
    // What the dispatcher holds of the backlog stays a bounded window.
    QVERIFY2(f->dispatcher->queuedFor(slow.id) <= 64,
             qPrintable(QString::number(f->dispatcher->queuedFor(slow.id))));
    QCOMPARE(mine.size(), 1);
}

namespace {
// A TLS server (Node's http2 module, self-signed certificate) that offers HTTP/2 and
// HTTP/1.1 on 127.0.0.1 and names in a header the protocol each request came in by.
struct H2Server
{
    QProcess node;
    quint16 port = 0;
    QString error;
    bool start(const QString &dir)
    {
        const QString cert = dir + QStringLiteral("/cert.pem");
        const QString key = dir + QStringLiteral("/key.pem");
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                       QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                       QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                       QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                       QStringLiteral("/CN=localhost"), QStringLiteral("-keyout"), key,
                       QStringLiteral("-out"), cert});
        if (!openssl.waitForFinished(20000) || openssl.exitCode() != 0) {
            error = QStringLiteral("openssl: ") + QString::fromUtf8(openssl.readAllStandardError());
            return false;
        }
        node.start(QStringLiteral("node"), {QStringLiteral(HOOKLINE_H2_SERVER), cert, key});
        if (!node.waitForStarted(10000)) {
            error = QStringLiteral("node (install nodejs): ") + node.errorString();
            return false;
        }
        QByteArray out;
        while (!out.contains('\n') && node.waitForReadyRead(10000))
            out += node.readAllStandardOutput();
        port = quint16(out.trimmed().mid(5).toUInt());
        error = QString::fromUtf8(node.readAllStandardError());
        return port != 0;
    }
    ~H2Server()
    {
        node.closeWriteChannel();
        if (!node.waitForFinished(3000))
            node.kill();
        node.waitForFinished(3000);
    }
};
} // namespace

void TestDispatcher::http2IsUsedAndRecordedForTls()
{
    H2Server server;
    QVERIFY2(server.start(f->dir.path()), qPrintable(server.error));
    const Endpoint e = f->addEndpoint(QStringLiteral("h2"), {}, [&](Endpoint &e) {
        e.url = QStringLiteral("https://127.0.0.1:%1/hook").arg(server.port);
        e.verifyTls = false; // self-signed
        e.maxInFlight = 32;
    });
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QStringList ids;
    for (int i = 0; i < 40; ++i)
        ids << f->dispatcher->dispatch(f->event(), e.id);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 40, 20000);
    f->writer->flush();
    for (const QString &id : std::as_const(ids)) {
        const Delivery d = *f->store->delivery(id);
        QCOMPARE(d.state, DeliveryState::Succeeded);
        QCOMPARE(d.attempts.size(), 1);
        QCOMPARE(d.attempts.first().protocol, QStringLiteral("h2"));
        bool said = false;
        for (const HttpHeader &h : d.attempts.first().responseHeaders)
            said =
                said || (h.name == QLatin1String("x-protocol") && h.value == QLatin1String("2.0"));
        QVERIFY(said);
    }
}

void TestDispatcher::http1OnlyNeverUsesHttp2()
{
    H2Server server;
    QVERIFY2(server.start(f->dir.path()), qPrintable(server.error));
    const Endpoint e = f->addEndpoint(QStringLiteral("h1"), {}, [&](Endpoint &e) {
        e.url = QStringLiteral("https://127.0.0.1:%1/hook").arg(server.port);
        e.verifyTls = false;
        e.http1Only = true;
    });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Succeeded);
    QCOMPARE(d.attempts.first().protocol, QStringLiteral("http/1.1"));
    bool said = false;
    for (const HttpHeader &h : d.attempts.first().responseHeaders)
        said = said || (h.name.compare(QLatin1String("x-protocol"), Qt::CaseInsensitive) == 0 &&
                        h.value == QLatin1String("1.1"));
    QVERIFY(said);
}

namespace {
Event orderedEvent(const QString &key, int n)
{
    return Event{QUuid::createUuid().toString(QUuid::WithoutBraces),
                 QStringLiteral("call.ringing"),
                 QStringLiteral("{\"callID\":\"%1\",\"n\":%2}").arg(key).arg(n).toUtf8(),
                 QDateTime::currentDateTimeUtc(),
                 EventOrigin::Test,
                 {}};
}

// Checks the receiver's log of one ordered inbox: per key, requests come one at a time and in
// publishing order (a failed one is tried again before the next is sent); returns the
// requests that succeeded per key, in order.
QHash<QString, QList<int>> checkOrder(const QList<CapturedRequest> &got)
{
    QHash<QString, QList<int>> delivered;
    QHash<QString, int> current; // per key: the n being sent, until it succeeds
    for (const CapturedRequest &r : got) {
        const QJsonObject o = QJsonDocument::fromJson(r.body).object();
        const QString key = o.value(QStringLiteral("callID")).toString();
        const int n = o.value(QStringLiteral("n")).toInt();
        const int expected = current.value(key, 1);
        if (n != expected) {
            qWarning("key %s: got n=%d while n=%d was not done", qPrintable(key), n, expected);
            return {};
        }
        if (r.responseStatus >= 200 && r.responseStatus < 300) {
            delivered[key] << n;
            current[key] = n + 1;
        }
    }
    return delivered;
}
} // namespace

void TestDispatcher::orderedDeliveryKeepsOrderThroughFailures()
{
    // Half of all answers are 503: each delivery is retried until it gets through, and the
    // later ones with its key wait for it, whatever the order failures come in.
    InboxConfig inbox;
    inbox.failRate = 0.5;
    const Endpoint e = f->addEndpoint(QStringLiteral("ordered"), inbox, [](Endpoint &e) {
        e.orderKey = QStringLiteral("/callID");
        e.retry.maxAttempts = 50;
        e.retry.scheduleSeconds = {0};
        e.retry.disableAfterFailures = 0;
    });
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QSignalSpy held(f->dispatcher.get(), &Dispatcher::deliveryHeld);
    for (int n = 1; n <= 10; ++n) {
        for (const char *key : {"A", "B"})
            QCOMPARE(f->dispatcher->dispatch(orderedEvent(QLatin1String(key), n), e.id).size(), 1);
    }
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 20, 30000);
    QVERIFY(held.count() > 0); // later ones did wait
    for (const auto &args : finished)
        QCOMPARE(args.at(0).value<Delivery>().state, DeliveryState::Succeeded);
    const auto delivered = checkOrder(f->receiver.requests(QStringLiteral("ordered")));
    const QList<int> all{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    QCOMPARE(delivered.value(QStringLiteral("A")), all);
    QCOMPARE(delivered.value(QStringLiteral("B")), all);
    f->writer->flush();
    // Stored with its key, and nothing is held any more.
    const Delivery d = *f->store->delivery(finished.first().at(0).value<Delivery>().id);
    QVERIFY(d.orderKey == QLatin1String("A") || d.orderKey == QLatin1String("B"));
    QVERIFY(f->store->heldBehind(d).isEmpty());
}

void TestDispatcher::orderedKeysGoInParallel()
{
    // Four keys, three events each, a 400 ms receiver: one at a time per key, four at once.
    InboxConfig inbox;
    inbox.delayMs = 400;
    const Endpoint e = f->addEndpoint(QStringLiteral("calls"), inbox,
                                      [](Endpoint &e) { e.orderKey = QStringLiteral("/callID"); });
    f->receiver.resetPeakHeld();
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    for (int n = 1; n <= 3; ++n) {
        for (const char *key : {"w", "x", "y", "z"})
            QCOMPARE(f->dispatcher->dispatch(orderedEvent(QLatin1String(key), n), e.id).size(), 1);
    }
    // An event without the field is not held by anything.
    const Event loose{QUuid::createUuid().toString(QUuid::WithoutBraces),
                      QStringLiteral("call.ringing"),
                      QByteArrayLiteral("{\"n\":1}"),
                      QDateTime::currentDateTimeUtc(),
                      EventOrigin::Test,
                      {}};
    QCOMPARE(f->dispatcher->dispatch(loose, e.id).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 13, 20000);
    QCOMPARE(f->receiver.peakHeldAnswers(), 5);
    const auto delivered = checkOrder(f->receiver.requests(QStringLiteral("calls")));
    for (const char *key : {"w", "x", "y", "z"})
        QCOMPARE(delivered.value(QLatin1String(key)), (QList<int>{1, 2, 3}));
}

void TestDispatcher::orderedDeliveryWaitsForAnotherProcess()
{
    // The first delivery of a key is held by another process (a live lease); this one's
    // delivery with the key waits, and goes once the other's is final.
    const Endpoint e = f->addEndpoint(QStringLiteral("shared"), {},
                                      [](Endpoint &e) { e.orderKey = QStringLiteral("/callID"); });
    Dispatcher other(f->writer.get());
    const Event first = orderedEvent(QStringLiteral("K"), 1);
    QVERIFY(f->store->insertEvent(first));
    Delivery d;
    d.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    d.eventId = first.id;
    d.eventType = first.type;
    d.endpointId = e.id;
    d.webhookId = WebhookSigner::generateMessageId();
    d.created = d.updated = d.nextAttempt = QDateTime::currentDateTimeUtc();
    d.orderKey = QStringLiteral("K");
    QVERIFY(
        f->store->insertDelivery(d, {other.owner(), QDateTime::currentDateTimeUtc().addSecs(600)}));

    QSignalSpy held(f->dispatcher.get(), &Dispatcher::deliveryHeld);
    const QStringList ids = f->dispatcher->dispatch(orderedEvent(QStringLiteral("K"), 2), e.id);
    QCOMPARE(ids.size(), 1);
    for (int n = 3; n <= 4; ++n)
        QCOMPARE(f->dispatcher->dispatch(orderedEvent(QStringLiteral("K"), n), e.id).size(), 1);
    QTRY_COMPARE(held.count(), 3);
    QCOMPARE(held.first().at(1).toString(), d.id);
    f->writer->flush();
    QCOMPARE(f->store->heldBehind(*f->store->delivery(ids.first())), d.id);
    QTest::qWait(1500); // the once-a-second look finds it still waiting
    QVERIFY(f->receiver.requests(QStringLiteral("shared")).isEmpty());

    // The other process finishes its delivery: ours goes within the next look.
    d.state = DeliveryState::Succeeded;
    d.attemptCount = 1;
    QVERIFY(f->store->updateDelivery(d));
    QTRY_COMPARE_WITH_TIMEOUT(f->receiver.requests(QStringLiteral("shared")).size(), 3, 5000);
    QList<int> order;
    for (const CapturedRequest &r : f->receiver.requests(QStringLiteral("shared")))
        order << QJsonDocument::fromJson(r.body).object().value(QStringLiteral("n")).toInt();
    QCOMPARE(order, (QList<int>{2, 3, 4}));
}

void TestDispatcher::manualRedeliverKeepsWebhookId()
{
    const Endpoint e = f->addEndpoint(QStringLiteral("again"));
    const Delivery first = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(first.state, DeliveryState::Succeeded);
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QString error;
    QVERIFY2(f->dispatcher->redeliver(*f->store, first.id, &error), qPrintable(error));
    const Delivery d = f->waitFinal(first.id, finished);
    QCOMPARE(d.attempts.size(), 2);
    QCOMPARE(d.attempts.at(1).trigger, AttemptTrigger::Manual);
    const auto got = f->receiver.requests(QStringLiteral("again"));
    QCOMPARE(got.size(), 2);
    QCOMPARE(got.at(1).header("webhook-id"), first.webhookId.toLatin1());
    QVERIFY(!f->dispatcher->redeliver(*f->store, QStringLiteral("nope"), &error));
    QVERIFY(error.contains(QStringLiteral("nope")));
}

// "Send again" on a delivery that this process holds ready (behind the endpoint's limit): the
// store hands it over (the claim is this process's own), but it is on its way already.
void TestDispatcher::redeliveringWorkInHandSendsItOnce()
{
    InboxConfig inbox;
    inbox.delayMs = 400;
    const Endpoint e =
        f->addEndpoint(QStringLiteral("inhand"), inbox, [](Endpoint &e) { e.maxInFlight = 2; });
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    for (int i = 0; i < 2; ++i)
        QCOMPARE(f->dispatcher->dispatch(f->event(), e.id).size(), 1);
    const QStringList waiting = f->dispatcher->dispatch(f->event(), e.id);
    QCOMPARE(waiting.size(), 1);
    QTRY_COMPARE(f->receiver.requests(e.name).size(), 2); // two in flight, the third ready
    f->writer->flush();
    QString error;
    QVERIFY2(f->dispatcher->redeliver(*f->store, waiting.first(), &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, 5000);
    QTest::qWait(1000);
    QCOMPARE(finished.count(), 3);
    QCOMPARE(f->receiver.requests(e.name).size(), 3);
}

void TestDispatcher::retryFailedSince()
{
    InboxConfig inbox;
    inbox.status = 503;
    const Endpoint e = f->addEndpoint(QStringLiteral("outage"), inbox,
                                      [](Endpoint &e) { e.retry.maxAttempts = 1; });
    const QDateTime since = QDateTime::currentDateTimeUtc().addSecs(-1);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(f->deliverAndWait(f->event(), e.id).state, DeliveryState::Failed);
    inbox.name = QStringLiteral("outage");
    inbox.status = 200;
    inbox.secret = e.secret;
    QVERIFY(f->receiver.setInbox(inbox).isEmpty());
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QCOMPARE(f->dispatcher->retryFailedSince(*f->store, e.id, since), 3);
    QTRY_COMPARE(finished.count(), 3);
    f->writer->flush();
    DeliveryQuery q;
    q.state = DeliveryState::Succeeded;
    QCOMPARE(f->store->deliveries(q).size(), 3);
}

void TestDispatcher::resumeAfterCrash()
{
    const Endpoint e = f->addEndpoint(QStringLiteral("resume"));
    // What a crash leaves behind: a committed delivery that never got its attempt, one
    // that was in flight, and one waiting for a retry that is now due.
    const Event event = f->event();
    QVERIFY(f->store->insertEvent(event));
    QStringList ids;
    for (DeliveryState s :
         {DeliveryState::Pending, DeliveryState::InFlight, DeliveryState::Retrying}) {
        Delivery d;
        d.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        d.eventId = event.id;
        d.eventType = event.type;
        d.endpointId = e.id;
        d.webhookId = WebhookSigner::generateMessageId();
        d.state = s;
        d.created = d.updated = QDateTime::currentDateTimeUtc();
        d.nextAttempt = d.created;
        QVERIFY(f->store->insertDelivery(d));
        ids << d.id;
    }
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QCOMPARE(f->dispatcher->resume(*f->store), 3);
    QTRY_COMPARE(finished.count(), 3);
    f->writer->flush();
    QSet<QByteArray> received;
    for (const CapturedRequest &r : f->receiver.requests(QStringLiteral("resume")))
        received.insert(r.header("webhook-id"));
    for (const QString &id : ids) {
        const Delivery d = *f->store->delivery(id);
        QCOMPARE(d.state, DeliveryState::Succeeded);
        QVERIFY(received.contains(d.webhookId.toLatin1()));
    }
    QCOMPARE(f->dispatcher->resume(*f->store), 0); // nothing left
}

void TestDispatcher::unreachableEndpointIsCancelled()
{
    const Endpoint e = f->addEndpoint(QStringLiteral("removed"));
    const Event event = f->event();
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    const QStringList ids = f->dispatcher->dispatch(event, e.id);
    QCOMPARE(ids.size(), 1);
    f->dispatcher->removeEndpoint(e.id); // before the outbox commit lets it start
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(0).value<Delivery>().state, DeliveryState::Cancelled);
    QVERIFY(finished.first().at(1).toString().contains(QStringLiteral("removed")));
}

void TestDispatcher::droppedConnectionIsRetried()
{
    InboxConfig inbox;
    // The receiver reads the request and hangs up, five times, then behaves. QNAM itself
    // sends the same POST again when a connection closes before any answer (up to three
    // times per connection, on the buffered sockets the dispatcher uses), so how the
    // hang-ups split over attempts is Qt's business; what counts: the first attempt is a
    // failure that says so, the dispatcher retries, and every request carries the same
    // webhook-id.
    inbox.script = {0, 0, 0, 0, 0};
    const Endpoint e =
        f->addEndpoint(QStringLiteral("drop"), inbox, [](Endpoint &e) { e.retry.maxAttempts = 5; });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Succeeded);
    QVERIFY2(d.attempts.size() >= 2, qPrintable(QString::number(d.attempts.size())));
    const auto got = f->receiver.requests(QStringLiteral("drop"));
    QCOMPARE(got.size(), 6);
    for (const auto &request : got)
        QCOMPARE(QString::fromUtf8(request.header("webhook-id")), d.webhookId);
    QCOMPARE(d.attempts.first().responseStatus, 0);
    QCOMPARE(d.attempts.first().errorClass, ErrorClass::Network);
    QVERIFY(d.attempts.first().error.text().contains(QStringLiteral("closed the connection")));
    QCOMPARE(d.attempts.last().responseStatus, 200);
}

void TestDispatcher::failureRateExhaustsAttempts()
{
    InboxConfig inbox;
    inbox.failRate = 1.0; // every request answered 503
    inbox.retryAfterSeconds = 1;
    const Endpoint e = f->addEndpoint(QStringLiteral("flaky"), inbox, [](Endpoint &e) {
        e.retry.maxAttempts = 3;
        e.retry.scheduleSeconds = {0};
    });
    const Delivery d = f->deliverAndWait(f->event(), e.id, 20000);
    QCOMPARE(d.state, DeliveryState::Failed);
    QCOMPARE(d.attempts.size(), 3);
    for (const Attempt &a : d.attempts)
        QCOMPARE(a.responseStatus, 503);
    // Backed off by the server's Retry-After (1 s), not the schedule's 0 s.
    QVERIFY(d.attempts.at(0).started.msecsTo(d.attempts.at(1).started) >= 900);
    QCOMPARE(f->receiver.requests(QStringLiteral("flaky")).size(), 3);
}

// Qt reads a direct connection's status line and headers one byte per read() call unless its
// socket is buffered (see BufferedDirectProxy.h): about a hundred system calls per answer.
void TestDispatcher::responsesAreReadInBulk()
{
    const Endpoint e = f->addEndpoint(QStringLiteral("bulk"));
    // The first delivery starts Qt's network thread and opens the connection.
    QCOMPARE(f->deliverAndWait(f->event(), e.id).state, DeliveryState::Succeeded);
    const qint64 before = networkThreadReadCalls();
    if (before < 0)
        QSKIP("No per-thread I/O accounting in /proc here");
    const int n = 20;
    for (int i = 0; i < n; ++i)
        QCOMPARE(f->deliverAndWait(f->event(), e.id).state, DeliveryState::Succeeded);
    const double perDelivery = double(networkThreadReadCalls() - before) / n;
    QVERIFY2(
        perDelivery < 25,
        qPrintable(QStringLiteral("%1 read() calls per delivery").arg(perDelivery, 0, 'f', 1)));
}

// The buffered path is taken only where the application's proxy settings say "direct", for
// the URL and for a plain connection to its host; a configured proxy is still used. (Qt never
// proxies loopback names and addresses, so the names here are others; nothing is resolved.)
void TestDispatcher::configuredProxiesStillApply()
{
    auto restore = qScopeGuard([] {
        QNetworkProxyFactory::setApplicationProxyFactory(nullptr);
        QNetworkProxy::setApplicationProxy(QNetworkProxy());
    });
    BufferedDirectProxyFactory factory;
    const QNetworkProxyQuery query(QUrl(QStringLiteral("http://hooks.example/hook")));
    QCOMPARE(factory.queryProxy(query).constFirst().type(), QNetworkProxy::DefaultProxy);
    const QNetworkProxyQuery local(QUrl(QStringLiteral("http://127.0.0.1:9/hook")));
    QCOMPARE(factory.queryProxy(local).constFirst().type(), QNetworkProxy::DefaultProxy);

    QNetworkProxyFactory::setApplicationProxyFactory(new TcpOnlyProxyFactory);
    QCOMPARE(factory.queryProxy(query).constFirst().type(), QNetworkProxy::NoProxy);
    QNetworkProxyFactory::setApplicationProxyFactory(nullptr);

    // An HTTP proxy on 127.0.0.1 that is not running: the delivery must fail there. The
    // endpoint's host is 0.0.0.0, which Qt does not count as loopback (so the proxy applies)
    // but which, connected to directly, lands on this machine's receiver and succeeds: only
    // a bypassed proxy would ever contact it.
    const QNetworkProxy proxy(QNetworkProxy::HttpProxy, QStringLiteral("127.0.0.1"), closedPort());
    QNetworkProxy::setApplicationProxy(proxy);
    const QList<QNetworkProxy> answer = factory.queryProxy(query);
    QCOMPARE(answer.size(), 1);
    QCOMPARE(answer.constFirst().type(), QNetworkProxy::HttpProxy);
    QCOMPARE(answer.constFirst().port(), proxy.port());

    EgressPolicy any; // 0.0.0.0 is blocked by default; this test is about the proxy
    any.level = EgressPolicy::Level::Any;
    f->dispatcher->setEgressPolicy(any);
    const Endpoint e = f->addEndpoint(QStringLiteral("proxied"), {}, [](Endpoint &e) {
        QUrl url(e.url);
        url.setHost(QStringLiteral("0.0.0.0"));
        e.url = url.toString();
        e.retry.maxAttempts = 1;
    });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Failed);
    QCOMPARE(d.attempts.size(), 1);
    QCOMPARE(d.attempts.first().errorClass, ErrorClass::Refused);
    QCOMPARE(f->receiver.requests(QStringLiteral("proxied")).size(), 0);
}

// "HTTP/2 with prior knowledge over http://": the connection opens with HTTP/2's preface, no
// HTTP/1.1 upgrade dance; without the option it is HTTP/1.1 - also when both kinds of endpoint
// share a host and port, where Qt would otherwise reuse one kind of connection for the other.
// The server here only notes each connection's first bytes and hangs up, so the attempts
// themselves fail.
void TestDispatcher::cleartextHttp2UsesPriorKnowledge()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QByteArrayList openings;
    connect(&server, &QTcpServer::newConnection, &server, [&] {
        while (QTcpSocket *s = server.nextPendingConnection()) {
            const qsizetype index = openings.size();
            openings.append(QByteArray());
            connect(s, &QTcpSocket::readyRead, s, [&openings, index, s] {
                const QByteArray bytes = s->readAll();
                if (openings.at(index).size() < 24)
                    openings[index] += bytes;
                if (openings.at(index).size() >= 24)
                    s->abort();
            });
            connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        }
    });
    auto endpoint = [&](const QString &name, bool http2Cleartext) {
        return f->addEndpoint(name, {}, [&](Endpoint &e) {
            e.url = QStringLiteral("http://127.0.0.1:%1/%2").arg(server.serverPort()).arg(name);
            e.http2Cleartext = http2Cleartext;
            e.retry.maxAttempts = 1;
            e.timeoutMs = 3000;
        });
    };
    const Endpoint h2c = endpoint(QStringLiteral("h2c"), true);
    const Endpoint h1 = endpoint(QStringLiteral("h1"), false);
    // The first bytes of the first connection a delivery to `e` opened.
    auto opening = [&](const Endpoint &e) {
        const qsizetype before = openings.size();
        if (f->deliverAndWait(f->event(), e.id).state != DeliveryState::Failed)
            return QByteArray("the delivery did not fail");
        return openings.size() > before ? openings.at(before) : QByteArray("no connection");
    };
    const QByteArray preface("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    QByteArray got = opening(h2c);
    QVERIFY2(got.startsWith(preface), got.left(40).constData());
    got = opening(h1);
    QVERIFY2(got.startsWith("POST /h1 HTTP/1.1\r\n"), got.left(40).constData());
    got = opening(h2c);
    QVERIFY2(got.startsWith(preface), got.left(40).constData());
}

QStringList TestDispatcher::queue(const Endpoint &e, int n)
{
    f->dispatcher->setSending(false);
    QStringList ids;
    for (int i = 0; i < n; ++i)
        ids << f->dispatcher->dispatch(f->event(), e.id, AttemptTrigger::Test);
    f->writer->flush();
    f->dispatcher->setSending(true);
    return ids;
}

namespace {
// A delivery of `event` to `endpointId`, due now, as a process stores it (not yet sent).
Delivery dueDelivery(const Event &event, const QString &endpointId,
                     DeliveryState state = DeliveryState::Pending)
{
    Delivery d;
    d.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    d.eventId = event.id;
    d.eventType = event.type;
    d.endpointId = endpointId;
    d.webhookId = WebhookSigner::generateMessageId();
    d.state = state;
    d.created = d.updated = d.nextAttempt = QDateTime::currentDateTimeUtc();
    return d;
}

// Requests per webhook-id that reached an inbox.
QHash<QByteArray, int> arrivals(const ReceiverServer &receiver, const QString &inbox)
{
    QHash<QByteArray, int> seen;
    for (const CapturedRequest &r : receiver.requests(inbox))
        ++seen[r.header("webhook-id")];
    return seen;
}
} // namespace

// Two engines (two processes, in effect: each its own writer and connections) deliver one
// backlog together: every delivery arrives exactly once, though both poll the store and the
// backlog is larger than a claim batch.
void TestDispatcher::twoEnginesOnOneStoreNeverSendTwice()
{
    InboxConfig config;
    config.capacity = 5000;
    const Endpoint e = f->addEndpoint(QStringLiteral("shared"), config);
    const int n = 1200;
    const QStringList ids = queue(e, n);
    QCOMPARE(ids.size(), n);

    QString error;
    auto store2 = Store::open(f->path, &error);
    QVERIFY2(store2, qPrintable(error));
    StoreWriter writer2(f->path);
    QVERIFY(writer2.start(&error));
    Dispatcher second(&writer2);
    second.upsertEndpoint(e);
    QSignalSpy firstDone(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QSignalSpy secondDone(&second, &Dispatcher::deliveryFinished);
    f->dispatcher->resume(*f->store);
    second.resume(*store2);
    QTRY_COMPARE_WITH_TIMEOUT(firstDone.count() + secondDone.count(), n, 60000);
    QTest::qWait(2500); // both poll again: nothing more may go out
    QVERIFY(firstDone.count() > 0);
    QVERIFY(secondDone.count() > 0);
    const QHash<QByteArray, int> seen = arrivals(f->receiver, e.name);
    QCOMPARE(seen.size(), n);
    for (auto it = seen.cbegin(); it != seen.cend(); ++it)
        QVERIFY2(it.value() == 1, it.key().constData());
    f->writer->flush();
    writer2.flush();
    DeliveryQuery succeeded;
    succeeded.state = DeliveryState::Succeeded;
    QCOMPARE(f->store->countDeliveries(succeeded), n);
    second.shutdown(1000);
}

// On a server store an endpoint's "at most N at once" holds for all the processes together,
// and each with work gets its share: two engines, a limit of 4, a receiver that answers after
// 100 ms, more work than one engine claims at a time (64) - never more than 4 waiting at the
// receiver (8 without shared slots), both engines sending at the same time, and it takes about
// as long as one engine alone would.
void TestDispatcher::endpointLimitIsSharedFairlyByEngines()
{
    if (!TestBackend::onPostgres())
        QSKIP("a shared (PostgreSQL) store: on SQLite the limit holds per process");
    InboxConfig inbox;
    inbox.delayMs = 100;
    const Endpoint e =
        f->addEndpoint(QStringLiteral("fair"), inbox, [](Endpoint &e) { e.maxInFlight = 4; });
    const int n = 160;
    QCOMPARE(queue(e, n).size(), n);
    QString error;
    auto store2 = Store::open(f->path, &error);
    QVERIFY2(store2, qPrintable(error));
    StoreWriter writer2(f->path);
    QVERIFY(writer2.start(&error));
    Dispatcher second(&writer2);
    second.upsertEndpoint(e);
    int open[2] = {0, 0};
    qint64 firstStart[2] = {-1, -1};
    bool together = false;
    QElapsedTimer clock;
    QObject listening;
    const auto count = [&](Dispatcher *d, int which) {
        connect(d, &Dispatcher::attemptStarted, &listening, [&, which] {
            ++open[which];
            if (firstStart[which] < 0)
                firstStart[which] = clock.elapsed();
            together = together || (open[0] > 0 && open[1] > 0);
        });
        connect(d, &Dispatcher::attemptFinished, &listening, [&, which] { --open[which]; });
    };
    count(f->dispatcher.get(), 0);
    count(&second, 1);
    QSignalSpy firstDone(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QSignalSpy secondDone(&second, &Dispatcher::deliveryFinished);
    f->receiver.resetPeakHeld();
    clock.start();
    f->dispatcher->resume(*f->store);
    second.resume(*store2);
    QTRY_COMPARE_WITH_TIMEOUT(firstDone.count() + secondDone.count(), n, 30000);
    const qint64 took = clock.elapsed();
    QVERIFY2(f->receiver.peakHeldAnswers() <= 4,
             qPrintable(QStringLiteral("%1 waiting at once").arg(f->receiver.peakHeldAnswers())));
    QVERIFY(together);
    // Each engine claimed 64, 1.6 s of work at 4 at once: the second starts on its share long
    // before the first has sent all of its own (its share is asked for every 250 ms).
    QVERIFY2(firstStart[0] >= 0 && firstStart[1] >= 0 && qAbs(firstStart[1] - firstStart[0]) < 1000,
             qPrintable(QStringLiteral("first attempts at %1 and %2 ms")
                            .arg(firstStart[0])
                            .arg(firstStart[1])));
    QVERIFY(firstDone.count() > 0);
    QVERIFY(secondDone.count() > 0);
    // 40 rounds of 100 ms at 4 at once: 4 s; slots left idle would show as rounds lost.
    QVERIFY2(took < 8000, qPrintable(QString::number(took)));
    QCOMPARE(arrivals(f->receiver, e.name).size(), n);
    second.shutdown(1000);
}

// The rate too: two engines with work for an endpoint limited to 20 a second each send at
// their part of it (40 a second together without sharing).
void TestDispatcher::endpointRateIsSharedByEngines()
{
    if (!TestBackend::onPostgres())
        QSKIP("a shared (PostgreSQL) store: on SQLite the rate holds per process");
    const Endpoint e = f->addEndpoint(QStringLiteral("metered"), {}, [](Endpoint &e) {
        e.ratePerSecond = 20;
        e.rateBurst = 1;
    });
    const int n = 80; // each engine claims up to 41 (two seconds' worth and the burst)
    QCOMPARE(queue(e, n).size(), n);
    QString error;
    auto store2 = Store::open(f->path, &error);
    QVERIFY2(store2, qPrintable(error));
    StoreWriter writer2(f->path);
    QVERIFY(writer2.start(&error));
    Dispatcher second(&writer2);
    second.upsertEndpoint(e);
    QSignalSpy firstDone(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QSignalSpy secondDone(&second, &Dispatcher::deliveryFinished);
    f->dispatcher->resume(*f->store);
    second.resume(*store2);
    QTRY_COMPARE_WITH_TIMEOUT(firstDone.count() + secondDone.count(), n, 30000);
    QVERIFY(firstDone.count() > 0);
    QVERIFY(secondDone.count() > 0);
    const QList<CapturedRequest> got = f->receiver.requests(e.name);
    QCOMPARE(got.size(), n);
    const double seconds = got.first().received.msecsTo(got.last().received) / 1000.0;
    const double rate = (n - 1) / seconds;
    QVERIFY2(rate >= 15 && rate <= 24, qPrintable(QStringLiteral("%1 a second").arg(rate)));
    // Any one second holds 20, and what a change of share lets through before both engines
    // have learnt it (a quarter of a second at the whole rate each).
    int most = 0;
    for (qsizetype i = 0; i < got.size(); ++i) {
        int inSecond = 0;
        for (qsizetype j = i;
             j < got.size() && got.at(i).received.msecsTo(got.at(j).received) < 1000; ++j)
            ++inSecond;
        most = qMax(most, inSecond);
    }
    QVERIFY2(most <= 27, qPrintable(QStringLiteral("%1 in one second").arg(most)));
    second.shutdown(1000);
}

// Published while not sending (a window before its first resume): stored unclaimed. The
// resume claims them before the publish's own answer comes back, which must not make them
// ready a second time (each would go out twice).
void TestDispatcher::workStoredBeforeResumingIsSentOnce()
{
    const Endpoint e = f->addEndpoint(QStringLiteral("resumed"));
    const QStringList ids = queue(e, 4); // fewer than the endpoint's limit: all go at once
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QSignalSpy started(f->dispatcher.get(), &Dispatcher::attemptStarted);
    QCOMPARE(f->dispatcher->resume(*f->store), 4);
    QTRY_COMPARE(finished.count(), 4);
    QTest::qWait(300);
    QCOMPARE(started.count(), 4);
    const QHash<QByteArray, int> seen = arrivals(f->receiver, e.name);
    QCOMPARE(seen.size(), 4);
    for (auto it = seen.cbegin(); it != seen.cend(); ++it)
        QVERIFY2(it.value() == 1, it.key().constData());
}

// Claims left by a process on this machine that no longer exists are released by the next
// start, not after their lease.
void TestDispatcher::deadProcessClaimsAreTakenOverAtOnce()
{
    const Endpoint e = f->addEndpoint(QStringLiteral("orphans"));
    const Event event = f->event();
    QVERIFY(f->store->insertEvent(event));
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const Claim dead{QHostInfo::localHostName() + QStringLiteral("/999999999/1/0"),
                     now.addSecs(600)};
    QStringList ids;
    for (int i = 0; i < 3; ++i) {
        const Delivery d = dueDelivery(event, e.id);
        QVERIFY(f->store->insertDelivery(d, dead));
        ids << d.id;
    }
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QCOMPARE(f->dispatcher->resume(*f->store), 3);
    QTRY_COMPARE(finished.count(), 3);
}

QString TestDispatcher::heldBy(const Dispatcher &owner, const Endpoint &e)
{
    const Event event = f->event();
    const Delivery d = dueDelivery(event, e.id);
    const Claim claim{owner.owner(), QDateTime::currentDateTimeUtc().addSecs(600)};
    return f->store->insertEvent(event) && f->store->insertDelivery(d, claim) ? d.id : QString();
}

void TestDispatcher::liveClaimsOfAnotherProcessAreLeftAlone()
{
    const Endpoint e = f->addEndpoint(QStringLiteral("held"));
    Dispatcher other(f->writer.get());
    QVERIFY(!heldBy(other, e).isEmpty());
    QCOMPARE(f->dispatcher->resume(*f->store), 0);
    QTest::qWait(1500);
    QCOMPARE(f->receiver.requests(e.name).size(), 0);
}

// The store refuses writes while attempts are in flight: their outcomes are kept, no new
// attempt starts, the failure is announced; once writes work again everything is recorded
// and sent, each delivery once.
namespace {
// The store refuses to record attempts as a full disk makes it: SQLite's file cannot grow
// (FaultVfs: every write fails), or PostgreSQL answers "No space left on device" (a trigger
// raising the server's own error, so that the batched outcome statement fails as a whole).
void refuseOutcomes(const QString &store, const QString &dir, bool refused)
{
    if (!TestBackend::onPostgres()) {
        FaultVfs::setDiskFull(dir, refused);
        return;
    }
    const QString name = QStringLiteral("refuse");
    {
        QSqlDatabase db = TestBackend::rawConnection(store, name);
        QVERIFY(db.open());
        QSqlQuery q(db);
        if (refused) {
            QVERIFY(q.exec(QStringLiteral(
                "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                "'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; "
                "END $$ LANGUAGE plpgsql")));
            QVERIFY(q.exec(QStringLiteral("CREATE TRIGGER refuse BEFORE INSERT ON attempts FOR "
                                          "EACH STATEMENT EXECUTE FUNCTION refuse()")));
        } else {
            QVERIFY(q.exec(QStringLiteral("DROP TRIGGER refuse ON attempts")));
        }
    }
    QSqlDatabase::removeDatabase(name);
}
} // namespace

void TestDispatcher::fullDiskPausesAttemptsAndLosesNothing()
{
    InboxConfig config;
    config.delayMs = 400;
    const Endpoint e = f->addEndpoint(QStringLiteral("slow"), config);
    const int n = 20;
    QSignalSpy started(f->dispatcher.get(), &Dispatcher::attemptStarted);
    QSignalSpy failing(f->dispatcher.get(), &Dispatcher::storeFailing);
    QSignalSpy recovered(f->dispatcher.get(), &Dispatcher::storeRecovered);
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    QStringList ids;
    for (int i = 0; i < n; ++i)
        ids << f->dispatcher->dispatch(f->event(), e.id, AttemptTrigger::Test);
    f->writer->flush(); // all of them accepted before the disk fills
    QTRY_VERIFY(started.count() >= 1);
    refuseOutcomes(f->path, f->dir.path(), true);
    QTRY_COMPARE_WITH_TIMEOUT(failing.count(), 1, 10000);
    const int startedWhenFull = int(started.count());
    QTest::qWait(2000);
    QCOMPARE(started.count(), startedWhenFull); // nothing new while outcomes cannot be written
    QVERIFY(f->dispatcher->isStalled());
    refuseOutcomes(f->path, f->dir.path(), false);
    QTRY_COMPARE_WITH_TIMEOUT(recovered.count(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), n, 30000);
    f->writer->flush();
    const QHash<QByteArray, int> seen = arrivals(f->receiver, e.name);
    QCOMPARE(seen.size(), n);
    for (const QString &id : std::as_const(ids)) {
        const Delivery d = *f->store->delivery(id);
        QCOMPARE(d.state, DeliveryState::Succeeded);
        QCOMPARE(d.attempts.size(), 1);
        QCOMPARE(seen.value(d.webhookId.toLatin1()), 1);
    }
}

// Outcomes that arrive while the writer is busy go to the store as one operation. When another
// operation of its batch fails, the writer runs the batch again, each operation in a savepoint:
// the outcomes' operation must then record the same outcomes again, not lose them.
void TestDispatcher::outcomesSurviveAFailingNeighbourInTheirBatch()
{
    InboxConfig config;
    config.delayMs = 300;
    const Endpoint e = f->addEndpoint(QStringLiteral("slowish"), config);
    const int n = 8;
    QSignalSpy started(f->dispatcher.get(), &Dispatcher::attemptStarted);
    QSignalSpy attempted(f->dispatcher.get(), &Dispatcher::attemptFinished);
    QStringList ids;
    for (int i = 0; i < n; ++i)
        ids << f->dispatcher->dispatch(f->event(), e.id, AttemptTrigger::Test);
    QTRY_COMPARE_WITH_TIMEOUT(started.count(), n, 10000);
    f->writer->flush();
    QSemaphore gate;
    auto release = qScopeGuard([&] { gate.release(); });
    f->writer->submit([&gate](Store &) {
        gate.acquire();
        return true;
    });
    QTRY_COMPARE_WITH_TIMEOUT(attempted.count(), n, 10000); // their outcomes wait behind the gate
    const qint64 failedBefore = f->writer->failedOperations();
    f->writer->submit([](Store &) { return false; }); // in the same batch as the outcomes
    release.dismiss();
    gate.release();
    f->writer->flush();
    QCOMPARE(f->writer->failedOperations(), failedBefore + 1);
    QVERIFY(!f->dispatcher->isStalled());
    for (const QString &id : std::as_const(ids)) {
        const Delivery d = *f->store->delivery(id);
        QCOMPARE(d.state, DeliveryState::Succeeded);
        QCOMPARE(d.attempts.size(), 1);
    }
    QCOMPARE(arrivals(f->receiver, e.name).size(), n);
}

void TestDispatcher::redeliveryOfAnotherProcessesWorkIsRefused()
{
    const Endpoint e = f->addEndpoint(QStringLiteral("busy"));
    Dispatcher other(f->writer.get());
    const QString id = heldBy(other, e);
    QVERIFY(!id.isEmpty());
    QSignalSpy refused(f->dispatcher.get(), &Dispatcher::redeliveryRefused);
    QVERIFY(f->dispatcher->redeliver(*f->store, id));
    QTRY_COMPARE(refused.count(), 1);
    QVERIFY(refused.first().at(1).toString().contains(QLatin1String("another Hookline process")));
    QTest::qWait(300);
    QCOMPARE(f->receiver.requests(e.name).size(), 0);
}

// Another process added an endpoint and queued work for it; this dispatcher has not reread
// the endpoints yet when it claims that work. It must send it, not cancel it as "removed".
void TestDispatcher::workForAnEndpointAddedElsewhereIsSent()
{
    QCOMPARE(f->dispatcher->resume(*f->store), 0); // takes due work, knows no endpoint
    InboxConfig config;
    config.name = QStringLiteral("elsewhere");
    f->receiver.setInbox(config);
    Endpoint e;
    e.name = config.name;
    f->receiver.attachEndpoint(&e, config.name);
    QVERIFY(f->store->saveEndpoint(&e).isEmpty()); // saved, but not told to the dispatcher
    const Event event = f->event();
    QVERIFY(f->store->insertEvent(event));
    const Delivery d = dueDelivery(event, e.id);
    QVERIFY(f->store->insertDelivery(d));
    QSignalSpy finished(f->dispatcher.get(), &Dispatcher::deliveryFinished);
    // The next poll claims it (1 s on SQLite; 5 s on a server, whose notices this bare
    // dispatcher does not hear).
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, f->store->pollIntervalMs() + 4000);
    QCOMPARE(finished.first().at(0).value<Delivery>().state, DeliveryState::Succeeded);
    QCOMPARE(f->receiver.requests(config.name).size(), 1);
}

// The signing secret and custom header values are sealed in the database (SecretBox), the
// recorded request names the header without its value, and the files are owner-only: the
// bytes of the database and its WAL hold none of them.
void TestDispatcher::secretsAreNotStoredInPlainText()
{
    const QString apiKey = QStringLiteral("sk_live_7Hq2NOTINTHEFILE9x");
    const Endpoint e = f->addEndpoint(QStringLiteral("sealed"), {}, [&](Endpoint &e) {
        e.secret = WebhookSigner::generateSecret();
        e.headers = {{QStringLiteral("x-api-key"), apiKey}};
    });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Succeeded);
    const auto got = f->receiver.requests(QStringLiteral("sealed"));
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().header("x-api-key"), apiKey.toUtf8()); // sent as it is
    bool named = false;
    for (const HttpHeader &h : d.attempts.first().requestHeaders) {
        if (h.name == QLatin1String("x-api-key")) {
            named = true;
            QCOMPARE(h.value, Endpoint::redactedValue());
        }
    }
    QVERIFY(named);
    QCOMPARE(f->store->endpoint(e.id)->secret, e.secret); // read back unsealed
    const QByteArray secretBase64 = e.secret.mid(6).toLatin1();
    if (TestBackend::onPostgres()) {
        // Every row of every table, as text, from a connection of the test's own.
        QByteArray bytes;
        {
            QSqlDatabase db = TestBackend::rawConnection(f->path, QStringLiteral("raw"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            for (const char *table : {"endpoints", "attempts", "deliveries", "events"}) {
                QVERIFY(q.exec(
                    QStringLiteral("SELECT t::text FROM %1 AS t").arg(QLatin1String(table))));
                while (q.next())
                    bytes += q.value(0).toString().toUtf8();
            }
        }
        QSqlDatabase::removeDatabase(QStringLiteral("raw"));
        QVERIFY(bytes.contains(e.id.toLatin1()));
        QVERIFY(!bytes.contains(apiKey.toLatin1()));
        QVERIFY(!bytes.contains(secretBase64));
        return;
    }
    for (const QString &file : QStringList{f->path, f->path + QStringLiteral("-wal")}) {
        QFile in(file);
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QByteArray bytes = in.readAll();
        QVERIFY2(!bytes.contains(apiKey.toUtf8()), qPrintable(file));
        QVERIFY2(!bytes.contains(secretBase64), qPrintable(file));
        QCOMPARE(
            int(QFileInfo(file).permissions() & (QFileDevice::ReadGroup | QFileDevice::WriteGroup |
                                                 QFileDevice::ReadOther | QFileDevice::WriteOther)),
            0);
    }
}

// A secret sealed with another key (a database copied without its key) is reported, and the
// endpoint is not delivered to unsigned or without its API key.
void TestDispatcher::unreadableSecretsAreNeverSentWithout()
{
    const Endpoint e = f->addEndpoint(QStringLiteral("foreign"), {}, [](Endpoint &e) {
        e.secret = WebhookSigner::generateSecret();
        e.retry.maxAttempts = 1;
    });
    const SecretBox other(QByteArray(32, 'k'));
    QVERIFY(other.ok());
    {
        QSqlDatabase db = TestBackend::rawConnection(f->path, QStringLiteral("raw"));
        QVERIFY(db.open());
        QSqlQuery q(db);
        q.prepare(QStringLiteral("UPDATE endpoints SET secret = ? WHERE id = ?"));
        q.addBindValue(other.seal(e.secret));
        q.addBindValue(e.id);
        QVERIFY(q.exec());
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("raw"));
    const std::optional<Endpoint> read = f->store->endpoint(e.id);
    QVERIFY(read);
    QVERIFY(read->secret.isEmpty());
    QVERIFY2(read->secretsError.contains(QLatin1String("another key")),
             qPrintable(read->secretsError));
    f->dispatcher->upsertEndpoint(*read);
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Failed);
    QVERIFY2(d.attempts.first().error.text().contains(QLatin1String("cannot be read")),
             qPrintable(d.attempts.first().error.text()));
    QVERIFY(f->receiver.requests(QStringLiteral("foreign")).isEmpty());

    // The box itself: another key is told apart from damage.
    const SecretBox mine(QByteArray(32, 'm'));
    QString plain, error;
    QVERIFY(!mine.open(other.seal(QStringLiteral("x")), &plain, &error));
    QVERIFY(error.contains(QLatin1String("another key")));
    QString sealed = mine.seal(QStringLiteral("whsec_abc"));
    QVERIFY(mine.open(sealed, &plain, &error));
    QCOMPARE(plain, QStringLiteral("whsec_abc"));
    // Flip one bit of the ciphertext (base64 padding bits would not count).
    const qsizetype colon = sealed.lastIndexOf(u':');
    QByteArray raw = QByteArray::fromBase64(sealed.mid(colon + 1).toLatin1());
    raw[14] = char(raw.at(14) ^ 0x01);
    sealed = sealed.left(colon + 1) + QString::fromLatin1(raw.toBase64());
    QVERIFY(!mine.open(sealed, &plain, &error));
    QVERIFY(error.contains(QLatin1String("damaged")));
}

// Literal addresses: link-local and metadata are blocked by default and never contacted; at
// public-only, loopback is blocked too unless allowed.
void TestDispatcher::egressPolicyBlocksLiteralAddresses()
{
    EgressPolicy policy; // the default, no-link-local
    for (const char *a : {"169.254.169.254", "fd00:ec2::254", "::ffff:169.254.1.1", "fe80::1",
                          "224.0.0.1", "0.0.0.0", "255.255.255.255"})
        QVERIFY2(!policy.refusal(QHostAddress(QString::fromLatin1(a)), QString(), 80).isEmpty(), a);
    for (const char *a : {"127.0.0.1", "10.1.2.3", "::1"})
        QVERIFY2(policy.refusal(QHostAddress(QString::fromLatin1(a)), QString(), 80).isEmpty(), a);
    policy.level = EgressPolicy::Level::PublicOnly;
    for (const char *a : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "::1",
                          "fd12::1", "169.254.169.254"})
        QVERIFY2(!policy.refusal(QHostAddress(QString::fromLatin1(a)), QString(), 80).isEmpty(), a);
    QVERIFY(policy.refusal(QHostAddress(QStringLiteral("93.184.216.34")), QString(), 80).isEmpty());
    QVERIFY(policy.addAllowed(QStringLiteral("10.0.0.0/8")));
    QVERIFY(policy.refusal(QHostAddress(QStringLiteral("10.1.2.3")), QString(), 80).isEmpty());
    QVERIFY(!policy.addAllowed(QStringLiteral("not a host/99")));

    // At public-only the loopback receiver is blocked, attempted never...
    f->dispatcher->setEgressPolicy(policy);
    const Endpoint e =
        f->addEndpoint(QStringLiteral("local"), {}, [](Endpoint &e) { e.retry.maxAttempts = 1; });
    const Delivery d = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(d.state, DeliveryState::Failed);
    QCOMPARE(d.attempts.first().errorClass, ErrorClass::Blocked);
    QVERIFY2(d.attempts.first().error.text().contains(QLatin1String("127.0.0.1")),
             qPrintable(d.attempts.first().error.text()));
    QVERIFY(f->receiver.requests(QStringLiteral("local")).isEmpty());
    // ...unless it is the built-in receiver itself.
    policy.receiverPort = f->receiver.port();
    f->dispatcher->setEgressPolicy(policy);
    QCOMPARE(f->deliverAndWait(f->event(), e.id).state, DeliveryState::Succeeded);
}

// DNS rebinding: a name is resolved by the dispatcher at each attempt (a stub resolver here,
// so nothing leaves the machine), the address is checked, and the connection is pinned to
// it: the receiver sees the name in Host, the socket went to the checked address.
void TestDispatcher::egressPolicyChecksTheResolvedAddressAtEachAttempt()
{
    QString answer = QStringLiteral("127.0.0.1");
    int lookups = 0;
    f->dispatcher->setResolver(
        [&](const QString &host, QObject *context,
            std::function<void(const QList<QHostAddress> &, const QString &)> done) {
            ++lookups;
            const QList<QHostAddress> addresses = host == QLatin1String("crm.rebind.test")
                                                      ? QList<QHostAddress>{QHostAddress(answer)}
                                                      : QList<QHostAddress>{};
            QTimer::singleShot(0, context, [done, addresses] { done(addresses, QString()); });
        });
    const Endpoint e = f->addEndpoint(QStringLiteral("rebind"), {}, [](Endpoint &e) {
        QUrl url(e.url);
        url.setHost(QStringLiteral("crm.rebind.test")); // resolvable by the stub only
        e.url = url.toString();
        e.retry.maxAttempts = 1;
    });
    const Delivery first = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(first.state, DeliveryState::Succeeded);
    const auto got = f->receiver.requests(QStringLiteral("rebind"));
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().header("host"),
             QStringLiteral("crm.rebind.test:%1").arg(f->receiver.port()).toUtf8());

    // The same name now answers the metadata address: blocked at delivery, not contacted.
    answer = QStringLiteral("169.254.169.254");
    f->dispatcher->setEgressPolicy(f->dispatcher->egressPolicy()); // forget what was resolved
    const Delivery second = f->deliverAndWait(f->event(), e.id);
    QCOMPARE(second.state, DeliveryState::Failed);
    QCOMPARE(second.attempts.first().errorClass, ErrorClass::Blocked);
    QVERIFY2(second.attempts.first().error.text().contains(QLatin1String("169.254.169.254")),
             qPrintable(second.attempts.first().error.text()));
    QCOMPARE(f->receiver.requests(QStringLiteral("rebind")).size(), 1);
    QVERIFY(lookups >= 2);
}

QTEST_GUILESS_MAIN(TestDispatcher)
#include "tst_dispatcher.moc"
