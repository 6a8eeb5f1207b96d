// SPDX-License-Identifier: GPL-3.0-or-later
#include "ApiServer.h"

#include "ApiJson.h"
#include "HooklineVersion.h"
#include "domain/Ids.h"
#include "encoding/JsonText.h"
#include "engine/Engine.h"
#include "export/DeliveryJson.h"
#include "signing/WebhookSigner.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>
#include <QUrlQuery>

namespace {

// The API speaks English whatever the window's language (see ApiJson.cpp).
QString text(const char *s)
{
    return QString::fromUtf8(s);
}

QByteArray base64url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// Opaque page cursors: what the next page starts after, not meant to be read by clients.
QString makeCursor(const QByteArray &position)
{
    return QString::fromLatin1(base64url("c1:" + position));
}

bool readCursor(const QString &cursor, QByteArray *position)
{
    const auto decoded = QByteArray::fromBase64Encoding(
        cursor.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || !decoded.decoded.startsWith("c1:"))
        return false;
    *position = decoded.decoded.mid(3);
    return true;
}

QDateTime parseTime(const QString &s)
{
    QDateTime t = QDateTime::fromString(s, Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(s, Qt::ISODate);
    return t.isValid() ? t.toUTC() : QDateTime();
}

QString timeText(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

bool isWrite(const QByteArray &method)
{
    return method != "GET" && method != "HEAD";
}

QJsonObject liveAttempt(const Delivery &d, const Attempt &a, const QString &endpointName)
{
    return {
        {QStringLiteral("deliveryId"), d.id},
        {QStringLiteral("eventId"), d.eventId},
        {QStringLiteral("eventType"), d.eventType},
        {QStringLiteral("endpointId"), d.endpointId},
        {QStringLiteral("endpointName"), endpointName},
        {QStringLiteral("webhookId"), d.webhookId},
        {QStringLiteral("state"), deliveryStateName(d.state)},
        {QStringLiteral("attempt"), a.number},
        {QStringLiteral("trigger"), attemptTriggerName(a.trigger)},
        {QStringLiteral("started"), timeText(a.started)},
        {QStringLiteral("durationMs"), a.durationMs},
        {QStringLiteral("status"), a.responseStatus},
        {QStringLiteral("errorClass"), errorClassName(a.errorClass)},
        {QStringLiteral("errorText"), a.error.text()},
        {QStringLiteral("nextAttempt"), timeText(d.nextAttempt)},
    };
}

} // namespace

struct ApiServer::Call
{
    HttpRequest request;
    QPointer<HttpConnection> connection;
    QString path;
    QUrlQuery query;
    std::optional<ApiToken> token;
    QElapsedTimer clock;
    QString remote;
    bool answered = false;
};

ApiServer::ApiServer(Engine *engine, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_http(new HttpServer([this](const HttpRequest &r, HttpConnection *c) { serve(r, c); }, this))
{
    m_clock.start();
    HttpServerLimits limits;
    limits.http.maxBodyBytes = kMaxBodyBytes;
    limits.maxStreamBuffer = 256 * 1024;
    m_http->setLimits(limits);
    // Requests too broken to route still get problem+json.
    m_http->setErrorFormatter([](int status, const QByteArray &reason) {
        HttpResponse r;
        r.status = status;
        r.contentType = "application/problem+json";
        QString detail = QString::fromLatin1(reason);
        if (status == 413)
            detail = text("The request body is larger than %1 bytes; send less (split a batch "
                          "into several requests).")
                         .arg(kMaxBodyBytes);
        r.body = QJsonDocument(
                     QJsonObject{
                         {QStringLiteral("type"), QStringLiteral("urn:hookline:problem:http")},
                         {QStringLiteral("title"), QString::fromLatin1(httpReasonPhrase(status))},
                         {QStringLiteral("status"), status},
                         {QStringLiteral("detail"), detail}})
                     .toJson(QJsonDocument::Compact);
        return r;
    });
    connect(engine, &Engine::attemptFinished, this, &ApiServer::broadcast);
    // A comment line now and then: proxies keep the stream open, and a dead client shows.
    m_keepAlive.setInterval(15000);
    connect(&m_keepAlive, &QTimer::timeout, this, [this] {
        const QList<Stream> streams = m_streams; // writing may drop one (see broadcast)
        for (const Stream &s : streams) {
            if (s.connection)
                s.connection->write(": keep-alive\n\n");
        }
    });
    m_keepAlive.start();
    m_expire.setInterval(10 * 60 * 1000);
    connect(&m_expire, &QTimer::timeout, m_engine, &Engine::expireIdempotencyRecords);
    m_expire.start();
}

ApiServer::~ApiServer()
{
    close();
}

void ApiServer::setTls(const std::optional<QSslConfiguration> &tls)
{
    m_http->setTls(tls);
}

bool ApiServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    QString why;
    m_address = address;
    if (m_http->listen(address, port, &why))
        return true;
    if (error)
        *error = text("Cannot listen on %1: %2. Choose another address, or stop the program "
                      "that uses it.")
                     .arg(listenAddressText(address, port), why);
    return false;
}

void ApiServer::close()
{
    const QList<Stream> streams = m_streams; // ending one takes it out of m_streams
    m_streams.clear();
    for (const Stream &s : streams) {
        if (s.connection)
            s.connection->endStream();
    }
    m_http->close();
}

bool ApiServer::isListening() const
{
    return m_http->isListening();
}

quint16 ApiServer::port() const
{
    return m_http->port();
}

QString ApiServer::baseUrl() const
{
    // An "any" address is reached on this machine through loopback.
    QHostAddress host = m_address;
    if (host == QHostAddress::Any || host == QHostAddress::AnyIPv4)
        host = QHostAddress::LocalHost;
    else if (host == QHostAddress::AnyIPv6)
        host = QHostAddress::LocalHostIPv6;
    return (m_http->isTls() ? QStringLiteral("https://") : QStringLiteral("http://")) +
           listenAddressText(host, port());
}

void ApiServer::setStreamBufferLimit(qint64 bytes)
{
    HttpServerLimits limits = m_http->limits();
    limits.maxStreamBuffer = bytes;
    m_http->setLimits(limits);
}

void ApiServer::setRateLimit(double perSecond, double burst)
{
    m_limiter = RateLimiter(perSecond, burst);
}

void ApiServer::finish(const std::shared_ptr<Call> &call, const HttpResponse &response)
{
    if (call->answered)
        return;
    call->answered = true;
    if (call->connection)
        call->connection->respond(response);
    ApiLogEntry e;
    e.time = QDateTime::currentDateTimeUtc();
    e.method = call->request.method;
    e.path = call->path;
    e.status = response.status;
    e.ms = double(call->clock.nsecsElapsed()) / 1e6;
    e.tokenName = call->token ? call->token->name : QString();
    e.remote = call->remote;
    emit requestLogged(e);
}

void ApiServer::problem(const std::shared_ptr<Call> &call, int status, const QString &slug,
                        const QString &detail, const QJsonObject &extra)
{
    QJsonObject o{{QStringLiteral("type"), QString(QStringLiteral("urn:hookline:problem:") + slug)},
                  {QStringLiteral("title"), QString::fromLatin1(httpReasonPhrase(status))},
                  {QStringLiteral("status"), status},
                  {QStringLiteral("detail"), detail},
                  {QStringLiteral("instance"), QJsonValue(call->path)}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        o.insert(it.key(), it.value());
    HttpResponse r;
    r.status = status;
    r.contentType = "application/problem+json";
    r.body = QJsonDocument(o).toJson(QJsonDocument::Compact);
    if (status == 401)
        r.headers.append(
            qMakePair(QByteArray("WWW-Authenticate"), QByteArray("Bearer realm=\"hookline\"")));
    if (extra.contains(QLatin1String("retryAfter")))
        r.headers.append(
            {"Retry-After", QByteArray::number(extra.value(QLatin1String("retryAfter")).toInt())});
    finish(call, r);
}

void ApiServer::inputProblem(const std::shared_ptr<Call> &call, const ApiJson::InputError &input)
{
    problem(call, input.status,
            input.status == 400 ? QStringLiteral("unknown-field") : QStringLiteral("invalid-field"),
            input.detail, {{QStringLiteral("field"), input.field}});
}

bool ApiServer::replayFirstAnswer(const std::shared_ptr<Call> &call, const QString &key,
                                  const QByteArray &requestHash)
{
    const std::optional<IdempotencyRecord> first =
        m_engine->idempotencyRecord(call->token->id, key);
    if (!first)
        return false;
    if (first->requestHash != requestHash) {
        problem(call, 409, QStringLiteral("idempotency-key-reused"),
                text("Idempotency-Key “%1” was used within the last 24 hours with another "
                     "request body; use a new key for a new event.")
                    .arg(key));
        return true;
    }
    HttpResponse r = HttpResponse::json(first->status, first->response);
    r.headers.append(qMakePair(QByteArray("Idempotent-Replayed"), QByteArray("true")));
    finish(call, r);
    return true;
}

void ApiServer::json(const std::shared_ptr<Call> &call, int status, const QJsonValue &body,
                     const QList<QPair<QByteArray, QByteArray>> &headers)
{
    HttpResponse r;
    r.status = status;
    r.headers = headers;
    if (!body.isUndefined() && status != 204) {
        r.contentType = "application/json";
        r.body = body.isObject() ? QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact)
                                 : QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact);
    }
    finish(call, r);
}

void ApiServer::serve(const HttpRequest &request, HttpConnection *connection)
{
    auto call = std::make_shared<Call>();
    call->clock.start();
    call->request = request;
    call->connection = connection;
    call->remote = connection->peerAddress();
    const QUrl url(QString::fromUtf8(request.target));
    call->path = url.path();
    call->query = QUrlQuery(url.query(QUrl::FullyEncoded));
    route(call);
}

bool ApiServer::readBody(const std::shared_ptr<Call> &call, QJsonObject *body, bool required)
{
    const QByteArray &bytes = call->request.body;
    if (bytes.isEmpty()) {
        if (!required)
            return true;
        problem(call, 400, QStringLiteral("body-required"),
                text("This request needs a JSON object as its body."));
        return false;
    }
    const QByteArray type = call->request.header("content-type").toLower();
    const qsizetype semicolon = type.indexOf(';');
    const QByteArray mediaType = (semicolon < 0 ? type : type.left(semicolon)).trimmed();
    if (mediaType != "application/json" && !mediaType.endsWith("+json")) {
        problem(call, 415, QStringLiteral("unsupported-media-type"),
                text("The body must be sent as Content-Type: application/json, not “%1”.")
                    .arg(QString::fromLatin1(type.isEmpty() ? QByteArray("(none)") : type)));
        return false;
    }
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError) {
        problem(call, 400, QStringLiteral("malformed-json"),
                text("The body is not valid JSON: %1 at %2.")
                    .arg(error.errorString(), ApiJson::position(bytes, error.offset)));
        return false;
    }
    if (!doc.isObject()) {
        problem(call, 400, QStringLiteral("malformed-json"),
                text("The body must be a JSON object ({…})."));
        return false;
    }
    *body = doc.object();
    return true;
}

