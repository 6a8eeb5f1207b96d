#include "ReceiverServer.h"

#include "domain/Endpoint.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QPointer>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>

namespace {

// lupdate needs a class to name the context of these strings.
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(ReceiverServer)
};

constexpr int kUnmatchedCapacity = 200;

QByteArray reasonPhrase(int status)
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
    case 410:
        return "Gone";
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

bool bodyAllowed(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

} // namespace

// One client connection: parses requests one after another (keep-alive, pipelining),
// enforces the timeouts, and writes each answer (possibly delayed or dripped).
class ReceiverConnection : public QObject
{
public:
    ReceiverConnection(QTcpSocket *socket, ReceiverServer *server)
        : QObject(server)
        , m_socket(socket)
        , m_server(server)
        , m_parser(server->limits().http)
    {
        socket->setParent(this);
        m_headerTimer.setSingleShot(true);
        m_idleTimer.setSingleShot(true);
        m_dripTimer.setSingleShot(false);
        connect(&m_headerTimer, &QTimer::timeout, this,
                [this] { sendErrorAndClose(408, "Request Timeout"); });
        connect(&m_idleTimer, &QTimer::timeout, this, [this] {
            if (m_busy)
                return; // our own delay or drip is running; the client is not idle
            m_socket->abort();
        });
        connect(socket, &QTcpSocket::readyRead, this, &ReceiverConnection::readMore);
        connect(socket, &QTcpSocket::bytesWritten, this, [this] { m_idleTimer.start(); });
        connect(socket, &QTcpSocket::disconnected, this, [this] { finish(); });
        connect(socket, &QTcpSocket::errorOccurred, this, [this] {
            if (m_socket->state() != QAbstractSocket::ConnectedState)
                finish();
        });
        m_headerTimer.start(server->limits().headerTimeoutMs);
        m_idleTimer.start(server->limits().idleTimeoutMs);
    }

private:
    void readMore()
    {
        if (m_busy || m_closing)
            return; // pipelined bytes wait in the socket until the current answer is out
        m_idleTimer.start();
        process(m_socket->readAll());
    }

    void process(const QByteArray &bytes)
    {
        const HttpRequestParser::State state = m_parser.feed(bytes);
        if (m_parser.headersComplete())
            m_headerTimer.stop();
        if (state == HttpRequestParser::State::Error) {
            sendErrorAndClose(m_parser.errorStatus(), m_parser.errorReason());
            return;
        }
        if (m_parser.wantsContinue()) {
            m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
            m_parser.continueSent();
        }
        if (state != HttpRequestParser::State::Complete)
            return;
        const HttpRequest request = m_parser.takeRequest();
        m_keepAlive = request.keepAlive();
        m_busy = true;
        const ReceiverServer::Answer answer =
            m_server->handle(request, m_socket->peerAddress().toString(), m_socket->peerPort());
        if (answer.close) {
            m_socket->abort();
            return;
        }
        if (answer.delayMs > 0) {
            QTimer::singleShot(answer.delayMs, this, [this, answer] { respond(answer); });
        } else {
            respond(answer);
        }
    }

