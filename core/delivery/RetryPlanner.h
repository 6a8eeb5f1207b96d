// SPDX-License-Identifier: GPL-3.0-or-later
// Decides whether and when a failed attempt is tried again: the endpoint's schedule with
// ±20 % jitter, Retry-After honoured within bounds, 410 never retried, the attempt budget.
// Pure functions of their inputs (the jitter comes in as a number) so tests pin every rule.
#pragma once

#include "domain/Endpoint.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

struct RetryDecision
{
    bool retry = false;
    qint64 delayMs = 0;
    QString reason; // why not, or where the delay came from
};

constexpr qint64 kMinRetryAfterMs = 1000;
constexpr qint64 kMaxRetryAfterMs = 6 * 3600 * 1000LL;
constexpr double kJitterFraction = 0.2;

// Seconds from a Retry-After value (delta-seconds or an HTTP date), or -1 when absent/invalid.
qint64 parseRetryAfterSeconds(const QByteArray &value, const QDateTime &now);

// attemptNumber: the attempt that just failed (1 = the first). status: its HTTP status, 0
// when there was no response. retryAfterSeconds: parsed header, -1 when none.
// jitterUnit: a number in [-1, 1] that spreads the delay by ±20 %.
RetryDecision planRetry(const RetryPolicy &policy, int attemptNumber, int status,
                        qint64 retryAfterSeconds, double jitterUnit);
