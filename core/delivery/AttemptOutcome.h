// SPDX-License-Identifier: GPL-3.0-or-later
// The rules that follow an attempt, in one place and free of side effects: how its result is
// classified, whether the delivery is tried again and when, and whether the endpoint is to be
// disabled (410 Gone, or a run of final failures). The dispatcher applies them and words the
// error; the store only counts the run. tst_attemptoutcome holds them to a table.
#pragma once

#include "domain/Delivery.h"
#include "domain/Endpoint.h"

#include <QNetworkReply>

// What an attempt ended with, as the network layer reported it.
struct AttemptResult
{
    int status = 0; // the HTTP status, 0 when no response arrived
    QNetworkReply::NetworkError networkError = QNetworkReply::NoError;
    bool timedOut = false;  // the endpoint's deadline cut it off (whatever came before)
    bool tlsErrors = false; // the TLS layer reported certificate errors on the way
};

ErrorClass classifyAttempt(const AttemptResult &result);

struct OutcomeDecision
{
    DeliveryState state = DeliveryState::Failed; // Succeeded, Retrying or Failed
    qint64 retryDelayMs = 0;                     // when Retrying
    bool disableEndpoint = false;                // the receiver answered 410 Gone
};

// attemptNumber: the attempt that just ended (1 = the first); retryAfterSeconds: the parsed
// Retry-After header, -1 when none; jitterUnit in [-1, 1] spreads retry delays by ±20 %.
OutcomeDecision decideOutcome(ErrorClass errorClass, int status, const RetryPolicy &policy,
                              int attemptNumber, qint64 retryAfterSeconds, double jitterUnit);

// Whether `run` consecutive final failures of an endpoint disable it (0 = never).
bool failureRunDisables(int run, int threshold);
