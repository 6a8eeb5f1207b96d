// SPDX-License-Identifier: GPL-3.0-or-later
// What the built-in receiver does for one inbox (/inbox/<name>): how it answers, which
// faults it plays, and the secret it checks signatures with. Plus the record it keeps of each
// request. Plain values; ReceiverServer applies them.
#pragma once

#include "signing/WebhookSigner.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QPair>
#include <QString>

// The largest answer body an inbox may be given.
constexpr qsizetype kMaxInboxBodyBytes = 1024 * 1024;

struct InboxConfig
{
    QString name = QStringLiteral("default");
    QString secret; // whsec_…; empty: signatures are reported as unchecked

    int status = 200;
    QByteArray body = QByteArrayLiteral("{\"ok\":true}"); // the answer's body, whatever its status
    QByteArray contentType = QByteArrayLiteral("application/json"); // a media type
    QList<QPair<QByteArray, QByteArray>> headers; // extra response headers (e.g. Location)
    int delayMs = 0;                              // wait before answering
    double failRate = 0.0; // 0..1: this share of requests gets failStatus instead
    int failStatus = 503;
    int retryAfterSeconds = 0;       // > 0: a Retry-After header on 429/503 answers
    bool closeWithoutAnswer = false; // read the request, then drop the connection
    int dripIntervalMs = 0;          // > 0: send the response body one byte per interval
    QList<int> script;               // statuses to answer in order, then back to `status`
                                     // (0 in the script: close without answer)
    int capacity = 500;              // requests kept in memory (ring buffer)
};

struct CapturedRequest
{
    qint64 sequence = 0; // increasing per server
    QDateTime received;
    QString inbox; // empty when the path matched no inbox
    QByteArray method;
    QByteArray target;
    QString remoteAddress;
    quint16 remotePort = 0;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;     // capped (ReceiverServer::storedBodyCap)
    qint64 bodySize = 0; // as received
    QList<QPair<QString, QString>> formFields;
    VerificationResult signature;
    int responseStatus = 0; // 0: closed without an answer
    QString note;           // which fault was played, if any

    QByteArray header(const QByteArray &name) const;
};

// Validates a configuration typed by a person; returns an actionable message or empty.
QString validateInboxConfig(const InboxConfig &config);

Q_DECLARE_METATYPE(CapturedRequest)
