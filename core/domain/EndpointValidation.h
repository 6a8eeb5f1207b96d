// SPDX-License-Identifier: GPL-3.0-or-later
// Rules for what an admin may type into an endpoint: URL, headers, secret, limits.
// Every function returns messages a person can act on, quoting the offending value; an
// empty result means valid. The GUI shows them inline, the CLI prints them, the store
// refuses to save an endpoint that has any. Pure functions: no I/O, no global state.
#pragma once

#include "Endpoint.h"

#include <QList>
#include <QString>
#include <QStringList>

struct ValidationError
{
    QString field; // "url", "name", "headers", "secret", "timeoutMs", "retry", "eventTypes",
                   // "limits"
    QString message;
};

constexpr int kMaxUrlLength = 2048;
constexpr int kMaxHeaderValueLength = 8192;
constexpr int kMinTimeoutMs = 100;
constexpr int kMaxTimeoutMs = 300000;
constexpr int kMaxAttemptsLimit = 50;
constexpr int kMinInFlight = 1;
constexpr int kMaxInFlight = 256;
constexpr int kMaxRatePerSecond = 10000;
constexpr int kMaxRateBurst = 10000;

// Elides long values and makes control characters visible (\r, \n, \0, \xNN), so that a
// message can quote exactly what was wrong without itself becoming unreadable.
QString quoteForMessage(const QString &value, int maxLength = 80);

QString validateUrl(const QString &url);
QString validateHeaderName(const QString &name);
QString validateHeaderValue(const QString &name, const QString &value);
QString validateHeader(const HttpHeader &header);
// Also refuses the same header name twice (names compare case-insensitively).
QString validateHeaders(const QList<HttpHeader> &headers);
QString validateSecret(const QString &secret);
QString validateRetryPolicy(const RetryPolicy &policy);
// Concurrency and rate limit: maxInFlight, ratePerSecond, rateBurst.
QString validateLimits(const Endpoint &endpoint);

// Everything at once. knownEventTypes, when not empty, is used to refuse unknown types.
QList<ValidationError> validateEndpoint(const Endpoint &endpoint,
                                        const QStringList &knownEventTypes = {});

// Parses "Name: value" as typed on a command line; returns an error message or empty.
QString parseHeaderLine(const QString &line, HttpHeader *header);

// Header names that Hookline sets itself and an endpoint may not override (lower case).
const QStringList &reservedHeaderNames();
