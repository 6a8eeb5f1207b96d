// SPDX-License-Identifier: GPL-3.0-or-later
// The admin API over real sockets on loopback: an Engine on a temporary data directory, its
// built-in receiver as the endpoint, an ApiServer on a free port, and a QNetworkAccessManager
// as the client. Every path of resources/api/openapi.json is called here; every error the
// API promises (401, 403, 404, 409, 413, 415, 422, 429, malformed JSON) is provoked.
#include "api/ApiServer.h"
#include "engine/Engine.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace {

struct Answer
{
    int status = 0;
    QByteArray body;
    QJsonObject json;
    QList<QNetworkReply::RawHeaderPair> headers;
    QByteArray header(const QByteArray &name) const
    {
        for (const auto &h : headers) {
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return h.second;
        }
        return {};
    }
};

} // namespace

class TestApi : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void healthNeedsNoToken();
    void tokensAreChecked();
    void readOnlyTokenCannotWrite();
    void endpointsLifecycle();
    void endpointsPaginate();
    void invalidEndpointNamesTheField();
    void eventTypesAreListed();
    void publishedEventArrivesSignedAndRecorded();
    void publishedPayloadIsSentAsWritten();
    void publishAnswersAfterTheCommit();
    void publishWithoutPayloadSendsTheTemplate();
    void apiStoppedWhilePublishCommits();
    void idempotentPublish();
    void idempotencyHoldsAcrossProcesses();
    void badInputGetsProblemJson_data();
    void badInputGetsProblemJson();
    void oversizedBodyIs413();
    void rateLimitAnswers429();
    void scenariosRunInOrder();
    void deliveriesListGetRedeliverRetry();
    void receiverInboxes();
    void streamDeliversAttempts();
    void stalledStreamClientIsDropped();
    void openApiDocumentIsServed();

private:
    Answer call(const QByteArray &method, const QString &path, const QByteArray &body = {},
                const QList<QPair<QByteArray, QByteArray>> &headers = {},
                const QString &token = QStringLiteral("default"));
    Answer callJson(const QByteArray &method, const QString &path, const QJsonObject &body,
                    const QList<QPair<QByteArray, QByteArray>> &headers = {})
    {
        QList<QPair<QByteArray, QByteArray>> h = headers;
        h.append(qMakePair(QByteArray("Content-Type"), QByteArray("application/json")));
        return call(method, path, QJsonDocument(body).toJson(QJsonDocument::Compact), h);
    }
    QString addEndpoint(const QString &inbox, const QStringList &types = {});
    // POST /api/v1/events without waiting for the answer.
    QNetworkReply *postEvent(const QByteArray &body,
                             const QList<QPair<QByteArray, QByteArray>> &headers = {})
    {
        QNetworkRequest request(QUrl(m_api->baseUrl() + QLatin1String("/api/v1/events")));
        request.setRawHeader("Authorization", "Bearer " + m_token.toLatin1());
        request.setRawHeader("Content-Type", "application/json");
        for (const auto &h : headers)
            request.setRawHeader(h.first, h.second);
        return m_nam.post(request, body);
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<ApiServer> m_api;
    QNetworkAccessManager m_nam;
    QString m_token;
};

void TestApi::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_engine = std::make_unique<Engine>();
    QString error;
    QVERIFY2(m_engine->open(m_dir->path(), &error), qPrintable(error));
    QVERIFY2(m_engine->listenReceiver(0, &error), qPrintable(error));
    m_engine->resume();
    m_api = std::make_unique<ApiServer>(m_engine.get());
    QVERIFY2(m_api->listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
    ApiToken t;
    m_token = m_engine->createToken(QStringLiteral("tests"), false, &t, &error);
    QVERIFY2(!m_token.isEmpty(), qPrintable(error));
}

void TestApi::cleanup()
{
    m_api.reset();
    m_engine.reset();
    m_dir.reset();
}

