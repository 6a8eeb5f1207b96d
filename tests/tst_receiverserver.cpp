// SPDX-License-Identifier: GPL-3.0-or-later
// The built-in receiver on 127.0.0.1: it records what arrives (headers in order, body, form
// fields, signature verdict), plays every fault it offers, and survives hostile clients
// (oversized headers and bodies, malformed requests, slowloris, hundreds of connections)
// without crashing or growing without bound.
#include "RawHttpClient.h"

#include "domain/Endpoint.h"
#include "http/HttpRequestParser.h"
#include "receiver/ReceiverServer.h"
#include "signing/WebhookSigner.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <sys/resource.h>
#include <vector>

class TestReceiverServer : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void parserPieces_data();
    void parserPieces();

    void capturesRequest();
    void listensOnIpv6Too();
    void unknownInboxIs404();
    void signatureVerdicts();
    void formFields();
    void keepAliveAndPipelining();
    void chunkedBody();
    void expectContinue();
    void ringBufferIsBounded();

    void faultStatus();
    void faultDelay();
    void faultFailRate();
    void faultRetryAfter();
    void faultClose();
    void faultDrip();
    void faultScript();
    void invalidConfigIsRefused();

    void oversizedHeaders();
    void oversizedBody();
    void malformedRequests_data();
    void malformedRequests();
    void conformance_data();
    void conformance();
    void headAnswerHasNoBody();
    void requestStoppingMidBodyStoresNothing();
    void memoryBudgetRefusesWith503();
    void pipelinedUploadsBehindASlowAnswerStayOutOfMemory();
    void descriptorLimitCapsConnections();
    void slowlorisIsCutOff();
    void idleConnectionIsClosed();
    void idleKeptAliveConnectionClosesSilently();
    void hundredsOfConnections();
    void connectionCap();

    void attachEndpoint();
    void realClientQnam();

private:
    std::unique_ptr<ReceiverServer> m_server;
    quint16 port() const { return m_server->port(); }
    InboxConfig inbox(const QString &name = QStringLiteral("t"))
    {
        InboxConfig c;
        c.name = name;
        return c;
    }
};

void TestReceiverServer::init()
{
    m_server = std::make_unique<ReceiverServer>();
    QString error;
    QVERIFY2(m_server->listen(0, &error), qPrintable(error));
    QVERIFY(m_server->setInbox(inbox()).isEmpty());
}

void TestReceiverServer::cleanup()
{
    m_server.reset();
}

void TestReceiverServer::parserPieces_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("pieceSize");
    const QByteArray req = RawHttpClient::post("/inbox/t", "{\"a\":1}");
    QTest::newRow("whole") << req << int(req.size());
    QTest::newRow("byte by byte") << req << 1;
    QTest::newRow("three bytes") << req << 3;
}

void TestReceiverServer::parserPieces()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, pieceSize);
    HttpRequestParser parser;
    HttpRequestParser::State state = HttpRequestParser::State::Incomplete;
    for (qsizetype i = 0; i < bytes.size(); i += pieceSize) {
        QCOMPARE(state, HttpRequestParser::State::Incomplete);
        state = parser.feed(bytes.mid(i, pieceSize));
    }
    QCOMPARE(state, HttpRequestParser::State::Complete);
    const HttpRequest r = parser.takeRequest();
    QCOMPARE(r.method, QByteArray("POST"));
    QCOMPARE(r.target, QByteArray("/inbox/t"));
    QCOMPARE(r.body, QByteArray("{\"a\":1}"));
    QCOMPARE(r.header("content-type"), QByteArray("application/json"));
}

