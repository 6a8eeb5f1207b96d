// SPDX-License-Identifier: GPL-3.0-or-later
// What an admin registers: one URL that receives some or all event types, and how to reach it.
// A plain value type; validation lives in EndpointValidation.h so that the GUI, the command
// line and the store all refuse bad input with the same message. Never put I/O in here.
#pragma once

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

enum class PayloadFormat { Json, Xml, Form };

QString payloadFormatName(PayloadFormat format);
// Accepts "json", "xml", "form" (case-insensitive); returns false for anything else.
bool payloadFormatFromName(const QString &name, PayloadFormat *format);

struct HttpHeader
{
    QString name;
    QString value;

    friend bool operator==(const HttpHeader &a, const HttpHeader &b)
    {
        return a.name == b.name && a.value == b.value;
    }
};

// When to try again after a failed attempt. scheduleSeconds[i] is the delay before attempt
// i + 2 (the first attempt is immediate); the last entry repeats if maxAttempts asks for more.
struct RetryPolicy
{
    QList<int> scheduleSeconds = defaultSchedule();
    int maxAttempts = 8;
    // A run of this many consecutive failed deliveries disables the endpoint (0 = never).
    int disableAfterFailures = 20;

    static QList<int> defaultSchedule() { return {5, 300, 1800, 7200, 18000, 36000, 36000}; }

    friend bool operator==(const RetryPolicy &a, const RetryPolicy &b)
    {
        return a.scheduleSeconds == b.scheduleSeconds && a.maxAttempts == b.maxAttempts &&
               a.disableAfterFailures == b.disableAfterFailures;
    }
};

struct Endpoint
{
    QString id; // UUID without braces, assigned by the store
    QString name;
    QString url;
    QString description;
    bool enabled = true;
    QString disabledReason; // set when Hookline disabled it (410, failure run), empty otherwise
    bool allEvents = true;  // when true, eventTypes is ignored
    QStringList eventTypes;
    PayloadFormat format = PayloadFormat::Json;
    QList<HttpHeader> headers;
    QString secret;         // whsec_… or empty for unsigned deliveries
    QString previousSecret; // kept valid during a rotation, until previousSecretExpires
    QDateTime previousSecretExpires;
    int timeoutMs = 15000;
    RetryPolicy retry;
    bool verifyTls = true;
    bool http2Cleartext = false; // HTTP/2 with prior knowledge over plain http://
    bool http1Only = false;      // never HTTP/2, even to a TLS server that offers it
    // At most this many attempts to this endpoint at once (kMinInFlight..kMaxInFlight).
    int maxInFlight = 16;
    // At most this many attempts started per second, on average (0 = no limit), with bursts
    // of up to rateBurst (0 = the rate rounded up): a token bucket.
    double ratePerSecond = 0;
    int rateBurst = 0;
    // Ordered delivery: a JSON pointer (RFC 6901) into the payload, such as "/callID".
    // Deliveries whose payloads hold the same value there reach this endpoint one at a time,
    // in the order the events were published. Empty: no ordering.
    QString orderKey;
    QDateTime created;
    QDateTime updated;
    // Bumped by every save: a save made from an older version (someone else saved in
    // between) is refused rather than overwriting their change. 0: not stored yet.
    qint64 version = 0;
    // Set when the stored secret or header values could not be unsealed (another key, damage):
    // the sentence says what to do. Such an endpoint is not delivered to until they are
    // entered again. Not stored.
    QString secretsError;

    // What JSON output and recorded requests show instead of a custom header's value. A value
    // sent back as this (API PUT/PATCH) keeps the stored one.
    static QString redactedValue() { return QStringLiteral("[redacted]"); }

    // The bucket size the rate limit uses: rateBurst, or the rate rounded up (at least 1).
    int effectiveBurst() const;

    // True when this endpoint should receive events of the given type.
    bool subscribesTo(const QString &eventType) const
    {
        return allEvents || eventTypes.contains(eventType);
    }
    // The secrets to sign with at time `now`: the current one, plus the previous one while
    // its grace period lasts.
    QStringList signingSecrets(const QDateTime &now) const;

    friend bool operator==(const Endpoint &a, const Endpoint &b);
};