Answer TestApi::call(const QByteArray &method, const QString &path, const QByteArray &body,
                     const QList<QPair<QByteArray, QByteArray>> &headers, const QString &token)
{
    QNetworkRequest request(QUrl(m_api->baseUrl() + path));
    const QString bearer = token == QLatin1String("default") ? m_token : token;
    if (!bearer.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + bearer.toLatin1());
    for (const auto &h : headers)
        request.setRawHeader(h.first, h.second);
    QNetworkReply *reply = m_nam.sendCustomRequest(request, method, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(20000);
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = reply->readAll();
    a.headers = reply->rawHeaderPairs();
    a.json = QJsonDocument::fromJson(a.body).object();
    reply->deleteLater();
    return a;
}

QString TestApi::addEndpoint(const QString &inbox, const QStringList &types)
{
    QJsonObject body{{QStringLiteral("url"), m_engine->inboxUrl(inbox).toString()}};
    if (!types.isEmpty())
        body.insert(QStringLiteral("eventTypes"), QJsonArray::fromStringList(types));
    const Answer a = callJson("POST", QStringLiteral("/api/v1/endpoints"), body);
    if (a.status != 201)
        qWarning() << a.body;
    return a.json.value(QLatin1String("id")).toString();
}

void TestApi::healthNeedsNoToken()
{
    const Answer a = call("GET", QStringLiteral("/api/v1/health"), {}, {}, QString());
    QCOMPARE(a.status, 200);
    QCOMPARE(a.json.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
    // Nothing else is open.
    QCOMPARE(call("GET", QStringLiteral("/api/v1/endpoints"), {}, {}, QString()).status, 401);
}

void TestApi::tokensAreChecked()
{
    const Answer none = call("GET", QStringLiteral("/api/v1/endpoints"), {}, {}, QString());
    QCOMPARE(none.status, 401);
    QVERIFY(none.header("WWW-Authenticate").startsWith("Bearer"));
    QCOMPARE(none.header("Content-Type"), QByteArray("application/problem+json"));
    QVERIFY(none.json.value(QLatin1String("detail"))
                .toString()
                .contains(QLatin1String("tokens create")));

    const Answer wrong =
        call("GET", QStringLiteral("/api/v1/endpoints"), {}, {}, m_token + QLatin1String("x"));
    QCOMPARE(wrong.status, 401);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/endpoints"), {}, {}, QStringLiteral("abc")).status,
             401);

    ApiToken t;
    QString error;
    const QString other = m_engine->createToken(QStringLiteral("short-lived"), false, &t, &error);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/endpoints"), {}, {}, other).status, 200);
    QVERIFY(m_engine->revokeToken(t.id, &error));
    QCOMPARE(call("GET", QStringLiteral("/api/v1/endpoints"), {}, {}, other).status, 401);
    // Use is noted (at most once a minute), never the token itself.
    QCOMPARE(call("GET", QStringLiteral("/api/v1/endpoints")).status, 200);
    m_engine->flush(nullptr);
    bool noted = false;
    for (const ApiToken &x : m_engine->tokens())
        noted = noted || (x.name == QLatin1String("tests") && x.lastUsed.isValid());
    QVERIFY(noted);
}

void TestApi::readOnlyTokenCannotWrite()
{
    ApiToken t;
    QString error;
    const QString reader = m_engine->createToken(QStringLiteral("dashboard"), true, &t, &error);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/deliveries"), {}, {}, reader).status, 200);
    const Answer a = call("POST", QStringLiteral("/api/v1/events"), R"({"type":"call.ended"})",
                          {{"Content-Type", "application/json"}}, reader);
    QCOMPARE(a.status, 403);
    QVERIFY(a.json.value(QLatin1String("detail")).toString().contains(QLatin1String("dashboard")));
}

void TestApi::endpointsLifecycle()
{
    const Answer created =
        callJson("POST", QStringLiteral("/api/v1/endpoints"),
                 {{QStringLiteral("url"), m_engine->inboxUrl(QStringLiteral("crm")).toString()},
                  {QStringLiteral("name"), QStringLiteral("CRM")},
                  {QStringLiteral("eventTypes"), QJsonArray{QStringLiteral("call.ended")}},
                  {QStringLiteral("headers"),
                   QJsonObject{{QStringLiteral("X-Team"), QStringLiteral("a")}}}});
    QCOMPARE(created.status, 201);
    const QString id = created.json.value(QLatin1String("id")).toString();
    const QString secret = created.json.value(QLatin1String("secret")).toString();
    QVERIFY(secret.startsWith(QLatin1String("whsec_")));
    QCOMPARE(created.header("Location"),
             QString(QStringLiteral("/api/v1/endpoints/") + id).toUtf8());

    // Listed and fetched (by a prefix, as the CLI prints ids), never with the secret.
    const Answer list = call("GET", QStringLiteral("/api/v1/endpoints"));
    QCOMPARE(list.status, 200);
    QCOMPARE(list.json.value(QLatin1String("items")).toArray().size(), 1);
    QVERIFY(!list.body.contains(secret.toLatin1()));
    const Answer got = call("GET", QStringLiteral("/api/v1/endpoints/") + id.left(8));
    QCOMPARE(got.status, 200);
    QCOMPARE(got.json.value(QLatin1String("name")).toString(), QStringLiteral("CRM"));
    QVERIFY(got.json.value(QLatin1String("signed")).toBool());
    QVERIFY(!got.json.contains(QLatin1String("secret")));

    const Answer patched = callJson(
        "PATCH", QStringLiteral("/api/v1/endpoints/") + id,
        {{QStringLiteral("name"), QStringLiteral("CRM 2")}, {QStringLiteral("timeoutMs"), 5000}});
    QCOMPARE(patched.status, 200);
    QCOMPARE(patched.json.value(QLatin1String("timeoutMs")).toInt(), 5000);
    QCOMPARE(m_engine->endpoint(id)->name, QStringLiteral("CRM 2"));
    // Concurrency, rate limit and protocol, and a limit out of range named in the problem.
    const Answer limits = callJson("PATCH", QStringLiteral("/api/v1/endpoints/") + id,
                                   {{QStringLiteral("maxInFlight"), 64},
                                    {QStringLiteral("ratePerSecond"), 2.5},
                                    {QStringLiteral("rateBurst"), 10},
                                    {QStringLiteral("http1Only"), true}});
    QCOMPARE(limits.status, 200);
    QCOMPARE(limits.json.value(QLatin1String("maxInFlight")).toInt(), 64);
    QCOMPARE(m_engine->endpoint(id)->ratePerSecond, 2.5);
    QCOMPARE(m_engine->endpoint(id)->rateBurst, 10);
    QVERIFY(m_engine->endpoint(id)->http1Only);
    const Answer tooMany = callJson("PATCH", QStringLiteral("/api/v1/endpoints/") + id,
                                    {{QStringLiteral("maxInFlight"), 1000}});
    QCOMPARE(tooMany.status, 422);
    QVERIFY2(tooMany.json.value(QLatin1String("detail")).toString().contains(u"1000"),
             tooMany.body.constData());
    QCOMPARE(m_engine->endpoint(id)->maxInFlight, 64);

    QCOMPARE(call("POST", QStringLiteral("/api/v1/endpoints/%1/disable").arg(id)).status, 200);
    QVERIFY(!m_engine->endpoint(id)->enabled);
    QCOMPARE(call("POST", QStringLiteral("/api/v1/endpoints/%1/enable").arg(id)).status, 200);
    QVERIFY(m_engine->endpoint(id)->enabled);

    const Answer rotated =
        call("POST", QStringLiteral("/api/v1/endpoints/%1/rotate-secret").arg(id));
    QCOMPARE(rotated.status, 200);
    const QString newSecret = rotated.json.value(QLatin1String("secret")).toString();
    QVERIFY(newSecret.startsWith(QLatin1String("whsec_")));
    QVERIFY(newSecret != secret);
    QCOMPARE(m_engine->endpoint(id)->previousSecret, secret); // still valid for a day

    // A test event to this endpoint only, even of a type it does not subscribe to.
    const Answer test = callJson("POST", QStringLiteral("/api/v1/endpoints/%1/test").arg(id),
                                 {{QStringLiteral("type"), QStringLiteral("call.ringing")}});
    QCOMPARE(test.status, 202);
    const QString deliveryId =
        test.json.value(QLatin1String("deliveryIds")).toArray().first().toString();
    QVERIFY(m_engine->delivery(deliveryId));
    QTRY_COMPARE(m_engine->inboxRequests(QStringLiteral("crm")).size(), 1);
    QCOMPARE(m_engine->inboxRequests(QStringLiteral("crm")).first().signature.verdict,
             SignatureVerdict::Valid);

    QCOMPARE(call("DELETE", QStringLiteral("/api/v1/endpoints/") + id).status, 204);
    const Answer gone = call("GET", QStringLiteral("/api/v1/endpoints/") + id);
    QCOMPARE(gone.status, 404);
    QVERIFY(gone.json.value(QLatin1String("detail")).toString().contains(id));
}

void TestApi::endpointsPaginate()
{
    QStringList ids;
    for (int i = 0; i < 5; ++i)
        ids << addEndpoint(QStringLiteral("p%1").arg(i));
    QStringList seen;
    QString cursor;
    int pages = 0;
    do {
        const Answer a =
            call("GET", QStringLiteral("/api/v1/endpoints?limit=2") +
                            (cursor.isEmpty() ? QString() : QStringLiteral("&cursor=") + cursor));
        QCOMPARE(a.status, 200);
        for (const QJsonValue &v : a.json.value(QLatin1String("items")).toArray())
            seen << v.toObject().value(QLatin1String("id")).toString();
        cursor = a.json.value(QLatin1String("nextCursor")).toString();
        ++pages;
    } while (!cursor.isEmpty() && pages < 10);
    QCOMPARE(pages, 3);
    ids.sort();
    QCOMPARE(seen, ids);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/endpoints?limit=501")).status, 400);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/endpoints?cursor=zzz")).status, 400);
}

