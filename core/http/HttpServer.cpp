// SPDX-License-Identifier: GPL-3.0-or-later
#include "HttpServer.h"

#include <sys/resource.h>

#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>

namespace {

bool bodyAllowed(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

} // namespace

QByteArray httpReasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 304:
        return "Not Modified";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 413:
        return "Content Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Status";
    }
}

HttpResponse HttpResponse::json(int status, const QByteArray &body)
{
    HttpResponse r;
    r.status = status;
    r.contentType = "application/json";
    r.body = body;
    return r;
}

HttpConnection::HttpConnection(QTcpSocket *socket, HttpServer *server)
    : m_socket(socket)
    , m_server(server)
    , m_parser(server->limits().http)
{
    socket->setParent(this);
    // Qt would otherwise read everything the client sends into memory while an answer is
    // pending (pipelining behind a slow answer): past this, TCP holds the client back.
    socket->setReadBufferSize(64 * 1024);
    m_headerTimer.setSingleShot(true);
    m_idleTimer.setSingleShot(true);
    m_dripTimer.setSingleShot(false);
    connect(&m_headerTimer, &QTimer::timeout, this,
            [this] { sendErrorAndClose(408, "Request Timeout"); });
    connect(&m_idleTimer, &QTimer::timeout, this, [this] {
        if (m_busy)
            return; // an answer is being prepared or streamed; the client is not idle
        m_socket->abort();
    });
    connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::readMore);
    connect(socket, &QTcpSocket::bytesWritten, this, [this] {
        if (!m_streaming)
            m_idleTimer.start();
        account();
    });
    connect(socket, &QTcpSocket::disconnected, this, [this] { finish(); });
    connect(socket, &QTcpSocket::errorOccurred, this, [this] {
        if (m_socket->state() != QAbstractSocket::ConnectedState)
            finish();
    });
    m_idleTimer.start(server->limits().idleTimeoutMs);
    // Bytes that came with the TLS handshake are already waiting.
    if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HttpConnection::readMore, Qt::QueuedConnection);
}

QString HttpConnection::peerAddress() const
{
    return m_socket->peerAddress().toString();
}

quint16 HttpConnection::peerPort() const
{
    return m_socket->peerPort();
}

bool HttpConnection::isOpen() const
{
    return !m_finished && m_socket->state() == QAbstractSocket::ConnectedState;
}

void HttpConnection::readMore()
{
    account();
    if (m_draining) {
        m_socket->readAll(); // the client is still sending what was refused
        return;
    }
    if (m_busy || m_closing)
        return; // pipelined bytes wait in the socket until the current answer is out
    m_idleTimer.start();
    process(m_socket->readAll());
}

void HttpConnection::account()
{
    const qint64 now = m_finished ? 0
                                  : m_parser.bufferedBytes() + m_socket->bytesAvailable() +
                                        m_socket->bytesToWrite();
    m_server->m_buffered += now - m_accounted;
    m_accounted = now;
}

void HttpConnection::process(const QByteArray &bytes)
{
    const HttpServerLimits &limits = m_server->limits();
    if (m_server->m_buffered - m_accounted + m_parser.bufferedBytes() + bytes.size() >
        limits.memoryBudget) {
        sendErrorAndClose(503, "Service Unavailable: the server is holding as much request data "
                               "as it may; retry shortly");
        return;
    }
    const HttpRequestParser::State state = m_parser.feed(bytes);
    account();
    if (state == HttpRequestParser::State::Error) {
        sendErrorAndClose(m_parser.errorStatus(), m_parser.errorReason());
        return;
    }
    // The head has a deadline from its first byte on (a slow-loris client is cut off); an
    // idle connection between requests has none but the idle timeout.
    if (state == HttpRequestParser::State::Complete || m_parser.headersComplete() ||
        !m_parser.hasPartialRequest())
        m_headerTimer.stop();
    else if (!m_headerTimer.isActive())
        m_headerTimer.start(m_server->limits().headerTimeoutMs);
    if (m_parser.wantsContinue()) {
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        m_parser.continueSent();
    }
    if (state != HttpRequestParser::State::Complete)
        return;
    const HttpRequest request = m_parser.takeRequest();
    account();
    m_keepAlive = request.keepAlive();
    m_headRequest = request.method == "HEAD";
    m_busy = true;
    m_server->m_handler(request, this);
}