void ApiServer::route(const std::shared_ptr<Call> &call)
{
    const QByteArray &method = call->request.method;
    const QString &path = call->path;
    if (!path.startsWith(QLatin1String("/api/v1/")) && path != QLatin1String("/api/v1")) {
        problem(call, 404, QStringLiteral("not-found"),
                text("There is nothing at %1; the API lives under /api/v1/ (see "
                     "/api/v1/openapi.json).")
                    .arg(path));
        return;
    }
    const QStringList parts = path.mid(8).split(u'/', Qt::SkipEmptyParts);
    const QString first = parts.value(0);

    if (first == QLatin1String("health") && parts.size() == 1) {
        if (method != "GET" && method != "HEAD")
            return problem(
                call, 405, QStringLiteral("method-not-allowed"),
                text("%1 is not allowed here; use GET.").arg(QString::fromLatin1(method)));
        const bool failing = m_engine->isStoreFailing();
        json(call, failing ? 503 : 200,
             QJsonObject{{QStringLiteral("status"),
                          failing ? QStringLiteral("store-failing") : QStringLiteral("ok")},
                         {QStringLiteral("version"), QStringLiteral(HOOKLINE_VERSION)}});
        return;
    }

    // Everything else needs a token.
    const QByteArray authorization = call->request.header("authorization");
    if (!authorization.startsWith("Bearer ")) {
        problem(call, 401, QStringLiteral("unauthorized"),
                authorization.isEmpty()
                    ? text("This request needs a token: send Authorization: Bearer hl_… (create "
                           "one with 'hookline tokens create --name NAME').")
                    : text("The Authorization header must be “Bearer hl_…”."));
        return;
    }
    call->token = m_engine->authenticate(QString::fromLatin1(authorization.mid(7).trimmed()));
    if (!call->token) {
        problem(call, 401, QStringLiteral("unauthorized"),
                text("The token is not known (mistyped, or revoked). 'hookline tokens list' "
                     "shows the tokens there are."));
        return;
    }
    int retryAfter = 1;
    if (!m_limiter.take(call->token->id, m_clock.elapsed(), &retryAfter)) {
        problem(call, 429, QStringLiteral("rate-limited"),
                text("Token “%1” is over its rate limit; retry after %2 s.")
                    .arg(call->token->name, QString::number(retryAfter)),
                {{QStringLiteral("retryAfter"), retryAfter}});
        return;
    }
    if (isWrite(method) && call->token->readOnly) {
        problem(call, 403, QStringLiteral("read-only-token"),
                text("Token “%1” is read-only; %2 %3 needs a read-write token.")
                    .arg(call->token->name, QString::fromLatin1(method), path));
        return;
    }

    const auto notAllowed = [&](const char *allowed) {
        problem(call, 405, QStringLiteral("method-not-allowed"),
                text("%1 is not allowed on %2; use %3.")
                    .arg(QString::fromLatin1(method), path, QString::fromLatin1(allowed)));
    };
    const int n = int(parts.size());
    if (first == QLatin1String("openapi.json") && n == 1) {
        if (method != "GET")
            return notAllowed("GET");
        QFile f(QStringLiteral(":/api/openapi.json"));
        HttpResponse r;
        if (!f.open(QIODevice::ReadOnly))
            return problem(call, 500, QStringLiteral("internal"),
                           text("The OpenAPI document is missing from this build."));
        r.contentType = "application/json";
        r.body = f.readAll();
        return finish(call, r);
    }
    if (first == QLatin1String("endpoints")) {
        if (n == 1) {
            if (method == "GET")
                return listEndpoints(call);
            if (method == "POST")
                return createEndpoint(call);
            return notAllowed("GET, POST");
        }
        if (n == 2 || n == 3)
            return endpointAction(call, parts.at(1), n == 3 ? parts.at(2) : QString());
    }
    if (first == QLatin1String("event-types") && n == 1) {
        if (method != "GET")
            return notAllowed("GET");
        return listEventTypes(call);
    }
    if (first == QLatin1String("events") && n == 1) {
        if (method != "POST")
            return notAllowed("POST");
        return publish(call);
    }
    if (first == QLatin1String("scenarios") && n == 2 &&
        (parts.at(1) == QLatin1String("call") || parts.at(1) == QLatin1String("agent"))) {
        if (method != "POST")
            return notAllowed("POST");
        return scenario(call, parts.at(1));
    }
    if (first == QLatin1String("deliveries")) {
        if (n == 1) {
            if (method != "GET")
                return notAllowed("GET");
            return listDeliveries(call);
        }
        if (n == 2 && parts.at(1) == QLatin1String("retry-failed")) {
            if (method != "POST")
                return notAllowed("POST");
            return retryFailed(call);
        }
        if (n == 2 || n == 3)
            return deliveryAction(call, parts.at(1), n == 3 ? parts.at(2) : QString());
    }
    if (first == QLatin1String("receiver"))
        return receiver(call, parts.mid(1));
    if (first == QLatin1String("stream") && n == 1) {
        if (method != "GET")
            return notAllowed("GET");
        return openStream(call);
    }
    problem(call, 404, QStringLiteral("not-found"),
            text("There is nothing at %1 (see /api/v1/openapi.json).").arg(path));
}