void TestApi::invalidEndpointNamesTheField()
{
    const Answer badUrl = callJson("POST", QStringLiteral("/api/v1/endpoints"),
                                   {{QStringLiteral("url"), QStringLiteral("ftp://x")}});
    QCOMPARE(badUrl.status, 422);
    QCOMPARE(badUrl.json.value(QLatin1String("field")).toString(), QStringLiteral("url"));
    QVERIFY(
        badUrl.json.value(QLatin1String("detail")).toString().contains(QLatin1String("ftp://x")));

    const Answer badHeader = callJson(
        "POST", QStringLiteral("/api/v1/endpoints"),
        {{QStringLiteral("url"), QStringLiteral("http://127.0.0.1:9/x")},
         {QStringLiteral("headers"),
          QJsonArray{QJsonArray{QStringLiteral("X-A"), QStringLiteral("a\r\nInjected: 1")}}}});
    QCOMPARE(badHeader.status, 422);
    QCOMPARE(badHeader.json.value(QLatin1String("field")).toString(), QStringLiteral("headers"));

    const Answer wrongKind =
        callJson("POST", QStringLiteral("/api/v1/endpoints"), {{QStringLiteral("url"), 42}});
    QCOMPARE(wrongKind.status, 422);
    QCOMPARE(wrongKind.json.value(QLatin1String("field")).toString(), QStringLiteral("url"));
    // Nothing half-written.
    QCOMPARE(m_engine->endpoints().size(), 0);
}

void TestApi::eventTypesAreListed()
{
    const Answer a = call("GET", QStringLiteral("/api/v1/event-types"));
    QCOMPARE(a.status, 200);
    QStringList ids;
    for (const QJsonValue &v : a.json.value(QLatin1String("items")).toArray()) {
        ids << v.toObject().value(QLatin1String("id")).toString();
        QVERIFY(!v.toObject().value(QLatin1String("template")).toString().isEmpty());
    }
    for (const char *id : {"call.created", "call.ringing", "call.answered", "call.ended",
                           "agent.login", "agent.logout"})
        QVERIFY2(ids.contains(QLatin1String(id)), id);
}

void TestApi::publishedEventArrivesSignedAndRecorded()
{
    const QString id = addEndpoint(QStringLiteral("crm"), {QStringLiteral("call.ended")});
    addEndpoint(QStringLiteral("agents"), {QStringLiteral("agent.login")}); // not subscribed
    const QJsonObject payload{{QStringLiteral("callId"), QStringLiteral("c-42")},
                              {QStringLiteral("duration"), 97}};
    const Answer a = callJson("POST", QStringLiteral("/api/v1/events"),
                              {{QStringLiteral("type"), QStringLiteral("call.ended")},
                               {QStringLiteral("payload"), payload}});
    QCOMPARE(a.status, 202);
    const QJsonArray deliveries = a.json.value(QLatin1String("deliveryIds")).toArray();
    QCOMPARE(deliveries.size(), 1);
    QTRY_COMPARE(m_engine->inboxRequests(QStringLiteral("crm")).size(), 1);
    QVERIFY(m_engine->inboxRequests(QStringLiteral("agents")).isEmpty());
    const CapturedRequest r = m_engine->inboxRequests(QStringLiteral("crm")).first();
    QCOMPARE(r.signature.verdict, SignatureVerdict::Valid);
    QCOMPARE(QJsonDocument::fromJson(r.body).object(), payload); // sent as given
    // Recorded, and readable over the API.
    const QString deliveryId = deliveries.first().toString();
    QTRY_COMPARE(m_engine->delivery(deliveryId)->state, DeliveryState::Succeeded);
    const Answer d = call("GET", QStringLiteral("/api/v1/deliveries/") + deliveryId);
    QCOMPARE(d.status, 200);
    QCOMPARE(d.json.value(QLatin1String("endpointId")).toString(), id);
    QCOMPARE(d.json.value(QLatin1String("webhookId")).toString(),
             QString::fromLatin1(r.header("webhook-id")));
    const QJsonObject attempt =
        d.json.value(QLatin1String("attempts")).toArray().first().toObject();
    QCOMPARE(attempt.value(QLatin1String("responseStatus")).toInt(), 200);
    QVERIFY(attempt.value(QLatin1String("requestBody")).toString().contains(QLatin1String("c-42")));
}

