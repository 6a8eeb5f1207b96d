// SPDX-License-Identifier: GPL-3.0-or-later
// Which store backend a test suite runs on: SQLite files by default, or - with
// HOOKLINE_TEST_BACKEND=postgresql (CTest's *_postgresql entries) - databases on one throw-away
// PostgreSQL server started for the test process (tests/PgCluster). Each call of newStore()
// gives a new, empty store, so the suites run unchanged on both.
#pragma once

#include "PgCluster.h"

#include <QDir>
#include <QSqlDatabase>
#include <QTest>
#include <QUrl>

#include <memory>

namespace TestBackend {

inline bool onPostgres()
{
    return qEnvironmentVariable("HOOKLINE_TEST_BACKEND") == QLatin1String("postgresql");
}

inline std::unique_ptr<PgCluster> &server()
{
    static std::unique_ptr<PgCluster> s;
    return s;
}

// Stops the server (call from cleanupTestCase: QProcess needs the application still there).
inline void shutdown()
{
    server().reset();
}

// A new, empty store: <dir>/hookline.sqlite, or a new database on the server (its URL).
// Empty, with the reason logged, when the server cannot start.
inline QString newStore(const QString &dir)
{
    if (!onPostgres())
        return QDir(dir).filePath(QStringLiteral("hookline.sqlite"));
    QString error;
    if (!server()) {
        server() = std::make_unique<PgCluster>();
        if (!server()->start(&error)) {
            qWarning("PostgreSQL did not start: %s", qPrintable(error));
            server().reset();
            return {};
        }
    }
    static int n = 0;
    const QString url = server()->createDatabase(QStringLiteral("store_%1").arg(++n), &error);
    if (url.isEmpty())
        qWarning("CREATE DATABASE failed: %s", qPrintable(error));
    return url;
}

// A QtSql connection of the test's own to a store (to look at or damage it behind the
// Store's back); open it with db.open().
inline QSqlDatabase rawConnection(const QString &location, const QString &name)
{
    if (!location.startsWith(QLatin1String("postgresql:"))) {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(location);
        return db;
    }
    const QUrl url(location);
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
    db.setHostName(url.host());
    db.setPort(url.port());
    db.setUserName(url.userName());
    db.setPassword(url.password());
    db.setDatabaseName(url.path().mid(1));
    return db;
}

} // namespace TestBackend

// A test of SQLite's own file, WAL, VFS or triggers: nothing to check on a server.
#define SQLITE_ONLY()                                                                              \
    do {                                                                                           \
        if (TestBackend::onPostgres())                                                             \
            QSKIP("SQLite's file, WAL, VFS or triggers");                                          \
    } while (false)
