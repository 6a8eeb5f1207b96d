// SPDX-License-Identifier: GPL-3.0-or-later
// Store's prepared statements on SQLite's own API (see Store::statement), shared by the files
// that make up Store. Private to core/store.
#pragma once

#include "Store.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <sqlite3.h>

#include <vector>

// One prepared statement on the raw connection: bind values in column order, then exec().
// Text is bound as UTF-8 (what the database stores) and kept alive until the step is done.
class Store::Statement
{
public:
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
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    // The columns are NOT NULL: a null QString is stored as ''.
    Statement &text(const QString &s)
    {
        m_keep.push_back(s.toUtf8());
        const QByteArray &b = m_keep.back();
        sqlite3_bind_text(m_stmt, ++m_index, b.isNull() ? "" : b.constData(), int(b.size()),
                          SQLITE_STATIC);
        return *this;
    }
    Statement &blob(const QByteArray &b)
    {
        m_keep.push_back(b);
        if (b.isEmpty())
            sqlite3_bind_zeroblob(m_stmt, ++m_index, 0); // '' rather than NULL
        else
            sqlite3_bind_blob(m_stmt, ++m_index, b.constData(), int(b.size()), SQLITE_STATIC);
        return *this;
    }
    Statement &integer(qint64 v)
    {
        sqlite3_bind_int64(m_stmt, ++m_index, v);
        return *this;
    }
    // Milliseconds since the epoch, or NULL for an invalid time.
    Statement &time(const QDateTime &t)
    {
        if (t.isValid())
            sqlite3_bind_int64(m_stmt, ++m_index, t.toMSecsSinceEpoch());
        else
            sqlite3_bind_null(m_stmt, ++m_index);
        return *this;
    }

    bool exec(QString *error)
    {
        if (!m_stmt) {
            *error = m_prepareError;
            return false;
        }
        const int rc = sqlite3_step(m_stmt);
        const bool ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
        if (!ok)
            *error = QString::fromUtf8(sqlite3_errmsg(m_db));
        sqlite3_reset(m_stmt);
        m_keep.clear();
        m_index = 0;
        return ok;
    }

private:
    sqlite3 *m_db;
    sqlite3_stmt *m_stmt = nullptr;
    QString m_prepareError;
    std::vector<QByteArray> m_keep;
    int m_index = 0;
};
