// SPDX-License-Identifier: GPL-3.0-or-later
// Team mode on a real PostgreSQL server (issue #19): processes on one store hear of each
// other's changes within a second through the store's notices (LISTEN/NOTIFY), while none
// of them polls the database more often than every 5 s.
#include "PgCluster.h"
#include "domain/Ids.h"
#include "engine/Engine.h"

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <memory>

class TestTeamMode : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void consolesSeeEachOthersEndpointsWithinASecond();
    void idleWorkerWakesWhenWorkIsQueued();
    void lostServerIsReconnected();
    void liveShowsOtherProcessesAttempts();

private:
    std::unique_ptr<Engine> open()
    {
        auto engine = std::make_unique<Engine>();
        QString error;
        if (!engine->open(m_url, &error)) {
            qWarning("%s", qPrintable(error));
            return nullptr;
        }
        return engine;
    }
    // The engine delivers (resumed) to an endpoint on its own receiver's inbox `name`.
    static bool startDelivering(Engine &worker, const QString &name, Endpoint *e)
    {
        QString error;
        if (!worker.startReceiver(0, &error)) {
            qWarning("%s", qPrintable(error));
            return false;
        }
        InboxConfig inbox;
        inbox.name = name;
        e->name = name;
        e->url = worker.inboxUrl(name).toString();
        if (!worker.setInbox(inbox).isEmpty() || !worker.saveEndpoint(e).isEmpty())
            return false;
        worker.resume();
        return true;
    }
    std::unique_ptr<PgCluster> m_server;
    QString m_url;
};

void TestTeamMode::initTestCase()
{
    m_server = std::make_unique<PgCluster>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
}

void TestTeamMode::cleanupTestCase()
{
    m_server.reset();
}

void TestTeamMode::init()
{
    static int n = 0;
    QString error;
    m_url = m_server->createDatabase(QStringLiteral("team_%1").arg(++n), &error);
    QVERIFY2(!m_url.isEmpty(), qPrintable(error));
}

// Two windows on one database: an endpoint added in one is in the other's list within a
// second, though each looks for changes by itself only every 5 s.
void TestTeamMode::consolesSeeEachOthersEndpointsWithinASecond()
{
    auto first = open();
    auto second = open();
    QVERIFY(first && second);
    first->setPollInterval(1000);
    second->setPollInterval(1000); // asked for 1 s; a team store holds it to 5 s
    QTest::qWait(200);
    QSignalSpy changed(second.get(), &Engine::endpointsChanged);
    Endpoint e;
    e.name = QStringLiteral("CRM");
    e.url = QStringLiteral("http://127.0.0.1:9/hooks");
    QVERIFY(first->saveEndpoint(&e).isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(second->endpoint(e.id) && changed.count() >= 1, 1000);
    QCOMPARE(second->endpointName(e.id), QStringLiteral("CRM"));

    // Disabled in the second window: the first hears it too.
    QSignalSpy back(first.get(), &Engine::endpointsChanged);
    QVERIFY(second->setEndpointEnabled(e.id, false));
    QTRY_VERIFY_WITH_TIMEOUT(back.count() >= 1, 1000);
    QVERIFY(!first->endpoints().first().enabled);
}

// A worker with nothing to do sends work another process queued at once, not at its next
// look for due work (5 s on a team store).
void TestTeamMode::idleWorkerWakesWhenWorkIsQueued()
{
    auto worker = open();
    auto publisher = open();
    QVERIFY(worker && publisher);
    Endpoint e;
    QVERIFY(startDelivering(*worker, QStringLiteral("team"), &e));
    QString error;
    QTest::qWait(6000);           // past the first polls: the worker is idle
    publisher->setSending(false); // as 'hookline fire' without --wait
    QSignalSpy finished(worker.get(), &Engine::deliveryFinished);
    for (int i = 0; i < 3; ++i) {
        Event event{Ids::newTimeOrdered(),
                    QStringLiteral("call.ringing"),
                    QByteArray("{\"call\":") + QByteArray::number(i) + '}',
                    QDateTime::currentDateTimeUtc(),
                    EventOrigin::Test,
                    {}};
        QElapsedTimer clock;
        clock.start();
        const int before = int(finished.count());
        QCOMPARE(publisher->publish(event, e.id, AttemptTrigger::Test, &error).size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() > before, 1500);
        QVERIFY2(clock.elapsed() < 1500, qPrintable(QString::number(clock.elapsed())));
        QTest::qWait(5500 / 3); // idle again between publishes, across a poll
    }
    QCOMPARE(worker->inbox(QStringLiteral("team")).name, QStringLiteral("team"));
}

// The server drops every connection and refuses new ones for a while (a restart, a network
// cut): the engine says it is reconnecting, keeps trying every 5 s, and once the server
// answers again it delivers and hears notices as before.
void TestTeamMode::lostServerIsReconnected()
{
    auto worker = open();
    QVERIFY(worker);
    Endpoint e;
    QVERIFY(startDelivering(*worker, QStringLiteral("back"), &e));
    QString error;
    worker->setPollInterval(1000);
    QSignalSpy unreachable(worker.get(), &Engine::storeUnreachable);
    QSignalSpy recovered(worker.get(), &Engine::storeRecovered);

    const QString database = m_url.section(u'/', -1);
    const auto admin = [&](const QString &sql) {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("admin"));
        db.setHostName(m_server->host());
        db.setPort(m_server->port());
        db.setUserName(m_server->user());
        db.setPassword(m_server->password());
        db.setDatabaseName(QStringLiteral("postgres"));
        bool ok = db.open();
        if (ok) {
            QSqlQuery q(db);
            ok = q.exec(sql);
            if (!ok)
                qWarning("%s", qPrintable(q.lastError().text()));
        }
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("admin"));
        return ok;
    };
    QVERIFY(admin(QStringLiteral("ALTER DATABASE %1 ALLOW_CONNECTIONS false").arg(database)));
    QVERIFY(admin(QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = '%1'")
                      .arg(database)));
    QTRY_VERIFY_WITH_TIMEOUT(unreachable.count() >= 1, 8000);
    QVERIFY2(unreachable.first().first().toString().contains(m_server->host()),
             qPrintable(unreachable.first().first().toString()));
    QVERIFY(!unreachable.first().first().toString().contains(m_server->password()));
    QVERIFY(worker->isStoreUnreachable());
    QCOMPARE(worker->endpointName(e.id), QStringLiteral("back")); // what it had, it keeps

    QVERIFY(admin(QStringLiteral("ALTER DATABASE %1 ALLOW_CONNECTIONS true").arg(database)));
    QTRY_VERIFY_WITH_TIMEOUT(recovered.count() >= 1, 8000);
    QVERIFY(!worker->isStoreFailing());
    auto publisher = open();
    QVERIFY(publisher);
    publisher->setSending(false);
    QSignalSpy finished(worker.get(), &Engine::deliveryFinished);
    Event event{Ids::newTimeOrdered(), QStringLiteral("call.ringing"),
                QByteArray("{}"),      QDateTime::currentDateTimeUtc(),
                EventOrigin::Test,     {}};
    QCOMPARE(publisher->publish(event, e.id, AttemptTrigger::Test, &error).size(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() >= 1, 2000); // woken by a notice: LISTEN renewed
}