void HttpConnection::respond(const HttpResponse &a)
{
    if (!m_busy || m_streaming || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    const QByteArray body = bodyAllowed(a.status) ? a.body : QByteArray();
    QByteArray head = "HTTP/1.1 " + QByteArray::number(a.status) + ' ' +
                      (a.reason.isEmpty() ? httpReasonPhrase(a.status) : a.reason) + "\r\n";
    if (!body.isEmpty())
        head += "Content-Type: " + a.contentType + "\r\n";
    // A HEAD answer says how long the body would be and sends none (RFC 9110 9.3.2).
    if (bodyAllowed(a.status))
        head += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    for (const auto &h : a.headers)
        head += h.first + ": " + h.second + "\r\n";
    head += m_keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    head += "\r\n";
    m_socket->write(head);
    if (m_headRequest || body.isEmpty()) {
        answered();
        return;
    }
    if (a.dripIntervalMs > 0) {
        m_drip = body;
        m_dripTimer.disconnect();
        connect(&m_dripTimer, &QTimer::timeout, this, [this] {
            if (m_socket->state() != QAbstractSocket::ConnectedState) {
                m_dripTimer.stop();
                return;
            }
            m_socket->write(m_drip.left(1));
            m_drip.remove(0, 1);
            if (m_drip.isEmpty()) {
                m_dripTimer.stop();
                answered();
            }
        });
        m_dripTimer.start(a.dripIntervalMs);
        return;
    }
    m_socket->write(body);
    answered();
}

void HttpConnection::abort()
{
    m_socket->abort();
}

void HttpConnection::startStream(const HttpResponse &h)
{
    if (!m_busy || m_streaming || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    m_streaming = true;
    m_keepAlive = false;
    // A small kernel buffer too, so that what a slow reader holds up is mostly ours to count.
    m_socket->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, 64 * 1024);
    m_idleTimer.stop();
    QByteArray head = "HTTP/1.1 " + QByteArray::number(h.status) + ' ' +
                      (h.reason.isEmpty() ? httpReasonPhrase(h.status) : h.reason) + "\r\n";
    head += "Content-Type: " + h.contentType + "\r\n";
    for (const auto &x : h.headers)
        head += x.first + ": " + x.second + "\r\n";
    head += "Connection: close\r\n\r\n";
    m_socket->write(head);
    if (!m_headRequest)
        m_socket->write(h.body);
    else
        endStream();
}

bool HttpConnection::write(const QByteArray &bytes)
{
    if (!m_streaming || m_closing || m_socket->state() != QAbstractSocket::ConnectedState)
        return false;
    if (m_socket->bytesToWrite() + bytes.size() > m_server->limits().maxStreamBuffer) {
        m_socket->abort();
        return false;
    }
    m_socket->write(bytes);
    return true;
}

void HttpConnection::endStream()
{
    if (!m_streaming || m_closing)
        return;
    m_closing = true;
    m_socket->disconnectFromHost();
}

void HttpConnection::answered()
{
    if (!m_keepAlive) {
        m_closing = true;
        m_socket->disconnectFromHost();
        return;
    }
    m_busy = false;
    m_idleTimer.start(m_server->limits().idleTimeoutMs);
    // Anything pipelined behind the request just answered.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (!m_busy && !m_closing)
                process(m_socket->readAll());
        },
        Qt::QueuedConnection);
}

void HttpConnection::sendErrorAndClose(int status, const QByteArray &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    m_headerTimer.stop();
    HttpResponse r;
    if (m_server->m_errorFormatter) {
        r = m_server->m_errorFormatter(status, reason);
    } else {
        r.status = status;
        r.contentType = "text/plain";
        r.body = reason + "\n";
    }
    m_socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + httpReasonPhrase(status) +
                    "\r\nContent-Type: " + r.contentType +
                    "\r\nContent-Length: " + QByteArray::number(r.body.size()) +
                    (status == 503 ? "\r\nRetry-After: 1" : "") + "\r\nConnection: close\r\n\r\n" +
                    r.body);
    if (status == 413 || status == 503) {
        // The client may still be uploading. Closing with unread bytes would reset the
        // connection and could destroy our answer before it is read: read and drop for a
        // moment (a "lingering close"); a client that read the answer closes first.
        m_draining = true;
        m_socket->readAll();
        m_idleTimer.stop();
        QTimer::singleShot(2000, this, [this] { m_socket->disconnectFromHost(); });
        return;
    }
    m_socket->disconnectFromHost();
}

