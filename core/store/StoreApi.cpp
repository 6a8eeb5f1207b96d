// SPDX-License-Identifier: GPL-3.0-or-later
// The admin API's tables (schema 3): tokens, by hash, and Idempotency-Key records. Part of
// Store (see Store.h); in a file of its own so the delivery tables' file stays about them.
#include "Store.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(Store)
};

QVariant msOf(const QDateTime &t)
{
    return t.isValid() ? QVariant(t.toMSecsSinceEpoch()) : QVariant(QMetaType(QMetaType::LongLong));
}

QDateTime timeOf(const QVariant &v)
{
    return v.isNull() ? QDateTime() : QDateTime::fromMSecsSinceEpoch(v.toLongLong(), Qt::UTC);
}

ApiToken tokenFrom(const QSqlQuery &q)
{
    ApiToken t;
    t.id = q.value(0).toString();
    t.name = q.value(1).toString();
    t.readOnly = q.value(2).toBool();
    t.created = timeOf(q.value(3));
    t.lastUsed = timeOf(q.value(4));
    return t;
}
} // namespace

bool Store::insertApiToken(const ApiToken &token, const QByteArray &hash)
{
    QSqlQuery &q = prepared("INSERT INTO api_tokens (id, name, hash, read_only, created, "
                            "last_used) VALUES (?, ?, ?, ?, ?, NULL)");
    q.bindValue(0, token.id);
    q.bindValue(1, token.name);
    q.bindValue(2, hash);
    q.bindValue(3, token.readOnly ? 1 : 0);
    q.bindValue(4, msOf(token.created));
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    return true;
}

QList<ApiToken> Store::apiTokens() const
{
    QSqlQuery q(m_db);
    QList<ApiToken> out;
    if (!q.exec(QStringLiteral("SELECT id, name, read_only, created, last_used FROM api_tokens "
                               "ORDER BY created, id"))) {
        m_lastError = q.lastError().text();
        return out;
    }
    while (q.next())
        out << tokenFrom(q);
    return out;
}

std::optional<ApiToken> Store::findApiToken(const QString &idOrPrefix, QString *error) const
{
    QList<ApiToken> matches;
    for (const ApiToken &t : apiTokens()) {
        if (t.id == idOrPrefix)
            return t;
        if (!idOrPrefix.isEmpty() && t.id.startsWith(idOrPrefix))
            matches << t;
    }
    if (matches.size() == 1)
        return matches.first();
    if (error)
        *error = matches.isEmpty()
                     ? Tr::tr("There is no API token %1. 'hookline tokens list' shows them.")
                           .arg(idOrPrefix)
                     : Tr::tr("%1 matches %2 API tokens; type more of the id.")
                           .arg(idOrPrefix, QString::number(matches.size()));
    return std::nullopt;
}

std::optional<ApiToken> Store::apiTokenByHash(const QByteArray &hash) const
{
    QSqlQuery &q = const_cast<Store *>(this)->prepared(
        "SELECT id, name, read_only, created, last_used, hash FROM api_tokens WHERE hash = ?");
    q.bindValue(0, hash);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return std::nullopt;
    }
    std::optional<ApiToken> found;
    if (q.next() && ApiTokens::constantTimeEquals(q.value(5).toByteArray(), hash))
        found = tokenFrom(q);
    q.finish();
    return found;
}

bool Store::deleteApiToken(const QString &id)
{
    QSqlQuery &q = prepared("DELETE FROM api_tokens WHERE id = ?");
    q.bindValue(0, id);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    return q.numRowsAffected() > 0;
}

bool Store::touchApiToken(const QString &id, const QDateTime &when)
{
    QSqlQuery &q = prepared("UPDATE api_tokens SET last_used = ? WHERE id = ?");
    q.bindValue(0, msOf(when));
    q.bindValue(1, id);
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    return true;
}

std::optional<IdempotencyRecord> Store::idempotencyRecord(const QString &tokenId,
                                                          const QString &key,
                                                          const QDateTime &notBefore) const
{
    QSqlQuery &q = const_cast<Store *>(this)->prepared(
        "SELECT request_hash, status, response, created FROM api_idempotency "
        "WHERE token_id = ? AND key = ? AND created >= ?");
    q.bindValue(0, tokenId);
    q.bindValue(1, key);
    q.bindValue(2, msOf(notBefore));
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return std::nullopt;
    }
    std::optional<IdempotencyRecord> found;
    if (q.next()) {
        IdempotencyRecord r;
        r.tokenId = tokenId;
        r.key = key;
        r.requestHash = q.value(0).toByteArray();
        r.status = q.value(1).toInt();
        r.response = q.value(2).toByteArray();
        r.created = timeOf(q.value(3));
        found = r;
    }
    q.finish();
    return found;
}

bool Store::putIdempotencyRecord(const IdempotencyRecord &r)
{
    // REPLACE: an expired record of the same key gives way to the new one.
    QSqlQuery &q = prepared(
        "INSERT INTO api_idempotency (token_id, key, request_hash, status, response, created) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (token_id, key) DO UPDATE SET "
        "request_hash = excluded.request_hash, status = excluded.status, "
        "response = excluded.response, created = excluded.created");
    q.bindValue(0, r.tokenId);
    q.bindValue(1, r.key);
    q.bindValue(2, r.requestHash);
    q.bindValue(3, r.status);
    q.bindValue(4, r.response);
    q.bindValue(5, msOf(r.created));
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return false;
    }
    return true;
}

qint64 Store::expireIdempotencyRecords(const QDateTime &before)
{
    QSqlQuery &q = prepared("DELETE FROM api_idempotency WHERE created < ?");
    q.bindValue(0, msOf(before));
    if (!q.exec()) {
        m_lastError = q.lastError().text();
        return -1;
    }
    return q.numRowsAffected();
}
