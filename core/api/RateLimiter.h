// SPDX-License-Identifier: GPL-3.0-or-later
// Per-token request budget for the API: a token bucket (a steady rate, and a burst a client
// may spend at once). A pure unit: time comes in as a number, so tests drive it with rows.
#pragma once

#include <QHash>
#include <QString>

class RateLimiter
{
public:
    RateLimiter(double perSecond = 100, double burst = 200);

    // Takes one request's worth for `key` at `nowMs`. When the bucket is empty returns false
    // and *retryAfterSeconds says when one will be there again (rounded up, at least 1).
    bool take(const QString &key, qint64 nowMs, int *retryAfterSeconds = nullptr);

private:
    struct Bucket
    {
        double tokens = 0;
        qint64 updatedMs = 0;
    };
    double m_rate;
    double m_burst;
    QHash<QString, Bucket> m_buckets;
};