// --- endpoints ---------------------------------------------------------------------------

namespace {
bool pageLimit(const QUrlQuery &q, int *limit, QString *error)
{
    *limit = 100;
    if (!q.hasQueryItem(QStringLiteral("limit")))
        return true;
    const QString v = q.queryItemValue(QStringLiteral("limit"));
    bool ok = false;
    const int n = v.toInt(&ok);
    if (!ok || n < 1 || n > ApiServer::kMaxPageSize) {
        *error = text("limit must be a number from 1 to %1, not “%2”.")
                     .arg(ApiServer::kMaxPageSize)
                     .arg(v);
        return false;
    }
    *limit = n;
    return true;
}
} // namespace

void ApiServer::listEndpoints(const std::shared_ptr<Call> &call)
{
    int limit = 0;
    QString error;
    if (!pageLimit(call->query, &limit, &error))
        return problem(call, 400, QStringLiteral("invalid-parameter"), error);
    QList<Endpoint> all = m_engine->endpoints();
    std::sort(all.begin(), all.end(),
              [](const Endpoint &a, const Endpoint &b) { return a.id < b.id; });
    QByteArray after;
    const QString cursor = call->query.queryItemValue(QStringLiteral("cursor"));
    if (!cursor.isEmpty() && !readCursor(cursor, &after))
        return problem(
            call, 400, QStringLiteral("invalid-parameter"),
            text("cursor “%1” is not one this API gave out; start without it.").arg(cursor));
    QJsonArray items;
    QString last;
    bool more = false;
    for (const Endpoint &e : all) {
        if (!after.isEmpty() && e.id.toUtf8() <= after)
            continue;
        if (items.size() == limit) {
            more = true;
            break;
        }
        items.append(endpointToJson(e));
        last = e.id;
    }
    QJsonObject page{{QStringLiteral("items"), items}};
    page.insert(QStringLiteral("nextCursor"),
                more ? QJsonValue(makeCursor(last.toUtf8())) : QJsonValue());
    json(call, 200, page);
}

