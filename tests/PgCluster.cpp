// SPDX-License-Identifier: GPL-3.0-or-later
#include "PgCluster.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QThread>
#include <QUuid>

#include <csignal>
#include <pwd.h>
#include <unistd.h>

namespace {

constexpr const char *kServerUser = "nobody";

bool chownTo(const QString &path, const passwd *pw)
{
    return ::chown(QFile::encodeName(path).constData(), pw->pw_uid, pw->pw_gid) == 0;
}

} // namespace

PgCluster::~PgCluster()
{
    stop();
}

QStringList PgCluster::asServerUser(const QString &program, const QStringList &args) const
{
    if (!m_root)
        return QStringList{program} + args;
    return QStringList{QStringLiteral("-u"), QLatin1String(kServerUser), QStringLiteral("--"),
                       program} +
           args;
}

bool PgCluster::run(const QString &program, const QStringList &args, QString *output)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setWorkingDirectory(m_dir->path()); // one "nobody" may enter
    const QStringList command = asServerUser(program, args);
    p.start(m_root ? QStringLiteral("runuser") : command.first(),
            m_root ? command : command.mid(1));
    const bool finished = p.waitForFinished(120000);
    *output = QString::fromLocal8Bit(p.readAll());
    return finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

bool PgCluster::start(QString *error)
{
    if (!QFile::exists(binDir() + QStringLiteral("/initdb"))) {
        *error = QStringLiteral("%1/initdb is missing: install postgresql-15 (bash .ci/quickstart "
                                "deps does)")
                     .arg(binDir());
        return false;
    }
    m_root = ::geteuid() == 0;
    const passwd *pw = m_root ? ::getpwnam(kServerUser) : nullptr;
    if (m_root && !pw) {
        *error =
            QStringLiteral("No user \"%1\" to run PostgreSQL as").arg(QLatin1String(kServerUser));
        return false;
    }
    m_dir =
        std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/hookline-pg-XXXXXX"));
    if (!m_dir->isValid()) {
        *error = m_dir->errorString();
        return false;
    }
    // The server's user must reach its files: the directory open to it, the cluster its own.
    QFile::setPermissions(m_dir->path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                             QFile::ReadOther | QFile::ExeOther | QFile::ReadGroup |
                                             QFile::ExeGroup);
    m_data = m_dir->filePath(QStringLiteral("data"));
    const QString passwordFile = m_dir->filePath(QStringLiteral("password"));
    {
        QFile f(passwordFile);
        if (!f.open(QIODevice::WriteOnly) || f.write(password().toUtf8() + '\n') < 0) {
            *error = f.errorString();
            return false;
        }
    }
    if (m_root && (!chownTo(passwordFile, pw) || !chownTo(m_dir->path(), pw))) {
        *error =
            QStringLiteral("Cannot hand %1 to %2").arg(m_dir->path(), QLatin1String(kServerUser));
        return false;
    }
    QString output;
    if (!run(binDir() + QStringLiteral("/initdb"),
             {QStringLiteral("-D"), m_data, QStringLiteral("-U"), user(),
              QStringLiteral("--pwfile=") + passwordFile, QStringLiteral("--auth=scram-sha-256"),
              QStringLiteral("--encoding=UTF8"), QStringLiteral("--locale=C"),
              QStringLiteral("--no-sync")},
             &output)) {
        *error = QStringLiteral("initdb failed: ") + output;
        return false;
    }
    {
        QTcpServer probe; // a free loopback port, released for the server
        if (!probe.listen(QHostAddress::LocalHost, 0)) {
            *error = probe.errorString();
            return false;
        }
        m_port = probe.serverPort();
    }
    m_server.setProcessChannelMode(QProcess::MergedChannels);
    m_server.setStandardOutputFile(m_dir->filePath(QStringLiteral("server.log")));
    m_server.setWorkingDirectory(m_dir->path());
    const QStringList command =
        asServerUser(binDir() + QStringLiteral("/postgres"),
                     {QStringLiteral("-D"), m_data, QStringLiteral("-p"), QString::number(m_port),
                      QStringLiteral("-k"), m_dir->path(), QStringLiteral("-c"),
                      QStringLiteral("listen_addresses=127.0.0.1")});
    m_server.start(m_root ? QStringLiteral("runuser") : command.first(),
                   m_root ? command : command.mid(1));
    if (!m_server.waitForStarted(10000)) {
        *error = m_server.errorString();
        return false;
    }
    // Ready when a connection with the password succeeds.
    const QString name = QStringLiteral("pg-ready-") + QUuid::createUuid().toString();
    bool ready = false;
    QString lastError;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        db.setHostName(host());
        db.setPort(m_port);
        db.setUserName(user());
        db.setPassword(password());
        db.setDatabaseName(QStringLiteral("postgres"));
        db.setConnectOptions(QStringLiteral("connect_timeout=2"));
        const QDeadlineTimer deadline(30000);
        while (!deadline.hasExpired() && m_server.state() == QProcess::Running) {
            if (db.open()) {
                ready = true;
                break;
            }
            lastError = db.lastError().text();
            QThread::msleep(100);
        }
        if (ready) {
            QSqlQuery q(db);
            if (!q.exec(QStringLiteral("CREATE DATABASE %1").arg(database()))) {
                lastError = q.lastError().text();
                ready = false;
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    if (!ready) {
        *error = QStringLiteral("PostgreSQL did not become ready on 127.0.0.1:%1: %2\n%3")
                     .arg(m_port)
                     .arg(lastError, log());
        stop();
        return false;
    }
    return true;
}

QString PgCluster::url() const
{
    return urlOf(database());
}

QString PgCluster::urlOf(const QString &database) const
{
    return QStringLiteral("postgresql://%1:%2@%3:%4/%5")
        .arg(user(), password(), host())
        .arg(m_port)
        .arg(database);
}

QString PgCluster::createDatabase(const QString &name, QString *error)
{
    const QString connection = QStringLiteral("pgcluster-admin-%1").arg(name);
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
        db.setHostName(host());
        db.setPort(m_port);
        db.setUserName(user());
        db.setPassword(password());
        db.setDatabaseName(QStringLiteral("postgres"));
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.exec(QStringLiteral("CREATE DATABASE %1").arg(name));
            if (!ok)
                *error = q.lastError().text();
        } else {
            *error = db.lastError().text();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(connection);
    return ok ? urlOf(name) : QString();
}

qint64 PgCluster::serverPid() const
{
    QFile f(m_data + QStringLiteral("/postmaster.pid"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return f.readLine().trimmed().toLongLong();
}

QString PgCluster::log() const
{
    QFile f(m_dir ? m_dir->filePath(QStringLiteral("server.log")) : QString());
    return f.open(QIODevice::ReadOnly) ? QString::fromLocal8Bit(f.readAll().right(4000))
                                       : QString();
}

void PgCluster::stop()
{
    if (m_server.state() != QProcess::NotRunning) {
        // Fast shutdown, to the server itself (runuser may not pass the signal on).
        const qint64 pid = serverPid();
        if (pid > 0)
            ::kill(pid_t(pid), SIGINT);
        else
            m_server.terminate();
        if (!m_server.waitForFinished(30000)) {
            if (pid > 0)
                ::kill(pid_t(pid), SIGKILL);
            m_server.kill();
            m_server.waitForFinished(5000);
        }
    }
    m_dir.reset();
}
