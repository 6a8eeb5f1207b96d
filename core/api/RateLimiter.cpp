// SPDX-License-Identifier: GPL-3.0-or-later
#include "RateLimiter.h"

#include <algorithm>
#include <cmath>

RateLimiter::RateLimiter(double perSecond, double burst)
    : m_rate(perSecond)
    , m_burst(burst)
{
}

bool RateLimiter::take(const QString &key, qint64 nowMs, int *retryAfterSeconds)
{
    auto it = m_buckets.find(key);
    if (it == m_buckets.end())
        it = m_buckets.insert(key, Bucket{m_burst, nowMs});
    Bucket &b = *it;
    const qint64 elapsed = std::max<qint64>(0, nowMs - b.updatedMs);
    b.tokens = std::min(m_burst, b.tokens + double(elapsed) * m_rate / 1000.0);
    b.updatedMs = std::max(b.updatedMs, nowMs);
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return true;
    }
    if (retryAfterSeconds)
        *retryAfterSeconds = std::max(1, int(std::ceil((1.0 - b.tokens) / m_rate)));
    return false;
}