void TestReceiverServer::capturesRequest()
{
    QSignalSpy spy(m_server.get(), &ReceiverServer::requestCaptured);
    RawHttpClient client(port());
    client.send(RawHttpClient::post("/inbox/t?src=test", "{\"type\":\"ringing\"}",
                                    "X-Zeta: 1\r\nx-api-key: k123\r\nX-Alpha: 2\r\n"));
    const RawResponse r = client.read();
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("{\"ok\":true}"));
    QVERIFY(r.head.contains("X-Hookline-Inbox: t"));
    QCOMPARE(spy.count(), 1);
    const QList<CapturedRequest> got = m_server->requests(QStringLiteral("t"));
    QCOMPARE(got.size(), 1);
    const CapturedRequest &c = got.first();
    QCOMPARE(c.method, QByteArray("POST"));
    QCOMPARE(c.target, QByteArray("/inbox/t?src=test"));
    QCOMPARE(c.inbox, QStringLiteral("t"));
    QCOMPARE(c.body, QByteArray("{\"type\":\"ringing\"}"));
    QCOMPARE(c.bodySize, qint64(18));
    QCOMPARE(c.remoteAddress, QStringLiteral("127.0.0.1"));
    QVERIFY(c.remotePort > 0);
    QCOMPARE(c.responseStatus, 200);
    QCOMPARE(c.signature.verdict, SignatureVerdict::Missing);
    // Headers in the order they were sent, names as sent.
    QStringList names;
    for (const auto &h : c.headers)
        names << QString::fromLatin1(h.first);
    QCOMPARE(names, (QStringList{QStringLiteral("Host"), QStringLiteral("Content-Type"),
                                 QStringLiteral("X-Zeta"), QStringLiteral("x-api-key"),
                                 QStringLiteral("X-Alpha"), QStringLiteral("Content-Length")}));
    QCOMPARE(c.header("X-API-KEY"), QByteArray("k123"));
    QVERIFY(qAbs(c.received.secsTo(QDateTime::currentDateTimeUtc())) < 5);
}

void TestReceiverServer::listensOnIpv6Too()
{
    if (!m_server->hasIpv6())
        QSKIP("this machine has no IPv6 loopback");
    RawHttpClient client(port(), QHostAddress::LocalHostIPv6);
    client.send(RawHttpClient::post("/inbox/t", "{}"));
    QCOMPARE(client.read().status, 200);
    QCOMPARE(m_server->requests(QStringLiteral("t")).first().remoteAddress, QStringLiteral("::1"));
    QCOMPARE(m_server->inboxUrl(QStringLiteral("t"), true).host(), QStringLiteral("::1"));
}

void TestReceiverServer::unknownInboxIs404()
{
    RawHttpClient client(port());
    client.send(RawHttpClient::post("/inbox/nope", "{}"));
    const RawResponse r = client.read();
    QCOMPARE(r.status, 404);
    QVERIFY(r.body.contains("No inbox at /inbox/nope"));
    QVERIFY(r.body.contains("Inboxes: t"));
    QCOMPARE(m_server->unmatchedRequests().size(), 1);
    QVERIFY(m_server->requests(QStringLiteral("t")).isEmpty());
}

void TestReceiverServer::signatureVerdicts()
{
    InboxConfig c = inbox();
    c.secret = WebhookSigner::generateSecret();
    QVERIFY(m_server->setInbox(c).isEmpty());
    const QByteArray body = "{\"type\":\"ringing\"}";
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    auto headersFor = [&](const QString &secret, qint64 ts) -> QByteArray {
        const SignatureHeaders h = WebhookSigner::sign({secret}, "msg_1", ts, body);
        return "webhook-id: " + h.id + "\r\nwebhook-timestamp: " + h.timestamp +
               "\r\nwebhook-signature: " + h.signature + "\r\n";
    };
    RawHttpClient client(port());
    client.send(RawHttpClient::post("/inbox/t", body, headersFor(c.secret, now)));
    QCOMPARE(client.read().status, 200);
    client.send(
        RawHttpClient::post("/inbox/t", body, headersFor(WebhookSigner::generateSecret(), now)));
    QCOMPARE(client.read().status, 200);
    client.send(RawHttpClient::post("/inbox/t", body, headersFor(c.secret, now - 3600)));
    QCOMPARE(client.read().status, 200);
    client.send(RawHttpClient::post("/inbox/t", body));
    QCOMPARE(client.read().status, 200);
    const auto got = m_server->requests(QStringLiteral("t"));
    QCOMPARE(got.size(), 4);
    QCOMPARE(got.at(0).signature.verdict, SignatureVerdict::Valid);
    QCOMPARE(got.at(1).signature.verdict, SignatureVerdict::Invalid);
    QCOMPARE(got.at(2).signature.verdict, SignatureVerdict::TimestampOutOfTolerance);
    QCOMPARE(got.at(3).signature.verdict, SignatureVerdict::Missing);
    QVERIFY(got.at(1).signature.reason.contains(QStringLiteral("secret")));
}

