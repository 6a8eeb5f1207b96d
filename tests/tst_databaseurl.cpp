// SPDX-License-Identifier: GPL-3.0-or-later
// Where the store lives, as an admin writes it (DatabaseUrl, issue #19): SQLite files and
// PostgreSQL URLs with their parts decoded, the password never shown, and every mistake
// answered with the bad part and what to write instead.
#include "store/DatabaseUrl.h"

#include <QTest>

class TestDatabaseUrl : public QObject
{
    Q_OBJECT

private slots:
    void sqliteFiles();
    void postgresqlUrls();
    void mistakesAreNamed_data();
    void mistakesAreNamed();
};

void TestDatabaseUrl::sqliteFiles()
{
    QString error;
    auto u = DatabaseUrl::parse(QStringLiteral("sqlite:/tmp/h.sqlite"), &error);
    QVERIFY2(u, qPrintable(error));
    QCOMPARE(u->kind, DatabaseUrl::Kind::Sqlite);
    QCOMPARE(u->path, QStringLiteral("/tmp/h.sqlite"));
    QCOMPARE(u->display(), QStringLiteral("sqlite:/tmp/h.sqlite"));
    u = DatabaseUrl::parse(QStringLiteral("sqlite:data/h.sqlite"), &error);
    QVERIFY(u);
    QCOMPARE(u->path, QStringLiteral("data/h.sqlite"));
    u = DatabaseUrl::parse(QStringLiteral(" sqlite:///var/lib/hookline/h.sqlite "), &error);
    QVERIFY(u);
    QCOMPARE(u->path, QStringLiteral("/var/lib/hookline/h.sqlite"));
}

void TestDatabaseUrl::postgresqlUrls()
{
    QString error;
    auto u = DatabaseUrl::parse(QStringLiteral("postgresql://hookline:s%40cret%3A1@127.0.0.1:5433/"
                                               "hookline?sslmode=require&connect_timeout=3"),
                                &error);
    QVERIFY2(u, qPrintable(error));
    QCOMPARE(u->kind, DatabaseUrl::Kind::Postgresql);
    QCOMPARE(u->user, QStringLiteral("hookline"));
    QCOMPARE(u->password, QStringLiteral("s@cret:1"));
    QCOMPARE(u->host, QStringLiteral("127.0.0.1"));
    QCOMPARE(u->port, 5433);
    QCOMPARE(u->database, QStringLiteral("hookline"));
    QCOMPARE(u->sslMode, QStringLiteral("require"));
    QCOMPARE(u->connectTimeoutSeconds, 3);
    QCOMPARE(u->display(),
             QStringLiteral("postgresql://hookline:***@127.0.0.1:5433/hookline?sslmode=require"));
    QCOMPARE(u->connectOptions(), QStringLiteral("sslmode=require;connect_timeout=3"));

    // Defaults: PostgreSQL's port, libpq's password sources, a 10 s connection timeout.
    u = DatabaseUrl::parse(QStringLiteral("postgres://db.example.com/hookline"), &error);
    QVERIFY2(u, qPrintable(error));
    QCOMPARE(u->port, 5432);
    QVERIFY(u->user.isEmpty() && u->password.isEmpty());
    QCOMPARE(u->connectTimeoutSeconds, 10);
    QCOMPARE(u->display(), QStringLiteral("postgresql://db.example.com:5432/hookline"));

    u = DatabaseUrl::parse(QStringLiteral("postgresql://ops@[::1]:6000/team"), &error);
    QVERIFY2(u, qPrintable(error));
    QCOMPARE(u->host, QStringLiteral("::1"));
    QCOMPARE(u->hostPort(), QStringLiteral("[::1]:6000"));
    QCOMPARE(u->display(), QStringLiteral("postgresql://ops@[::1]:6000/team"));
}

void TestDatabaseUrl::mistakesAreNamed_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("says");
    QTest::newRow("unknown scheme") << QStringLiteral("mysql://root:sekrit@127.0.0.1/db")
                                    << QStringLiteral("is not a database URL Hookline knows");
    QTest::newRow("a path alone") << QStringLiteral("/var/lib/h.sqlite")
                                  << QStringLiteral("Write sqlite:PATH");
    QTest::newRow("no file") << QStringLiteral("sqlite:") << QStringLiteral("names no file");
    QTest::newRow("no server") << QStringLiteral("postgresql://hookline:sekrit@/hookline")
                               << QStringLiteral("names no server");
    QTest::newRow("port too big") << QStringLiteral("postgresql://h:sekrit@127.0.0.1:99999/db")
                                  << QStringLiteral("postgresql://h:***@127.0.0.1:99999/db");
    QTest::newRow("port a word") << QStringLiteral("postgresql://h:sekrit@127.0.0.1:pg/db")
                                 << QStringLiteral("postgresql://h:***@127.0.0.1:pg/db");
    QTest::newRow("no database") << QStringLiteral("postgresql://h:sekrit@127.0.0.1:5432")
                                 << QStringLiteral("names no database");
    QTest::newRow("two databases") << QStringLiteral("postgresql://h:sekrit@127.0.0.1/a/b")
                                   << QStringLiteral("names no database, or more than one");
    QTest::newRow("sslmode") << QStringLiteral("postgresql://h:sekrit@127.0.0.1/db?sslmode=maybe")
                             << QStringLiteral("sslmode “maybe”");
    QTest::newRow("timeout") << QStringLiteral("postgresql://127.0.0.1/db?connect_timeout=0")
                             << QStringLiteral("connect_timeout “0”");
    QTest::newRow("other option") << QStringLiteral("postgresql://127.0.0.1/db?pool=4")
                                  << QStringLiteral("does not use: “pool”");
}

void TestDatabaseUrl::mistakesAreNamed()
{
    QFETCH(QString, text);
    QFETCH(QString, says);
    QString error;
    QVERIFY(!DatabaseUrl::parse(text, &error));
    QVERIFY2(error.contains(says), qPrintable(error));
    QVERIFY2(!error.contains(QLatin1String("sekrit")), qPrintable(error)); // never the password
}

QTEST_GUILESS_MAIN(TestDatabaseUrl)
#include "tst_databaseurl.moc"