// The payload reaches the endpoint as the platform wrote it: key order and every digit of a
// number beyond 2^53 kept (QJsonObject would sort the keys and round the number). Payloads
// over the store's limit are refused with 413 before anything is stored.
void TestApi::publishedPayloadIsSentAsWritten()
{
    addEndpoint(QStringLiteral("crm"), {QStringLiteral("call.ended")});
    const QByteArray payload =
        R"({"type":"ended","callID":"c-7","sequence":12345678901234567890,"agent":{"z":1,"a":2}})";
    const Answer a = call("POST", QStringLiteral("/api/v1/events"),
                          R"({"type": "call.ended", "payload": )" + payload + "}",
                          {{"Content-Type", "application/json"}});
    QCOMPARE(a.status, 202);
    QTRY_COMPARE(m_engine->inboxRequests(QStringLiteral("crm")).size(), 1);
    QCOMPARE(m_engine->inboxRequests(QStringLiteral("crm")).first().body, payload);

    QVERIFY(m_engine->setMaxPayloadBytes(1024));
    const Answer big = callJson(
        "POST", QStringLiteral("/api/v1/events"),
        {{QStringLiteral("type"), QStringLiteral("call.ended")},
         {QStringLiteral("payload"), QJsonObject{{QStringLiteral("note"), QString(2000, u'x')}}}});
    QCOMPARE(big.status, 413);
    QCOMPARE(big.json.value(QLatin1String("field")).toString(), QStringLiteral("payload"));
    QVERIFY(big.json.value(QLatin1String("detail")).toString().contains(QLatin1String("1024")));
    QCOMPARE(m_engine->inboxRequests(QStringLiteral("crm")).size(), 1);
}

namespace {
// Another connection holding the database's write lock (as another process would): the
// engine's next commit waits until release().
struct WriteLock
{
    QString name;
    QSqlDatabase db;
    QSqlQuery *q = nullptr;
    explicit WriteLock(const QString &path, const QString &connection)
        : name(connection)
    {
        db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        held = db.open();
        q = new QSqlQuery(db);
        held = held && q->exec(QStringLiteral("BEGIN IMMEDIATE"));
    }
    bool release() { return q->exec(QStringLiteral("COMMIT")); }
    ~WriteLock()
    {
        delete q;
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(name);
    }
    bool held = false;
};
} // namespace

// 202 means committed: while another process holds the database's write lock, the publish
// cannot commit and gets no answer; once the lock goes, the answer comes and the delivery is
// there for any other connection to see.
void TestApi::publishAnswersAfterTheCommit()
{
    addEndpoint(QStringLiteral("crm"));
    m_engine->setSending(false);
    WriteLock lock(m_engine->databasePath(), QStringLiteral("lock-holder"));
    QVERIFY(lock.held);
    QNetworkReply *reply = postEvent(R"({"type":"call.created","payload":{}})");
    QTest::qWait(700);
    QVERIFY2(!reply->isFinished(), "answered before the commit");
    QVERIFY(lock.release());
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 202);
    const QString id = QJsonDocument::fromJson(reply->readAll())
                           .object()
                           .value(QLatin1String("deliveryIds"))
                           .toArray()
                           .first()
                           .toString();
    QVERIFY(
        lock.q->exec(QStringLiteral("SELECT count(*) FROM deliveries WHERE id = '%1'").arg(id)));
    QVERIFY(lock.q->next());
    QCOMPARE(lock.q->value(0).toInt(), 1);
    reply->deleteLater();
}

// The API goes away (Settings → API off, or 'serve' stopping) while a publish waits for its
// commit: the commit still happens, and its late callback must not reach the dead server.
void TestApi::apiStoppedWhilePublishCommits()
{
    addEndpoint(QStringLiteral("crm"));
    m_engine->setSending(false);
    WriteLock lock(m_engine->databasePath(), QStringLiteral("lock-holder-2"));
    QVERIFY(lock.held);
    QNetworkReply *reply =
        postEvent(R"({"type":"call.created","payload":{}})", {{"Idempotency-Key", "k-stop"}});
    QTest::qWait(300);
    QCOMPARE(m_engine->countDeliveries(DeliveryQuery()), 0); // nothing yet
    m_api.reset(); // the server goes; the publish is still waiting for the lock
    QVERIFY(lock.release());
    QVERIFY(m_engine->flush(nullptr));
    QCoreApplication::sendPostedEvents();
    QTRY_COMPARE(m_engine->countDeliveries(DeliveryQuery()), 1);
    QTRY_VERIFY(reply->isFinished()); // the connection closed without an answer
    reply->deleteLater();
}

