// SPDX-License-Identifier: GPL-3.0-or-later
// The PostgreSQL server team mode (issue #19) runs its tests against: a throw-away cluster
// (PgCluster) reached over loopback with a password, as CI gets it when it runs as root; and
// the claim primitive that mode stands on - connections taking due rows with SELECT … FOR
// UPDATE SKIP LOCKED never get the same row and never wait for one another, and rows a
// connection held come back when it ends without committing.
#include "PgCluster.h"
#include "store/PgConnection.h"

#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

class TestPgCluster : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void acceptsOnlyThePassword();
    void skipLockedSplitsRowsBetweenConnections();
    void failuresNameTheServerNeverThePassword();
    void stopsAndLeavesNothing();

private:
    QSqlDatabase connect(const QString &name, const QString &password = {});
    PgCluster m_pg;
};

QSqlDatabase TestPgCluster::connect(const QString &name, const QString &password)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
    db.setHostName(m_pg.host());
    db.setPort(m_pg.port());
    db.setUserName(m_pg.user());
    db.setPassword(password.isEmpty() ? m_pg.password() : password);
    db.setDatabaseName(m_pg.database());
    db.setConnectOptions(QStringLiteral("connect_timeout=5"));
    db.open();
    return db;
}

void TestPgCluster::initTestCase()
{
    QVERIFY2(QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL")),
             "Qt's PostgreSQL driver is missing: install libqt6sql6-psql");
    QString error;
    QVERIFY2(m_pg.start(&error), qPrintable(error));
}

void TestPgCluster::cleanupTestCase()
{
    m_pg.stop();
}

void TestPgCluster::acceptsOnlyThePassword()
{
    {
        QSqlDatabase db = connect(QStringLiteral("right"));
        QVERIFY2(db.isOpen(), qPrintable(db.lastError().text()));
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("SELECT version()")) && q.next());
        QVERIFY2(q.value(0).toString().startsWith(QLatin1String("PostgreSQL 15")),
                 qPrintable(q.value(0).toString()));
        QVERIFY(q.exec(QStringLiteral("SELECT inet_server_addr()::text")) && q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("127.0.0.1/32"));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("right"));
    {
        QSqlDatabase db = connect(QStringLiteral("wrong"), QStringLiteral("not-the-password"));
        QVERIFY(!db.isOpen());
        QVERIFY2(db.lastError().text().contains(QLatin1String("password authentication failed")),
                 qPrintable(db.lastError().text()));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("wrong"));
}

void TestPgCluster::skipLockedSplitsRowsBetweenConnections()
{
    {
        QSqlDatabase a = connect(QStringLiteral("a"));
        QSqlDatabase b = connect(QStringLiteral("b"));
        QVERIFY(a.isOpen() && b.isOpen());
        QSqlQuery qa(a), qb(b);
        QVERIFY(qa.exec(QStringLiteral("CREATE TABLE jobs (id serial PRIMARY KEY, due integer)")));
        QVERIFY(
            qa.exec(QStringLiteral("INSERT INTO jobs (due) SELECT 0 FROM generate_series(1, 10)")));
        // A connection that would wait for a row fails within a second instead of hanging.
        QVERIFY(qb.exec(QStringLiteral("SET lock_timeout = 1000")));
        const QString take = QStringLiteral("SELECT id FROM jobs WHERE due IS NOT NULL ORDER BY id "
                                            "LIMIT 4 FOR UPDATE SKIP LOCKED");
        const auto ids = [](QSqlQuery &q) {
            QList<int> out;
            while (q.next())
                out << q.value(0).toInt();
            return out;
        };
        QVERIFY(a.transaction() && b.transaction());
        QVERIFY(qa.exec(take));
        QCOMPARE(ids(qa), (QList<int>{1, 2, 3, 4}));
        QElapsedTimer clock;
        clock.start();
        QVERIFY2(qb.exec(take), qPrintable(qb.lastError().text()));
        QCOMPARE(ids(qb), (QList<int>{5, 6, 7, 8}));
        QVERIFY(clock.elapsed() < 1000); // skipped a's rows, did not wait for them
        QVERIFY(qa.exec(QStringLiteral("UPDATE jobs SET due = NULL WHERE id <= 4")));
        QVERIFY(a.commit());
        QVERIFY(b.rollback()); // as if b's process died: its rows are free again
        QVERIFY(qa.exec(QStringLiteral("SELECT id FROM jobs WHERE due IS NOT NULL ORDER BY id FOR "
                                       "UPDATE SKIP LOCKED")));
        QCOMPARE(ids(qa), (QList<int>{5, 6, 7, 8, 9, 10}));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("a"));
    QSqlDatabase::removeDatabase(QStringLiteral("b"));
}

// Hookline's own connection (PgConnection, from a DatabaseUrl): it opens with the URL's
// password; each failure names the server and what to do, never the password; a server that
// accepts and then says nothing is an error after the URL's timeout, not a hang.
void TestPgCluster::failuresNameTheServerNeverThePassword()
{
    QString error;
    const auto url = [&](const QString &text) {
        auto parsed = DatabaseUrl::parse(text, &error);
        return parsed ? *parsed : DatabaseUrl();
    };
    const QString server = QStringLiteral("127.0.0.1:%1").arg(m_pg.port());
    QVERIFY2(PgConnection::open(url(m_pg.url()), QStringLiteral("own"), &error), qPrintable(error));
    QVERIFY(QSqlDatabase::database(QStringLiteral("own")).isOpen());
    QSqlDatabase::removeDatabase(QStringLiteral("own"));

    const auto fails = [&](const QString &text, const QString &says) {
        QString why;
        if (PgConnection::open(url(text), QStringLiteral("bad"), &why))
            return QStringLiteral("%1 opened").arg(text);
        if (!why.contains(says) || why.contains(QLatin1String("sekrit")))
            return QStringLiteral("%1: %2").arg(text, why);
        return QString();
    };
    QString wrong = fails(QStringLiteral("postgresql://hookline:sekrit@%1/hookline").arg(server),
                          QStringLiteral("refused the password of user “hookline”"));
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
    wrong =
        fails(QStringLiteral("postgresql://hookline:%1@%2/elsewhere").arg(m_pg.password(), server),
              QStringLiteral("There is no database “elsewhere” at ") + server);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));

    quint16 closed = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        closed = probe.serverPort();
    }
    wrong = fails(QStringLiteral("postgresql://hookline:sekrit@127.0.0.1:%1/hookline").arg(closed),
                  QStringLiteral("Nothing answers at 127.0.0.1:%1").arg(closed));
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));

    // A server that accepts the connection and then says nothing.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    QElapsedTimer clock;
    clock.start();
    wrong =
        fails(QStringLiteral("postgresql://hookline:sekrit@127.0.0.1:%1/hookline?connect_timeout=2")
                  .arg(silent.serverPort()),
              QStringLiteral("did not answer within 2 s"));
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
    QVERIFY2(clock.elapsed() < 8000, qPrintable(QString::number(clock.elapsed())));
}

void TestPgCluster::stopsAndLeavesNothing()
{
    const quint16 port = m_pg.port();
    QVERIFY(m_pg.serverPid() > 0);
    m_pg.stop();
    QTcpSocket probe;
    probe.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(!probe.waitForConnected(2000));
    QCOMPARE(m_pg.serverPid(), 0);
}

QTEST_GUILESS_MAIN(TestPgCluster)
#include "tst_pgcluster.moc"