void ApiServer::createEndpoint(const std::shared_ptr<Call> &call)
{
    QJsonObject body;
    if (!readBody(call, &body, true))
        return;
    Endpoint e;
    bool secretGiven = false;
    const ApiJson::InputError input = ApiJson::applyEndpoint(body, &e, &secretGiven);
    if (!input.ok())
        return inputProblem(call, input);
    if (!body.contains(QLatin1String("url")))
        return problem(call, 422, QStringLiteral("invalid-field"),
                       text("An endpoint needs a “url”."),
                       {{QStringLiteral("field"), QStringLiteral("url")}});
    if (e.name.isEmpty())
        e.name = QUrl(e.url).host().isEmpty() ? e.url.left(60) : QUrl(e.url).host();
    // Signed unless the client says otherwise ("secret": "" turns signing off).
    if (!secretGiven)
        e.secret = WebhookSigner::generateSecret();
    const QList<ValidationError> errors = m_engine->saveEndpoint(&e);
    if (!errors.isEmpty()) {
        QJsonArray list;
        for (const ValidationError &v : errors)
            list.append(QJsonObject{{QStringLiteral("field"), v.field},
                                    {QStringLiteral("message"), v.message}});
        const bool stored = errors.first().field == QLatin1String("store");
        return problem(
            call, stored ? 503 : 422,
            stored ? QStringLiteral("store-failing") : QStringLiteral("invalid-field"),
            errors.first().message,
            {{QStringLiteral("field"), errors.first().field}, {QStringLiteral("errors"), list}});
    }
    json(call, 201, endpointToJson(e, true), {{"Location", "/api/v1/endpoints/" + e.id.toUtf8()}});
}

void ApiServer::endpointAction(const std::shared_ptr<Call> &call, const QString &idOrPrefix,
                               const QString &action)
{
    const QByteArray &method = call->request.method;
    QString error;
    std::optional<Endpoint> found = m_engine->findEndpoint(idOrPrefix, &error);
    if (!found)
        return problem(call, 404, QStringLiteral("not-found"), error);
    Endpoint e = *found;
    if (action.isEmpty()) {
        if (method == "GET")
            return json(call, 200, endpointToJson(e));
        if (method == "DELETE") {
            if (!m_engine->removeEndpoint(e.id, &error))
                return problem(call, 503, QStringLiteral("store-failing"), error);
            return json(call, 204, QJsonValue::Undefined);
        }
        if (method != "PATCH")
            return problem(call, 405, QStringLiteral("method-not-allowed"),
                           text("Use GET, PATCH or DELETE on an endpoint."));
        QJsonObject body;
        if (!readBody(call, &body, true))
            return;
        bool secretGiven = false;
        const ApiJson::InputError input = ApiJson::applyEndpoint(body, &e, &secretGiven);
        if (!input.ok())
            return inputProblem(call, input);
        const QList<ValidationError> errors = m_engine->saveEndpoint(&e);
        if (!errors.isEmpty())
            return problem(call, 422, QStringLiteral("invalid-field"), errors.first().message,
                           {{QStringLiteral("field"), errors.first().field}});
        // A secret comes back only when this request set it.
        return json(call, 200, endpointToJson(e, secretGiven));
    }
    if (method != "POST")
        return problem(call, 405, QStringLiteral("method-not-allowed"),
                       text("Use POST on %1.").arg(call->path));
    if (action == QLatin1String("enable") || action == QLatin1String("disable")) {
        if (!m_engine->setEndpointEnabled(e.id, action == QLatin1String("enable"), &error))
            return problem(call, 503, QStringLiteral("store-failing"), error);
        return json(call, 200, endpointToJson(*m_engine->endpoint(e.id)));
    }
    if (action == QLatin1String("rotate-secret")) {
        // The old secret stays valid for a day, so receivers can switch without a gap.
        if (!e.secret.isEmpty()) {
            e.previousSecret = e.secret;
            e.previousSecretExpires = QDateTime::currentDateTimeUtc().addDays(1);
        }
        e.secret = WebhookSigner::generateSecret();
        const QList<ValidationError> errors = m_engine->saveEndpoint(&e);
        if (!errors.isEmpty())
            return problem(call, 503, QStringLiteral("store-failing"), errors.first().message);
        return json(call, 200,
                    QJsonObject{{QStringLiteral("id"), e.id},
                                {QStringLiteral("secret"), e.secret},
                                {QStringLiteral("previousSecretExpires"),
                                 timeText(e.previousSecretExpires)}});
    }
    if (action == QLatin1String("test")) {
        QJsonObject body;
        if (!readBody(call, &body, false))
            return;
        for (auto it = body.begin(); it != body.end(); ++it) {
            if (it.key() != QLatin1String("type"))
                return problem(call, 400, QStringLiteral("unknown-field"),
                               text("Unknown field “%1”. Known fields: type.").arg(it.key()),
                               {{QStringLiteral("field"), it.key()}});
        }
        const QJsonValue typeValue = body.value(QLatin1String("type"));
        if (!typeValue.isUndefined() && !typeValue.isString())
            return problem(call, 422, QStringLiteral("invalid-field"),
                           text("The field “type” must be a string."),
                           {{QStringLiteral("field"), QStringLiteral("type")}});
        const QString type =
            typeValue.isString() ? typeValue.toString() : QStringLiteral("call.ringing");
        if (!m_engine->catalog().find(type))
            return problem(call, 422, QStringLiteral("invalid-field"),
                           text("Unknown event type “%1”. Known types: %2.")
                               .arg(type, m_engine->catalog().ids().join(QLatin1String(", "))),
                           {{QStringLiteral("field"), QStringLiteral("type")}});
        PublishHooks hooks;
        auto ids = std::make_shared<QStringList>();
        // The commit's callback may come after this server is gone (the API turned off).
        hooks.done = [self = QPointer<ApiServer>(this), call, ids](PublishHooks::Outcome outcome,
                                                                   const QString &why) {
            if (!self)
                return;
            if (outcome != PublishHooks::Outcome::Stored)
                return self->problem(call, 503, QStringLiteral("store-failing"),
                                     text("The test event could not be stored: %1. %2")
                                         .arg(why, Engine::storeAdvice(why)));
            self->json(
                call, 202,
                QJsonObject{{QStringLiteral("deliveryIds"), QJsonArray::fromStringList(*ids)}});
        };
        *ids = m_engine->sendTest(type, e.id, &error, {}, hooks);
        if (ids->isEmpty())
            return problem(call, 409, QStringLiteral("not-sent"), error);
        return;
    }
    problem(call, 404, QStringLiteral("not-found"),
            text("There is nothing at %1 (see /api/v1/openapi.json).").arg(call->path));
}