void TestApi::publishWithoutPayloadSendsTheTemplate()
{
    addEndpoint(QStringLiteral("crm"));
    const Answer a = callJson("POST", QStringLiteral("/api/v1/events"),
                              {{QStringLiteral("type"), QStringLiteral("agent.login")}});
    QCOMPARE(a.status, 202);
    QTRY_COMPARE(m_engine->inboxRequests(QStringLiteral("crm")).size(), 1);
    const QJsonObject body =
        QJsonDocument::fromJson(m_engine->inboxRequests(QStringLiteral("crm")).first().body)
            .object();
    QVERIFY(!body.isEmpty()); // the type's template, rendered
    // The answer names the event that was stored.
    const QString deliveryId =
        a.json.value(QLatin1String("deliveryIds")).toArray().first().toString();
    QCOMPARE(m_engine->delivery(deliveryId)->eventId,
             a.json.value(QLatin1String("eventId")).toString());
    // An event nobody subscribes to is not an error for the publisher.
    QCOMPARE(call("DELETE", QStringLiteral("/api/v1/endpoints/") + m_engine->endpoints().first().id)
                 .status,
             204);
    const Answer none = callJson("POST", QStringLiteral("/api/v1/events"),
                                 {{QStringLiteral("type"), QStringLiteral("agent.login")}});
    QCOMPARE(none.status, 202);
    QVERIFY(none.json.value(QLatin1String("deliveryIds")).toArray().isEmpty());
}

void TestApi::idempotentPublish()
{
    addEndpoint(QStringLiteral("crm"));
    const QJsonObject event{{QStringLiteral("type"), QStringLiteral("call.ended")},
                            {QStringLiteral("payload"),
                             QJsonObject{{QStringLiteral("callId"), QStringLiteral("c-1")}}}};
    const Answer first =
        callJson("POST", QStringLiteral("/api/v1/events"), event, {{"Idempotency-Key", "order-1"}});
    QCOMPARE(first.status, 202);
    const Answer again =
        callJson("POST", QStringLiteral("/api/v1/events"), event, {{"Idempotency-Key", "order-1"}});
    QCOMPARE(again.status, 202);
    QCOMPARE(again.body, first.body);
    QCOMPARE(again.header("Idempotent-Replayed"), QByteArray("true"));
    QJsonObject changed = event;
    changed.insert(QStringLiteral("payload"),
                   QJsonObject{{QStringLiteral("callId"), QStringLiteral("c-2")}});
    const Answer conflict = callJson("POST", QStringLiteral("/api/v1/events"), changed,
                                     {{"Idempotency-Key", "order-1"}});
    QCOMPARE(conflict.status, 409);
    QVERIFY(
        conflict.json.value(QLatin1String("detail")).toString().contains(QLatin1String("order-1")));
    // Another token's key space is its own.
    ApiToken t;
    QString error;
    const QString other = m_engine->createToken(QStringLiteral("other"), false, &t, &error);
    const Answer otherToken =
        call("POST", QStringLiteral("/api/v1/events"), QJsonDocument(event).toJson(),
             {{"Content-Type", "application/json"}, {"Idempotency-Key", "order-1"}}, other);
    QCOMPARE(otherToken.status, 202);
    QVERIFY(otherToken.body != first.body);
    QTRY_COMPARE(m_engine->inboxRequests(QStringLiteral("crm")).size(), 2);
    QTest::qWait(200);
    QCOMPARE(m_engine->inboxRequests(QStringLiteral("crm")).size(), 2);
}

// Two processes on one store publish with the same key at once: the check and the write are
// one transaction, so exactly one event is stored, and the other answer is the first one's.
void TestApi::idempotencyHoldsAcrossProcesses()
{
    addEndpoint(QStringLiteral("crm"));
    Engine second;
    QString error;
    QVERIFY(second.open(m_dir->path(), &error));
    second.setSending(false);
    m_engine->setSending(false);
    const ApiToken token = m_engine->tokens().first();
    int stored = 0;
    int refused = 0;
    auto publishOn = [&](Engine &engine) {
        IdempotencyRecord record{token.id, QStringLiteral("same-key"), "hash", 202, {}, {}};
        const Event e{QStringLiteral("ev-") + QString::number(quintptr(&engine)),
                      QStringLiteral("call.ended"),
                      "{}",
                      QDateTime::currentDateTimeUtc(),
                      EventOrigin::Api,
                      {}};
        const PublishHooks hooks = Engine::onceOnly(
            record, [](const QStringList &ids) { return ids.join(u',').toUtf8(); },
            [&](PublishHooks::Outcome o, const QString &) {
                (o == PublishHooks::Outcome::Stored ? stored : refused) += 1;
            });
        QVERIFY(!engine.publish(e, {}, AttemptTrigger::Scheduled, &error, hooks).isEmpty());
    };
    publishOn(*m_engine);
    publishOn(second);
    QTRY_COMPARE(stored + refused, 2);
    QCOMPARE(stored, 1);
    QCOMPARE(refused, 1);
    QCOMPARE(m_engine->countDeliveries(DeliveryQuery()), 1);
    QVERIFY(!m_engine->isStoreFailing()); // a refusal is not a store failure
}

