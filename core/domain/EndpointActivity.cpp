// SPDX-License-Identifier: GPL-3.0-or-later
#include "EndpointActivity.h"

#include <algorithm>
#include <cmath>

namespace {
// One decade's upper bounds, in tenths of the decade's start (10 ms, 100 ms, ...).
constexpr std::array<int, 10> kSteps{12, 15, 20, 25, 30, 40, 50, 60, 80, 100};
} // namespace

qint64 LatencyBuckets::upperBound(int bucket)
{
    if (bucket < 0 || bucket >= kCount - 1)
        return -1;
    if (bucket < 10)
        return bucket + 1; // whole milliseconds up to 10
    qint64 decade = 1;     // 10 ms, in tenths
    for (int i = 0; i < (bucket - 10) / 10; ++i)
        decade *= 10;
    return decade * kSteps[(bucket - 10) % 10];
}

int LatencyBuckets::bucketOf(qint64 durationMs)
{
    for (int i = 0; i < kCount - 1; ++i) {
        if (durationMs <= upperBound(i))
            return i;
    }
    return kCount - 1;
}

void ActivityCounts::add(const ActivityCounts &other)
{
    attempts += other.attempts;
    succeeded += other.succeeded;
    retrying += other.retrying;
    failed += other.failed;
    latencySumMs += other.latencySumMs;
    for (int i = 0; i < LatencyBuckets::kCount; ++i)
        latency[i] += other.latency[i];
}

double ActivityCounts::successRate() const
{
    return attempts > 0 ? double(succeeded) / double(attempts) : 0.0;
}

double ActivityCounts::meanMs() const
{
    return attempts > 0 ? double(latencySumMs) / double(attempts) : -1.0;
}

double ActivityCounts::percentileMs(double share) const
{
    qint64 n = 0;
    for (qint64 c : latency)
        n += c;
    if (n == 0)
        return -1.0;
    const double rank = std::clamp(share, 0.0, 1.0) * double(n);
    double below = 0;
    for (int i = 0; i < LatencyBuckets::kCount; ++i) {
        const double c = double(latency[i]);
        if (c == 0 || below + c < rank) {
            below += c;
            continue;
        }
        const double low = i == 0 ? 0.0 : double(LatencyBuckets::upperBound(i - 1));
        // The open last bucket: its lower bound is all that is known.
        const qint64 upper = LatencyBuckets::upperBound(i);
        if (upper < 0)
            return low;
        return low + (double(upper) - low) * std::clamp((rank - below) / c, 0.0, 1.0);
    }
    return double(LatencyBuckets::upperBound(LatencyBuckets::kCount - 2));
}