void TestReceiverServer::formFields()
{
    RawHttpClient client(port());
    const QByteArray body = "payload=%7B%22a%22%3A%22x%20y%22%7D&other=1";
    client.send("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                "application/x-www-form-urlencoded\r\n"
                "Content-Length: " +
                QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QCOMPARE(client.read().status, 200);
    const auto fields = m_server->requests(QStringLiteral("t")).first().formFields;
    QCOMPARE(fields.size(), 2);
    QCOMPARE(fields.at(0).first, QStringLiteral("payload"));
    QCOMPARE(fields.at(0).second, QStringLiteral("{\"a\":\"x y\"}"));
}

void TestReceiverServer::keepAliveAndPipelining()
{
    RawHttpClient client(port());
    // Three requests in one write: answered in order on the same connection.
    client.send(RawHttpClient::post("/inbox/t", "1") + RawHttpClient::post("/inbox/t", "22") +
                RawHttpClient::post("/inbox/t", "333"));
    for (int i = 0; i < 3; ++i)
        QCOMPARE(client.read().status, 200);
    QVERIFY(!client.closed());
    const auto got = m_server->requests(QStringLiteral("t"));
    QCOMPARE(got.size(), 3);
    QCOMPARE(got.at(2).body, QByteArray("333"));
    QCOMPARE(m_server->openConnections(), 1);
    client.send("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: "
                "0\r\n\r\n");
    QCOMPARE(client.read().status, 200);
    QVERIFY(client.waitClosed());
    QTRY_COMPARE(m_server->openConnections(), 0);
}

void TestReceiverServer::chunkedBody()
{
    RawHttpClient client(port());
    client.send("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                "4\r\n{\"a\"\r\n5;ext=1\r\n:123}\r\n0\r\nX-Trailer: 1\r\n\r\n");
    QCOMPARE(client.read().status, 200);
    QCOMPARE(m_server->requests(QStringLiteral("t")).first().body, QByteArray("{\"a\":123}"));
}

void TestReceiverServer::expectContinue()
{
    RawHttpClient client(port());
    client.send("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: "
                "100-continue\r\nContent-Length: 2\r\n\r\n");
    QVERIFY(QTest::qWaitFor(
        [&] { return client.received().startsWith("HTTP/1.1 100 Continue\r\n\r\n"); }, 5000));
    client.received().remove(0, 25);
    client.send("{}");
    QCOMPARE(client.read().status, 200);
}

void TestReceiverServer::ringBufferIsBounded()
{
    InboxConfig c = inbox();
    c.capacity = 5;
    QVERIFY(m_server->setInbox(c).isEmpty());
    RawHttpClient client(port());
    for (int i = 0; i < 12; ++i) {
        client.send(RawHttpClient::post("/inbox/t", QByteArray::number(i)));
        QCOMPARE(client.read().status, 200);
    }
    const auto got = m_server->requests(QStringLiteral("t"));
    QCOMPARE(got.size(), 5);
    QCOMPARE(got.first().body, QByteArray("7"));
    QCOMPARE(got.last().body, QByteArray("11"));
    // A big body is kept only up to the cap, with its real size.
    ReceiverLimits limits = m_server->limits();
    limits.storedBodyCap = 100;
    m_server->setLimits(limits);
    client.send(RawHttpClient::post("/inbox/t", QByteArray(5000, 'x')));
    QCOMPARE(client.read().status, 200);
    QCOMPARE(m_server->requests(QStringLiteral("t")).last().body.size(), 100);
    QCOMPARE(m_server->requests(QStringLiteral("t")).last().bodySize, qint64(5000));
}

void TestReceiverServer::faultStatus()
{
    InboxConfig c = inbox();
    c.status = 418;
    c.body = "short and stout";
    c.contentType = "text/plain";
    QVERIFY(m_server->setInbox(c).isEmpty());
    RawHttpClient client(port());
    client.send(RawHttpClient::post("/inbox/t", "{}"));
    const RawResponse r = client.read();
    QCOMPARE(r.status, 418);
    QCOMPARE(r.body, QByteArray("short and stout"));
    QVERIFY(r.head.contains("Content-Type: text/plain"));
    c.status = 204;
    QVERIFY(m_server->setInbox(c).isEmpty());
    client.send(RawHttpClient::post("/inbox/t", "{}"));
    const RawResponse empty = client.read();
    QCOMPARE(empty.status, 204);
    QVERIFY(empty.body.isEmpty());
}

void TestReceiverServer::faultDelay()
{
    InboxConfig c = inbox();
    c.delayMs = 300;
    QVERIFY(m_server->setInbox(c).isEmpty());
    RawHttpClient client(port());
    QElapsedTimer t;
    t.start();
    client.send(RawHttpClient::post("/inbox/t", "{}"));
    QCOMPARE(client.read().status, 200);
    QVERIFY2(t.elapsed() >= 290, qPrintable(QString::number(t.elapsed())));
}

void TestReceiverServer::faultFailRate()
{
    InboxConfig c = inbox();
    c.failRate = 0.3;
    QVERIFY(m_server->setInbox(c).isEmpty());
    RawHttpClient client(port());
    int failures = 0;
    const int n = 300;
    for (int i = 0; i < n; ++i) {
        client.send(RawHttpClient::post("/inbox/t", "{}"));
        const RawResponse r = client.read();
        QVERIFY(r.status == 200 || r.status == 503);
        if (r.status == 503) {
            ++failures;
            QCOMPARE(r.body, QByteArray("{\"error\":\"simulated 503\"}"));
        }
    }
    // 30 % of 300 is 90; the binomial spread (sd ~ 8) leaves this bound very safe.
    QVERIFY2(failures > 45 && failures < 135, qPrintable(QString::number(failures)));
    c.failRate = 1.0;
    c.failStatus = 500;
    QVERIFY(m_server->setInbox(c).isEmpty());
    client.send(RawHttpClient::post("/inbox/t", "{}"));
    QCOMPARE(client.read().status, 500);
}

void TestReceiverServer::faultRetryAfter()
{
    InboxConfig c = inbox();
    c.status = 429;
    c.retryAfterSeconds = 7;
    QVERIFY(m_server->setInbox(c).isEmpty());
    RawHttpClient client(port());
    client.send(RawHttpClient::post("/inbox/t", "{}"));
    const RawResponse r = client.read();
    QCOMPARE(r.status, 429);
    QVERIFY(r.head.contains("Retry-After: 7"));
    c.status = 410;
    QVERIFY(m_server->setInbox(c).isEmpty());
    client.send(RawHttpClient::post("/inbox/t", "{}"));
    const RawResponse gone = client.read();
    QCOMPARE(gone.status, 410);
    QVERIFY(!gone.head.contains("Retry-After"));
}

void TestReceiverServer::faultClose()
{
    InboxConfig c = inbox();
    c.closeWithoutAnswer = true;
    QVERIFY(m_server->setInbox(c).isEmpty());
    RawHttpClient client(port());
    client.send(RawHttpClient::post("/inbox/t", "{}"));
    QVERIFY(client.waitClosed());
    QVERIFY(client.received().isEmpty());
    const auto got = m_server->requests(QStringLiteral("t"));
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().responseStatus, 0);
    QVERIFY(!got.first().note.isEmpty());
}

void TestReceiverServer::faultDrip()
{
    InboxConfig c = inbox();
    c.body = "0123456789";
    c.dripIntervalMs = 40;
    QVERIFY(m_server->setInbox(c).isEmpty());
    RawHttpClient client(port());
    QElapsedTimer t;
    t.start();
    client.send(RawHttpClient::post("/inbox/t", "{}"));
    // The head arrives at once; the body trickles in.
    QVERIFY(QTest::qWaitFor([&] { return client.received().contains("\r\n\r\n"); }, 2000));
    QVERIFY(t.elapsed() < 300);
    QVERIFY(!client.received().endsWith("0123456789"));
    const RawResponse r = client.read();
    QCOMPARE(r.body, QByteArray("0123456789"));
    QVERIFY2(t.elapsed() >= 350, qPrintable(QString::number(t.elapsed())));
}

void TestReceiverServer::faultScript()
{
    InboxConfig c = inbox();
    c.script = {503, 500, 429, 0, 201};
    QVERIFY(m_server->setInbox(c).isEmpty());
    QList<int> seen;
    for (int i = 0; i < 7; ++i) {
        RawHttpClient client(port());
        client.send(RawHttpClient::post("/inbox/t", "{}"));
        const RawResponse r = client.read();
        seen << r.status;
    }
    QCOMPARE(seen, (QList<int>{503, 500, 429, 0, 201, 200, 200}));
}

void TestReceiverServer::invalidConfigIsRefused()
{
    InboxConfig c = inbox(QStringLiteral("has space"));
    QVERIFY(m_server->setInbox(c).contains(QStringLiteral("has space")));
    c = inbox();
    c.failRate = 1.5;
    QVERIFY(m_server->setInbox(c).contains(QStringLiteral("1.5")));
    c = inbox();
    c.script = {200, 99};
    QVERIFY(m_server->setInbox(c).contains(QStringLiteral("99")));
    c = inbox();
    c.status = 100;
    QVERIFY(!m_server->setInbox(c).isEmpty());
}

void TestReceiverServer::oversizedHeaders()
{
    RawHttpClient client(port());
    client.send("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + QByteArray(20000, 'a') +
                "\r\n\r\n");
    const RawResponse r = client.read();
    QCOMPARE(r.status, 431);
    QVERIFY(client.waitClosed());
    // Endless header bytes without a terminator are cut off as well.
    RawHttpClient endless(port());
    endless.send("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + QByteArray(40000, 'a'));
    QCOMPARE(endless.read().status, 431);
    // Too many header lines.
    QByteArray many = "POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < 150; ++i)
        many += "X-H" + QByteArray::number(i) + ": 1\r\n";
    RawHttpClient lots(port());
    lots.send(many + "\r\n");
    QCOMPARE(lots.read().status, 431);
    QVERIFY(m_server->requests(QStringLiteral("t")).isEmpty());
}

void TestReceiverServer::oversizedBody()
{
    RawHttpClient client(port());
    client.send(
        "POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999999\r\n\r\n");
    QCOMPARE(client.read().status, 413);
    QVERIFY(client.waitClosed());
    ReceiverLimits limits = m_server->limits();
    limits.http.maxBodyBytes = 1000;
    m_server->setLimits(limits);
    RawHttpClient chunked(port());
    chunked.send("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "400\r\n" +
                 QByteArray(1024, 'x') + "\r\n");
    QCOMPARE(chunked.read().status, 413);
    QVERIFY(m_server->requests(QStringLiteral("t")).isEmpty());
}

void TestReceiverServer::malformedRequests_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::newRow("garbage") << QByteArray("\x16\x03\x01\x02\x00 hello\r\n\r\n", 15) << 400;
    QTest::newRow("no version") << QByteArray("GET /inbox/t\r\n\r\n") << 400;
    QTest::newRow("bad version") << QByteArray("GET /inbox/t HTTP/2.0\r\n\r\n") << 505;
    QTest::newRow("not http") << QByteArray("GET /inbox/t SPDY/3\r\n\r\n") << 400;
    QTest::newRow("header without colon")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nOops\r\n\r\n") << 400;
    QTest::newRow("space in header name")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nX A: 1\r\n\r\n") << 400;
    QTest::newRow("folded header")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: 1\r\n  more\r\n\r\n")
        << 400;
    QTest::newRow("negative length")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n")
        << 400;
    QTest::newRow("conflicting lengths")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                      "5\r\nContent-Length: 6\r\n\r\n")
        << 400;
    QTest::newRow("length and chunked")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                      "5\r\nTransfer-Encoding: chunked\r\n\r\n")
        << 400;
    QTest::newRow("gzip transfer coding")
        << QByteArray(
               "POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n")
        << 501;
    QTest::newRow("no Host") << QByteArray("POST /inbox/t HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
                             << 400;
    QTest::newRow("two Hosts") << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: a\r\nHost: b\r\n"
                                             "Content-Length: 0\r\n\r\n")
                               << 400;
    QTest::newRow("signed length")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: h\r\nContent-Length: +2\r\n\r\nab") << 400;
    QTest::newRow("NUL in a header value")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: h\r\nX-A: a") + '\0' +
               QByteArray("b\r\nContent-Length: 0\r\n\r\n")
        << 400;
    QTest::newRow("hex-prefixed chunk size")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "0x5\r\nhello\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("overflowing chunk size")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "7fffffffffffffff\r\nhello\r\n")
        << 400;
    QTest::newRow("two Transfer-Encodings")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("bad chunk size")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: "
                      "chunked\r\n\r\nzz\r\n")
        << 400;
    QTest::newRow("chunk size with sign")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "+5\r\nhello\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("chunk data longer than its size")
        << QByteArray("POST /inbox/t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "2\r\nhello\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("over-long request line, whole")
        << "POST /inbox/t?" + QByteArray(9000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n"
        << 414;
    QTest::newRow("over-long request line, unfinished")
        << "POST /inbox/t?" + QByteArray(9000, 'a') << 414;
}

void TestReceiverServer::malformedRequests()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    RawHttpClient client(port());
    client.send(bytes);
    QCOMPARE(client.read().status, status);
    QVERIFY(client.waitClosed());
    QVERIFY(m_server->requests(QStringLiteral("t")).isEmpty());
    QTRY_COMPARE(m_server->openConnections(), 0);
}