void TestApi::badInputGetsProblemJson_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("detailQuotes");
    const QByteArray json = "application/json";
    QTest::newRow("malformed JSON")
        << QByteArray("POST") << QStringLiteral("/api/v1/events") << json
        << QByteArray("{\n  \"type\": \"call.ended\",\n  oops\n}") << 400
        << QStringLiteral("line 3, column");
    QTest::newRow("unknown field")
        << QByteArray("POST") << QStringLiteral("/api/v1/events") << json
        << QByteArray(R"({"type":"call.ended","tpye":1})") << 400 << QStringLiteral("tpye");
    QTest::newRow("not an object") << QByteArray("POST") << QStringLiteral("/api/v1/events") << json
                                   << QByteArray("[1,2]") << 400 << QStringLiteral("object");
    QTest::newRow("wrong content type")
        << QByteArray("POST") << QStringLiteral("/api/v1/events") << QByteArray("text/plain")
        << QByteArray(R"({"type":"call.ended"})") << 415 << QStringLiteral("text/plain");
    QTest::newRow("unknown event type")
        << QByteArray("POST") << QStringLiteral("/api/v1/events") << json
        << QByteArray(R"({"type":"call.exploded"})") << 422 << QStringLiteral("call.exploded");
    QTest::newRow("payload not an object")
        << QByteArray("POST") << QStringLiteral("/api/v1/events") << json
        << QByteArray(R"({"type":"call.ended","payload":"x"})") << 422 << QStringLiteral("payload");
    QTest::newRow("unknown endpoint")
        << QByteArray("GET") << QStringLiteral("/api/v1/endpoints/nope") << QByteArray()
        << QByteArray() << 404 << QStringLiteral("nope");
    QTest::newRow("unknown delivery")
        << QByteArray("GET") << QStringLiteral("/api/v1/deliveries/nope") << QByteArray()
        << QByteArray() << 404 << QStringLiteral("nope");
    QTest::newRow("unknown path") << QByteArray("GET") << QStringLiteral("/api/v1/nothing")
                                  << QByteArray() << QByteArray() << 404
                                  << QStringLiteral("/api/v1/nothing");
    QTest::newRow("bad status filter")
        << QByteArray("GET") << QStringLiteral("/api/v1/deliveries?status=lost") << QByteArray()
        << QByteArray() << 400 << QStringLiteral("lost");
    QTest::newRow("bad time filter")
        << QByteArray("GET") << QStringLiteral("/api/v1/deliveries?since=yesterday") << QByteArray()
        << QByteArray() << 400 << QStringLiteral("yesterday");
    QTest::newRow("wrong method") << QByteArray("DELETE") << QStringLiteral("/api/v1/events")
                                  << QByteArray() << QByteArray() << 405
                                  << QStringLiteral("DELETE");
    QTest::newRow("bad inbox") << QByteArray("PUT") << QStringLiteral("/api/v1/receiver/inboxes/x")
                               << json << QByteArray(R"({"status":999})") << 422
                               << QStringLiteral("999");
}

void TestApi::badInputGetsProblemJson()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, detailQuotes);
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!contentType.isEmpty())
        headers.append({"Content-Type", contentType});
    const Answer a = call(method, path, body, headers);
    QCOMPARE(a.status, status);
    QCOMPARE(a.header("Content-Type"), QByteArray("application/problem+json"));
    QCOMPARE(a.json.value(QLatin1String("status")).toInt(), status);
    const QString detail = a.json.value(QLatin1String("detail")).toString();
    QVERIFY2(detail.contains(detailQuotes), qPrintable(detail));
    QCOMPARE(m_engine->countDeliveries(DeliveryQuery()), 0); // nothing half-written
}

void TestApi::oversizedBodyIs413()
{
    const QByteArray big = "{\"type\":\"call.ended\",\"payload\":{\"x\":\"" +
                           QByteArray(ApiServer::kMaxBodyBytes, 'a') + "\"}}";
    const Answer a =
        call("POST", QStringLiteral("/api/v1/events"), big, {{"Content-Type", "application/json"}});
    QCOMPARE(a.status, 413);
    QCOMPARE(a.header("Content-Type"), QByteArray("application/problem+json"));
    QVERIFY(a.json.value(QLatin1String("detail")).toString().contains(QLatin1String("1048576")));
    QCOMPARE(m_engine->countDeliveries(DeliveryQuery()), 0);
}

void TestApi::rateLimitAnswers429()
{
    m_api->setRateLimit(1, 3);
    int limited = 0;
    Answer last;
    for (int i = 0; i < 6; ++i) {
        last = call("GET", QStringLiteral("/api/v1/event-types"));
        if (last.status == 429) {
            ++limited;
            QVERIFY(last.header("Retry-After").toInt() >= 1);
            QCOMPARE(last.header("Content-Type"), QByteArray("application/problem+json"));
        }
    }
    QVERIFY2(limited >= 2, qPrintable(QString::number(limited)));
    // Per token: another token still gets through.
    ApiToken t;
    QString error;
    const QString other = m_engine->createToken(QStringLiteral("other"), false, &t, &error);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/event-types"), {}, {}, other).status, 200);
}

void TestApi::scenariosRunInOrder()
{
    addEndpoint(QStringLiteral("crm"));
    QCOMPARE(call("POST", QStringLiteral("/api/v1/scenarios/call")).status, 202);
    QTRY_COMPARE(m_engine->inboxRequests(QStringLiteral("crm")).size(), 4);
    QCOMPARE(call("POST", QStringLiteral("/api/v1/scenarios/agent")).status, 202);
    QTRY_COMPARE(m_engine->inboxRequests(QStringLiteral("crm")).size(), 6);
    QStringList types;
    for (const Delivery &d : m_engine->deliveries(DeliveryQuery()))
        types.prepend(d.eventType);
    QCOMPARE(types, (QStringList{QStringLiteral("call.created"), QStringLiteral("call.ringing"),
                                 QStringLiteral("call.answered"), QStringLiteral("call.ended"),
                                 QStringLiteral("agent.login"), QStringLiteral("agent.logout")}));
    const Answer bad = callJson("POST", QStringLiteral("/api/v1/scenarios/call"),
                                {{QStringLiteral("endpoint"), QStringLiteral("nope")}});
    QCOMPARE(bad.status, 422);
}

