// SPDX-License-Identifier: GPL-3.0-or-later
// Per-endpoint, per-minute activity counts (schema 8): one row per endpoint and minute with
// its attempts by outcome, their summed latency and a latency histogram (one column per
// LatencyBuckets bucket). Each recorded attempt adds to its minute's row in the transaction
// that records the attempt, so the counts and the history never disagree, even after a
// crash; the endpoint view and `hookline stats` read a few hundred rows instead of scanning
// deliveries. Part of Store (see Store.h).
#include "Store.h"
#include "StoreStatement.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QVariant>

#include <array>

namespace {
constexpr qint64 kMinuteMs = 60000;

QString bucketColumn(int bucket)
{
    return QStringLiteral("l%1").arg(bucket);
}

// The bucket of an attempt's duration, as an SQL expression over `duration`.
QString bucketExpression(const QString &duration)
{
    QString sql = QStringLiteral("CASE");
    for (int i = 0; i < LatencyBuckets::kCount - 1; ++i)
        sql += QStringLiteral(" WHEN %1 <= %2 THEN %3")
                   .arg(duration)
                   .arg(LatencyBuckets::upperBound(i))
                   .arg(i);
    return sql + QStringLiteral(" ELSE %1 END").arg(LatencyBuckets::kCount - 1);
}

// "SUM(attempts), SUM(succeeded), …, SUM(l50)": the columns activityFrom() reads, in order.
QString summedColumns()
{
    QStringList columns{QStringLiteral("SUM(attempts)"), QStringLiteral("SUM(succeeded)"),
                        QStringLiteral("SUM(retrying)"), QStringLiteral("SUM(failed)"),
                        QStringLiteral("SUM(latency_ms)")};
    for (int i = 0; i < LatencyBuckets::kCount; ++i)
        columns << QStringLiteral("SUM(%1)").arg(bucketColumn(i));
    return columns.join(QStringLiteral(", "));
}

ActivityCounts countsFrom(const QSqlQuery &q, int first)
{
    ActivityCounts c;
    c.attempts = q.value(first).toLongLong();
    c.succeeded = q.value(first + 1).toLongLong();
    c.retrying = q.value(first + 2).toLongLong();
    c.failed = q.value(first + 3).toLongLong();
    c.latencySumMs = q.value(first + 4).toLongLong();
    for (int i = 0; i < LatencyBuckets::kCount; ++i)
        c.latency[i] = q.value(first + 5 + i).toLongLong();
    return c;
}

// One statement per latency bucket, each adding 1 to its own column: built once, so each has
// a fixed address for Store::statement()'s cache.
const char *upsertFor(int bucket)
{
    static const std::array<QByteArray, LatencyBuckets::kCount> statements = [] {
        std::array<QByteArray, LatencyBuckets::kCount> out;
        for (int i = 0; i < LatencyBuckets::kCount; ++i) {
            const QString column = bucketColumn(i);
            out[i] =
                QStringLiteral(
                    "INSERT INTO endpoint_activity AS a (endpoint_id, minute, attempts, succeeded, "
                    "retrying, failed, latency_ms, %1) VALUES (?, ?, 1, ?, ?, ?, ?, 1) "
                    "ON CONFLICT (endpoint_id, minute) DO UPDATE SET "
                    "attempts = a.attempts + 1, succeeded = a.succeeded + excluded.succeeded, "
                    "retrying = a.retrying + excluded.retrying, "
                    "failed = a.failed + excluded.failed, "
                    "latency_ms = a.latency_ms + excluded.latency_ms, %1 = a.%1 + 1")
                    .arg(column)
                    .toUtf8();
        }
        return out;
    }();
    return statements[bucket].constData();
}
} // namespace

QString Store::activitySchemaSql()
{
    QString columns;
    for (int i = 0; i < LatencyBuckets::kCount; ++i)
        columns += QStringLiteral("    %1 INTEGER NOT NULL DEFAULT 0,\n").arg(bucketColumn(i));
    return QStringLiteral("CREATE TABLE endpoint_activity (\n"
                          "    endpoint_id TEXT NOT NULL,\n"
                          "    minute INTEGER NOT NULL,\n"
                          "    attempts INTEGER NOT NULL DEFAULT 0,\n"
                          "    succeeded INTEGER NOT NULL DEFAULT 0,\n"
                          "    retrying INTEGER NOT NULL DEFAULT 0,\n"
                          "    failed INTEGER NOT NULL DEFAULT 0,\n"
                          "    latency_ms INTEGER NOT NULL DEFAULT 0,\n"
                          "%1"
                          "    PRIMARY KEY (endpoint_id, minute)\n"
                          ") WITHOUT ROWID")
        .arg(columns);
}

