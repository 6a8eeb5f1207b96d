// SPDX-License-Identifier: GPL-3.0-or-later
// Hookline's built-in test receiver: named inboxes at /inbox/<name> on Hookline's HTTP server
// (http/HttpServer.h), on loopback (127.0.0.1 and ::1, one port). It records every request with its
// signature verdict and can play a failing endpoint (status, latency, failure rate, 429 with
// Retry-After, 410, dropped connections, slow drip, scripted sequences).
// It must never crash or grow without bound on a hostile client: header/body limits,
// header and idle timeouts, a connection cap and per-inbox ring buffers see to that.
// It listens on loopback only; it is a test tool, not a production endpoint.
#pragma once

#include "domain/Inbox.h"
#include "http/HttpServer.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QRandomGenerator>
#include <QUrl>

#include <deque>

struct Endpoint;

struct ReceiverLimits
{
    HttpLimits http;
    int headerTimeoutMs = 10000; // a request's head must arrive within this
    int idleTimeoutMs = 30000;   // no bytes for this long: close
    int maxConnections = 1024;
    int storedBodyCap = 64 * 1024;
    // Bodies in flight and answers unsent, over all connections (HttpServerLimits).
    qint64 memoryBudget = 256 * 1024 * 1024;
};

class ReceiverServer : public QObject
{
    Q_OBJECT
public:
    explicit ReceiverServer(QObject *parent = nullptr);
    ~ReceiverServer() override;

    // Listens on 127.0.0.1 (and ::1 when the machine has IPv6) on `port`, or a free port when
    // 0. Returns false with a readable reason in *error.
    bool listen(quint16 port = 0, QString *error = nullptr);
    void close();
    bool isListening() const;
    quint16 port() const;
    bool hasIpv6() const;

    void setLimits(const ReceiverLimits &limits);
    const ReceiverLimits &limits() const { return m_limits; }
    // Request and answer bytes held right now, and the connection cap in force.
    qint64 bufferedBytes() const;
    int effectiveMaxConnections() const;

    // Adds or replaces an inbox (its captured requests are kept on replace).
    QString setInbox(const InboxConfig &config);
    bool removeInbox(const QString &name);
    QStringList inboxNames() const;
    InboxConfig inbox(const QString &name) const;
    QUrl inboxUrl(const QString &name, bool ipv6 = false) const;

    QList<CapturedRequest> requests(const QString &inbox) const;
    // Requests whose path matched no inbox (answered 404).
    QList<CapturedRequest> unmatchedRequests() const
    {
        return {m_unmatched.begin(), m_unmatched.end()};
    }
    void clearRequests(const QString &inbox);
    int openConnections() const;
    // Answers held back by an inbox's delay right now, and the most there have been since
    // resetPeakHeld(): how many requests a client really had waiting at once.
    int heldAnswers() const { return m_held; }
    int peakHeldAnswers() const { return m_peakHeld; }
    void resetPeakHeld() { m_peakHeld = m_held; }
    qint64 totalRequests() const { return m_sequence; }

    // Creates (or reuses) inbox `inboxName`, shares the endpoint's secret with it (generating
    // one if the endpoint has none) and points the endpoint's URL at it: the GUI's "use a
    // local test inbox" in one call.
    void attachEndpoint(Endpoint *endpoint, const QString &inboxName);

signals:
    void requestCaptured(const CapturedRequest &request);
    void connectionRefused(const QString &reason);

private:
    struct InboxState
    {
        InboxConfig config;
        std::deque<CapturedRequest> requests;
        int scriptPosition = 0;
    };
    struct Answer
    {
        int status = 200;
        QByteArray reason;
        QByteArray body;
        QByteArray contentType;
        QList<QPair<QByteArray, QByteArray>> extraHeaders;
        int delayMs = 0;
        int dripIntervalMs = 0;
        bool close = false; // drop without answering
        QString note;
    };

    void serve(const HttpRequest &request, HttpConnection *connection);
    // Records the request and decides the answer.
    Answer handle(const HttpRequest &request, const QString &remoteAddress, quint16 remotePort);

    ReceiverLimits m_limits;
    HttpServer *m_http;
    QHash<QString, InboxState> m_inboxes;
    std::deque<CapturedRequest> m_unmatched;
    qint64 m_sequence = 0;
    int m_held = 0;
    int m_peakHeld = 0;
    QRandomGenerator m_rng;
};