void ApiServer::listEventTypes(const std::shared_ptr<Call> &call)
{
    QJsonArray items;
    for (const EventType &t : m_engine->catalog().types())
        items.append(QJsonObject{{QStringLiteral("id"), t.id},
                                 {QStringLiteral("name"), t.displayName},
                                 {QStringLiteral("description"), t.description},
                                 {QStringLiteral("template"), t.payloadTemplate},
                                 {QStringLiteral("builtIn"), t.builtIn}});
    json(call, 200, QJsonObject{{QStringLiteral("items"), items}});
}

// --- publishing --------------------------------------------------------------------------

void ApiServer::publish(const std::shared_ptr<Call> &call)
{
    QJsonObject body;
    if (!readBody(call, &body, true))
        return;
    for (auto it = body.begin(); it != body.end(); ++it) {
        if (it.key() != QLatin1String("type") && it.key() != QLatin1String("payload"))
            return problem(call, 400, QStringLiteral("unknown-field"),
                           text("Unknown field “%1”. Known fields: type, payload.").arg(it.key()),
                           {{QStringLiteral("field"), it.key()}});
    }
    const QJsonValue typeValue = body.value(QLatin1String("type"));
    if (!typeValue.isString())
        return problem(call, 422, QStringLiteral("invalid-field"),
                       text("An event needs a “type” (a string such as “call.ended”)."),
                       {{QStringLiteral("field"), QStringLiteral("type")}});
    const QString type = typeValue.toString();
    if (!m_engine->catalog().find(type))
        return problem(call, 422, QStringLiteral("invalid-field"),
                       text("Unknown event type “%1”. Known types: %2 (add custom types in the "
                            "window's Events page).")
                           .arg(type, m_engine->catalog().ids().join(QLatin1String(", "))),
                       {{QStringLiteral("field"), QStringLiteral("type")}});
    const QJsonValue payload = body.value(QLatin1String("payload"));
    if (!payload.isUndefined() && !payload.isObject())
        return problem(call, 422, QStringLiteral("invalid-field"),
                       text("The field “payload” must be a JSON object (the platform's event)."),
                       {{QStringLiteral("field"), QStringLiteral("payload")}});
    // An event nobody subscribes to goes nowhere and is not stored; not the publisher's fault.
    if (!m_engine->hasSubscribers(type))
        return json(
            call, 202,
            QJsonObject{
                {QStringLiteral("eventId"), QJsonValue()},
                {QStringLiteral("deliveryIds"), QJsonArray()},
                {QStringLiteral("detail"),
                 text("No enabled endpoint subscribes to %1; nothing was sent.").arg(type)}});

    // Idempotency-Key: the same key (per token) within 24 h answers as the first time did.
    const QString key = QString::fromUtf8(call->request.header("idempotency-key")).trimmed();
    QByteArray requestHash;
    if (!key.isEmpty()) {
        if (key.size() > 255)
            return problem(
                call, 400, QStringLiteral("invalid-header"),
                text("Idempotency-Key is %1 characters long; use at most 255.").arg(key.size()));
        const QByteArray signature =
            call->request.method + ' ' + call->path.toUtf8() + '\n' + call->request.body;
        requestHash = QCryptographicHash::hash(signature, QCryptographicHash::Sha256);
        if (replayFirstAnswer(call, key, requestHash))
            return;
        if (m_publishing.contains(call->token->id + u'\n' + key))
            return problem(call, 409, QStringLiteral("idempotency-key-in-use"),
                           text("A request with Idempotency-Key “%1” is still being stored; "
                                "retry in a moment.")
                               .arg(key));
        // Same process, same key, first request not committed yet: no second publish.
        m_publishing.insert(call->token->id + u'\n' + key);
    }

    const QString eventId = Ids::newTimeOrdered();
    auto answer = [eventId](const QStringList &ids) {
        return QJsonDocument(
                   QJsonObject{{QStringLiteral("eventId"), eventId},
                               {QStringLiteral("deliveryIds"), QJsonArray::fromStringList(ids)}})
            .toJson(QJsonDocument::Compact);
    };
    const QString pending = key.isEmpty() ? QString() : call->token->id + u'\n' + key;
    auto ids = std::make_shared<QStringList>();
    // The commit's callback may come after this server is gone (the API turned off, 'serve'
    // stopping): the event is stored all the same, and nobody is left to answer.
    auto done = [self = QPointer<ApiServer>(this), call, ids, answer, pending, key,
                 requestHash](PublishHooks::Outcome outcome, const QString &why) {
        if (self)
            self->answerPublish(call, outcome, why, pending, key, requestHash, answer(*ids));
    };
    IdempotencyRecord record;
    if (!key.isEmpty()) {
        record.tokenId = call->token->id;
        record.key = key;
        record.requestHash = requestHash;
        record.status = 202;
    }
    const PublishHooks hooks =
        key.isEmpty() ? PublishHooks{nullptr, done} : Engine::onceOnly(record, answer, done);
    // The platform's event as given, or (without a payload) the type's template as a test.
    QString error;
    const bool test = payload.isUndefined();
    // The payload as the platform wrote it (key order, every digit of big numbers), not as
    // QJsonObject would re-serialize it (sorted keys, numbers as doubles).
    const QByteArray bytes =
        test
            ? m_engine->renderTest(type, &error)
            : JsonText::minify(JsonText::memberText(call->request.body, QStringLiteral("payload")));
    if (bytes.isEmpty()) {
        m_publishing.remove(pending);
        return problem(call, 422, QStringLiteral("invalid-field"), error,
                       {{QStringLiteral("field"), QStringLiteral("type")}});
    }
    if (bytes.size() > m_engine->maxPayloadBytes()) {
        m_publishing.remove(pending);
        return problem(call, 413, QStringLiteral("payload-too-large"),
                       text("The payload is %1 bytes; this Hookline accepts at most %2. Send less, "
                            "or ask its admin to raise the limit.")
                           .arg(bytes.size())
                           .arg(m_engine->maxPayloadBytes()),
                       {{QStringLiteral("field"), QStringLiteral("payload")}});
    }
    const Event event{eventId,
                      type,
                      bytes,
                      QDateTime::currentDateTimeUtc(),
                      test ? EventOrigin::Test : EventOrigin::Api,
                      {}};
    *ids = m_engine->publish(event, {}, test ? AttemptTrigger::Test : AttemptTrigger::Scheduled,
                             &error, hooks);
    if (ids->isEmpty()) { // Hookline is stopping, or the endpoint went in between
        m_publishing.remove(pending);
        return problem(call, 503, QStringLiteral("not-accepted"), error);
    }
}

