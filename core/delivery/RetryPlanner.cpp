// SPDX-License-Identifier: GPL-3.0-or-later
#include "RetryPlanner.h"

#include <QCoreApplication>

#include <cmath>

namespace {
// lupdate needs a class to name the context of these strings.
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(RetryPlanner)
};
} // namespace

qint64 parseRetryAfterSeconds(const QByteArray &value, const QDateTime &now)
{
    const QByteArray v = value.trimmed();
    if (v.isEmpty())
        return -1;
    bool ok = false;
    const qint64 seconds = v.toLongLong(&ok);
    if (ok)
        return seconds >= 0 ? seconds : -1;
    // HTTP dates end in "GMT", which Qt's RFC 2822 parser does not take for +0000.
    QString date = QString::fromLatin1(v);
    if (date.endsWith(QLatin1String(" GMT")))
        date = date.left(date.size() - 4) + QLatin1String(" +0000");
    const QDateTime when = QDateTime::fromString(date, Qt::RFC2822Date);
    if (!when.isValid())
        return -1;
    return qMax<qint64>(0, now.secsTo(when));
}

RetryDecision planRetry(const RetryPolicy &policy, int attemptNumber, int status,
                        qint64 retryAfterSeconds, double jitterUnit)
{
    RetryDecision d;
    if (status == 410) {
        d.reason = Tr::tr("410 Gone: the receiver asked not to be called again.");
        return d;
    }
    if (attemptNumber >= policy.maxAttempts) {
        d.reason = Tr::tr("All %n attempt(s) used.", nullptr, policy.maxAttempts);
        return d;
    }
    d.retry = true;
    if (retryAfterSeconds >= 0) {
        d.delayMs = qBound(kMinRetryAfterMs, retryAfterSeconds * 1000, kMaxRetryAfterMs);
        d.reason = Tr::tr("Retry-After: %1 s").arg(retryAfterSeconds);
        return d;
    }
    const QList<int> &s = policy.scheduleSeconds;
    const qint64 base =
        s.isEmpty() ? 0 : qint64(s.at(qMin(attemptNumber - 1, int(s.size()) - 1))) * 1000;
    const double jitter = qBound(-1.0, jitterUnit, 1.0) * kJitterFraction;
    d.delayMs = qMax<qint64>(0, qint64(std::llround(double(base) * (1.0 + jitter))));
    d.reason = Tr::tr("schedule step %1").arg(attemptNumber);
    return d;
}
