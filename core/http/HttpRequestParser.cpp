// SPDX-License-Identifier: GPL-3.0-or-later
#include "HttpRequestParser.h"

#include <cctype>

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

// A header value may hold visible characters, spaces, tabs and obs-text; never a control
// character (NUL, CR, LF, DEL...): those are how request smuggling and log injection start.
bool isValidFieldValue(const QByteArray &value)
{
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            return false;
    }
    return true;
}

bool isDigits(const QByteArray &s)
{
    if (s.isEmpty() || s.size() > 18)
        return false;
    for (char c : s) {
        if (c < '0' || c > '9')
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

namespace {
constexpr qsizetype kMaxRequestLineBytes = 8 * 1024;
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
        // The request line alone is bounded more tightly than the head (RFC 9112 3: 414).
        const qsizetype lineEnd = m_buffer.indexOf('\n');
        if ((lineEnd < 0 ? m_buffer.size() : lineEnd) > kMaxRequestLineBytes)
            return fail(414, "URI Too Long");
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
    const QByteArray &v = m_request.version;
    if (v.size() != 8 || !v.startsWith("HTTP/") || v.at(6) != '.' || v.at(5) < '0' ||
        v.at(5) > '9' || v.at(7) < '0' || v.at(7) > '9')
        return fail(400, "Bad Request: malformed request line");
    if (v.at(5) != '1')
        return fail(505, "HTTP Version Not Supported");
    if (v.at(7) > '1')
        m_request.version = "HTTP/1.1"; // a later 1.x is answered as 1.1 (RFC 9110 6.2)
    // Absolute form (as sent to proxies, and which servers must accept): keep path and query.
    const QByteArray lowerTarget = m_request.target.left(8).toLower();
    if (lowerTarget.startsWith("http://") || lowerTarget.startsWith("https://")) {
        const qsizetype authority = m_request.target.indexOf("//") + 2;
        const qsizetype path = m_request.target.indexOf('/', authority);
        const qsizetype query = m_request.target.indexOf('?', authority);
        if (path >= 0 && (query < 0 || path < query))
            m_request.target = m_request.target.mid(path);
        else if (query >= 0)
            m_request.target = '/' + m_request.target.mid(query);
        else
            m_request.target = "/";
    } else if (!m_request.target.startsWith('/') && m_request.target != "*") {
        return fail(400, "Bad Request: malformed request target");
    }
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
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (!isValidFieldValue(value))
            return fail(400, "Bad Request: control character in a header value");
        m_request.headers.append({name, value});
    }
    // HTTP/1.1 requests name their host exactly once (RFC 9112 3.2).
    int hosts = 0;
    int transferEncodings = 0;
    for (const auto &h : m_request.headers) {
        hosts += h.first.compare("host", Qt::CaseInsensitive) == 0;
        transferEncodings += h.first.compare("transfer-encoding", Qt::CaseInsensitive) == 0;
    }
    if (m_request.version == "HTTP/1.1" && hosts != 1)
        return fail(400, hosts ? "Bad Request: more than one Host header"
                               : "Bad Request: no Host header");
    if (transferEncodings > 1)
        return fail(400, "Bad Request: more than one Transfer-Encoding header");

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
            // Digits only: "+2", " 2 3" or "0x2" are refused, not read as a number.
            if (!isDigits(h.second))
                return fail(400, "Bad Request: invalid Content-Length");
            const qint64 value = h.second.toLongLong();
            if (length >= 0 && value != length)
                return fail(400, "Bad Request: invalid Content-Length");
            length = value;
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
        // Plain hex digits (no "0x", no sign), few enough that the size cannot overflow.
        const QByteArray hex = sizeLine.trimmed();
        bool ok = !hex.isEmpty() && hex.size() <= 15;
        for (char c : hex)
            ok = ok && std::isxdigit(static_cast<unsigned char>(c));
        const qint64 size = ok ? hex.toLongLong(&ok, 16) : -1;
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
        if (size > m_limits.maxBodyBytes - m_request.body.size())
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