// Schema 8 on a store with history: the counts of the kept days, from the attempts recorded.
// An attempt counts as the final failure when it is the last of a delivery that failed.
bool Store::backfillActivity(const QDateTime &now)
{
    QStringList buckets;
    QStringList sums;
    for (int i = 0; i < LatencyBuckets::kCount; ++i) {
        buckets << bucketColumn(i);
        sums << QStringLiteral("SUM(b = %1)").arg(i);
    }
    const QString last = QStringLiteral("(a.number >= d.attempt_count AND d.state = 'failed')");
    const QString sql =
        QStringLiteral(
            "INSERT INTO endpoint_activity (endpoint_id, minute, attempts, succeeded, retrying, "
            "failed, latency_ms, %1) "
            "SELECT d.endpoint_id, (a.started + a.duration_ms) / %2 AS m, COUNT(*), "
            "SUM(a.error_class = 'none'), SUM(a.error_class != 'none' AND NOT %3), "
            "SUM(a.error_class != 'none' AND %3), SUM(a.duration_ms), %4 "
            "FROM (SELECT delivery_id, number, started, duration_ms, error_class, %5 AS b "
            "FROM attempts WHERE started >= %6) a JOIN deliveries d ON d.id = a.delivery_id "
            "GROUP BY d.endpoint_id, m")
            .arg(buckets.join(QStringLiteral(", ")))
            .arg(kMinuteMs)
            .arg(last, sums.join(QStringLiteral(", ")),
                 bucketExpression(QStringLiteral("duration_ms")))
            .arg(now.addDays(-kActivityKeptDays).toMSecsSinceEpoch());
    return exec(sql);
}

bool Store::recordActivity(const QString &endpointId, const Attempt &attempt,
                           ActivityOutcome outcome)
{
    const qint64 minute =
        (attempt.started.toMSecsSinceEpoch() + qMax<qint64>(attempt.durationMs, 0)) / kMinuteMs;
    return statement(upsertFor(LatencyBuckets::bucketOf(attempt.durationMs)))
        .text(endpointId)
        .integer(minute)
        .integer(outcome == ActivityOutcome::Succeeded ? 1 : 0)
        .integer(outcome == ActivityOutcome::Retrying ? 1 : 0)
        .integer(outcome == ActivityOutcome::Failed ? 1 : 0)
        .integer(qMax<qint64>(attempt.durationMs, 0))
        .exec(&m_lastError);
}

// recordAttemptsOnServer's part: rows of summed counts (activityRowsJson) added to theirs,
// in key order, so that two processes lock the rows in one order.
QString Store::activityUpsertSql()
{
    QStringList columns{QStringLiteral("attempts"), QStringLiteral("succeeded"),
                        QStringLiteral("retrying"), QStringLiteral("failed"),
                        QStringLiteral("latency_ms")};
    for (int i = 0; i < LatencyBuckets::kCount; ++i)
        columns << bucketColumn(i);
    QStringList types;
    QStringList sums;
    for (const QString &c : std::as_const(columns)) {
        types << c + QStringLiteral(" bigint");
        sums << QStringLiteral("%1 = a.%1 + excluded.%1").arg(c);
    }
    const QString list = columns.join(QStringLiteral(", "));
    return QStringLiteral("INSERT INTO endpoint_activity AS a (endpoint_id, minute, %1) "
                          "SELECT endpoint_id, minute, %1 FROM json_to_recordset(CAST(? AS "
                          "json)) AS r(endpoint_id text, minute bigint, %2) "
                          "ORDER BY endpoint_id COLLATE \"C\", minute "
                          "ON CONFLICT (endpoint_id, minute) DO UPDATE SET %3")
        .arg(list, types.join(QStringLiteral(", ")), sums.join(QStringLiteral(", ")));
}

// The counts summed per endpoint and minute (one statement may not change a row twice).
QString Store::activityRowsJson(const QList<RecordedAttempt> &records)
{
    struct Sum
    {
        QString endpointId;
        qint64 minute = 0;
        ActivityCounts counts;
    };
    std::vector<Sum> sums;
    QHash<std::pair<QString, qint64>, size_t> index;
    for (const RecordedAttempt &r : records) {
        const qint64 duration = qMax<qint64>(r.attempt.durationMs, 0);
        const qint64 minute = (r.attempt.started.toMSecsSinceEpoch() + duration) / kMinuteMs;
        const auto key = std::make_pair(r.delivery.endpointId, minute);
        auto found = index.constFind(key);
        if (found == index.cend()) {
            found = index.insert(key, sums.size());
            sums.push_back({r.delivery.endpointId, minute, {}});
        }
        ActivityCounts &c = sums[found.value()].counts;
        ++c.attempts;
        c.succeeded += r.outcome == ActivityOutcome::Succeeded ? 1 : 0;
        c.retrying += r.outcome == ActivityOutcome::Retrying ? 1 : 0;
        c.failed += r.outcome == ActivityOutcome::Failed ? 1 : 0;
        c.latencySumMs += duration;
        ++c.latency[LatencyBuckets::bucketOf(r.attempt.durationMs)];
    }
    static const std::array<QByteArray, LatencyBuckets::kCount> names = [] {
        std::array<QByteArray, LatencyBuckets::kCount> out;
        for (int i = 0; i < LatencyBuckets::kCount; ++i)
            out[i] = bucketColumn(i).toLatin1();
        return out;
    }();
    JsonRows rows;
    for (const Sum &s : sums) {
        rows.row();
        rows.text("endpoint_id", s.endpointId)
            .integer("minute", s.minute)
            .integer("attempts", s.counts.attempts)
            .integer("succeeded", s.counts.succeeded)
            .integer("retrying", s.counts.retrying)
            .integer("failed", s.counts.failed)
            .integer("latency_ms", s.counts.latencySumMs);
        for (int i = 0; i < LatencyBuckets::kCount; ++i)
            rows.integer(names[i].constData(), s.counts.latency[i]);
    }
    return rows.json();
}

