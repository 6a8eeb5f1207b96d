// SPDX-License-Identifier: GPL-3.0-or-later
// The admin and publishing API (/api/v1/…, described by resources/api/openapi.json): a third
// front end on Engine beside the window and the command line - it validates with the same
// rules, publishes through the same outbox and reads the same history, and reaches nothing
// but Engine. Every answer but a success is application/problem+json (RFC 9457) whose detail
// quotes the bad value. Requests carry a bearer token (only GET /api/v1/health does not);
// each token has a rate limit. Publishing answers 202 only once the deliveries are committed
// and synced; an Idempotency-Key makes a retried publish safe. GET /api/v1/stream is a
// Server-Sent Events feed of attempts, and a client that does not keep up is dropped rather
// than slowing delivery down.
// It must never answer before what it reports is durable, never return a secret except at
// creation and rotation, and never let one client's load hold the others up.
#pragma once

#include "ApiJson.h"
#include "ApiTypes.h"
#include "RateLimiter.h"
#include "domain/ApiToken.h"
#include "domain/DeliveryOptions.h"
#include "http/HttpServer.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

class Engine;
struct Attempt;
struct Delivery;

class ApiServer : public QObject
{
    Q_OBJECT
public:
    static constexpr qint64 kMaxBodyBytes = 1024 * 1024;
    static constexpr int kMaxPageSize = 500;

    explicit ApiServer(Engine *engine, QObject *parent = nullptr);
    ~ApiServer() override;

    void setTls(const std::optional<QSslConfiguration> &tls);
    // Listens on address:port; false with a message naming the address.
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    void close();
    bool isListening() const;
    quint16 port() const;
    // http://127.0.0.1:8470 (https when TLS is on).
    QString baseUrl() const;

    void setRateLimit(double perSecond, double burst);
    // Unsent bytes a stream client may have before it is dropped (256 KiB).
    void setStreamBufferLimit(qint64 bytes);
    int streamClients() const { return int(m_streams.size()); }

signals:
    void requestLogged(const ApiLogEntry &entry);

private:
    struct Call; // one request in progress
    struct Stream
    {
        QPointer<HttpConnection> connection;
        QString endpointId;
        QString eventType;
    };

    void serve(const HttpRequest &request, HttpConnection *connection);
    void route(const std::shared_ptr<Call> &call);
    void finish(const std::shared_ptr<Call> &call, const HttpResponse &response);
    void problem(const std::shared_ptr<Call> &call, int status, const QString &slug,
                 const QString &detail, const QJsonObject &extra = {});
    void json(const std::shared_ptr<Call> &call, int status, const QJsonValue &body,
              const QList<QPair<QByteArray, QByteArray>> &headers = {});
    void inputProblem(const std::shared_ptr<Call> &call, const ApiJson::InputError &input);
    // The first answer to this token's Idempotency-Key (or a 409 if the body differs);
    // false when the key is new.
    bool replayFirstAnswer(const std::shared_ptr<Call> &call, const QString &key,
                           const QByteArray &requestHash);
    bool readBody(const std::shared_ptr<Call> &call, QJsonObject *body, bool required);

    void listEndpoints(const std::shared_ptr<Call> &call);
    void createEndpoint(const std::shared_ptr<Call> &call);
    void endpointAction(const std::shared_ptr<Call> &call, const QString &id,
                        const QString &action);
    void listEventTypes(const std::shared_ptr<Call> &call);
    void publish(const std::shared_ptr<Call> &call);
    // A publish's commit came back: 202, the first answer to its key, or a problem.
    void answerPublish(const std::shared_ptr<Call> &call, PublishHooks::Outcome outcome,
                       const QString &why, const QString &pending, const QString &key,
                       const QByteArray &requestHash, const QByteArray &answer);
    void scenario(const std::shared_ptr<Call> &call, const QString &kind);
    void listDeliveries(const std::shared_ptr<Call> &call);
    void deliveryAction(const std::shared_ptr<Call> &call, const QString &id,
                        const QString &action);
    void retryFailed(const std::shared_ptr<Call> &call);
    void receiver(const std::shared_ptr<Call> &call, const QStringList &parts);
    void openStream(const std::shared_ptr<Call> &call);
    void broadcast(const Delivery &delivery, const Attempt &attempt);

    Engine *m_engine;
    HttpServer *m_http;
    QHostAddress m_address;
    RateLimiter m_limiter;
    QList<Stream> m_streams;
    QTimer m_keepAlive;
    QTimer m_expire;
    QSet<QString> m_publishing; // token id + Idempotency-Key of publishes awaiting their commit
    QElapsedTimer m_clock;
};
