// SPDX-License-Identifier: GPL-3.0-or-later
// Test helper: speaks raw bytes to a server on loopback and collects the answer, so tests
// can send what a well-behaved client never would (oversized, malformed, slow, pipelined).
// Runs the event loop while waiting, because the server under test lives on this thread.
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QTcpSocket>
#include <QTest>

struct RawResponse
{
    int status = 0;
    QByteArray head;
    QByteArray body;
    bool closed = false;
};

class RawHttpClient
{
public:
    explicit RawHttpClient(quint16 port, const QHostAddress &host = QHostAddress::LocalHost)
    {
        m_socket.connectToHost(host, port);
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket,
                         [this] { m_received += m_socket.readAll(); });
        QObject::connect(&m_socket, &QTcpSocket::disconnected, &m_socket,
                         [this] { m_closed = true; });
        static_cast<void>(QTest::qWaitFor(
            [this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, 5000));
    }

    bool connected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    void send(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }
    QByteArray &received() { return m_received; }
    bool closed() const { return m_closed; }
    bool waitClosed(int ms = 5000)
    {
        return QTest::qWaitFor([this] { return m_closed; }, ms);
    }

    // Waits for one complete response (by Content-Length) or for the close.
    RawResponse read(int ms = 5000)
    {
        RawResponse r;
        static_cast<void>(QTest::qWaitFor([this] { return complete() >= 0 || m_closed; }, ms));
        const qsizetype end = complete();
        const qsizetype headEnd = m_received.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            r.closed = m_closed;
            return r;
        }
        r.head = m_received.left(headEnd);
        r.status = r.head.mid(9, 3).toInt();
        const qsizetype stop = end >= 0 ? end : m_received.size();
        r.body = m_received.mid(headEnd + 4, stop - headEnd - 4);
        m_received.remove(0, stop);
        r.closed = m_closed;
        return r;
    }

    static QByteArray post(const QByteArray &path, const QByteArray &body,
                           const QByteArray &extraHeaders = {})
    {
        return "POST " + path +
               " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + extraHeaders +
               "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    }

private:
    // End offset of the first complete response, or -1.
    qsizetype complete() const
    {
        const qsizetype headEnd = m_received.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return -1;
        const QByteArray head = m_received.left(headEnd).toLower();
        const qsizetype cl = head.indexOf("content-length:");
        if (cl < 0)
            return -1;
        const qsizetype eol = head.indexOf("\r\n", cl);
        const qint64 length =
            head.mid(cl + 15, eol < 0 ? -1 : eol - cl - 15).trimmed().toLongLong();
        if (m_received.size() < headEnd + 4 + length)
            return -1;
        return headEnd + 4 + length;
    }

    QTcpSocket m_socket;
    QByteArray m_received;
    bool m_closed = false;
};
