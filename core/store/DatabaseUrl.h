// SPDX-License-Identifier: GPL-3.0-or-later
// Where the store lives, as an admin writes it (issue #19: --database URL, HOOKLINE_DATABASE,
// Settings → Storage):
//   sqlite:PATH                                  the embedded default: one file
//   postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DBNAME[?sslmode=…&connect_timeout=…]
// ("postgres://" too). Without a password in the URL, libpq's own sources apply (PGPASSWORD,
// ~/.pgpass). Every error names the bad part and what to write instead; display() never
// shows the password.
#pragma once

#include <QString>

#include <optional>

struct DatabaseUrl
{
    enum class Kind { Sqlite, Postgresql };

    Kind kind = Kind::Sqlite;
    QString path; // sqlite: the file
    QString host; // postgresql: a name or an address (IPv6 without brackets)
    quint16 port = 5432;
    QString user;
    QString password;
    QString database;
    QString sslMode = QStringLiteral("prefer");
    int connectTimeoutSeconds = 10; // never a hang on a machine that does not answer

    static std::optional<DatabaseUrl> parse(const QString &text, QString *error);

    // The URL with the password masked: for messages, logs and the window.
    QString display() const;
    // "host:port", as errors name the server ("[::1]:5432" for IPv6).
    QString hostPort() const;
    // libpq options for Qt's PostgreSQL driver (QSqlDatabase::setConnectOptions).
    QString connectOptions() const;
};
