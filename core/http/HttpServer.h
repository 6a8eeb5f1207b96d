// SPDX-License-Identifier: GPL-3.0-or-later
// The one HTTP/1.1 server in Hookline: the built-in receiver and the admin API both stand on
// it. It accepts connections (plain, or TLS when given a certificate), parses requests with
// HttpRequestParser (keep-alive, pipelining, 100-continue), hands each complete request to a
// handler with the connection to answer on, and writes the answer - now, later (a receiver's
// delay, an API publish waiting for its commit) or as a stream (Server-Sent Events).
// It must never crash or grow without bound on a hostile client: header/body limits, a
// timeout on a request's head once it has started, an idle timeout (a silent close, never an
// unsolicited answer a client could take for its own), a connection cap (503), and a bounded
// send buffer for streams (a client that does not read is dropped).
#pragma once

#include "HttpRequestParser.h"

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPair>
#include <QSslConfiguration>
#include <QTimer>

#include <functional>
#include <optional>

class QTcpServer;
class QTcpSocket;

struct HttpServerLimits
{
    HttpLimits http;
    int headerTimeoutMs = 10000; // a request's head must arrive within this once it starts
    int idleTimeoutMs = 30000;   // no bytes for this long between requests: close silently
    int maxConnections = 1024;   // and never more than the process's descriptor limit allows
    qint64 maxStreamBuffer = 1024 * 1024; // unsent stream bytes before the client is dropped
    // Request bytes held and answer bytes unsent, over all connections: a request that would
    // pass it gets 503 (with Retry-After) instead of more memory.
    qint64 memoryBudget = 256 * 1024 * 1024;
};

struct HttpResponse
{
    int status = 200;
    QByteArray reason; // empty: the standard phrase
    QByteArray contentType;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    int dripIntervalMs = 0; // > 0: the body goes out one byte per interval (a slow server)

    static HttpResponse json(int status, const QByteArray &body);
};

QByteArray httpReasonPhrase(int status);

// One client connection. The handler answers each request with exactly one of respond(),
// abort() or startStream(); the next pipelined request is read only after that.
class HttpConnection : public QObject
{
    Q_OBJECT
public:
    QString peerAddress() const;
    quint16 peerPort() const;
    bool isOpen() const;

    void respond(const HttpResponse &response);
    // Drops the connection without an answer.
    void abort();
    // Sends the head (no length: the body runs until the connection closes) and keeps the
    // connection for write(). Keep-alive ends with the stream.
    void startStream(const HttpResponse &head);
    // False (and the connection dropped) when the client has not taken what was sent before
    // and the unsent bytes would pass the limit: a slow reader never holds the server back.
    bool write(const QByteArray &bytes);
    void endStream();

signals:
    // The connection is gone (either side); pointers to it must be dropped.
    void closed();

private:
    friend class HttpServer;
    HttpConnection(QTcpSocket *socket, class HttpServer *server);
    void readMore();
    void process(const QByteArray &bytes);
    void answered();
    void sendErrorAndClose(int status, const QByteArray &reason);
    void finish();
    void account(); // brings the server's memory count up to date with this connection

    QTcpSocket *m_socket;
    HttpServer *m_server;
    HttpRequestParser m_parser;
    QTimer m_headerTimer;
    QTimer m_idleTimer;
    QTimer m_dripTimer;
    QByteArray m_drip;
    bool m_busy = false; // a request is being answered (or streamed)
    bool m_headRequest = false;
    bool m_keepAlive = true;
    bool m_streaming = false;
    bool m_closing = false;
    bool m_draining = false; // a 413 is out; the rest of the upload is read and dropped
    bool m_finished = false;
    qint64 m_accounted = 0; // this connection's share of HttpServer::m_buffered
};

class HttpServer : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<void(const HttpRequest &request, HttpConnection *connection)>;

    explicit HttpServer(Handler handler, QObject *parent = nullptr);
    ~HttpServer() override;

    // With a configuration (certificate and key), connections are TLS.
    void setTls(const std::optional<QSslConfiguration> &tls) { m_tls = tls; }
    bool isTls() const { return m_tls.has_value(); }

    // Listens on `address`:`port` (0: a free port); false with the socket's reason.
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    // Listens on one more address at the same port (IPv6 loopback beside IPv4); false, and no
    // harm done, when the machine does not have it.
    bool alsoListen(const QHostAddress &address);
    void close();
    bool isListening() const { return !m_servers.isEmpty(); }
    quint16 port() const { return m_port; }
    int listenerCount() const { return int(m_servers.size()); }

    // How answers to broken requests (400, 408, 413, 431, 501, 505) look; plain text unless
    // set (the API answers problem+json). The connection closes after them either way.
    using ErrorFormatter = std::function<HttpResponse(int status, const QByteArray &reason)>;
    void setErrorFormatter(ErrorFormatter formatter) { m_errorFormatter = std::move(formatter); }

    void setLimits(const HttpServerLimits &limits) { m_limits = limits; }
    const HttpServerLimits &limits() const { return m_limits; }
    int openConnections() const { return int(m_connections.size()); }
    // Request and answer bytes the connections hold right now (see memoryBudget).
    qint64 bufferedBytes() const { return m_buffered; }
    // The connection cap in force: the configured one, or fewer when the process's open-file
    // limit (raised to its hard limit once per process) would not allow that many.
    int effectiveMaxConnections() const;

signals:
    void connectionRefused(int open, int limit);

private:
    friend class HttpConnection;
    QTcpServer *makeServer();
    void acceptConnections(QTcpServer *server);
    void connectionFinished(HttpConnection *connection);

    Handler m_handler;
    ErrorFormatter m_errorFormatter;
    std::optional<QSslConfiguration> m_tls;
    HttpServerLimits m_limits;
    QList<QTcpServer *> m_servers;
    quint16 m_port = 0;
    QList<HttpConnection *> m_connections;
    qint64 m_buffered = 0;
};