QTEST_GUILESS_MAIN(TestTeamMode)
// A window's Live page shows what a worker elsewhere sends, within a second of its recording
// (the worker's notice), each attempt once; the window's own attempts are not shown twice.
void TestTeamMode::liveShowsOtherProcessesAttempts()
{
    auto console = open();
    auto worker = open();
    QVERIFY(console && worker);
    Endpoint e;
    QVERIFY(startDelivering(*worker, QStringLiteral("live"), &e));
    console->watchAttemptsElsewhere();
    QSignalSpy elsewhere(console.get(), &Engine::attemptRecordedElsewhere);
    QSignalSpy finished(worker.get(), &Engine::deliveryFinished);
    QString error;
    QStringList sent;
    for (int i = 0; i < 3; ++i) {
        Event event{Ids::newTimeOrdered(),
                    QStringLiteral("call.ringing"),
                    QByteArray("{\"call\":") + QByteArray::number(i) + '}',
                    QDateTime::currentDateTimeUtc(),
                    EventOrigin::Test,
                    {}};
        sent << worker->publish(event, e.id, AttemptTrigger::Test, &error);
    }
    QCOMPARE(sent.size(), 3);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, 5000);
    QElapsedTimer clock;
    clock.start();
    QTRY_COMPARE_WITH_TIMEOUT(elsewhere.count(), 3, 1000);
    QStringList shown;
    for (const QList<QVariant> &args : std::as_const(elsewhere)) {
        const auto d = args.at(0).value<Delivery>();
        const auto a = args.at(1).value<Attempt>();
        QCOMPARE(a.deliveryId, d.id);
        QCOMPARE(a.responseStatus, 200);
        QCOMPARE(d.endpointId, e.id);
        shown << d.id;
    }
    shown.sort();
    sent.sort();
    QCOMPARE(shown, sent);

    // The window sends one itself: shown by its own signals, not again as news when the
    // worker's next notice makes it look.
    console->resume();
    QSignalSpy own(console.get(), &Engine::attemptFinished);
    Event mine{Ids::newTimeOrdered(), QStringLiteral("call.ended"),
               QByteArray("{}"),      QDateTime::currentDateTimeUtc(),
               EventOrigin::Test,     {}};
    QCOMPARE(console->publish(mine, e.id, AttemptTrigger::Test, &error).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(own.count(), 1, 5000);
    QTest::qWait(300);
    Event theirs{Ids::newTimeOrdered(), QStringLiteral("call.ended"),
                 QByteArray("{}"),      QDateTime::currentDateTimeUtc(),
                 EventOrigin::Test,     {}};
    const QStringList last = worker->publish(theirs, e.id, AttemptTrigger::Test, &error);
    QCOMPARE(last.size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(elsewhere.count(), 4, 3000);
    QTest::qWait(1000);
    QCOMPARE(elsewhere.count(), 4);
    QCOMPARE(elsewhere.last().at(0).value<Delivery>().id, last.first());
}

#include "tst_teammode.moc"
