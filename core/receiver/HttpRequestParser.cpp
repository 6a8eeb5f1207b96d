#include "HttpRequestParser.h"

namespace {

bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken(const QByteArray &s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

} // namespace

QByteArray HttpRequest::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return {};
}

bool HttpRequest::keepAlive() const
{
    const QByteArray connection = header("connection").toLower();
    if (version == "HTTP/1.0")
        return connection.contains("keep-alive");
    return !connection.contains("close");
}

HttpRequestParser::HttpRequestParser(const HttpLimits &limits)
    : m_limits(limits)
{
}

HttpRequestParser::State HttpRequestParser::fail(int status, const QByteArray &reason)
{
    m_errorStatus = status;
    m_errorReason = reason;
    m_buffer.clear();
    return State::Error;
}

HttpRequestParser::State HttpRequestParser::feed(const QByteArray &bytes)
{
    if (m_errorStatus)
        return State::Error;
    if (m_phase == Phase::Done)
        return State::Complete;
    m_buffer.append(bytes);

    if (m_phase == Phase::Head) {
        // Tolerate empty lines before a request (RFC 9112 2.2).
        while (m_buffer.startsWith("\r\n"))
            m_buffer.remove(0, 2);
        qsizetype end = m_buffer.indexOf("\r\n\r\n");
        qsizetype termSize = 4;
        const qsizetype bareEnd = m_buffer.indexOf("\n\n");
        if (bareEnd >= 0 && (end < 0 || bareEnd < end)) {
            end = bareEnd;
            termSize = 2;
        }
        if (end < 0) {
            if (m_buffer.size() > m_limits.maxHeaderBytes)
                return fail(431, "Request Header Fields Too Large");
            return State::Incomplete;
        }
        if (end + termSize > m_limits.maxHeaderBytes)
            return fail(431, "Request Header Fields Too Large");
        const State s = parseHead(end, termSize);
        if (s == State::Error)
            return s;
    }

    if (m_phase == Phase::Body) {
        if (m_buffer.size() < m_contentLength)
            return State::Incomplete;
        m_request.body = m_buffer.left(m_contentLength);
        m_buffer.remove(0, m_contentLength);
        m_phase = Phase::Done;
        return State::Complete;
    }
    if (m_phase == Phase::Chunked)
        return parseChunked();
    return m_phase == Phase::Done ? State::Complete : State::Incomplete;
}

HttpRequestParser::State HttpRequestParser::parseHead(qsizetype headEnd, qsizetype termSize)
{
    const QByteArray head = m_buffer.left(headEnd);
    m_buffer.remove(0, headEnd + termSize);
    QList<QByteArray> lines = head.split('\n');
    for (QByteArray &l : lines) {
        if (l.endsWith('\r'))
            l.chop(1);
    }
    const QList<QByteArray> parts = lines.takeFirst().split(' ');
    if (parts.size() != 3 || !isToken(parts.at(0)) || parts.at(1).isEmpty())
        return fail(400, "Bad Request: malformed request line");
    m_request.method = parts.at(0);
    m_request.target = parts.at(1);
    m_request.version = parts.at(2);
    if (!m_request.version.startsWith("HTTP/"))
        return fail(400, "Bad Request: malformed request line");
    if (m_request.version != "HTTP/1.1" && m_request.version != "HTTP/1.0")
        return fail(505, "HTTP Version Not Supported");
    if (lines.size() > m_limits.maxHeaderCount)
        return fail(431, "Request Header Fields Too Large: too many headers");
    for (const QByteArray &line : lines) {
        if (line.startsWith(' ') || line.startsWith('\t'))
            return fail(400, "Bad Request: obsolete header line folding");
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return fail(400, "Bad Request: header line without a name");
        const QByteArray name = line.left(colon);
        if (!isToken(name))
            return fail(400, "Bad Request: invalid header name");
        m_request.headers.append({name, line.mid(colon + 1).trimmed()});
    }

    const QByteArray te = m_request.header("transfer-encoding").trimmed().toLower();
    const QByteArray cl = m_request.header("content-length");
    if (!te.isEmpty()) {
        if (te != "chunked")
            return fail(501, "Not Implemented: transfer coding");
        if (!cl.isEmpty())
            return fail(400, "Bad Request: both Content-Length and Transfer-Encoding");
        m_phase = Phase::Chunked;
    } else if (!cl.isEmpty()) {
        // Several Content-Length headers must agree (RFC 9110 8.6).
        qint64 length = -1;
        for (const auto &h : m_request.headers) {
            if (h.first.compare("content-length", Qt::CaseInsensitive) != 0)
                continue;
            bool ok = false;
            const qint64 v = h.second.toLongLong(&ok);
            if (!ok || v < 0 || (length >= 0 && v != length))
                return fail(400, "Bad Request: invalid Content-Length");
            length = v;
        }
        if (length > m_limits.maxBodyBytes)
            return fail(413, "Content Too Large");
        m_contentLength = length;
        m_phase = Phase::Body;
    } else {
        m_contentLength = 0;
        m_phase = Phase::Body;
    }
    m_wantsContinue =
        m_request.header("expect").toLower() == "100-continue" && m_request.version == "HTTP/1.1";
    return State::Incomplete;
}

HttpRequestParser::State HttpRequestParser::parseChunked()
{
    for (;;) {
        const qsizetype lineEnd = m_buffer.indexOf("\r\n");
        if (lineEnd < 0) {
            if (m_buffer.size() > 1024)
                return fail(400, "Bad Request: chunk size line too long");
            return State::Incomplete;
        }
        QByteArray sizeLine = m_buffer.left(lineEnd);
        const qsizetype ext = sizeLine.indexOf(';');
        if (ext >= 0)
            sizeLine.truncate(ext);
        bool ok = false;
        const qint64 size = sizeLine.trimmed().toLongLong(&ok, 16);
        if (!ok || size < 0)
            return fail(400, "Bad Request: invalid chunk size");
        if (size == 0) {
            // Last chunk: skip optional trailers up to the empty line.
            const qsizetype end = m_buffer.indexOf("\r\n\r\n", lineEnd);
            if (end < 0) {
                if (m_buffer.size() > m_limits.maxHeaderBytes)
                    return fail(431, "Request Header Fields Too Large: trailers");
                return State::Incomplete;
            }
            m_buffer.remove(0, end + 4);
            m_phase = Phase::Done;
            return State::Complete;
        }
        if (m_request.body.size() + size > m_limits.maxBodyBytes)
            return fail(413, "Content Too Large");
        if (m_buffer.size() < lineEnd + 2 + size + 2)
            return State::Incomplete;
        if (m_buffer.mid(lineEnd + 2 + size, 2) != "\r\n")
            return fail(400, "Bad Request: chunk not terminated by CRLF");
        m_request.body.append(m_buffer.mid(lineEnd + 2, size));
        m_buffer.remove(0, lineEnd + 2 + size + 2);
    }
}

HttpRequest HttpRequestParser::takeRequest()
{
    HttpRequest r = std::move(m_request);
    m_request = HttpRequest();
    m_phase = Phase::Head;
    m_contentLength = 0;
    m_wantsContinue = false;
    return r;
}