void TestApi::deliveriesListGetRedeliverRetry()
{
    const QString ok = addEndpoint(QStringLiteral("ok"));
    InboxConfig failing;
    failing.name = QStringLiteral("down");
    failing.status = 500;
    QVERIFY(m_engine->setInbox(failing).isEmpty());
    const QString down = addEndpoint(QStringLiteral("down"));
    QVERIFY(m_engine->setInbox(failing).isEmpty()); // addEndpoint kept its secret, status 500
    {
        Endpoint e = *m_engine->endpoint(down);
        e.retry.maxAttempts = 1;
        QVERIFY(m_engine->saveEndpoint(&e).isEmpty());
    }
    for (int i = 0; i < 3; ++i)
        QCOMPARE(callJson("POST", QStringLiteral("/api/v1/events"),
                          {{QStringLiteral("type"), QStringLiteral("call.ended")},
                           {QStringLiteral("payload"), QJsonObject{{QStringLiteral("n"), i}}}})
                     .status,
                 202);
    QTRY_COMPARE(m_engine->inboxRequests(QStringLiteral("down")).size(), 3);
    QTRY_COMPARE(m_engine->countDeliveries([] {
        DeliveryQuery q;
        q.state = DeliveryState::Failed;
        return q;
    }()),
                 3);

    const Answer failed = call("GET", QStringLiteral("/api/v1/deliveries?status=failed&endpoint=") +
                                          down.left(8) + QStringLiteral("&limit=2"));
    QCOMPARE(failed.status, 200);
    QCOMPARE(failed.json.value(QLatin1String("items")).toArray().size(), 2);
    const QString cursor = failed.json.value(QLatin1String("nextCursor")).toString();
    QVERIFY(!cursor.isEmpty());
    const Answer rest = call("GET", QStringLiteral("/api/v1/deliveries?status=failed&endpoint=") +
                                        down + QStringLiteral("&limit=2&cursor=") + cursor);
    QCOMPARE(rest.json.value(QLatin1String("items")).toArray().size(), 1);
    QVERIFY(rest.json.value(QLatin1String("nextCursor")).isNull());
    const Answer byType =
        call("GET", QStringLiteral("/api/v1/deliveries?event_type=call.ended&since=") +
                        QDateTime::currentDateTimeUtc().addSecs(-60).toString(Qt::ISODate) +
                        QStringLiteral("&until=") +
                        QDateTime::currentDateTimeUtc().addSecs(60).toString(Qt::ISODate));
    QCOMPARE(byType.json.value(QLatin1String("items")).toArray().size(), 6);
    Q_UNUSED(ok)

    // Redeliver one, then the endpoint's failures since a minute ago, once it is back.
    const QString one = failed.json.value(QLatin1String("items"))
                            .toArray()
                            .first()
                            .toObject()
                            .value(QLatin1String("id"))
                            .toString();
    QCOMPARE(call("POST", QStringLiteral("/api/v1/deliveries/%1/redeliver").arg(one)).status, 202);
    QTRY_COMPARE(m_engine->inboxRequests(QStringLiteral("down")).size(), 4);
    failing.status = 200;
    QVERIFY(m_engine->setInbox(failing).isEmpty());
    const Answer retry =
        callJson("POST", QStringLiteral("/api/v1/deliveries/retry-failed"),
                 {{QStringLiteral("endpoint"), down},
                  {QStringLiteral("since"),
                   QDateTime::currentDateTimeUtc().addSecs(-60).toString(Qt::ISODate)}});
    QCOMPARE(retry.status, 202);
    QCOMPARE(retry.json.value(QLatin1String("redelivering")).toInt(), 3);
    QTRY_COMPARE(m_engine->countDeliveries([] {
        DeliveryQuery q;
        q.state = DeliveryState::Succeeded;
        return q;
    }()),
                 6);
    const Answer detail = call("GET", QStringLiteral("/api/v1/deliveries/") + one);
    QCOMPARE(detail.json.value(QLatin1String("attempts")).toArray().size(), 3);
    QCOMPARE(callJson("POST", QStringLiteral("/api/v1/deliveries/retry-failed"), {}).status, 422);
}

void TestApi::receiverInboxes()
{
    const Answer created =
        callJson("PUT", QStringLiteral("/api/v1/receiver/inboxes/flaky"),
                 {{QStringLiteral("status"), 503}, {QStringLiteral("retryAfterSeconds"), 2}});
    QCOMPARE(created.status, 201);
    QCOMPARE(created.json.value(QLatin1String("url")).toString(),
             m_engine->inboxUrl(QStringLiteral("flaky")).toString());
    QCOMPARE(callJson("PUT", QStringLiteral("/api/v1/receiver/inboxes/flaky"),
                      {{QStringLiteral("status"), 200}})
                 .status,
             200);
    const Answer list = call("GET", QStringLiteral("/api/v1/receiver/inboxes"));
    QCOMPARE(list.status, 200);
    QVERIFY(list.json.value(QLatin1String("listening")).toBool());
    QCOMPARE(call("GET", QStringLiteral("/api/v1/receiver/inboxes/flaky"))
                 .json.value(QLatin1String("status"))
                 .toInt(),
             200);
    addEndpoint(QStringLiteral("flaky"));
    QCOMPARE(callJson("POST", QStringLiteral("/api/v1/events"),
                      {{QStringLiteral("type"), QStringLiteral("call.ringing")}})
                 .status,
             202);
    QTRY_COMPARE(m_engine->inboxRequests(QStringLiteral("flaky")).size(), 1);
    const Answer requests = call("GET", QStringLiteral("/api/v1/receiver/inboxes/flaky/requests"));
    QCOMPARE(requests.status, 200);
    const QJsonObject r = requests.json.value(QLatin1String("items")).toArray().first().toObject();
    QCOMPARE(r.value(QLatin1String("signature")).toString(), QStringLiteral("valid"));
    QCOMPARE(call("GET", QStringLiteral("/api/v1/receiver/inboxes/none/requests")).status, 404);
    const Answer unknown = callJson("PUT", QStringLiteral("/api/v1/receiver/inboxes/flaky"),
                                    {{QStringLiteral("stauts"), 200}});
    QCOMPARE(unknown.status, 400);
    // The same inbox rules as the CLI's: a 3-byte key is no signing secret.
    const Answer shortSecret = callJson("PUT", QStringLiteral("/api/v1/receiver/inboxes/flaky"),
                                        {{QStringLiteral("secret"), QStringLiteral("whsec_bm9w")}});
    QCOMPARE(shortSecret.status, 422);
    QVERIFY2(shortSecret.json.value(QLatin1String("detail"))
                 .toString()
                 .contains(QLatin1String("24 to 64")),
             shortSecret.body.constData());
    QCOMPARE(call("DELETE", QStringLiteral("/api/v1/receiver/inboxes/flaky")).status, 204);
    QCOMPARE(call("GET", QStringLiteral("/api/v1/receiver/inboxes/flaky")).status, 404);
}

