// SPDX-License-Identifier: GPL-3.0-or-later
// The record of getting one event to one endpoint (Delivery) and of each HTTP try (Attempt),
// as EVENTS.md's last section describes. These are what the history shows; they are written
// before the first byte is sent so that nothing accepted is ever lost.
#pragma once

#include "AttemptError.h"
#include "Endpoint.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

enum class DeliveryState { Pending, InFlight, Succeeded, Retrying, Failed, Cancelled };
enum class AttemptTrigger { Scheduled, Manual, Test };
enum class ErrorClass {
    None,
    Dns,
    Refused,
    Timeout,
    Tls,
    Http3xx,
    Http4xx,
    Http5xx,
    Aborted,
    Network,
    Blocked // the egress policy refused the address
};

QString deliveryStateName(DeliveryState state);
bool deliveryStateFromName(const QString &name, DeliveryState *state);
bool isFinal(DeliveryState state);
QString attemptTriggerName(AttemptTrigger trigger);
bool attemptTriggerFromName(const QString &name, AttemptTrigger *trigger);
QString errorClassName(ErrorClass error);
bool errorClassFromName(const QString &name, ErrorClass *error);

// Bytes of a response body kept in the record; the real size is stored beside it.
constexpr int kStoredResponseBodyCap = 20000;

struct Attempt
{
    qint64 id = 0;
    QString deliveryId;
    int number = 1;
    AttemptTrigger trigger = AttemptTrigger::Scheduled;
    QDateTime started;
    qint64 durationMs = 0;
    QString requestUrl;
    QList<HttpHeader> requestHeaders;
    QByteArray requestBody;
    int responseStatus = 0; // 0: no HTTP response at all
    QString responseReason;
    QList<HttpHeader> responseHeaders;
    QByteArray responseBody;     // at most kStoredResponseBodyCap bytes
    qint64 responseBodySize = 0; // what the server sent, before the cap
    ErrorClass errorClass = ErrorClass::None;
    AttemptError error; // worded with error.text() where it is shown
    // "http/1.1", "h2" or "h2c" once an answer came; empty when none did.
    QString protocol;

    bool succeeded() const { return responseStatus >= 200 && responseStatus < 300; }
};

struct Delivery
{
    qint64 seq = 0; // insertion order in the store (0 until stored)
    QString id;     // UUID without braces
    QString eventId;
    QString eventType;
    QString endpointId;
    QString webhookId; // "msg_…", the same on every attempt: the receiver's idempotency key
    DeliveryState state = DeliveryState::Pending;
    int attemptCount = 0;
    QDateTime created;
    QDateTime updated;
    QDateTime nextAttempt; // when Pending or Retrying
    int lastStatus = 0;
    ErrorClass lastError = ErrorClass::None;
    qint64 lastDurationMs = 0;
    // The value of the endpoint's ordering field in the payload (Endpoint::orderKey): the
    // endpoint receives deliveries with the same value one at a time, in publishing order.
    // Empty: not ordered.
    QString orderKey;
    QList<Attempt> attempts; // filled when details are loaded
};

// Maps a response status (or a failure with no response) to the class shown in history.
ErrorClass errorClassForStatus(int status);

Q_DECLARE_METATYPE(Attempt)
Q_DECLARE_METATYPE(Delivery)