EndpointActivity Store::endpointActivity(const QString &endpointId, const QDateTime &from,
                                         const QDateTime &to, int binMinutes) const
{
    EndpointActivity out;
    out.endpointId = endpointId;
    const qint64 fromMinute = from.toMSecsSinceEpoch() / kMinuteMs;
    const qint64 toMinute = qMax(fromMinute, (to.toMSecsSinceEpoch() + kMinuteMs - 1) / kMinuteMs);
    out.from = QDateTime::fromMSecsSinceEpoch(fromMinute * kMinuteMs, Qt::UTC);
    out.to = QDateTime::fromMSecsSinceEpoch(toMinute * kMinuteMs, Qt::UTC);
    out.binMinutes = qMax(0, binMinutes);
    const qint64 bin = out.binMinutes > 0 ? out.binMinutes : qMax<qint64>(1, toMinute - fromMinute);
    const qint64 binCount = (toMinute - fromMinute + bin - 1) / bin;
    if (out.binMinutes > 0) {
        out.bins.reserve(binCount);
        for (qint64 i = 0; i < binCount; ++i)
            out.bins.append(
                {QDateTime::fromMSecsSinceEpoch((fromMinute + i * bin) * kMinuteMs, Qt::UTC), {}});
    }
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT (minute - ?) / ? AS bin, %1 FROM endpoint_activity "
                             "WHERE endpoint_id = ? AND minute >= ? AND minute < ? GROUP BY bin")
                  .arg(summedColumns()));
    q.addBindValue(fromMinute);
    q.addBindValue(bin);
    q.addBindValue(endpointId);
    q.addBindValue(fromMinute);
    q.addBindValue(toMinute);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return out;
    }
    while (q.next()) {
        const qint64 index = q.value(0).toLongLong();
        const ActivityCounts counts = countsFrom(q, 1);
        out.total.add(counts);
        if (out.binMinutes > 0 && index >= 0 && index < out.bins.size())
            out.bins[index].counts = counts;
    }
    return out;
}

bool Store::copyActivityFrom(const Store &source)
{
    QStringList columns{QStringLiteral("endpoint_id"), QStringLiteral("minute"),
                        QStringLiteral("attempts"),    QStringLiteral("succeeded"),
                        QStringLiteral("retrying"),    QStringLiteral("failed"),
                        QStringLiteral("latency_ms")};
    for (int i = 0; i < LatencyBuckets::kCount; ++i)
        columns << bucketColumn(i);
    QSqlQuery read(source.m_db);
    read.setForwardOnly(true);
    if (!read.exec(QStringLiteral("SELECT %1 FROM endpoint_activity ORDER BY endpoint_id, minute")
                       .arg(columns.join(QStringLiteral(", "))))) {
        m_lastError = read.lastError().text();
        return false;
    }
    QSqlQuery write(m_db);
    write.prepare(
        QStringLiteral("INSERT INTO endpoint_activity (%1) VALUES (%2) "
                       "ON CONFLICT (endpoint_id, minute) DO NOTHING")
            .arg(columns.join(QStringLiteral(", ")),
                 QStringList(columns.size(), QStringLiteral("?")).join(QStringLiteral(", "))));
    while (read.next()) {
        write.bindValue(0, read.value(0).toString());
        for (int i = 1; i < columns.size(); ++i)
            write.bindValue(i, read.value(i).toLongLong());
        if (!write.exec()) {
            m_lastError = write.lastError().text();
            return false;
        }
    }
    return true;
}

bool Store::pruneActivity(const QDateTime &now)
{
    QSqlQuery q(m_db);
    q.prepare(QStringLiteral("DELETE FROM endpoint_activity WHERE endpoint_id IN "
                             "(SELECT id FROM endpoints) AND minute < ?"));
    q.addBindValue(now.addDays(-kActivityKeptDays).toMSecsSinceEpoch() / kMinuteMs);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    return true;
}
