// SPDX-License-Identifier: GPL-3.0-or-later
// A throw-away PostgreSQL 15 server for tests (team mode): initdb in a temporary directory,
// the server on a free loopback port with its Unix socket in that directory, password
// authentication (SCRAM) for one role, run as the unprivileged user "nobody" when the tests
// run as root (PostgreSQL refuses to run as root); stopped (fast shutdown) and removed when
// the object goes. Debian's postgresql-15 provides the binaries (.ci/quickstart installs it).
#pragma once

#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>

class PgCluster
{
public:
    PgCluster() = default;
    ~PgCluster();
    PgCluster(const PgCluster &) = delete;
    PgCluster &operator=(const PgCluster &) = delete;

    // Creates the cluster and its database, starts the server and waits until it accepts
    // connections. On failure, *error says what went wrong (and the server's log).
    bool start(QString *error);
    void stop();

    QString host() const { return QStringLiteral("127.0.0.1"); }
    quint16 port() const { return m_port; }
    QString user() const { return QStringLiteral("hookline"); }
    QString password() const { return QStringLiteral("hookline-test-password"); }
    QString database() const { return QStringLiteral("hookline"); }
    // postgresql://hookline:…@127.0.0.1:PORT/hookline
    QString url() const;
    // A new, empty database (a test's own store); returns its URL, or empty and *error.
    QString createDatabase(const QString &name, QString *error);
    QString urlOf(const QString &database) const;
    // The server's process id (postmaster.pid), 0 when not running.
    qint64 serverPid() const;
    QString log() const;

    static QString binDir() { return QStringLiteral("/usr/lib/postgresql/15/bin"); }

private:
    bool run(const QString &program, const QStringList &args, QString *output);
    QStringList asServerUser(const QString &program, const QStringList &args) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_data;
    QProcess m_server;
    quint16 m_port = 0;
    bool m_root = false;
};
