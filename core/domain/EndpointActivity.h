// SPDX-License-Identifier: GPL-3.0-or-later
// How an endpoint has been doing, from counts the store keeps per endpoint and per minute as
// attempts are recorded (never a scan of the history): attempts by outcome and a latency
// histogram, summed over any span of minutes. What the endpoint view charts and
// `hookline stats` prints.
#pragma once

#include <QDateTime>
#include <QList>
#include <QString>

#include <array>

// Latency buckets: each millisecond up to 10 ms, then ten per decade (12, 15, 20, 25, 30, 40,
// 50, 60, 80, 100 ms, ×10, …) up to 100 s, and one for anything longer. A percentile is read from
// the histogram, interpolated inside its bucket, so it is off by less than a bucket's width (at
// most a third of its value).
namespace LatencyBuckets {
constexpr int kCount = 51;
// Upper bound of bucket i in ms (inclusive); the last bucket has none.
qint64 upperBound(int bucket);
int bucketOf(qint64 durationMs);
} // namespace LatencyBuckets

// What one recorded attempt counts as.
enum class ActivityOutcome {
    Succeeded, // answered 2xx
    Retrying,  // failed; another attempt is planned
    Failed,    // failed, and it was the delivery's last try
};

struct ActivityCounts
{
    qint64 attempts = 0;
    qint64 succeeded = 0;
    qint64 retrying = 0;
    qint64 failed = 0;
    qint64 latencySumMs = 0;
    std::array<qint64, LatencyBuckets::kCount> latency{};

    void add(const ActivityCounts &other);
    // Share of attempts answered 2xx, 0-1 (0 without attempts).
    double successRate() const;
    // The latency below which `share` (0-1) of the attempts finished; -1 without attempts.
    double percentileMs(double share) const;
    double meanMs() const;
};

// One bar of a chart: the counts of the minutes from `start` for the span's bin length.
struct ActivityBin
{
    QDateTime start;
    ActivityCounts counts;
};

struct EndpointActivity
{
    QString endpointId;
    QDateTime from; // whole minutes, UTC
    QDateTime to;
    int binMinutes = 0;      // 0: totals only
    QList<ActivityBin> bins; // every bin of the span, empty ones too, oldest first
    ActivityCounts total;
};

// The store keeps per-minute counts this long (the longest span the endpoint view shows, a
// week, and a day to spare).
constexpr int kActivityKeptDays = 8;