void ApiServer::answerPublish(const std::shared_ptr<Call> &call, PublishHooks::Outcome outcome,
                              const QString &why, const QString &pending, const QString &key,
                              const QByteArray &requestHash, const QByteArray &answer)
{
    m_publishing.remove(pending);
    if (outcome == PublishHooks::Outcome::Failed)
        return problem(call, 503, QStringLiteral("store-failing"),
                       text("The event was not accepted: the database could not store it (%1). "
                            "%2 Nothing was published; retry later.")
                           .arg(why, Engine::storeAdvice(why)));
    // Refused: another process stored the same key first; its answer is the answer.
    if (outcome == PublishHooks::Outcome::Refused) {
        if (!replayFirstAnswer(call, key, requestHash))
            problem(call, 409, QStringLiteral("idempotency-key-in-use"),
                    text("Idempotency-Key “%1” was just used by another request; retry.").arg(key));
        return;
    }
    finish(call, HttpResponse::json(202, answer));
}

void ApiServer::scenario(const std::shared_ptr<Call> &call, const QString &kind)
{
    QJsonObject body;
    if (!readBody(call, &body, false))
        return;
    QString endpointId;
    for (auto it = body.begin(); it != body.end(); ++it) {
        if (it.key() != QLatin1String("endpoint"))
            return problem(call, 400, QStringLiteral("unknown-field"),
                           text("Unknown field “%1”. Known fields: endpoint.").arg(it.key()),
                           {{QStringLiteral("field"), it.key()}});
        QString error;
        const auto e = m_engine->findEndpoint(it.value().toString(), &error);
        if (!it.value().isString() || !e)
            return problem(call, 422, QStringLiteral("invalid-field"),
                           it.value().isString() ? error
                                                 : text("The field “endpoint” must be an id."),
                           {{QStringLiteral("field"), QStringLiteral("endpoint")}});
        endpointId = e->id;
    }
    QString error;
    if (!m_engine->runScenario(kind, endpointId, &error))
        return problem(call, 409, QStringLiteral("not-sent"), error);
    json(call, 202, QJsonObject{{QStringLiteral("scenario"), kind}});
}

// --- deliveries --------------------------------------------------------------------------