// Requests a server must accept (RFC 9112), answered by the inbox like any other.
void TestReceiverServer::conformance_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("absolute form") << QByteArray("POST http://127.0.0.1:1/inbox/t?x=1 HTTP/1.1\r\n"
                                                 "Host: 127.0.0.1\r\nContent-Length: 2\r\n\r\nab")
                                   << QByteArray("ab");
    QTest::newRow("HTTP/1.2 as 1.1") << QByteArray("POST /inbox/t HTTP/1.2\r\nHost: h\r\n"
                                                   "Content-Length: 3\r\n\r\nabc")
                                     << QByteArray("abc");
    QTest::newRow("HTTP/1.0 without Host")
        << QByteArray("POST /inbox/t HTTP/1.0\r\nContent-Length: 1\r\n\r\nz") << QByteArray("z");
    // A recipient may take a bare LF as a line terminator (RFC 9112 2.2); the head still ends
    // where it says, so the body is not misread.
    QTest::newRow("bare LF line endings")
        << QByteArray("POST /inbox/t HTTP/1.1\nHost: h\nContent-Length: 2\n\nok")
        << QByteArray("ok");
}

void TestReceiverServer::conformance()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QByteArray, body);
    RawHttpClient client(port());
    client.send(bytes);
    QCOMPARE(client.read().status, 200);
    const auto got = m_server->requests(QStringLiteral("t"));
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().body, body);
    QVERIFY(got.first().target.startsWith("/inbox/t"));
}

