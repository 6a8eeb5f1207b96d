// SPDX-License-Identifier: GPL-3.0-or-later
// What the front ends ask of the history: which deliveries (filters, paging), how much of it
// to keep, and how an endpoint has been doing. Plain values; the store answers them.
#pragma once

#include "domain/Delivery.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

// Filters shared by the CLI's history, the History page and exports. All of them are
// answered by indexed SQL; newest first (by insertion order).
struct DeliveryQuery
{
    QString endpointId;
    QString eventType;
    std::optional<DeliveryState> state;
    QString codeClass; // "", "2xx", "3xx", "4xx", "5xx" or "error" (no HTTP answer)
    QDateTime from;    // created at or after
    QDateTime to;      // created before
    int limit = 100;
    qint64 offset = 0;
    qint64 beforeSeq = 0; // keyset paging: only rows older than this one (0: from the top)
    std::optional<QList<qint64>> onlySeqs; // a search's matches; empty list: nothing
    // Counting stops here (0: an exact count): a list of the newest rows of a big history
    // (an endpoint's recent deliveries) then costs no scan of all of them.
    qint64 countCap = 0;
};

// Where a row of a query's result starts: the rows older than beforeSeq, offset of them skipped.
struct DeliverySeek
{
    qint64 beforeSeq = 0;
    qint64 offset = 0;
};

struct RetentionPolicy
{
    int maxAgeDays = 0;       // 0: keep forever
    qint64 maxDeliveries = 0; // 0: no cap
};

// Per endpoint: the last delivery's outcome and the success share of its recent ones.
struct EndpointStats
{
    int lastStatus = 0;
    ErrorClass lastError = ErrorClass::None;
    DeliveryState lastState = DeliveryState::Pending;
    int recentFinal = 0;
    int recentSucceeded = 0;
    bool any = false;
    // Unfinished deliveries (waiting, retrying or being attempted), counted up to kCountCap;
    // at the cap, "at least" that many.
    qint64 queued = 0;
    static constexpr qint64 kCountCap = 100000;
    // Attempts under way now in this process (the store does not record them).
    int inFlight = 0;
};
