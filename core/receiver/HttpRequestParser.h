// An incremental HTTP/1.1 request parser for the built-in receiver. It is fed whatever bytes
// arrive and says when a request is complete, or which 4xx/5xx to answer when the client is
// broken or hostile (oversized headers 431, oversized body 413, malformed 400, unsupported
// transfer coding 501, unsupported version 505). It never buffers more than the limits allow.
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
    QByteArray target;                            // path and query, as sent
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

    int errorStatus() const { return m_errorStatus; }
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
