// SPDX-License-Identifier: GPL-3.0-or-later
#include "PgConnection.h"

#include <QCoreApplication>
#include <QSqlDatabase>
#include <QSqlError>

namespace {

struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(PgConnection)
};

} // namespace

namespace PgConnection {

QString describeFailure(const DatabaseUrl &url, const QString &driverText)
{
    const QString server = url.hostPort();
    if (driverText.contains(QLatin1String("Connection refused")))
        return Tr::tr("Nothing answers at %1 (connection refused): is PostgreSQL running there, "
                      "and is the port right?")
            .arg(server);
    if (driverText.contains(QLatin1String("timeout expired")))
        return Tr::tr("The PostgreSQL server at %1 did not answer within %2 s. Check the host "
                      "and the network, or give it longer with ?connect_timeout=SECONDS.")
            .arg(server)
            .arg(url.connectTimeoutSeconds);
    if (driverText.contains(QLatin1String("password authentication failed")) ||
        driverText.contains(QLatin1String("no password supplied")))
        return Tr::tr("PostgreSQL at %1 refused the password of user “%2”. Check the password "
                      "in the URL, in PGPASSWORD or in ~/.pgpass.")
            .arg(server, url.user);
    if (driverText.contains(QLatin1String("does not exist")) &&
        driverText.contains(QLatin1String("database")))
        return Tr::tr("There is no database “%1” at %2. Create it (createdb -O %3 %1) or fix "
                      "the URL.")
            .arg(url.database, server, url.user.isEmpty() ? QStringLiteral("USER") : url.user);
    if (driverText.contains(QLatin1String("could not translate host name")))
        return Tr::tr("The host name %1 could not be resolved. Check its spelling, or use an "
                      "address.")
            .arg(url.host);
    QString detail = driverText.trimmed();
    if (!url.password.isEmpty())
        detail.replace(url.password, QStringLiteral("***"));
    return Tr::tr("Cannot connect to PostgreSQL at %1: %2").arg(server, detail);
}

bool open(const DatabaseUrl &url, const QString &name, QString *error)
{
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL"))) {
        *error = Tr::tr("Qt's PostgreSQL driver is not installed: install libqt6sql6-psql.");
        return false;
    }
    QString failure;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        db.setHostName(url.host);
        db.setPort(url.port);
        db.setUserName(url.user);
        db.setPassword(url.password);
        db.setDatabaseName(url.database);
        db.setConnectOptions(url.connectOptions());
        if (db.open())
            return true;
        failure = db.lastError().text();
    }
    QSqlDatabase::removeDatabase(name);
    *error = describeFailure(url, failure);
    return false;
}

} // namespace PgConnection