// A client that stops mid-body (closes after part of it) leaves nothing stored and no
// connection behind.
void TestReceiverServer::requestStoppingMidBodyStoresNothing()
{
    {
        RawHttpClient client(port());
        client.send("POST /inbox/t HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhalf");
        QTRY_COMPARE(m_server->openConnections(), 1);
    }
    {
        RawHttpClient client(port());
        client.send("POST /inbox/t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "a\r\nhel");
        QTRY_COMPARE(m_server->openConnections(), 1);
    }
    QTRY_COMPARE(m_server->openConnections(), 0);
    QVERIFY(m_server->requests(QStringLiteral("t")).isEmpty());
    RawHttpClient after(port());
    after.send(RawHttpClient::post("/inbox/t", "next"));
    QCOMPARE(after.read().status, 200);
    QCOMPARE(m_server->requests(QStringLiteral("t")).size(), 1);
}

// Bodies in flight count against one budget for all connections: the request that would pass
// it is answered 503 with Retry-After, the others go on, and the count returns to zero.
void TestReceiverServer::memoryBudgetRefusesWith503()
{
    ReceiverLimits limits = m_server->limits();
    limits.memoryBudget = 100 * 1000;
    m_server->setLimits(limits);
    RawHttpClient first(port());
    first.send("POST /inbox/t HTTP/1.1\r\nHost: h\r\nContent-Length: 60000\r\n\r\n" +
               QByteArray(50000, 'a'));
    QTRY_VERIFY(m_server->bufferedBytes() >= 50000);
    RawHttpClient second(port());
    second.send("POST /inbox/t HTTP/1.1\r\nHost: h\r\nContent-Length: 60000\r\n\r\n" +
                QByteArray(60000, 'b'));
    const RawResponse refused = second.read();
    QCOMPARE(refused.status, 503);
    QVERIFY(refused.head.toLower().contains("retry-after: 1"));
    QVERIFY(m_server->bufferedBytes() <= limits.memoryBudget);
    first.send(QByteArray(10000, 'a'));
    QCOMPARE(first.read().status, 200);
    const auto got = m_server->requests(QStringLiteral("t"));
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().bodySize, 60000);
    QTRY_COMPARE(m_server->bufferedBytes(), 0);
}