void ApiServer::listDeliveries(const std::shared_ptr<Call> &call)
{
    static const QStringList known = {QStringLiteral("endpoint"), QStringLiteral("event_type"),
                                      QStringLiteral("status"),   QStringLiteral("since"),
                                      QStringLiteral("until"),    QStringLiteral("cursor"),
                                      QStringLiteral("limit")};
    for (const auto &item : call->query.queryItems()) {
        if (!known.contains(item.first))
            return problem(call, 400, QStringLiteral("invalid-parameter"),
                           text("Unknown parameter “%1”. Known: %2.")
                               .arg(item.first, known.join(QLatin1String(", "))));
    }
    DeliveryQuery q;
    QString error;
    if (!pageLimit(call->query, &q.limit, &error))
        return problem(call, 400, QStringLiteral("invalid-parameter"), error);
    const QString endpoint = call->query.queryItemValue(QStringLiteral("endpoint"));
    if (!endpoint.isEmpty()) {
        const auto e = m_engine->findEndpoint(endpoint, &error);
        if (!e)
            return problem(call, 400, QStringLiteral("invalid-parameter"), error);
        q.endpointId = e->id;
    }
    q.eventType = call->query.queryItemValue(QStringLiteral("event_type"));
    const QString status = call->query.queryItemValue(QStringLiteral("status"));
    if (!status.isEmpty()) {
        DeliveryState s;
        if (!deliveryStateFromName(status, &s))
            return problem(call, 400, QStringLiteral("invalid-parameter"),
                           text("status must be one of pending, in-flight, succeeded, "
                                "retrying, failed, cancelled; not “%1”.")
                               .arg(status));
        q.state = s;
    }
    for (const char *name : {"since", "until"}) {
        const QString v = call->query.queryItemValue(QString::fromLatin1(name));
        if (v.isEmpty())
            continue;
        const QDateTime t = parseTime(v);
        if (!t.isValid())
            return problem(call, 400, QStringLiteral("invalid-parameter"),
                           text("%1 must be an ISO 8601 time such as 2026-11-29T10:00:00Z, not "
                                "“%2”.")
                               .arg(QString::fromLatin1(name), v));
        (qstrcmp(name, "since") == 0 ? q.from : q.to) = t;
    }
    const QString cursor = call->query.queryItemValue(QStringLiteral("cursor"));
    if (!cursor.isEmpty()) {
        QByteArray position;
        bool ok = readCursor(cursor, &position);
        q.beforeSeq = ok ? position.toLongLong(&ok) : 0;
        if (!ok || q.beforeSeq <= 0)
            return problem(
                call, 400, QStringLiteral("invalid-parameter"),
                text("cursor “%1” is not one this API gave out; start without it.").arg(cursor));
    }
    const int limit = q.limit;
    q.limit = limit + 1; // one more tells whether there is a next page
    QList<Delivery> rows = m_engine->deliveries(q);
    const bool more = rows.size() > limit;
    if (more)
        rows.removeLast();
    QJsonArray items;
    for (Delivery d : rows) {
        d.attempts = m_engine->attempts(d.id); // as 'hookline history --json' has them
        items.append(deliveryToJson(d));
    }
    QJsonObject page{{QStringLiteral("items"), items}};
    page.insert(QStringLiteral("nextCursor"),
                more && !rows.isEmpty()
                    ? QJsonValue(makeCursor(QByteArray::number(rows.last().seq)))
                    : QJsonValue());
    json(call, 200, page);
}

void ApiServer::deliveryAction(const std::shared_ptr<Call> &call, const QString &idOrPrefix,
                               const QString &action)
{
    QString error;
    const std::optional<Delivery> d = m_engine->findDelivery(idOrPrefix, &error);
    if (!d)
        return problem(call, 404, QStringLiteral("not-found"), error);
    if (action.isEmpty()) {
        if (call->request.method != "GET")
            return problem(call, 405, QStringLiteral("method-not-allowed"),
                           text("Use GET on a delivery."));
        Delivery full = *d;
        full.attempts = m_engine->attempts(d->id);
        return json(call, 200, deliveryToJson(full));
    }
    if (action != QLatin1String("redeliver"))
        return problem(call, 404, QStringLiteral("not-found"),
                       text("There is nothing at %1 (see /api/v1/openapi.json).").arg(call->path));
    if (call->request.method != "POST")
        return problem(call, 405, QStringLiteral("method-not-allowed"),
                       text("Use POST on %1.").arg(call->path));
    if (!m_engine->redeliver(d->id, &error))
        return problem(call, 409, QStringLiteral("not-sent"), error);
    json(call, 202, QJsonObject{{QStringLiteral("deliveryId"), d->id}});
}

void ApiServer::retryFailed(const std::shared_ptr<Call> &call)
{
    QJsonObject body;
    if (!readBody(call, &body, true))
        return;
    QString endpointId;
    QDateTime since;
    for (auto it = body.begin(); it != body.end(); ++it) {
        const QString k = it.key();
        if (k != QLatin1String("endpoint") && k != QLatin1String("since"))
            return problem(call, 400, QStringLiteral("unknown-field"),
                           text("Unknown field “%1”. Known fields: endpoint, since.").arg(k),
                           {{QStringLiteral("field"), k}});
        if (!it.value().isString())
            return problem(call, 422, QStringLiteral("invalid-field"),
                           text("The field “%1” must be a string.").arg(k),
                           {{QStringLiteral("field"), k}});
        QString error;
        if (k == QLatin1String("endpoint")) {
            const auto e = m_engine->findEndpoint(it.value().toString(), &error);
            if (!e)
                return problem(call, 422, QStringLiteral("invalid-field"), error,
                               {{QStringLiteral("field"), k}});
            endpointId = e->id;
        } else {
            since = parseTime(it.value().toString());
            if (!since.isValid())
                return problem(call, 422, QStringLiteral("invalid-field"),
                               text("“since” must be an ISO 8601 time such as "
                                    "2026-11-29T10:00:00Z, not “%1”.")
                                   .arg(it.value().toString()),
                               {{QStringLiteral("field"), k}});
        }
    }
    if (endpointId.isEmpty())
        return problem(call, 422, QStringLiteral("invalid-field"),
                       text("Name the endpoint whose failed deliveries to send again: "
                            "{\"endpoint\": id}."),
                       {{QStringLiteral("field"), QStringLiteral("endpoint")}});
    if (!since.isValid())
        since = QDateTime::fromMSecsSinceEpoch(0, Qt::UTC);
    const int n = m_engine->retryFailedSince(endpointId, since);
    json(call, 202, QJsonObject{{QStringLiteral("redelivering"), n}});
}

