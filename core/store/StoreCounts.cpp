// SPDX-License-Identifier: GPL-3.0-or-later
// How many deliveries each endpoint has in each state and outcome class (schema 11), per
// bucket of 65,536 consecutive seq values, kept by triggers: the statement that inserts,
// changes or deletes a delivery changes its count, in the same transaction, whichever process
// or path (delivery, redelivery, recovery, retention, removing an endpoint) made the change.
// History's count of a filter by endpoint, state and outcome then sums a few rows instead of
// counting millions, and a jump to row N of such a filter starts in N's bucket instead of
// stepping over N index entries. Part of Store (see Store.h).
#include "Store.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace {

const char *const kNoAnswerErrors[] = {"dns",     "refused", "timeout", "tls",
                                       "aborted", "network", "blocked"};

// The outcome class of a delivery row (History's "Code" filter): "2xx", "3xx", "4xx", "5xx",
// "error" (no HTTP answer) or "" (none yet, or an answer outside these). `row` is NEW, OLD or
// a table name. No IN lists: inside a trigger SQLite builds a temporary table for each one
// every time the trigger runs (80 µs per delivery where these comparisons take one or two).
QString outcomeSql(const QString &row)
{
    QStringList noAnswer;
    for (const char *error : kNoAnswerErrors)
        noAnswer << QStringLiteral("%1.last_error = '%2'").arg(row, QLatin1String(error));
    return QStringLiteral("CASE WHEN %1.last_error = 'none' THEN (CASE WHEN %1.last_status "
                          "BETWEEN 200 AND 299 THEN '2xx' ELSE '' END) "
                          "WHEN %1.last_error = 'http-3xx' THEN '3xx' "
                          "WHEN %1.last_error = 'http-4xx' THEN '4xx' "
                          "WHEN %1.last_error = 'http-5xx' THEN '5xx' "
                          "WHEN %2 THEN 'error' ELSE '' END")
        .arg(row, noAnswer.join(QLatin1String(" OR ")));
}

QString addSql(const QString &row)
{
    return QStringLiteral("INSERT INTO delivery_counts VALUES (%1.endpoint_id, %1.state, %2, "
                          "%1.seq >> %3, 1) ON CONFLICT (endpoint_id, state, outcome, bucket) DO "
                          "UPDATE SET n = n + 1;")
        .arg(row, outcomeSql(row))
        .arg(Store::kSeqBucketBits);
}

QString removeSql(const QString &row)
{
    return QStringLiteral("UPDATE delivery_counts SET n = n - 1 WHERE endpoint_id = "
                          "%1.endpoint_id AND state = %1.state AND outcome = %2 AND bucket = "
                          "%1.seq >> %3;")
        .arg(row, outcomeSql(row))
        .arg(Store::kSeqBucketBits);
}

// The rows of delivery_counts a query's filters select; false when the query filters on
// something they do not keep.
bool totalsWhere(const DeliveryQuery &query, QString *where, QVariantList *binds)
{
    if (!query.eventType.isEmpty() || query.from.isValid() || query.to.isValid() || query.onlySeqs)
        return false;
    *where = QStringLiteral(" WHERE 1");
    if (!query.endpointId.isEmpty()) {
        *where += QStringLiteral(" AND endpoint_id = ?");
        *binds << query.endpointId;
    }
    if (query.state) {
        *where += QStringLiteral(" AND state = ?");
        *binds << deliveryStateName(*query.state);
    }
    if (!query.codeClass.isEmpty()) {
        *where += QStringLiteral(" AND outcome = ?");
        *binds << query.codeClass;
    }
    return true;
}

} // namespace

QString Store::noAnswerErrorsSql()
{
    QStringList quoted;
    for (const char *error : kNoAnswerErrors)
        quoted << QLatin1Char('\'') + QLatin1String(error) + QLatin1Char('\'');
    return QLatin1Char('(') + quoted.join(QLatin1String(", ")) + QLatin1Char(')');
}

QStringList Store::countSchemaStatements()
{
    return {
        QStringLiteral("CREATE TABLE delivery_counts (endpoint_id TEXT NOT NULL, state TEXT NOT "
                       "NULL, outcome TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT "
                       "NULL, PRIMARY KEY (endpoint_id, state, outcome, bucket)) WITHOUT ROWID"),
        QStringLiteral("INSERT INTO delivery_counts SELECT endpoint_id, state, %1, seq >> %2, "
                       "COUNT(*) FROM deliveries GROUP BY 1, 2, 3, 4")
            .arg(outcomeSql(QStringLiteral("deliveries")))
            .arg(kSeqBucketBits),
        QStringLiteral("CREATE TRIGGER delivery_counts_insert AFTER INSERT ON deliveries BEGIN "
                       "%1 END")
            .arg(addSql(QStringLiteral("NEW"))),
        QStringLiteral("CREATE TRIGGER delivery_counts_delete AFTER DELETE ON deliveries BEGIN "
                       "%1 END")
            .arg(removeSql(QStringLiteral("OLD"))),
        // Only when what is counted changed: a claim's lease or a retry time is no change.
        QStringLiteral("CREATE TRIGGER delivery_counts_update AFTER UPDATE OF endpoint_id, state, "
                       "last_status, last_error ON deliveries WHEN OLD.endpoint_id IS NOT "
                       "NEW.endpoint_id OR OLD.state IS NOT NEW.state OR %1 IS NOT %2 BEGIN %3 "
                       "%4 END")
            .arg(outcomeSql(QStringLiteral("OLD")), outcomeSql(QStringLiteral("NEW")),
                 removeSql(QStringLiteral("OLD")), addSql(QStringLiteral("NEW"))),
    };
}

std::optional<qint64> Store::countFromTotals(const DeliveryQuery &query) const
{
    if (m_pg)
        return std::nullopt; // SQLite's triggers keep the totals; PostgreSQL counts
    QString where;
    QVariantList binds;
    if (!totalsWhere(query, &where, &binds))
        return std::nullopt; // not kept: counted from the deliveries
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT COALESCE(SUM(n), 0) FROM delivery_counts") + where);
    for (const QVariant &v : binds)
        q.addBindValue(v);
    if (!q.exec() || !q.next()) {
        m_lastError = q.lastError().text();
        return std::nullopt;
    }
    const qint64 n = q.value(0).toLongLong();
    return query.countCap > 0 ? qMin(n, query.countCap) : n;
}

std::optional<DeliverySeek> Store::seekPosition(const DeliveryQuery &query, qint64 position) const
{
    if (m_pg)
        return std::nullopt;
    QString where;
    QVariantList binds;
    if (position <= 0 || !totalsWhere(query, &where, &binds))
        return std::nullopt;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT bucket, SUM(n) FROM delivery_counts") + where +
              QStringLiteral(" GROUP BY bucket ORDER BY bucket DESC"));
    for (const QVariant &v : binds)
        q.addBindValue(v);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return std::nullopt;
    }
    qint64 newer = 0; // rows in the buckets after this one
    while (q.next()) {
        const qint64 n = q.value(1).toLongLong();
        if (position < newer + n)
            return DeliverySeek{(q.value(0).toLongLong() + 1) << kSeqBucketBits, position - newer};
        newer += n;
    }
    return std::nullopt; // past the end
}
