// SPDX-License-Identifier: GPL-3.0-or-later
// Plain values around the admin API that the front ends pass to Engine: where and how it
// listens, and the record of one request (for the log line 'hookline serve' prints).
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QHostAddress>
#include <QSslConfiguration>
#include <QString>

#include <optional>

struct ApiOptions
{
    QHostAddress address = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 8470;
    std::optional<QSslConfiguration> tls; // HTTPS when set
    double ratePerSecond = 100;           // per token
    double burst = 200;
};

struct ApiLogEntry
{
    QDateTime time;
    QByteArray method;
    QString path;
    int status = 0;
    double ms = 0;
    QString tokenName; // empty: no (valid) token
    QString remote;
};

// "HOST:PORT", "[IPv6]:PORT", "localhost:PORT" or ":PORT" (loopback); false when it is none.
bool parseListenAddress(const QString &text, QHostAddress *address, quint16 *port);
// How a person writes the address back: 127.0.0.1:8470, [::1]:8470.
QString listenAddressText(const QHostAddress &address, quint16 port);