// --- receiver ----------------------------------------------------------------------------

void ApiServer::receiver(const std::shared_ptr<Call> &call, const QStringList &parts)
{
    const QByteArray &method = call->request.method;
    if (parts.value(0) != QLatin1String("inboxes") || parts.size() > 3 ||
        (parts.size() == 3 && parts.at(2) != QLatin1String("requests")))
        return problem(call, 404, QStringLiteral("not-found"),
                       text("There is nothing at %1 (see /api/v1/openapi.json).").arg(call->path));
    const auto withUrl = [this](const InboxConfig &c) {
        QJsonObject o = ApiJson::inboxToJson(c);
        o.insert(QStringLiteral("url"), m_engine->isReceiverListening()
                                            ? QJsonValue(m_engine->inboxUrl(c.name).toString())
                                            : QJsonValue());
        return o;
    };
    if (parts.size() == 1) {
        if (method != "GET")
            return problem(call, 405, QStringLiteral("method-not-allowed"), text("Use GET."));
        QJsonArray items;
        for (const QString &name : m_engine->inboxNames())
            items.append(withUrl(m_engine->inbox(name)));
        return json(call, 200,
                    QJsonObject{{QStringLiteral("listening"), m_engine->isReceiverListening()},
                                {QStringLiteral("port"), m_engine->receiverPort()},
                                {QStringLiteral("items"), items}});
    }
    const QString name = parts.at(1);
    const bool exists = m_engine->inboxNames().contains(name);
    if (parts.size() == 3) {
        if (method != "GET")
            return problem(call, 405, QStringLiteral("method-not-allowed"), text("Use GET."));
        if (!exists)
            return problem(call, 404, QStringLiteral("not-found"),
                           text("There is no inbox “%1”.").arg(name));
        QJsonArray items;
        for (const CapturedRequest &r : m_engine->inboxRequests(name))
            items.append(ApiJson::capturedToJson(r));
        return json(call, 200, QJsonObject{{QStringLiteral("items"), items}});
    }
    if (method == "GET") {
        if (!exists)
            return problem(call, 404, QStringLiteral("not-found"),
                           text("There is no inbox “%1”.").arg(name));
        return json(call, 200, withUrl(m_engine->inbox(name)));
    }
    if (method == "DELETE") {
        if (!m_engine->removeInbox(name))
            return problem(call, 404, QStringLiteral("not-found"),
                           text("There is no inbox “%1”.").arg(name));
        return json(call, 204, QJsonValue::Undefined);
    }
    if (method != "PUT")
        return problem(call, 405, QStringLiteral("method-not-allowed"),
                       text("Use GET, PUT or DELETE on an inbox."));
    QJsonObject body;
    if (!readBody(call, &body, true))
        return;
    InboxConfig c = exists ? m_engine->inbox(name) : InboxConfig();
    c.name = name;
    const ApiJson::InputError input = ApiJson::applyInbox(body, &c);
    if (!input.ok())
        return inputProblem(call, input);
    const QString invalid = m_engine->setInbox(c);
    if (!invalid.isEmpty())
        return problem(call, 422, QStringLiteral("invalid-field"), invalid);
    json(call, exists ? 200 : 201, withUrl(c));
}

// --- stream ------------------------------------------------------------------------------

void ApiServer::openStream(const std::shared_ptr<Call> &call)
{
    Stream s;
    s.connection = call->connection;
    s.endpointId = call->query.queryItemValue(QStringLiteral("endpoint"));
    s.eventType = call->query.queryItemValue(QStringLiteral("event_type"));
    if (!s.endpointId.isEmpty()) {
        QString error;
        const auto e = m_engine->findEndpoint(s.endpointId, &error);
        if (!e)
            return problem(call, 400, QStringLiteral("invalid-parameter"), error);
        s.endpointId = e->id;
    }
    if (!call->connection)
        return;
    HttpResponse head;
    head.contentType = "text/event-stream";
    head.headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
    head.body = ": hookline attempts\n\n";
    call->answered = true;
    call->connection->startStream(head);
    connect(call->connection, &HttpConnection::closed, this, [this] {
        m_streams.removeIf(
            [](const Stream &x) { return !x.connection || !x.connection->isOpen(); });
    });
    m_streams.append(s);
    ApiLogEntry e;
    e.time = QDateTime::currentDateTimeUtc();
    e.method = call->request.method;
    e.path = call->path;
    e.status = 200;
    e.ms = double(call->clock.nsecsElapsed()) / 1e6;
    e.tokenName = call->token->name;
    e.remote = call->remote;
    emit requestLogged(e);
}

void ApiServer::broadcast(const Delivery &delivery, const Attempt &attempt)
{
    if (m_streams.isEmpty())
        return;
    QByteArray frame;
    // A copy: dropping a slow client closes its connection at once, and that takes it out
    // of m_streams while this loop runs.
    const QList<Stream> streams = m_streams;
    for (const Stream &s : streams) {
        if (!s.connection)
            continue;
        if ((!s.endpointId.isEmpty() && s.endpointId != delivery.endpointId) ||
            (!s.eventType.isEmpty() && s.eventType != delivery.eventType))
            continue;
        if (frame.isEmpty())
            frame = "event: attempt\nid: " + delivery.id.toUtf8() + '.' +
                    QByteArray::number(attempt.number) + "\ndata: " +
                    QJsonDocument(
                        liveAttempt(delivery, attempt, m_engine->endpointName(delivery.endpointId)))
                        .toJson(QJsonDocument::Compact) +
                    "\n\n";
        // A client that has not read what it was sent is dropped: delivery never waits on it.
        s.connection->write(frame);
    }
}