namespace {
// A raw SSE client: sends the request and collects what arrives.
struct StreamClient
{
    QTcpSocket socket;
    QByteArray received;
    StreamClient(quint16 port, const QString &token, const QByteArray &query = {},
                 int receiveBuffer = 0)
    {
        socket.connectToHost(QHostAddress::LocalHost, port);
        socket.waitForConnected(5000);
        if (receiveBuffer > 0) {
            // Small kernel and Qt buffers: a client that stops reading stops taking data.
            socket.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, receiveBuffer);
            socket.setReadBufferSize(receiveBuffer);
        }
        socket.write("GET /api/v1/stream" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                     "Authorization: Bearer " + token.toLatin1() + "\r\n\r\n");
        QObject::connect(&socket, &QTcpSocket::readyRead, [this] { received += socket.readAll(); });
    }
};
} // namespace

void TestApi::streamDeliversAttempts()
{
    const QString crm = addEndpoint(QStringLiteral("crm"));
    addEndpoint(QStringLiteral("other"));
    StreamClient all(m_api->port(), m_token);
    StreamClient onlyCrm(m_api->port(), m_token, "?endpoint=" + crm.toLatin1());
    QTRY_COMPARE(m_api->streamClients(), 2);
    QTRY_VERIFY(all.received.contains("Content-Type: text/event-stream"));
    QVERIFY(all.received.startsWith("HTTP/1.1 200 OK\r\n"));
    QCOMPARE(callJson("POST", QStringLiteral("/api/v1/events"),
                      {{QStringLiteral("type"), QStringLiteral("call.ringing")}})
                 .status,
             202);
    QTRY_COMPARE(all.received.count("event: attempt\n"), 2);
    QTRY_COMPARE(onlyCrm.received.count("event: attempt\n"), 1);
    const QByteArray frame = onlyCrm.received.mid(onlyCrm.received.indexOf("data: ") + 6);
    const QJsonObject data = QJsonDocument::fromJson(frame.left(frame.indexOf('\n'))).object();
    QCOMPARE(data.value(QLatin1String("endpointId")).toString(), crm);
    QCOMPARE(data.value(QLatin1String("status")).toInt(), 200);
    QCOMPARE(data.value(QLatin1String("eventType")).toString(), QStringLiteral("call.ringing"));
    all.socket.abort();
    QTRY_COMPARE(m_api->streamClients(), 1);
    // No token, no stream.
    StreamClient anonymous(m_api->port(), QString());
    QTRY_VERIFY(anonymous.received.startsWith("HTTP/1.1 401"));
}

// A client that stops reading is dropped once its buffer is full; delivery goes on at its
// own pace meanwhile.
void TestApi::stalledStreamClientIsDropped()
{
    m_api->setStreamBufferLimit(8 * 1024);
    addEndpoint(QStringLiteral("crm"));
    StreamClient stalled(m_api->port(), m_token, {}, 4096);
    QTRY_COMPARE(m_api->streamClients(), 1);
    QObject::disconnect(&stalled.socket, nullptr, nullptr, nullptr); // never reads again
    StreamClient reading(m_api->port(), m_token);
    QTRY_COMPARE(m_api->streamClients(), 2);
    const int events = 600;
    for (int i = 0; i < events; ++i) {
        Event e{QStringLiteral("ev-%1").arg(i),
                QStringLiteral("call.ended"),
                "{\"padding\":\"" + QByteArray(200, 'p') + "\"}",
                QDateTime::currentDateTimeUtc(),
                EventOrigin::Api,
                {}};
        QString error;
        QVERIFY(!m_engine->publish(e, {}, AttemptTrigger::Scheduled, &error).isEmpty());
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->countDeliveries([] {
        DeliveryQuery q;
        q.state = DeliveryState::Succeeded;
        return q;
    }()),
                              events, 60000);
    QTRY_COMPARE(m_api->streamClients(), 1); // the stalled one is gone
    QTRY_COMPARE(reading.received.count("event: attempt\n"), events);
}

void TestApi::openApiDocumentIsServed()
{
    const Answer a = call("GET", QStringLiteral("/api/v1/openapi.json"));
    QCOMPARE(a.status, 200);
    QCOMPARE(a.json.value(QLatin1String("openapi")).toString(), QStringLiteral("3.1.0"));
    QVERIFY(a.json.value(QLatin1String("paths")).toObject().contains(QLatin1String("/events")));
    QCOMPARE(call("GET", QStringLiteral("/api/v1/openapi.json"), {}, {}, QString()).status, 401);
}

QTEST_GUILESS_MAIN(TestApi)
#include "tst_api.moc"
