// SPDX-License-Identifier: GPL-3.0-or-later
// Store's prepared statements for the hot paths (see Store::statement), shared by the files
// that make up Store. Private to core/store.
// On SQLite a statement runs on SQLite's own API: QtSql's positional binding formats a
// placeholder name and goes through a QVariant for every value, and that was a third of the
// writer thread's time. On PostgreSQL it is a QSqlQuery prepared once on the server (Qt's
// driver: PREPARE, then EXECUTE per call). The SQL is the same on both; only statements
// that are not DML (transactions, settings) differ, and Store runs those itself.
#pragma once

#include "Store.h"
#include "encoding/JsonText.h"

#include <QByteArray>
#include <QDateTime>
#include <QLatin1String>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

#include <sqlite3.h>

#include <memory>
#include <vector>

// One prepared statement: bind values in column order, then exec().
class Store::Statement
{
public:
    // On SQLite's connection. Text is bound as UTF-8 (what the database stores) and kept
    // alive until the step is done.
    Statement(sqlite3 *db, const char *sql)
        : m_db(db)
    {
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr) !=
            SQLITE_OK) {
            m_prepareError = QString::fromUtf8(sqlite3_errmsg(db));
            sqlite3_finalize(m_stmt);
            m_stmt = nullptr;
        }
        m_keep.reserve(16);
    }
    // On a server connection through QtSql (PostgreSQL).
    Statement(const QSqlDatabase &db, const char *sql)
        : m_query(std::make_unique<QSqlQuery>(db))
    {
        m_query->setForwardOnly(true);
        if (!m_query->prepare(QString::fromUtf8(sql)))
            m_prepareError = m_query->lastError().text();
    }
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    // The columns are NOT NULL: a null QString is stored as ''.
    Statement &text(const QString &s)
    {
        if (m_query) {
            m_query->bindValue(m_index++, s.isNull() ? QStringLiteral("") : s);
            return *this;
        }
        m_keep.push_back(s.toUtf8());
        const QByteArray &b = m_keep.back();
        sqlite3_bind_text(m_stmt, ++m_index, b.isNull() ? "" : b.constData(), int(b.size()),
                          SQLITE_STATIC);
        return *this;
    }
    Statement &blob(const QByteArray &b)
    {
        if (m_query) {
            m_query->bindValue(m_index++, b.isNull() ? QByteArray("", 0) : b);
            return *this;
        }
        m_keep.push_back(b);
        if (b.isEmpty())
            sqlite3_bind_zeroblob(m_stmt, ++m_index, 0); // '' rather than NULL
        else
            sqlite3_bind_blob(m_stmt, ++m_index, b.constData(), int(b.size()), SQLITE_STATIC);
        return *this;
    }
    Statement &integer(qint64 v)
    {
        if (m_query) {
            m_query->bindValue(m_index++, v);
            return *this;
        }
        sqlite3_bind_int64(m_stmt, ++m_index, v);
        return *this;
    }
    // Milliseconds since the epoch, or NULL for an invalid time.
    Statement &time(const QDateTime &t)
    {
        if (m_query) {
            m_query->bindValue(m_index++, t.isValid() ? QVariant(t.toMSecsSinceEpoch())
                                                      : QVariant(QMetaType::fromType<qint64>()));
            return *this;
        }
        if (t.isValid())
            sqlite3_bind_int64(m_stmt, ++m_index, t.toMSecsSinceEpoch());
        else
            sqlite3_bind_null(m_stmt, ++m_index);
        return *this;
    }

    bool exec(QString *error)
    {
        m_index = 0;
        if (m_query) {
            m_first = QVariant();
            if (!m_prepareError.isEmpty()) {
                *error = m_prepareError;
                return false;
            }
            if (!m_query->exec()) {
                *error = m_query->lastError().text();
                return false;
            }
            m_changes = m_query->numRowsAffected();
            if (m_query->isSelect() && m_query->next())
                m_first = m_query->value(0); // RETURNING's first value
            m_query->finish();
            return true;
        }
        if (!m_stmt) {
            *error = m_prepareError;
            return false;
        }
        const int rc = sqlite3_step(m_stmt);
        const bool ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
        if (!ok)
            *error = QString::fromUtf8(sqlite3_errmsg(m_db));
        m_changes = ok ? sqlite3_changes(m_db) : 0;
        sqlite3_reset(m_stmt);
        m_keep.clear();
        return ok;
    }
    // Rows the last exec() changed.
    qint64 changes() const { return m_changes; }
    // The row id the last INSERT made: SQLite's, or on a server the first value the
    // statement returned (INSERT … RETURNING id).
    qint64 insertedId() const
    {
        return m_query ? m_first.toLongLong() : sqlite3_last_insert_rowid(m_db);
    }

private:
    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_stmt = nullptr;
    std::unique_ptr<QSqlQuery> m_query;
    QVariant m_first;
    QString m_prepareError;
    std::vector<QByteArray> m_keep;
    int m_index = 0;
    qint64 m_changes = 0;
};

// Rows for one statement on a server, as one JSON parameter that the SQL reads with
// json_to_recordset(): a batch of any size is one round trip and one prepared statement.
// Written by hand, as headersToJson is: QJsonDocument costs more than the statement.
class Store::JsonRows
{
public:
    void row()
    {
        if (m_open)
            m_out += u'}';
        m_out += m_out.isEmpty() ? QLatin1String("[{") : QLatin1String(",{");
        m_open = true;
        m_first = true;
    }
    // PostgreSQL's text cannot hold U+0000 (json_to_recordset refuses it): it becomes U+FFFD.
    JsonRows &text(const char *name, const QString &v)
    {
        key(name);
        m_out += u'"';
        m_out += JsonText::escapeString(
            v.contains(QChar(0)) ? QString(v).replace(QChar(0), QChar::ReplacementCharacter) : v);
        m_out += u'"';
        return *this;
    }
    JsonRows &integer(const char *name, qint64 v)
    {
        key(name);
        m_out += QString::number(v);
        return *this;
    }
    // Milliseconds since the epoch, or null for an invalid time (as Statement::time).
    JsonRows &time(const char *name, const QDateTime &t)
    {
        key(name);
        m_out += t.isValid() ? QString::number(t.toMSecsSinceEpoch()) : QStringLiteral("null");
        return *this;
    }
    // Base64: the SQL decodes it with decode(…, 'base64').
    JsonRows &bytes(const char *name, const QByteArray &b)
    {
        key(name);
        m_out += u'"';
        m_out += QLatin1String(b.toBase64());
        m_out += u'"';
        return *this;
    }
    bool isEmpty() const { return m_out.isEmpty(); }
    QString json()
    {
        if (m_open)
            m_out += QLatin1String("}]");
        m_open = false;
        return m_out.isEmpty() ? QStringLiteral("[]") : m_out;
    }

private:
    void key(const char *name)
    {
        if (!m_first)
            m_out += u',';
        m_first = false;
        m_out += u'"';
        m_out += QLatin1String(name);
        m_out += QLatin1String("\":");
    }
    QString m_out;
    bool m_open = false;
    bool m_first = true;
};
