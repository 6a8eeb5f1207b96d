// SPDX-License-Identifier: GPL-3.0-or-later
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

#include <memory>

namespace {

// lupdate needs a class to name the context of these strings.
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(ReceiverServer)
};

constexpr int kUnmatchedCapacity = 200;

} // namespace

ReceiverServer::ReceiverServer(QObject *parent)
    : QObject(parent)
    , m_http(new HttpServer([this](const HttpRequest &r, HttpConnection *c) { serve(r, c); }, this))
    , m_rng(QRandomGenerator::system()->generate())
{
    setLimits(m_limits);
    connect(m_http, &HttpServer::connectionRefused, this, [this](int open, int limit) {
        emit connectionRefused(
            Tr::tr("Refused a connection: %1 are open, the limit is %2.").arg(open).arg(limit));
    });
}

ReceiverServer::~ReceiverServer()
{
    close();
}

void ReceiverServer::setLimits(const ReceiverLimits &limits)
{
    m_limits = limits;
    HttpServerLimits http;
    http.http = limits.http;
    http.headerTimeoutMs = limits.headerTimeoutMs;
    http.idleTimeoutMs = limits.idleTimeoutMs;
    http.maxConnections = limits.maxConnections;
    http.memoryBudget = limits.memoryBudget;
    m_http->setLimits(http);
}

qint64 ReceiverServer::bufferedBytes() const
{
    return m_http->bufferedBytes();
}

int ReceiverServer::effectiveMaxConnections() const
{
    return m_http->effectiveMaxConnections();
}

bool ReceiverServer::listen(quint16 port, QString *error)
{
    QString why;
    if (!m_http->listen(QHostAddress::LocalHost, port, &why)) {
        if (error)
            *error = Tr::tr("The receiver cannot listen on 127.0.0.1:%1: %2. Choose another port, "
                            "or 0 for a free one.")
                         .arg(port)
                         .arg(why);
        return false;
    }
    // IPv6 loopback on the same port when the machine has it; not having it is no error.
    m_http->alsoListen(QHostAddress::LocalHostIPv6);
    return true;
}

void ReceiverServer::close()
{
    m_http->close();
}

quint16 ReceiverServer::port() const
{
    return m_http->port();
}

bool ReceiverServer::hasIpv6() const
{
    return m_http->listenerCount() > 1;
}

int ReceiverServer::openConnections() const
{
    return m_http->openConnections();
}

bool ReceiverServer::isListening() const
{
    return m_http->isListening();
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
    url.setPort(port());
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

void ReceiverServer::serve(const HttpRequest &request, HttpConnection *connection)
{
    const Answer a = handle(request, connection->peerAddress(), connection->peerPort());
    if (a.close) {
        connection->abort();
        return;
    }
    HttpResponse response;
    response.status = a.status;
    response.reason = a.reason;
    response.contentType = a.contentType;
    response.body = a.body;
    response.headers = a.extraHeaders;
    response.headers.prepend({"Server", "Hookline-Receiver"});
    response.dripIntervalMs = a.dripIntervalMs;
    if (a.delayMs <= 0) {
        connection->respond(response);
        return;
    }
    // The connection is the timer's context: a client that leaves cancels the answer. The
    // guard counts the answers being held back, however each one ends.
    struct Held
    {
        QPointer<ReceiverServer> server;
        explicit Held(ReceiverServer *s)
            : server(s)
        {
            s->m_peakHeld = qMax(s->m_peakHeld, ++s->m_held);
        }
        ~Held()
        {
            if (server)
                --server->m_held;
        }
    };
    auto held = std::make_shared<Held>(this);
    QTimer::singleShot(a.delayMs, connection,
                       [connection, response, held] { connection->respond(response); });
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
