// SPDX-License-Identifier: GPL-3.0-or-later
// An incremental HTTP/1.1 request parser (RFC 9112) for Hookline's HTTP server. It is fed
// whatever bytes arrive and says when a request is complete, or which 4xx/5xx to answer when
// the client is broken or hostile (oversized headers 431, oversized body 413, malformed 400 -
// a missing or repeated Host, a signed or repeated-and-different Content-Length, a control
// character in a header, a chunk size that is not plain hex -, unsupported transfer coding
// 501, unsupported major version 505). It never buffers more than the limits allow.
// Hand-written rather than Debian's libhttp-parser: that library is archived upstream (Node
// moved to llhttp), and this one is small, bounded, and held to the cases in its tests.
#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

struct HttpLimits
{
    int maxHeaderBytes = 16 * 1024; // request line + headers
    int maxHeaderCount = 100;
    qint64 maxBodyBytes = 10 * 1024 * 1024;
};

struct HttpRequest
{
    QByteArray method;
    QByteArray target;                            // path and query (origin form)
    QByteArray version;                           // "HTTP/1.1"
    QList<QPair<QByteArray, QByteArray>> headers; // in order, names as sent
    QByteArray body;

    QByteArray header(const QByteArray &name) const; // first match, case-insensitive
    bool keepAlive() const;
};

class HttpRequestParser
{
public:
    enum class State { Incomplete, Complete, Error };

    explicit HttpRequestParser(const HttpLimits &limits = {});

    // Appends bytes and advances. After Complete, takeRequest() returns it and the parser
    // continues with any bytes left over (pipelining) on the next feed({}) call.
    State feed(const QByteArray &bytes);
    HttpRequest takeRequest();

    // Set once the headers are in and the client sent "Expect: 100-continue".
    bool wantsContinue() const { return m_wantsContinue; }
    void continueSent() { m_wantsContinue = false; }
    bool headersComplete() const { return m_phase != Phase::Head; }
    // Bytes of a request's head have arrived (and the request is not complete).
    bool hasPartialRequest() const { return m_phase == Phase::Head && !m_buffer.isEmpty(); }

    int errorStatus() const { return m_errorStatus; }
    // Bytes held for the request in progress and anything pipelined behind it.
    qint64 bufferedBytes() const { return m_buffer.size() + m_request.body.size(); }
    QByteArray errorReason() const { return m_errorReason; }

private:
    enum class Phase { Head, Body, Chunked, Done };
    State fail(int status, const QByteArray &reason);
    State parseHead(qsizetype headEnd, qsizetype terminatorSize);
    State parseChunked();

    HttpLimits m_limits;
    QByteArray m_buffer;
    Phase m_phase = Phase::Head;
    HttpRequest m_request;
    qint64 m_contentLength = 0;
    bool m_wantsContinue = false;
    int m_errorStatus = 0;
    QByteArray m_errorReason;
};