// While a slow answer is pending, pipelined uploads behind it are left in the kernel (TCP
// holds the clients back) instead of piling up in the server's memory: 4 clients x 20 MiB.
void TestReceiverServer::pipelinedUploadsBehindASlowAnswerStayOutOfMemory()
{
    InboxConfig slow;
    slow.name = QStringLiteral("slow");
    slow.delayMs = 3000;
    QVERIFY(m_server->setInbox(slow).isEmpty());
    std::vector<std::unique_ptr<RawHttpClient>> clients;
    const QByteArray big(20 * 1024 * 1024, 'x');
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<RawHttpClient>(port()));
        clients.back()->send(RawHttpClient::post("/inbox/slow", "1") +
                             RawHttpClient::post("/inbox/t", big));
    }
    QTest::qWait(1500); // inside the delay: the second requests are not being read
    // Before the read cap, Qt read all 80 MiB into the sockets' buffers here.
    QVERIFY2(m_server->bufferedBytes() < 1024 * 1024,
             qPrintable(QString::number(m_server->bufferedBytes())));
    for (auto &c : clients)
        QCOMPARE(c->read(10000).status, 200);
}

// The connection cap never exceeds what the descriptor limit allows: with the soft limit
// lowered, clients past the cap get 503, not a hang.
void TestReceiverServer::descriptorLimitCapsConnections()
{
    QVERIFY(m_server->effectiveMaxConnections() <= m_server->limits().maxConnections);
    rlimit saved{};
    QVERIFY(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    const int open = int(QDir(QStringLiteral("/proc/self/fd"))
                             .entryList(QDir::NoDotAndDotDot | QDir::AllEntries)
                             .size());
    rlimit low = saved;
    low.rlim_cur = rlim_t(open + 128 + 10); // room for 10 connections after the reserve
    QVERIFY(setrlimit(RLIMIT_NOFILE, &low) == 0);
    auto restore = qScopeGuard([&] { setrlimit(RLIMIT_NOFILE, &saved); });
    const int cap = m_server->effectiveMaxConnections();
    QCOMPARE(cap, int(low.rlim_cur) - 128); // 128 descriptors kept for everything else
    std::vector<std::unique_ptr<RawHttpClient>> clients;
    for (int i = 0; i < cap; ++i) {
        clients.push_back(std::make_unique<RawHttpClient>(port()));
        QVERIFY(clients.back()->connected());
    }
    QTRY_COMPARE(m_server->openConnections(), cap);
    RawHttpClient extra(port());
    QCOMPARE(extra.read().status, 503);
}

// A HEAD answer carries the length a GET would get and no body: a pipelined request after it
// must read its own answer, not a stray body.
void TestReceiverServer::headAnswerHasNoBody()
{
    RawHttpClient client(port());
    client.send("HEAD /inbox/t HTTP/1.1\r\nHost: h\r\n\r\n" + RawHttpClient::post("/inbox/t", "1"));
    QVERIFY(QTest::qWaitFor([&] { return client.received().count("HTTP/1.1 ") == 2; }, 5000));
    const QByteArray all = client.received();
    QVERIFY2(all.startsWith("HTTP/1.1 200 OK\r\n"), all.constData());
    const qsizetype second = all.indexOf("HTTP/1.1 ", 1);
    QVERIFY(all.left(second).endsWith("\r\n\r\n"));                     // no body after the head
    QVERIFY(all.left(second).toLower().contains("content-length: 11")); // {"ok":true}
}

void TestReceiverServer::slowlorisIsCutOff()
{
    ReceiverLimits limits = m_server->limits();
    limits.headerTimeoutMs = 400;
    m_server->setLimits(limits);
    RawHttpClient client(port());
    QElapsedTimer t;
    t.start();
    const QByteArray head =
        "POST /inbox/t HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaa";
    // One byte every 50 ms: never idle, never finished.
    for (int i = 0; i < head.size() && !client.closed(); ++i) {
        client.send(head.mid(i, 1));
        QTest::qWait(50);
    }
    QVERIFY(client.waitClosed(3000));
    QVERIFY2(t.elapsed() < 2500, qPrintable(QString::number(t.elapsed())));
    QVERIFY(client.received().startsWith("HTTP/1.1 408"));
    QTRY_COMPARE(m_server->openConnections(), 0);
}

void TestReceiverServer::idleConnectionIsClosed()
{
    ReceiverLimits limits = m_server->limits();
    limits.idleTimeoutMs = 300;
    limits.headerTimeoutMs = 5000;
    m_server->setLimits(limits);
    RawHttpClient client(port());
    QVERIFY(client.connected());
    QVERIFY(client.waitClosed(3000));
    QTRY_COMPARE(m_server->openConnections(), 0);
}

// Between requests a kept-alive connection gets no unsolicited 408 (a client reusing it at
// that moment would read it as its own answer): it is closed without a word.
void TestReceiverServer::idleKeptAliveConnectionClosesSilently()
{
    ReceiverLimits limits = m_server->limits();
    limits.idleTimeoutMs = 600;
    limits.headerTimeoutMs = 200;
    m_server->setLimits(limits);
    RawHttpClient client(port());
    client.send(RawHttpClient::post("/inbox/t", "1"));
    QCOMPARE(client.read().status, 200);
    QVERIFY(client.waitClosed(3000));
    QCOMPARE(client.received(), QByteArray());
}

void TestReceiverServer::hundredsOfConnections()
{
    const int n = 300;
    std::vector<std::unique_ptr<RawHttpClient>> clients;
    for (int i = 0; i < n; ++i) {
        clients.push_back(std::make_unique<RawHttpClient>(port()));
        QVERIFY(clients.back()->connected());
    }
    QTRY_COMPARE(m_server->openConnections(), n);
    for (int i = 0; i < n; ++i)
        clients[i]->send(RawHttpClient::post("/inbox/t", QByteArray::number(i)));
    for (int i = 0; i < n; ++i)
        QCOMPARE(clients[i]->read().status, 200);
    QCOMPARE(m_server->requests(QStringLiteral("t")).size(), n);
    clients.clear();
    QTRY_COMPARE(m_server->openConnections(), 0);
}

void TestReceiverServer::connectionCap()
{
    ReceiverLimits limits = m_server->limits();
    limits.maxConnections = 5;
    m_server->setLimits(limits);
    QSignalSpy refused(m_server.get(), &ReceiverServer::connectionRefused);
    std::vector<std::unique_ptr<RawHttpClient>> clients;
    for (int i = 0; i < 5; ++i)
        clients.push_back(std::make_unique<RawHttpClient>(port()));
    QTRY_COMPARE(m_server->openConnections(), 5);
    RawHttpClient extra(port());
    QCOMPARE(extra.read().status, 503);
    QVERIFY(extra.waitClosed());
    QCOMPARE(refused.count(), 1);
    QCOMPARE(m_server->openConnections(), 5);
}

void TestReceiverServer::attachEndpoint()
{
    Endpoint e;
    e.name = QStringLiteral("CRM");
    m_server->attachEndpoint(&e, QStringLiteral("crm"));
    QVERIFY(e.secret.startsWith(QLatin1String("whsec_")));
    QCOMPARE(e.url, m_server->inboxUrl(QStringLiteral("crm")).toString());
    QVERIFY(e.url.startsWith(QLatin1String("http://127.0.0.1:")));
    QCOMPARE(m_server->inbox(QStringLiteral("crm")).secret, e.secret);
}

void TestReceiverServer::realClientQnam()
{
    QNetworkAccessManager nam;
    QNetworkRequest request(m_server->inboxUrl(QStringLiteral("t")));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    const QByteArray big(300 * 1024, 'b');
    std::unique_ptr<QNetworkReply> reply(nam.post(request, big));
    QSignalSpy finished(reply.get(), &QNetworkReply::finished);
    QVERIFY(finished.wait(10000));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QCOMPARE(reply->readAll(), QByteArray("{\"ok\":true}"));
    QCOMPARE(m_server->requests(QStringLiteral("t")).first().bodySize, qint64(big.size()));
}

QTEST_GUILESS_MAIN(TestReceiverServer)
#include "tst_receiverserver.moc"