    void respond(const ReceiverServer::Answer &a)
    {
        if (m_socket->state() != QAbstractSocket::ConnectedState)
            return;
        const QByteArray body = bodyAllowed(a.status) ? a.body : QByteArray();
        QByteArray head = "HTTP/1.1 " + QByteArray::number(a.status) + ' ' +
                          (a.reason.isEmpty() ? reasonPhrase(a.status) : a.reason) + "\r\n";
        head += "Server: Hookline-Receiver\r\n";
        if (!body.isEmpty())
            head += "Content-Type: " + a.contentType + "\r\n";
        head += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
        for (const auto &h : a.extraHeaders)
            head += h.first + ": " + h.second + "\r\n";
        head += m_keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
        head += "\r\n";
        m_socket->write(head);
        if (a.dripIntervalMs > 0 && !body.isEmpty()) {
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

    void answered()
    {
        if (!m_keepAlive) {
            m_closing = true;
            m_socket->disconnectFromHost();
            return;
        }
        m_busy = false;
        m_headerTimer.start(m_server->limits().headerTimeoutMs);
        // Anything pipelined behind the request we just answered.
        QMetaObject::invokeMethod(
            this,
            [this] {
                if (!m_busy && !m_closing)
                    process(m_socket->readAll());
            },
            Qt::QueuedConnection);
    }

    void sendErrorAndClose(int status, const QByteArray &reason)
    {
        if (m_closing)
            return;
        m_closing = true;
        m_headerTimer.stop();
        const QByteArray body = reason + "\n";
        m_socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) +
                        "\r\nContent-Type: text/plain\r\nContent-Length: " +
                        QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        m_socket->disconnectFromHost();
    }

    void finish()
    {
        if (m_finished)
            return;
        m_finished = true;
        m_headerTimer.stop();
        m_idleTimer.stop();
        m_dripTimer.stop();
        m_server->connectionFinished(this);
        deleteLater();
    }

    QTcpSocket *m_socket;
    ReceiverServer *m_server;
    HttpRequestParser m_parser;
    QTimer m_headerTimer;
    QTimer m_idleTimer;
    QTimer m_dripTimer;
    QByteArray m_drip;
    bool m_busy = false;
    bool m_keepAlive = true;
    bool m_closing = false;
    bool m_finished = false;
};

ReceiverServer::ReceiverServer(QObject *parent)
    : QObject(parent)
    , m_rng(QRandomGenerator::system()->generate())
{
}

ReceiverServer::~ReceiverServer()
{
    close();
}

bool ReceiverServer::listen(quint16 port, QString *error)
{
    close();
    m_v4 = new QTcpServer(this);
    if (!m_v4->listen(QHostAddress::LocalHost, port)) {
        if (error)
            *error = Tr::tr("The receiver cannot listen on 127.0.0.1:%1: %2. Choose another port, "
                            "or 0 for a free one.")
                         .arg(port)
                         .arg(m_v4->errorString());
        delete m_v4;
        m_v4 = nullptr;
        return false;
    }
    m_port = m_v4->serverPort();
    m_v4->setMaxPendingConnections(m_limits.maxConnections);
    connect(m_v4, &QTcpServer::newConnection, this, [this] { acceptConnections(m_v4); });
    // IPv6 loopback on the same port when the machine has it; not having it is no error.
    m_v6 = new QTcpServer(this);
    if (m_v6->listen(QHostAddress::LocalHostIPv6, m_port)) {
        m_v6->setMaxPendingConnections(m_limits.maxConnections);
        connect(m_v6, &QTcpServer::newConnection, this, [this] { acceptConnections(m_v6); });
    } else {
        delete m_v6;
        m_v6 = nullptr;
    }
    return true;
}

void ReceiverServer::close()
{
    delete m_v4;
    m_v4 = nullptr;
    delete m_v6;
    m_v6 = nullptr;
    const QList<ReceiverConnection *> open = m_connections;
    m_connections.clear();
    qDeleteAll(open);
    m_port = 0;
}

bool ReceiverServer::isListening() const
{
    return m_v4 && m_v4->isListening();
}

QString ReceiverServer::setInbox(const InboxConfig &config)
{
    const QString error = validateInboxConfig(config);
    if (!error.isEmpty())
        return error;
    InboxState &state = m_inboxes[config.name];
    state.config = config;
    state.scriptPosition = 0;
    while (int(state.requests.size()) > config.capacity)
        state.requests.pop_front();
    return {};
}

bool ReceiverServer::removeInbox(const QString &name)
{
    return m_inboxes.remove(name) > 0;
}

QStringList ReceiverServer::inboxNames() const
{
    QStringList names = m_inboxes.keys();
    names.sort();
    return names;
}

InboxConfig ReceiverServer::inbox(const QString &name) const
{
    return m_inboxes.value(name).config;
}

QUrl ReceiverServer::inboxUrl(const QString &name, bool ipv6) const
{
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(ipv6 ? QStringLiteral("::1") : QStringLiteral("127.0.0.1"));
    url.setPort(m_port);
    url.setPath(QLatin1String("/inbox/") + name);
    return url;
}

QList<CapturedRequest> ReceiverServer::requests(const QString &inbox) const
{
    const auto it = m_inboxes.constFind(inbox);
    if (it == m_inboxes.constEnd())
        return {};
    return {it->requests.begin(), it->requests.end()};
}

void ReceiverServer::clearRequests(const QString &inbox)
{
    auto it = m_inboxes.find(inbox);
    if (it != m_inboxes.end())
        it->requests.clear();
}

void ReceiverServer::attachEndpoint(Endpoint *endpoint, const QString &inboxName)
{
    if (endpoint->secret.isEmpty())
        endpoint->secret = WebhookSigner::generateSecret();
    InboxConfig config =
        m_inboxes.contains(inboxName) ? m_inboxes.value(inboxName).config : InboxConfig();
    config.name = inboxName;
    config.secret = endpoint->secret;
    setInbox(config);
    endpoint->url = inboxUrl(inboxName).toString();
}

void ReceiverServer::acceptConnections(QTcpServer *server)
{
    while (QTcpSocket *socket = server->nextPendingConnection()) {
        if (m_connections.size() >= m_limits.maxConnections) {
            socket->write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                          "Connection: close\r\n\r\n");
            socket->disconnectFromHost();
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            emit connectionRefused(Tr::tr("Refused a connection: %1 are open, the limit is %2.")
                                       .arg(m_connections.size())
                                       .arg(m_limits.maxConnections));
            continue;
        }
        m_connections.append(new ReceiverConnection(socket, this));
    }
}