void HttpConnection::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    account();
    m_headerTimer.stop();
    m_idleTimer.stop();
    m_dripTimer.stop();
    emit closed();
    m_server->connectionFinished(this);
    deleteLater();
}

HttpServer::HttpServer(Handler handler, QObject *parent)
    : QObject(parent)
    , m_handler(std::move(handler))
{
}

HttpServer::~HttpServer()
{
    close();
}

QTcpServer *HttpServer::makeServer()
{
    QTcpServer *server = nullptr;
    if (m_tls) {
        auto *ssl = new QSslServer(this);
        ssl->setSslConfiguration(*m_tls);
        ssl->setHandshakeTimeout(m_limits.headerTimeoutMs);
        server = ssl;
    } else {
        server = new QTcpServer(this);
    }
    // Pending connections are taken at once; the cap is ours (with a 503), not the backlog's.
    server->setMaxPendingConnections(m_limits.maxConnections);
    connect(server, &QTcpServer::pendingConnectionAvailable, this,
            [this, server] { acceptConnections(server); });
    return server;
}

namespace {
// Debian's default soft limit (1,024) is below the connection cap plus what the rest of the
// process needs: raise it to the hard limit once, as servers do.
rlim_t openFileLimit()
{
    static const rlim_t raised = [] {
        rlimit r{};
        if (getrlimit(RLIMIT_NOFILE, &r) != 0)
            return rlim_t(1024);
        if (r.rlim_cur < r.rlim_max) {
            rlimit wanted = r;
            wanted.rlim_cur = r.rlim_max;
            if (setrlimit(RLIMIT_NOFILE, &wanted) == 0)
                r = wanted;
        }
        return r.rlim_cur;
    }();
    Q_UNUSED(raised);
    rlimit now{}; // read again: what is in force now (a test may have lowered it since)
    return getrlimit(RLIMIT_NOFILE, &now) == 0 ? now.rlim_cur : rlim_t(1024);
}
// Descriptors kept for everything else: the database and its WAL, outgoing deliveries,
// the listeners, and the one needed to accept a connection and answer it 503.
constexpr rlim_t kReservedDescriptors = 128;
} // namespace

bool HttpServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    openFileLimit(); // raise the descriptor limit before the first client, not at it
    close();
    QTcpServer *server = makeServer();
    if (!server->listen(address, port)) {
        if (error)
            *error = server->errorString();
        delete server;
        return false;
    }
    m_port = server->serverPort();
    m_servers.append(server);
    return true;
}

bool HttpServer::alsoListen(const QHostAddress &address)
{
    if (m_servers.isEmpty())
        return false;
    QTcpServer *server = makeServer();
    if (!server->listen(address, m_port)) {
        delete server;
        return false;
    }
    m_servers.append(server);
    return true;
}

void HttpServer::close()
{
    qDeleteAll(m_servers);
    m_servers.clear();
    const QList<HttpConnection *> open = m_connections;
    m_connections.clear();
    qDeleteAll(open);
    m_port = 0;
}

void HttpServer::acceptConnections(QTcpServer *server)
{
    while (QTcpSocket *socket = server->nextPendingConnection()) {
        if (m_connections.size() >= effectiveMaxConnections()) {
            socket->write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                          "Connection: close\r\n\r\n");
            socket->disconnectFromHost();
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            emit connectionRefused(int(m_connections.size()), effectiveMaxConnections());
            continue;
        }
        m_connections.append(new HttpConnection(socket, this));
    }
}

int HttpServer::effectiveMaxConnections() const
{
    const rlim_t limit = openFileLimit();
    const rlim_t room = limit > kReservedDescriptors ? limit - kReservedDescriptors : 1;
    return int(qMin<rlim_t>(rlim_t(m_limits.maxConnections), room));
}

void HttpServer::connectionFinished(HttpConnection *connection)
{
    m_connections.removeOne(connection);
}