void ReceiverServer::connectionFinished(ReceiverConnection *connection)
{
    m_connections.removeOne(connection);
}

ReceiverServer::Answer ReceiverServer::handle(const HttpRequest &request,
                                              const QString &remoteAddress, quint16 remotePort)
{
    CapturedRequest record;
    record.sequence = ++m_sequence;
    record.received = QDateTime::currentDateTimeUtc();
    record.method = request.method;
    record.target = request.target;
    record.remoteAddress = remoteAddress;
    record.remotePort = remotePort;
    record.headers = request.headers;
    record.bodySize = request.body.size();
    record.body = request.body.left(m_limits.storedBodyCap);

    const QByteArray contentType = request.header("content-type").toLower();
    if (contentType.startsWith("application/x-www-form-urlencoded")) {
        const QUrlQuery query(QString::fromUtf8(request.body));
        for (const auto &item : query.queryItems(QUrl::FullyDecoded))
            record.formFields.append(item);
    }

    // /inbox/<name>[/…][?…]
    QByteArray path = request.target;
    const qsizetype q = path.indexOf('?');
    if (q >= 0)
        path.truncate(q);
    QString name;
    if (path.startsWith("/inbox/")) {
        name = QUrl::fromPercentEncoding(path.mid(7));
        const qsizetype slash = name.indexOf(u'/');
        if (slash >= 0)
            name.truncate(slash);
    }

    Answer answer;
    auto it = m_inboxes.find(name);
    if (name.isEmpty() || it == m_inboxes.end()) {
        answer.status = 404;
        answer.contentType = "text/plain; charset=utf-8";
        answer.body = Tr::tr("No inbox at %1. Inboxes: %2 (POST to /inbox/<name>).\n")
                          .arg(QString::fromUtf8(path),
                               inboxNames().isEmpty() ? Tr::tr("none") : inboxNames().join(u", "))
                          .toUtf8();
        record.responseStatus = 404;
        record.note = Tr::tr("no such inbox");
        m_unmatched.push_back(record);
        if (int(m_unmatched.size()) > kUnmatchedCapacity)
            m_unmatched.pop_front();
        emit requestCaptured(record);
        return answer;
    }

    InboxState &inbox = *it;
    const InboxConfig &c = inbox.config;
    record.inbox = c.name;
    const QStringList secrets = c.secret.isEmpty() ? QStringList() : QStringList{c.secret};
    record.signature = WebhookSigner::verify(
        secrets, request.header("webhook-id"), request.header("webhook-timestamp"),
        request.header("webhook-signature"), request.body, QDateTime::currentSecsSinceEpoch());

    answer.status = c.status;
    answer.body = c.body;
    answer.contentType = c.contentType;
    answer.delayMs = c.delayMs;
    answer.dripIntervalMs = c.dripIntervalMs;
    bool simulatedFailure = false;
    if (inbox.scriptPosition < c.script.size()) {
        const int scripted = c.script.at(inbox.scriptPosition++);
        if (scripted == 0) {
            answer.close = true;
            record.note =
                Tr::tr("script step %1: dropped the connection").arg(inbox.scriptPosition);
        } else {
            simulatedFailure = scripted != c.status;
            answer.status = scripted;
            record.note = Tr::tr("script step %1").arg(inbox.scriptPosition);
        }
    } else if (c.closeWithoutAnswer) {
        answer.close = true;
        record.note = Tr::tr("dropped the connection without an answer");
    } else if (c.failRate > 0 && m_rng.generateDouble() < c.failRate) {
        answer.status = c.failStatus;
        simulatedFailure = true;
        record.note = Tr::tr("simulated failure (rate %1)").arg(c.failRate);
    }
    if (simulatedFailure) {
        answer.contentType = "application/json";
        answer.body = "{\"error\":\"simulated " + QByteArray::number(answer.status) + "\"}";
    }
    if (c.retryAfterSeconds > 0 && (answer.status == 429 || answer.status == 503))
        answer.extraHeaders.append({"Retry-After", QByteArray::number(c.retryAfterSeconds)});
    answer.extraHeaders.append(c.headers);
    answer.extraHeaders.append({"X-Hookline-Inbox", c.name.toUtf8()});
    record.responseStatus = answer.close ? 0 : answer.status;

    inbox.requests.push_back(record);
    while (int(inbox.requests.size()) > c.capacity)
        inbox.requests.pop_front();
    emit requestCaptured(record);
    return answer;
}
