// SPDX-License-Identifier: GPL-3.0-or-later
// The hookline command line end to end, as separate processes against the built-in
// receiver on 127.0.0.1: add an endpoint, fire and wait, read the history as JSON, run a
// call scenario, catch deliveries with 'hookline receive', deliver queued work with
// 'hookline run', refuse bad arguments with exit code 2 - and lose nothing when a sender is
// killed with SIGKILL in the middle of a burst.
#include "TestBackend.h"
#include "receiver/ReceiverServer.h"
#include "signing/WebhookSigner.h"
#include "store/Store.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <csignal>
#include <sys/stat.h>

namespace {

struct Result
{
    int code = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void cleanupTestCase() { TestBackend::shutdown(); }

    void versionAndHelp();
    void badArguments_data();
    void updateChangesOnlyWhatIsGiven();
    void orderSurvivesKillNine();
    void recoverAfterAnOutage();
    void badArguments();
    void badPayloadFiles();
    void endToEnd();
    void failedDeliveryExitsNonZero();
    void scenarioArrivesInOrder();
    void receiveShowsSignatureVerdicts();
    void runDeliversQueuedWork();
    void newerDatabaseIsRefused();
    void killNineLosesNothing();
    void workersShareABurstAndSurviveKillNine();
    void teamStoreRefusesAnotherSecretKey();
    void storeCopyMovesEverythingOnce();
    void concurrencyLimitHoldsAcrossWorkers();
    void storeCopyRefusesAStoreBeingDelivered();
    void tokensCreateListRevoke();
    void serveStartsAndStops();
    void serveKillNineLosesNothingAccepted();
    void serveOverTls();

private:
    Result hookline(const QStringList &args, int timeoutMs = 60000);
    // The store's options: --data-dir on SQLite, --database on PostgreSQL (TestBackend.h).
    QStringList withDataDir(const QStringList &args) const
    {
        return (TestBackend::onPostgres()
                    ? QStringList{QStringLiteral("--database"), m_store}
                    : QStringList{QStringLiteral("--data-dir"), m_dir->path()}) +
               args;
    }
    QString addEndpoint(const QString &inbox, const QStringList &extra = {});
    // The distinct webhook-ids the receiver's inbox got.
    QSet<QByteArray> webhookIds(const QString &inbox) const
    {
        QSet<QByteArray> ids;
        for (const CapturedRequest &r : m_receiver->requests(inbox))
            ids.insert(r.header("webhook-id"));
        return ids;
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_store; // the database's file or URL
    std::unique_ptr<ReceiverServer> m_receiver;
    QString m_secret;
};

Result TestCli::hookline(const QStringList &args, int timeoutMs)
{
    QProcess p;
    p.start(QStringLiteral(HOOKLINE_BINARY), args);
    Result r;
    // The receiver lives on this thread: keep its event loop turning while we wait.
    if (!QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, timeoutMs)) {
        p.kill();
        p.waitForFinished();
        qWarning("hookline %s timed out", qPrintable(args.join(u' ')));
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

void TestCli::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_store = TestBackend::newStore(m_dir->path());
    QVERIFY(!m_store.isEmpty());
    m_receiver = std::make_unique<ReceiverServer>();
    QVERIFY(m_receiver->listen());
    m_secret = WebhookSigner::generateSecret();
}

void TestCli::cleanup()
{
    m_receiver.reset();
    m_dir.reset();
}

QString TestCli::addEndpoint(const QString &inbox, const QStringList &extra)
{
    InboxConfig c;
    c.name = inbox;
    c.secret = m_secret;
    if (!m_receiver->setInbox(c).isEmpty())
        return {};
    const Result r = hookline(withDataDir(
        QStringList{QStringLiteral("endpoints"), QStringLiteral("add"), QStringLiteral("--url"),
                    m_receiver->inboxUrl(inbox).toString(), QStringLiteral("--name"), inbox,
                    QStringLiteral("--secret"), m_secret} +
        extra));
    if (r.code != 0)
        qWarning("endpoints add: %s", r.err.constData());
    return QString::fromLatin1(r.out.trimmed());
}

void TestCli::versionAndHelp()
{
    Result r = hookline({QStringLiteral("--version")});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith("Hookline "));
    r = hookline({QStringLiteral("--help")});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("endpoints add --url URL"));
    QVERIFY(r.out.contains("receive"));
    // After a command too, without running it.
    r = hookline(withDataDir(
        {QStringLiteral("fire"), QStringLiteral("call.ringing"), QStringLiteral("--help")}));
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("fire TYPE"));
    QVERIFY(!QFile::exists(m_dir->filePath(QStringLiteral("hookline.sqlite"))));
}

void TestCli::badArguments_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("unknown command") << QStringList{QStringLiteral("launch")} << "launch";
    QTest::newRow("endpoints without action")
        << QStringList{QStringLiteral("endpoints")} << "action";
    QTest::newRow("add without url")
        << QStringList{QStringLiteral("endpoints"), QStringLiteral("add")} << "--url";
    QTest::newRow("bad url") << QStringList{QStringLiteral("endpoints"), QStringLiteral("add"),
                                            QStringLiteral("--url"), QStringLiteral("ftp://x")}
                             << "ftp";
    QTest::newRow("header injection")
        << QStringList{QStringLiteral("endpoints"), QStringLiteral("add"),
                       QStringLiteral("--url"),     QStringLiteral("http://127.0.0.1:1/"),
                       QStringLiteral("--header"),  QStringLiteral("X-A: 1\r\nX-B: 2")}
        << "line break";
    QTest::newRow("bad format") << QStringList{QStringLiteral("endpoints"),
                                               QStringLiteral("add"),
                                               QStringLiteral("--url"),
                                               QStringLiteral("http://127.0.0.1:1/"),
                                               QStringLiteral("--format"),
                                               QStringLiteral("yaml")}
                                << "yaml";
    QTest::newRow("unknown option")
        << QStringList{QStringLiteral("history"), QStringLiteral("--colour")} << "colour";
    QTest::newRow("stats since a word")
        << QStringList{QStringLiteral("stats"), QStringLiteral("--since"),
                       QStringLiteral("yesterday")}
        << "yesterday";
    QTest::newRow("stats of no endpoint")
        << QStringList{QStringLiteral("stats"), QStringLiteral("--endpoint"),
                       QStringLiteral("nosuch")}
        << "nosuch";
    QTest::newRow("recover without since")
        << QStringList{QStringLiteral("recover"), QStringLiteral("--endpoint"), QStringLiteral("x")}
        << "--since";
    QTest::newRow("recover since the future")
        << QStringList{QStringLiteral("recover"), QStringLiteral("--endpoint"), QStringLiteral("x"),
                       QStringLiteral("--since"), QStringLiteral("2099-01-01")}
        << "2099-01-01";
    QTest::newRow("recover of no endpoint")
        << QStringList{QStringLiteral("recover"), QStringLiteral("--endpoint"),
                       QStringLiteral("nosuch"), QStringLiteral("--since"), QStringLiteral("2h")}
        << "nosuch";
    QTest::newRow("bad status") << QStringList{QStringLiteral("history"),
                                               QStringLiteral("--status"),
                                               QStringLiteral("exploded")}
                                << "exploded";
    QTest::newRow("unknown event type")
        << QStringList{QStringLiteral("fire"), QStringLiteral("call.exploded")} << "call.ringing";
    QTest::newRow("fire without type") << QStringList{QStringLiteral("fire")} << "event type";
    QTest::newRow("receive with a bad content type")
        << QStringList{QStringLiteral("receive"), QStringLiteral("--content-type"),
                       QStringLiteral("json please")}
        << "json please";
    QTest::newRow("bad count") << QStringList{QStringLiteral("fire"),
                                              QStringLiteral("call.ringing"),
                                              QStringLiteral("--count"), QStringLiteral("lots")}
                               << "--count";
    QTest::newRow("bad scenario") << QStringList{QStringLiteral("scenario"),
                                                 QStringLiteral("meeting")}
                                  << "call";
    QTest::newRow("tokens without name")
        << QStringList{QStringLiteral("tokens"), QStringLiteral("create")} << "--name";
    QTest::newRow("token name blank")
        << QStringList{QStringLiteral("tokens"), QStringLiteral("create"), QStringLiteral("--name"),
                       QStringLiteral("  ")}
        << "name";
    QTest::newRow("serve bad listen")
        << QStringList{QStringLiteral("serve"), QStringLiteral("--listen"), QStringLiteral("8470")}
        << "8470";
    // Refused before anything is bound: the address never sees a packet.
    QTest::newRow("serve off loopback without TLS")
        << QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                       QStringLiteral("0.0.0.0:0")}
        << "--tls-cert";
    QTest::newRow("serve cert without key")
        << QStringList{QStringLiteral("serve"), QStringLiteral("--tls-cert"),
                       QStringLiteral("x.pem")}
        << "--tls-key";
    QTest::newRow("receive bad rate")
        << QStringList{QStringLiteral("receive"), QStringLiteral("--fail-rate"),
                       QStringLiteral("2")}
        << "2";
    // The hardening issue's corpus: each was accepted (or misreported) before.
    const auto add = [](const QString &url, const QStringList &more = {}) {
        return QStringList{QStringLiteral("endpoints"), QStringLiteral("add"),
                           QStringLiteral("--url"), url} +
               more;
    };
    QTest::newRow("port 0") << add(QStringLiteral("http://127.0.0.1:0/x")) << "port 0";
    QTest::newRow("zero-width space in host")
        << add(QString::fromUtf8("http://crm\u200b.example/x")) << "U+200B";
    QTest::newRow("password in URL")
        << add(QStringLiteral("https://admin:hunter2@crm.example/x")) << "password";
    QTest::newRow("javascript URL")
        << add(QStringLiteral("javascript:alert(1)")) << "scheme “javascript”";
    QTest::newRow("empty URL") << add(QString()) << "Enter the URL";
    QTest::newRow("metadata address")
        << add(QStringLiteral("http://169.254.169.254/latest/meta-data/")) << "no-link-local";
    QTest::newRow("empty retry delay")
        << add(QStringLiteral("http://127.0.0.1:1/"),
               {QStringLiteral("--retry-schedule"), QStringLiteral("1,,2")})
        << "“” is not one";
    for (const char *h : {"Expect: 100-continue", "Upgrade: h2c", "Proxy-Authorization: x"})
        QTest::newRow(h) << add(QStringLiteral("http://127.0.0.1:1/"),
                                {QStringLiteral("--header"), QString::fromLatin1(h)})
                         << "proxy hop";
    QTest::newRow("payload from a device")
        << QStringList{QStringLiteral("fire"), QStringLiteral("call.ringing"),
                       QStringLiteral("--payload"), QStringLiteral("/dev/zero")}
        << "not a regular file";
    QTest::newRow("receive fail-rate nan")
        << QStringList{QStringLiteral("receive"), QStringLiteral("--fail-rate"),
                       QStringLiteral("nan")}
        << "nan";
    QTest::newRow("receive 3-byte secret")
        << QStringList{QStringLiteral("receive"), QStringLiteral("--secret"),
                       QStringLiteral("nope")}
        << "whsec_";
    QTest::newRow("unknown egress level")
        << QStringList{QStringLiteral("settings"), QStringLiteral("set"), QStringLiteral("egress"),
                       QStringLiteral("none")}
        << "none";
    QTest::newRow("bad allow entry")
        << QStringList{QStringLiteral("settings"), QStringLiteral("set"),
                       QStringLiteral("egress-allow"), QStringLiteral("10.0.0.0/99")}
        << "10.0.0.0/99";
    QTest::newRow("bad payload limit")
        << QStringList{QStringLiteral("settings"), QStringLiteral("set"),
                       QStringLiteral("payload-limit"), QStringLiteral("12")}
        << "12";
    QTest::newRow("bad global in-flight cap")
        << QStringList{QStringLiteral("settings"), QStringLiteral("set"),
                       QStringLiteral("max-in-flight"), QStringLiteral("0")}
        << "“0”";
    const QStringList addLimits{QStringLiteral("endpoints"), QStringLiteral("add"),
                                QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:9/h")};
    QTest::newRow("in flight 0") << addLimits + QStringList{QStringLiteral("--max-in-flight"),
                                                            QStringLiteral("0")}
                                 << "“0”";
    QTest::newRow("in flight 257")
        << addLimits + QStringList{QStringLiteral("--max-in-flight"), QStringLiteral("257")}
        << "257";
    QTest::newRow("rate not a number")
        << addLimits + QStringList{QStringLiteral("--rate-limit"), QStringLiteral("fast")}
        << "fast";
    QTest::newRow("rate nan") << addLimits + QStringList{QStringLiteral("--rate-limit"),
                                                         QStringLiteral("nan")}
                              << "nan";
    QTest::newRow("rate negative")
        << addLimits + QStringList{QStringLiteral("--rate-limit"), QStringLiteral("-5")} << "-5";
    QTest::newRow("rate too small")
        << addLimits + QStringList{QStringLiteral("--rate-limit"), QStringLiteral("0.001")}
        << "0.001";
    QTest::newRow("burst negative")
        << addLimits + QStringList{QStringLiteral("--burst"), QStringLiteral("-1")} << "-1";
    QTest::newRow("http1 and h2c") << addLimits + QStringList{QStringLiteral("--http1-only"),
                                                              QStringLiteral("--http2-cleartext")}
                                   << "--http1-only";
}

// Payload files that are not templates: a FIFO (would hang), bytes that are not UTF-8 (were
// rewritten to U+FFFD), a raw NUL inside a JSON string, and one over the payload limit.
void TestCli::badPayloadFiles()
{
    const QString fifo = m_dir->filePath(QStringLiteral("fifo"));
    QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
    const auto write = [this](const QString &name, const QByteArray &bytes) {
        QFile f(m_dir->filePath(name));
        if (f.open(QIODevice::WriteOnly))
            f.write(bytes);
        return f.fileName();
    };
    const QList<QPair<QString, QString>> cases = {
        {fifo, QStringLiteral("not a regular file")},
        {write(QStringLiteral("latin1.json"), "{\"name\": \"Ren\xe9\"}"),
         QStringLiteral("offset 13 (0xe9)")},
        {write(QStringLiteral("nul.json"), QByteArray("{\"a\": \"x\0y\"}", 11)),
         QStringLiteral("U+0000")},
        {write(QStringLiteral("big.json"), "{\"a\": \"" + QByteArray(2 * 1024 * 1024, 'x') + "\"}"),
         QStringLiteral("payload limit")},
    };
    for (const auto &c : cases) {
        const Result r =
            hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("call.ringing"),
                                  QStringLiteral("--payload"), c.first}),
                     10000);
        QVERIFY2(r.code == 2, qPrintable(c.first + QLatin1String(": ") + QString::fromUtf8(r.err)));
        QVERIFY2(QString::fromUtf8(r.err).contains(c.second), r.err.constData());
    }
    const Result history = hookline(withDataDir({QStringLiteral("history")}));
    QCOMPARE(history.code, 0);
    QVERIFY2(!history.out.contains("call.ringing"), history.out.constData()); // nothing stored
}

void TestCli::badArguments()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);
    const Result r = hookline(withDataDir(args));
    QVERIFY2(r.code == 2, r.err.constData());
    QVERIFY2(QString::fromUtf8(r.err).contains(mentions), r.err.constData());
}

void TestCli::updateChangesOnlyWhatIsGiven()
{
    const QString id = addEndpoint(QStringLiteral("limits"),
                                   {QStringLiteral("--header"), QStringLiteral("x-api-key: 42"),
                                    QStringLiteral("--event"), QStringLiteral("call.ended")});
    QVERIFY(!id.isEmpty());
    Result r = hookline(withDataDir({QStringLiteral("endpoints"), QStringLiteral("update"),
                                     id.left(8), QStringLiteral("--max-in-flight"),
                                     QStringLiteral("64"), QStringLiteral("--rate-limit"),
                                     QStringLiteral("12.5/s"), QStringLiteral("--burst"),
                                     QStringLiteral("20"), QStringLiteral("--http1-only")}));
    QVERIFY2(r.code == 0, r.err.constData());
    r = hookline(withDataDir(
        {QStringLiteral("endpoints"), QStringLiteral("list"), QStringLiteral("--json")}));
    const QJsonObject e = QJsonDocument::fromJson(r.out).array().first().toObject();
    QCOMPARE(e.value(QStringLiteral("maxInFlight")).toInt(), 64);
    QCOMPARE(e.value(QStringLiteral("ratePerSecond")).toDouble(), 12.5);
    QCOMPARE(e.value(QStringLiteral("rateBurst")).toInt(), 20);
    QCOMPARE(e.value(QStringLiteral("http1Only")).toBool(), true);
    QCOMPARE(e.value(QStringLiteral("queued")).toInt(), 0);
    // Untouched: the events, the header (value kept, shown redacted), the secret.
    QCOMPARE(e.value(QStringLiteral("eventTypes")).toArray().size(), 1);
    QCOMPARE(e.value(QStringLiteral("headers")).toArray().size(), 1);
    QCOMPARE(e.value(QStringLiteral("signed")).toBool(), true);
    r = hookline(withDataDir({QStringLiteral("endpoints"), QStringLiteral("list")}));
    QVERIFY2(r.out.contains("64x 12.5/s"), r.out.constData());
    // The global cap, shared through the store.
    r = hookline(withDataDir({QStringLiteral("settings"), QStringLiteral("set"),
                              QStringLiteral("max-in-flight"), QStringLiteral("300")}));
    QCOMPARE(r.code, 0);
    r = hookline(withDataDir({QStringLiteral("settings")}));
    QVERIFY2(r.out.contains("max-in-flight 300"), r.out.constData());
}

void TestCli::endToEnd()
{
    const QString id = addEndpoint(QStringLiteral("crm"),
                                   {QStringLiteral("--header"), QStringLiteral("x-api-key: 42")});
    QVERIFY(!id.isEmpty());
    Result r = hookline(withDataDir(
        {QStringLiteral("endpoints"), QStringLiteral("list"), QStringLiteral("--json")}));
    QCOMPARE(r.code, 0);
    const QJsonArray list = QJsonDocument::fromJson(r.out).array();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list.first().toObject().value(QStringLiteral("id")).toString(), id);
    QVERIFY(!list.first().toObject().contains(QStringLiteral("secret"))); // never printed
    const QJsonArray header =
        list.first().toObject().value(QStringLiteral("headers")).toArray().first().toArray();
    QCOMPARE(header.at(0).toString(), QStringLiteral("x-api-key"));
    QCOMPARE(header.at(1).toString(), QStringLiteral("[redacted]")); // nor are header values

    r = hookline(withDataDir(
        {QStringLiteral("fire"), QStringLiteral("call.ringing"), QStringLiteral("--wait")}));
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.out.contains("crm  200  "), r.out.constData());
    QCOMPARE(r.out.count('\n'), 1);
    const auto got = m_receiver->requests(QStringLiteral("crm"));
    QCOMPARE(got.size(), 1);
    QCOMPARE(got.first().signature.verdict, SignatureVerdict::Valid);
    QCOMPARE(got.first().header("x-api-key"), QByteArray("42"));

    r = hookline(withDataDir({QStringLiteral("history"), QStringLiteral("--json")}));
    QCOMPARE(r.code, 0);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    const QJsonObject d = QJsonDocument::fromJson(lines.first()).object();
    QCOMPARE(d.value(QStringLiteral("state")).toString(), QStringLiteral("succeeded"));
    QCOMPARE(d.value(QStringLiteral("eventType")).toString(), QStringLiteral("call.ringing"));
    QCOMPARE(d.value(QStringLiteral("webhookId")).toString().toLatin1(),
             got.first().header("webhook-id"));
    const QJsonObject attempt = d.value(QStringLiteral("attempts")).toArray().first().toObject();
    QCOMPARE(attempt.value(QStringLiteral("responseStatus")).toInt(), 200);
    QCOMPARE(attempt.value(QStringLiteral("requestBody")).toString().toUtf8(), got.first().body);

    // Redeliver by id prefix; the receiver sees the same webhook-id again.
    r = hookline(
        withDataDir({QStringLiteral("redeliver"), d.value(QStringLiteral("id")).toString().left(8),
                     QStringLiteral("--wait")}));
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(m_receiver->requests(QStringLiteral("crm")).size(), 2);
    QCOMPARE(m_receiver->requests(QStringLiteral("crm")).last().header("webhook-id"),
             got.first().header("webhook-id"));

    r = hookline(withDataDir({QStringLiteral("endpoints"), QStringLiteral("disable"), id.left(8)}));
    QCOMPARE(r.code, 0);
    r = hookline(withDataDir(
        {QStringLiteral("fire"), QStringLiteral("call.ringing"), QStringLiteral("--wait")}));
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("No enabled endpoint"));
    QCOMPARE(
        hookline(withDataDir({QStringLiteral("endpoints"), QStringLiteral("remove"), id})).code, 0);
    QCOMPARE(
        hookline(withDataDir({QStringLiteral("endpoints"), QStringLiteral("remove"), id})).code, 1);
}

void TestCli::failedDeliveryExitsNonZero()
{
    InboxConfig c;
    const QString id = addEndpoint(QStringLiteral("down"),
                                   {QStringLiteral("--max-attempts"), QStringLiteral("1")});
    c.name = QStringLiteral("down");
    c.status = 503;
    QVERIFY(m_receiver->setInbox(c).isEmpty());
    const Result r = hookline(
        withDataDir({QStringLiteral("fire"), QStringLiteral("agent.login"),
                     QStringLiteral("--wait"), QStringLiteral("--count"), QStringLiteral("2")}));
    QCOMPARE(r.code, 1);
    QCOMPARE(r.out.count("down  503  "), 2);
    QVERIFY(r.out.contains("answered 503"));
    Q_UNUSED(id);
}

void TestCli::scenarioArrivesInOrder()
{
    QVERIFY(!addEndpoint(QStringLiteral("calls")).isEmpty());
    const Result r = hookline(withDataDir(
        {QStringLiteral("scenario"), QStringLiteral("call"), QStringLiteral("--wait")}));
    QVERIFY2(r.code == 0, r.err.constData());
    const auto got = m_receiver->requests(QStringLiteral("calls"));
    QCOMPARE(got.size(), 4);
    QStringList types;
    QSet<QString> callIds;
    for (const CapturedRequest &c : got) {
        const QJsonObject o = QJsonDocument::fromJson(c.body).object();
        types << o.value(QStringLiteral("type")).toString();
        callIds << o.value(QStringLiteral("callID")).toString();
    }
    QCOMPARE(types, (QStringList{QStringLiteral("created"), QStringLiteral("ringing"),
                                 QStringLiteral("answered"), QStringLiteral("ended")}));
    QCOMPARE(callIds.size(), 1);
}

void TestCli::receiveShowsSignatureVerdicts()
{
    // 'hookline receive' in its own process catches what 'hookline fire' sends.
    QProcess receiver;
    receiver.start(QStringLiteral(HOOKLINE_BINARY),
                   {QStringLiteral("receive"), QStringLiteral("--inbox"), QStringLiteral("cli"),
                    QStringLiteral("--secret"), m_secret, QStringLiteral("--json")});
    QVERIFY(receiver.waitForStarted());
    QByteArray banner;
    QVERIFY(QTest::qWaitFor(
        [&] {
            banner += receiver.readAllStandardError();
            return banner.contains("Receiving on");
        },
        20000));
    const QRegularExpression re(QStringLiteral("http://127\\.0\\.0\\.1:(\\d+)/inbox/cli"));
    const QRegularExpressionMatch m = re.match(QString::fromUtf8(banner));
    QVERIFY2(m.hasMatch(), banner.constData());
    const QString url = m.captured(0);

    auto fireTo = [&](const QString &secret) {
        const Result add = hookline(withDataDir(
            {QStringLiteral("endpoints"), QStringLiteral("add"), QStringLiteral("--url"), url,
             QStringLiteral("--secret"), secret, QStringLiteral("--name"), secret.right(6)}));
        const QString id = QString::fromLatin1(add.out.trimmed());
        return hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("call.answered"),
                                     QStringLiteral("--endpoint"), id, QStringLiteral("--wait")}))
            .code;
    };
    QCOMPARE(fireTo(m_secret), 0);
    QCOMPARE(fireTo(WebhookSigner::generateSecret()), 0);
    QByteArray lines;
    QVERIFY(QTest::qWaitFor(
        [&] {
            lines += receiver.readAllStandardOutput();
            return lines.count('\n') >= 2;
        },
        10000));
    receiver.terminate();
    QVERIFY(receiver.waitForFinished(10000));
    QCOMPARE(receiver.exitCode(), 0);
    const QList<QByteArray> json = lines.trimmed().split('\n');
    QCOMPARE(
        QJsonDocument::fromJson(json.at(0)).object().value(QStringLiteral("signature")).toString(),
        QStringLiteral("valid"));
    QCOMPARE(
        QJsonDocument::fromJson(json.at(1)).object().value(QStringLiteral("signature")).toString(),
        QStringLiteral("invalid"));
}

void TestCli::runDeliversQueuedWork()
{
    QVERIFY(!addEndpoint(QStringLiteral("later")).isEmpty());
    Result r = hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("call.ended"),
                                     QStringLiteral("--count"), QStringLiteral("3")}));
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out.trimmed().split('\n').size(), 3);
    QVERIFY(m_receiver->requests(QStringLiteral("later")).isEmpty());

    QProcess run;
    run.start(QStringLiteral(HOOKLINE_BINARY), withDataDir({QStringLiteral("run")}));
    QVERIFY(run.waitForStarted());
    QVERIFY(QTest::qWaitFor(
        [&] { return m_receiver->requests(QStringLiteral("later")).size() == 3; }, 20000));
    // Work queued while it runs is picked up too.
    r = hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("agent.logout")}));
    QCOMPARE(r.code, 0);
    QVERIFY(QTest::qWaitFor(
        [&] { return m_receiver->requests(QStringLiteral("later")).size() == 4; }, 20000));
    // And work for an endpoint added while it runs, even before it rereads the endpoints.
    for (int i = 0; i < 3; ++i) {
        const QString inbox = QStringLiteral("added%1").arg(i);
        const QString id = addEndpoint(inbox);
        QVERIFY(!id.isEmpty());
        r = hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("call.created"),
                                  QStringLiteral("--endpoint"), id}));
        QCOMPARE(r.code, 0);
        QVERIFY2(QTest::qWaitFor([&] { return m_receiver->requests(inbox).size() == 1; }, 20000),
                 qPrintable(inbox));
    }
    run.terminate();
    QVERIFY(QTest::qWaitFor([&] { return run.state() == QProcess::NotRunning; }, 20000));
    QCOMPARE(run.exitStatus(), QProcess::NormalExit);
    QCOMPARE(run.exitCode(), 0);
    r = hookline(withDataDir(
        {QStringLiteral("history"), QStringLiteral("--status"), QStringLiteral("succeeded")}));
    QCOMPARE(r.out.trimmed().split('\n').size(), 7);
}

void TestCli::newerDatabaseIsRefused()
{
    {
        QString error;
        auto store = Store::open(m_store, &error);
        QVERIFY(store);
    }
    {
        QSqlDatabase db = TestBackend::rawConnection(m_store, QStringLiteral("raw"));
        QVERIFY(db.open());
        QVERIFY(QSqlQuery(db).exec(TestBackend::onPostgres()
                                       ? QStringLiteral("UPDATE hookline_schema SET version = 42")
                                       : QStringLiteral("PRAGMA user_version = 42")));
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("raw"));
    const Result r = hookline(withDataDir({QStringLiteral("history")}));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("newer Hookline"), r.err.constData());
}

// Ordered delivery per key across a crash: 'hookline run' killed with SIGKILL mid-stream,
// a new one resumes; the receiver sees the deliveries of the key one at a time, in publishing
// order, with at most the one in flight at the kill sent twice.
void TestCli::orderSurvivesKillNine()
{
    const QString id = addEndpoint(QStringLiteral("ordered"),
                                   {QStringLiteral("--order-key"), QStringLiteral("/callID"),
                                    QStringLiteral("--max-in-flight"), QStringLiteral("16")});
    QVERIFY(!id.isEmpty());
    InboxConfig c;
    c.name = QStringLiteral("ordered");
    c.secret = m_secret;
    c.delayMs = 60; // the kill lands mid-stream
    c.capacity = 10000;
    QVERIFY(m_receiver->setInbox(c).isEmpty());
    const QString payload = m_dir->filePath(QStringLiteral("call.json"));
    {
        QFile f(payload);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"callID":"c-42","state":"ringing"})");
    }
    const int total = 40;
    Result r = hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("call.ringing"),
                                     QStringLiteral("--payload"), payload,
                                     QStringLiteral("--count"), QString::number(total)}));
    QVERIFY2(r.code == 0, r.err.constData());

    auto arrivals = [&] {
        QStringList ids;
        for (const CapturedRequest &got : m_receiver->requests(QStringLiteral("ordered")))
            ids << QString::fromLatin1(got.header("webhook-id"));
        return ids;
    };
    QProcess run;
    run.start(QStringLiteral(HOOKLINE_BINARY),
              withDataDir({QStringLiteral("run"), QStringLiteral("--quiet")}));
    QVERIFY(run.waitForStarted());
    QVERIFY(QTest::qWaitFor([&] { return arrivals().size() >= 10; }, 30000));
    ::kill(pid_t(run.processId()), SIGKILL);
    QVERIFY(QTest::qWaitFor([&] { return run.state() == QProcess::NotRunning; }, 10000));
    QVERIFY2(arrivals().size() < total, "the kill came too late to be mid-stream");
    // The counts History shows per state are kept by the statements that change deliveries:
    // after the kill, with deliveries in every stage, they are what a scan counts.
    const auto countsAgree = [&]() -> QString {
        QString error;
        auto store = Store::open(m_store, &error);
        if (!store)
            return error;
        for (DeliveryState s :
             {DeliveryState::Pending, DeliveryState::InFlight, DeliveryState::Succeeded,
              DeliveryState::Retrying, DeliveryState::Failed, DeliveryState::Cancelled}) {
            DeliveryQuery kept;
            kept.state = s;
            DeliveryQuery scanned = kept;
            scanned.from = QDateTime::fromMSecsSinceEpoch(0); // not kept: a COUNT(*)
            if (store->countDeliveries(kept) != store->countDeliveries(scanned))
                return QStringLiteral("%1: %2 counted, %3 there")
                    .arg(deliveryStateName(s))
                    .arg(store->countDeliveries(kept))
                    .arg(store->countDeliveries(scanned));
        }
        return {};
    };
    const QString disagreement = countsAgree();
    QVERIFY2(disagreement.isEmpty(), qPrintable(disagreement));

    QProcess again;
    again.start(QStringLiteral(HOOKLINE_BINARY),
                withDataDir({QStringLiteral("run"), QStringLiteral("--quiet")}));
    QVERIFY(again.waitForStarted());
    QVERIFY(QTest::qWaitFor(
        [&] {
            const QStringList got = arrivals();
            return QSet<QString>(got.begin(), got.end()).size() >= total;
        },
        60000));
    again.terminate();
    QVERIFY(QTest::qWaitFor([&] { return again.state() == QProcess::NotRunning; }, 20000));

    QString error;
    auto store = Store::open(m_store, &error);
    QVERIFY2(store, qPrintable(error));
    DeliveryQuery q;
    q.limit = total * 2;
    QList<Delivery> all = store->deliveries(q); // newest first
    std::reverse(all.begin(), all.end());
    QCOMPARE(all.size(), total);
    QStringList published;
    for (const Delivery &d : all) {
        QCOMPARE(d.state, DeliveryState::Succeeded);
        QCOMPARE(d.orderKey, QStringLiteral("c-42"));
        published << d.webhookId;
    }
    // Walk the arrivals: each is the delivery whose turn it is, or the one before it again
    // (the attempt in flight at the kill).
    const QStringList got = arrivals();
    int next = 0, repeats = 0;
    for (const QString &w : got) {
        if (next < published.size() && w == published.at(next)) {
            ++next;
        } else {
            QVERIFY2(next > 0 && w == published.at(next - 1),
                     qPrintable(QStringLiteral("arrival %1 out of order").arg(w)));
            ++repeats;
        }
    }
    QCOMPARE(next, total);
    QVERIFY2(repeats <= 1, qPrintable(QString::number(repeats)));

    // The per-minute counts are written in the transaction of each attempt: after the kill they
    // still add up to the attempts the history holds.
    qint64 recorded = 0, succeeded = 0;
    for (const Delivery &d : all) {
        for (const Attempt &a : store->attempts(d.id)) {
            ++recorded;
            succeeded += a.errorClass == ErrorClass::None ? 1 : 0;
        }
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const ActivityCounts counted = store->endpointActivity(id, now.addSecs(-3600), now, 0).total;
    QCOMPARE(counted.attempts, recorded);
    QCOMPARE(counted.succeeded, succeeded);
    const QString after = countsAgree();
    QVERIFY2(after.isEmpty(), qPrintable(after));
}

// After an outage: what failed and what was cancelled while the endpoint was disabled is sent
// again in one command - queued for 'run', or sent at once with --wait - and `stats` counts it.
void TestCli::recoverAfterAnOutage()
{
    const QString id =
        addEndpoint(QStringLiteral("crm"), {QStringLiteral("--max-attempts"), QStringLiteral("1")});
    QVERIFY(!id.isEmpty());
    const auto answer = [&](int status) {
        InboxConfig c;
        c.name = QStringLiteral("crm");
        c.secret = m_secret;
        c.status = status;
        c.capacity = 1000;
        QVERIFY(m_receiver->setInbox(c).isEmpty());
    };
    answer(503);
    // The outage: four deliveries fail for good...
    Result r = hookline(
        withDataDir({QStringLiteral("fire"), QStringLiteral("call.ringing"),
                     QStringLiteral("--count"), QStringLiteral("4"), QStringLiteral("--wait")}));
    QCOMPARE(r.code, 1);
    // ...two more are queued, the endpoint is disabled, and 'run' cancels them.
    r = hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("call.ringing"),
                              QStringLiteral("--count"), QStringLiteral("2")}));
    QVERIFY2(r.code == 0, r.err.constData());
    r = hookline(withDataDir({QStringLiteral("endpoints"), QStringLiteral("disable"), id}));
    QVERIFY2(r.code == 0, r.err.constData());
    QString error;
    auto store = Store::open(m_store, &error);
    QVERIFY2(store, qPrintable(error));
    const auto inState = [&](DeliveryState state) {
        DeliveryQuery q;
        q.state = state;
        return store->countDeliveries(q);
    };
    {
        QProcess run;
        run.start(QStringLiteral(HOOKLINE_BINARY),
                  withDataDir({QStringLiteral("run"), QStringLiteral("--quiet")}));
        QVERIFY(run.waitForStarted());
        QVERIFY(QTest::qWaitFor([&] { return inState(DeliveryState::Cancelled) == 2; }, 30000));
        run.terminate();
        QVERIFY(QTest::qWaitFor([&] { return run.state() == QProcess::NotRunning; }, 20000));
    }
    QCOMPARE(inState(DeliveryState::Failed), 4);

    // Disabled, they would only be cancelled again: refused, with what to do.
    r = hookline(withDataDir({QStringLiteral("recover"), QStringLiteral("--endpoint"), id.left(8),
                              QStringLiteral("--since"), QStringLiteral("1h")}));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("disabled") && r.err.contains("enable it first"), r.err.constData());
    QCOMPARE(inState(DeliveryState::Failed), 4);

    r = hookline(withDataDir({QStringLiteral("stats"), QStringLiteral("--endpoint"),
                              QStringLiteral("crm"), QStringLiteral("--json")}));
    QVERIFY2(r.code == 0, r.err.constData());
    QJsonObject stats = QJsonDocument::fromJson(r.out).object();
    QJsonObject crm = stats.value(QStringLiteral("endpoints")).toArray().at(0).toObject();
    QCOMPARE(crm.value(QStringLiteral("attempts")).toInt(), 4);
    QCOMPARE(crm.value(QStringLiteral("failed")).toInt(), 4);
    QCOMPARE(crm.value(QStringLiteral("successRate")).toDouble(), 0.0);
    QVERIFY(crm.value(QStringLiteral("bins")).toArray().size() >= 24);

    // Back up: enabled, then everything is queued again, durably, for whoever delivers.
    answer(200);
    QCOMPARE(
        hookline(withDataDir({QStringLiteral("endpoints"), QStringLiteral("enable"), id})).code, 0);
    r = hookline(
        withDataDir({QStringLiteral("recover"), QStringLiteral("--endpoint"), QStringLiteral("crm"),
                     QStringLiteral("--since"), QStringLiteral("1h")}));
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.err.contains("Resending 6 deliveries to crm"), r.err.constData());
    QCOMPARE(r.out.trimmed().split('\n').size(), 6); // one line per delivery
    QCOMPARE(inState(DeliveryState::Pending), 6);
    const qsizetype before = m_receiver->requests(QStringLiteral("crm")).size();
    {
        QProcess run;
        run.start(QStringLiteral(HOOKLINE_BINARY),
                  withDataDir({QStringLiteral("run"), QStringLiteral("--quiet")}));
        QVERIFY(run.waitForStarted());
        QVERIFY(QTest::qWaitFor([&] { return inState(DeliveryState::Succeeded) == 6; }, 30000));
        run.terminate();
        QVERIFY(QTest::qWaitFor([&] { return run.state() == QProcess::NotRunning; }, 20000));
    }
    QCOMPARE(m_receiver->requests(QStringLiteral("crm")).size(), before + 6);
    r = hookline(withDataDir({QStringLiteral("recover"), QStringLiteral("--endpoint"), id,
                              QStringLiteral("--since"), QStringLiteral("1h")}));
    QCOMPARE(r.code, 0);
    QVERIFY2(r.err.contains("Nothing to resend"), r.err.constData());

    // Another failure, resent at once with --wait: its attempt is reported.
    answer(503);
    QCOMPARE(hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("call.ended"),
                                   QStringLiteral("--wait")}))
                 .code,
             1);
    answer(200);
    r = hookline(
        withDataDir({QStringLiteral("recover"), QStringLiteral("--endpoint"), id,
                     QStringLiteral("--since"), QStringLiteral("10m"), QStringLiteral("--wait")}));
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.out.contains("call.ended") && r.out.contains("200"), r.out.constData());
    QCOMPARE(inState(DeliveryState::Succeeded), 7);

    r = hookline(withDataDir({QStringLiteral("stats"), QStringLiteral("--json")}));
    crm = QJsonDocument::fromJson(r.out)
              .object()
              .value(QStringLiteral("endpoints"))
              .toArray()
              .at(0)
              .toObject();
    QCOMPARE(crm.value(QStringLiteral("attempts")).toInt(), 12);
    QCOMPARE(crm.value(QStringLiteral("succeeded")).toInt(), 7);
    QVERIFY(!crm.contains(QStringLiteral("bins")));
    r = hookline(withDataDir({QStringLiteral("stats")}));
    QVERIFY2(r.out.contains("SUCCESS") && r.out.contains("58.3 %"), r.out.constData());
}

void TestCli::killNineLosesNothing()
{
    InboxConfig c;
    QVERIFY(!addEndpoint(QStringLiteral("burst")).isEmpty());
    c.name = QStringLiteral("burst");
    c.secret = m_secret;
    c.delayMs = 40; // slow enough that the kill lands mid-burst
    c.capacity = 10000;
    QVERIFY(m_receiver->setInbox(c).isEmpty());

    const int total = 120;
    QProcess sender;
    sender.start(
        QStringLiteral(HOOKLINE_BINARY),
        withDataDir({QStringLiteral("fire"), QStringLiteral("call.ringing"),
                     QStringLiteral("--count"), QString::number(total), QStringLiteral("--wait")}));
    QVERIFY(sender.waitForStarted());
    QVERIFY(QTest::qWaitFor(
        [&] { return m_receiver->requests(QStringLiteral("burst")).size() >= 20; }, 30000));
    ::kill(pid_t(sender.processId()), SIGKILL);
    QVERIFY(QTest::qWaitFor([&] { return sender.state() == QProcess::NotRunning; }, 10000));
    const int beforeRestart = int(m_receiver->requests(QStringLiteral("burst")).size());
    QVERIFY2(beforeRestart < total, "the kill came too late to be mid-burst");

    // Everything the sender had accepted (committed) must now be delivered by a new process.
    QString error;
    qint64 accepted = 0;
    {
        auto store = Store::open(m_store, &error);
        QVERIFY2(store, qPrintable(error));
        accepted = store->deliveryCount();
    }
    QVERIFY(accepted >= beforeRestart);
    QProcess run;
    run.start(QStringLiteral(HOOKLINE_BINARY),
              withDataDir({QStringLiteral("run"), QStringLiteral("--quiet")}));
    QVERIFY(run.waitForStarted());
    auto distinctIds = [&] {
        return webhookIds(QStringLiteral("burst"));
    };
    QVERIFY(QTest::qWaitFor([&] { return distinctIds().size() >= accepted; }, 60000));
    run.terminate();
    QVERIFY(QTest::qWaitFor([&] { return run.state() == QProcess::NotRunning; }, 20000));
    QCOMPARE(run.exitCode(), 0);

    auto store = Store::open(m_store, &error);
    QVERIFY(store);
    QCOMPARE(store->unfinishedDeliveries().size(), 0);
    DeliveryQuery q;
    q.limit = total * 2;
    const QList<Delivery> all = store->deliveries(q);
    QCOMPARE(qint64(all.size()), accepted);
    const QSet<QByteArray> received = distinctIds();
    for (const Delivery &d : all) {
        QCOMPARE(d.state, DeliveryState::Succeeded);
        QVERIFY(received.contains(d.webhookId.toLatin1()));
    }
    // Duplicates only for what was in flight at the kill: the attempts on the wire (at most
    // the endpoint's limit, 16 by default) and those whose outcome was still queued for the
    // writer when the process died (under a loaded machine, up to as many again); always with
    // the same webhook-id.
    const int requests = int(m_receiver->requests(QStringLiteral("burst")).size());
    const int duplicates = requests - int(received.size());
    const int inFlight = Endpoint().maxInFlight;
    QVERIFY2(duplicates >= 0 && duplicates <= 2 * inFlight,
             qPrintable(QString::number(duplicates)));
    for (const CapturedRequest &r : m_receiver->requests(QStringLiteral("burst")))
        QCOMPARE(r.signature.verdict, SignatureVerdict::Valid);
}

// Team mode's promise (issue #19), on either backend: three 'hookline run' workers share a
// burst of 3,000 deliveries; one is killed with SIGKILL mid-burst. Every delivery arrives,
// each worker delivered some, duplicates only for what the dead worker had in flight (same
// webhook-id), and the history holds exactly what the receiver got.
void TestCli::workersShareABurstAndSurviveKillNine()
{
    QVERIFY(!addEndpoint(QStringLiteral("team")).isEmpty());
    InboxConfig c;
    c.name = QStringLiteral("team");
    c.secret = m_secret;
    c.delayMs = 5;
    c.capacity = 10000;
    QVERIFY(m_receiver->setInbox(c).isEmpty());

    const int total = 3000;
    std::vector<std::unique_ptr<QProcess>> workers;
    for (int i = 0; i < 3; ++i) {
        auto w = std::make_unique<QProcess>();
        w->start(QStringLiteral(HOOKLINE_BINARY), withDataDir({QStringLiteral("run")}));
        QVERIFY(w->waitForStarted());
        workers.push_back(std::move(w));
    }
    QByteArray printed[3];
    const auto collect = [&] {
        for (int i = 0; i < 3; ++i)
            printed[i] += workers[i]->readAllStandardOutput();
    };
    // Queued by a fourth process that does not deliver: the workers find it and share it.
    const Result fire =
        hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("call.ringing"),
                              QStringLiteral("--count"), QString::number(total)}),
                 120000);
    QVERIFY2(fire.code == 0, fire.err.constData());
    auto distinctIds = [&] {
        return webhookIds(QStringLiteral("team"));
    };
    QVERIFY(QTest::qWaitFor(
        [&] {
            collect();
            return distinctIds().size() >= total / 5;
        },
        120000));
    ::kill(pid_t(workers[0]->processId()), SIGKILL);
    QVERIFY(QTest::qWaitFor([&] { return workers[0]->state() == QProcess::NotRunning; }, 10000));
    const qint64 killedAt = m_receiver->requests(QStringLiteral("team")).last().sequence;
    collect();
    QVERIFY2(distinctIds().size() < total, "the kill came too late to be mid-burst");
    // The survivors take over the dead worker's deliveries when they find it gone (what it
    // sent but did not record, they send again).
    QString error;
    auto store = Store::open(m_store, &error);
    QVERIFY2(store, qPrintable(error));
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     collect();
                     return distinctIds().size() >= total &&
                            store->unfinishedDeliveries().isEmpty();
                 },
                 180000),
             qPrintable(QStringLiteral("%1 received, %2 unfinished")
                            .arg(distinctIds().size())
                            .arg(store->unfinishedDeliveries().size())));
    for (int i = 1; i < 3; ++i) {
        workers[i]->terminate();
        QVERIFY(
            QTest::qWaitFor([&] { return workers[i]->state() == QProcess::NotRunning; }, 30000));
        QCOMPARE(workers[i]->exitCode(), 0);
    }
    collect();
    for (int i = 0; i < 3; ++i)
        QVERIFY2(printed[i].count('\n') > 0,
                 qPrintable(QStringLiteral("worker %1 sent nothing").arg(i)));

    DeliveryQuery q;
    q.limit = total * 2;
    const QList<Delivery> all = store->deliveries(q);
    QCOMPARE(all.size(), total);
    const QSet<QByteArray> received = distinctIds();
    QSet<QByteArray> stored;
    for (const Delivery &d : all) {
        QCOMPARE(d.state, DeliveryState::Succeeded);
        stored.insert(d.webhookId.toLatin1());
    }
    QCOMPARE(stored, received); // history and receiver agree
    // Duplicates: none before the kill, none sent three times, and only what the dead worker
    // held: its attempts on the wire (its endpoint limit, 16) and the outcomes still waiting
    // for its writer's commit (a round trip and the server's log flush on PostgreSQL: under
    // load as many again, or more).
    QHash<QByteArray, int> copies;
    for (const CapturedRequest &r : m_receiver->requests(QStringLiteral("team"))) {
        QCOMPARE(r.signature.verdict, SignatureVerdict::Valid);
        const int n = ++copies[r.header("webhook-id")];
        QVERIFY2(n <= 2, r.header("webhook-id").constData());
        if (n == 2)
            QVERIFY2(r.sequence > killedAt, "a delivery sent twice before the kill");
    }
    const int requests = int(m_receiver->requests(QStringLiteral("team")).size());
    const int duplicates = requests - int(received.size());
    QVERIFY2(duplicates >= 0 && duplicates <= 4 * Endpoint().maxInFlight,
             qPrintable(QString::number(duplicates)));
}

// On a shared store every process must hold the key the endpoint secrets are sealed with:
// one with another key is refused with what to do, before it writes anything.
void TestCli::teamStoreRefusesAnotherSecretKey()
{
    if (!TestBackend::onPostgres())
        QSKIP("a shared (PostgreSQL) store only: a SQLite file has its user's key");
    QVERIFY(!addEndpoint(QStringLiteral("sealed")).isEmpty()); // names this user's key
    QProcess other;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOOKLINE_SECRET_KEY"),
               QString::fromLatin1(QByteArray(32, 'k').toBase64()));
    other.setProcessEnvironment(env);
    other.start(QStringLiteral(HOOKLINE_BINARY),
                withDataDir({QStringLiteral("endpoints"), QStringLiteral("list")}));
    QVERIFY(other.waitForFinished(60000));
    const QByteArray err = other.readAllStandardError();
    QCOMPARE(other.exitCode(), 1);
    QVERIFY2(err.contains("sealed with the key") && err.contains("HOOKLINE_SECRET_KEY"),
             err.constData());
    QVERIFY(!err.contains(TestBackend::server()->password().toUtf8()));
    QCOMPARE(hookline(withDataDir({QStringLiteral("endpoints"), QStringLiteral("list")})).code, 0);
}

namespace {
// A store's history as comparable text: one line per delivery, attempts' row ids left out (a
// copy numbers its rows anew), sorted.
QStringList historyOf(const QByteArray &jsonLines)
{
    QStringList out;
    for (const QByteArray &line : jsonLines.split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        QJsonObject d = QJsonDocument::fromJson(line).object();
        QJsonArray attempts;
        for (const QJsonValue &a : d.value(QLatin1String("attempts")).toArray()) {
            QJsonObject o = a.toObject();
            o.remove(QLatin1String("id"));
            attempts.append(o);
        }
        d.insert(QLatin1String("attempts"), attempts);
        out << QString::fromUtf8(QJsonDocument(d).toJson(QJsonDocument::Compact));
    }
    out.sort();
    return out;
}
} // namespace

// hookline store copy: a SQLite store into this backend's store and from there into another
// SQLite file - endpoints (secrets too), pending and retrying deliveries, attempts - the same
// everywhere; a second copy is refused without --merge and adds nothing with it; a copy killed
// part-way is finished by running it again with --merge.
void TestCli::storeCopyMovesEverythingOnce()
{
    QTcpServer closed; // a loopback port with nothing listening: every attempt is refused
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    const quint16 port = closed.serverPort();
    closed.close();
    const auto at = [](const QString &store, const QStringList &args) {
        return QStringList{QStringLiteral("--database"), store} + args;
    };
    const auto sqlite = [&](const QString &name) -> QString {
        QDir(m_dir->path()).mkpath(name);
        return QStringLiteral("sqlite:") +
               m_dir->filePath(name + QStringLiteral("/hookline.sqlite"));
    };
    const QString source = sqlite(QStringLiteral("source"));
    // This backend's store, as a URL.
    const QString here = TestBackend::onPostgres() ? m_store : QStringLiteral("sqlite:") + m_store;
    Result r = hookline(
        at(source, {QStringLiteral("endpoints"), QStringLiteral("add"), QStringLiteral("--url"),
                    QStringLiteral("http://127.0.0.1:%1/hook").arg(port), QStringLiteral("--name"),
                    QStringLiteral("crm"), QStringLiteral("--secret"), m_secret,
                    QStringLiteral("--retry-schedule"), QStringLiteral("3600")}));
    QCOMPARE(r.code, 0);
    const int n = 1500;
    r = hookline(at(source, {QStringLiteral("fire"), QStringLiteral("call.ringing"),
                             QStringLiteral("--count"), QString::number(n)}));
    QCOMPARE(r.code, 0);
    r = hookline(at(source, {QStringLiteral("fire"), QStringLiteral("call.answered"),
                             QStringLiteral("--wait")}));
    QCOMPARE(r.code, 1); // refused: retrying in an hour, with one attempt recorded
    const QStringList history = {QStringLiteral("history"), QStringLiteral("--json"),
                                 QStringLiteral("--limit"), QStringLiteral("5000")};
    const QStringList expected = historyOf(hookline(at(source, history)).out);
    QCOMPARE(expected.size(), n + 1);
    const QByteArray endpoints =
        hookline(at(source, {QStringLiteral("endpoints"), QStringLiteral("list"),
                             QStringLiteral("--json")}))
            .out;

    r = hookline(at(
        source, {QStringLiteral("store"), QStringLiteral("copy"), QStringLiteral("--to"), here}));
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY2(r.out.contains("Copied 1 endpoints, 0 event types, 1501 deliveries with 1 attempts"),
             r.out.constData());
    QCOMPARE(historyOf(hookline(at(here, history)).out), expected);
    QCOMPARE(hookline(at(here, {QStringLiteral("endpoints"), QStringLiteral("list"),
                                QStringLiteral("--json")}))
                 .out,
             endpoints);

    r = hookline(at(
        source, {QStringLiteral("store"), QStringLiteral("copy"), QStringLiteral("--to"), here}));
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("is not empty") && r.err.contains("--merge"), r.err.constData());
    r = hookline(at(source, {QStringLiteral("store"), QStringLiteral("copy"),
                             QStringLiteral("--to"), here, QStringLiteral("--merge")}));
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains("0 deliveries with 0 attempts; 1502 were there already"),
             r.out.constData());
    QCOMPARE(historyOf(hookline(at(here, history)).out), expected);

    // Back out of this backend's store, into a new file, with --from.
    const QString back = sqlite(QStringLiteral("back"));
    r = hookline(at(
        back, {QStringLiteral("store"), QStringLiteral("copy"), QStringLiteral("--from"), here}));
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(historyOf(hookline(at(back, history)).out), expected);

    // Killed part-way (a page is one transaction: no delivery is there without its attempts),
    // then finished with --merge.
    const QString cut = sqlite(QStringLiteral("cut"));
    QProcess copy;
    copy.start(
        QStringLiteral(HOOKLINE_BINARY),
        at(source, {QStringLiteral("store"), QStringLiteral("copy"), QStringLiteral("--to"), cut}));
    QVERIFY(copy.waitForStarted());
    QTest::qWait(250);
    copy.kill();
    QVERIFY(copy.waitForFinished());
    r = hookline(at(cut, {QStringLiteral("store"), QStringLiteral("copy"), QStringLiteral("--from"),
                          source, QStringLiteral("--merge")}));
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(historyOf(hookline(at(cut, history)).out), expected);

    // Bad input: exit 2, naming it.
    r = hookline(at(source, {QStringLiteral("store"), QStringLiteral("copy"),
                             QStringLiteral("--to"), QStringLiteral("mysql://db/x")}));
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("mysql"), r.err.constData());
    r = hookline(at(source, {QStringLiteral("store"), QStringLiteral("copy")}));
    QCOMPARE(r.code, 2);
    r = hookline(at(
        source, {QStringLiteral("store"), QStringLiteral("copy"), QStringLiteral("--to"), source}));
    QCOMPARE(r.code, 2);
}

// On a shared store an endpoint's "at most N at once" holds for all the processes that deliver
// together, not for each of them: three workers, a limit of 3, a receiver that answers after
// 100 ms - never more than 3 requests open at the receiver (without shared slots: up to 9).
void TestCli::concurrencyLimitHoldsAcrossWorkers()
{
    if (!TestBackend::onPostgres())
        QSKIP("a shared (PostgreSQL) store: on SQLite the limit holds per process");
    InboxConfig slow;
    slow.name = QStringLiteral("slow");
    slow.delayMs = 100;
    QVERIFY(m_receiver->setInbox(slow).isEmpty());
    Result r = hookline(
        withDataDir({QStringLiteral("endpoints"), QStringLiteral("add"), QStringLiteral("--url"),
                     m_receiver->inboxUrl(slow.name).toString(), QStringLiteral("--name"),
                     slow.name, QStringLiteral("--max-in-flight"), QStringLiteral("3")}));
    QCOMPARE(r.code, 0);
    const int n = 150; // more than one worker keeps ready: each claims some
    r = hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("call.ringing"),
                              QStringLiteral("--count"), QString::number(n)}));
    QCOMPARE(r.code, 0);
    std::vector<std::unique_ptr<QProcess>> workers;
    auto stop = qScopeGuard([&] {
        for (auto &w : workers) {
            w->kill();
            w->waitForFinished();
        }
    });
    for (int i = 0; i < 3; ++i) {
        workers.push_back(std::make_unique<QProcess>());
        workers.back()->start(QStringLiteral(HOOKLINE_BINARY),
                              withDataDir({QStringLiteral("run"), QStringLiteral("--quiet")}));
        QVERIFY(workers.back()->waitForStarted());
    }
    QVERIFY(QTest::qWaitFor([&] { return webhookIds(slow.name).size() == n; }, 60000));
    // A request is open from its arrival until the receiver answers it, 100 ms later; the
    // next one in its slot can only come after the answer.
    QList<qint64> arrivals;
    for (const CapturedRequest &c : m_receiver->requests(slow.name))
        arrivals << c.received.toMSecsSinceEpoch();
    int most = 0;
    for (qint64 t : std::as_const(arrivals)) {
        int open = 0;
        for (qint64 u : std::as_const(arrivals))
            open += u <= t && t < u + slow.delayMs ? 1 : 0;
        most = qMax(most, open);
    }
    QVERIFY2(most <= 3, qPrintable(QStringLiteral("%1 requests open at once").arg(most)));
    QCOMPARE(int(arrivals.size()), n); // each once
}

// A store that a process is delivering from right now is not copied: both stores would then
// send what it holds under its leases.
void TestCli::storeCopyRefusesAStoreBeingDelivered()
{
    InboxConfig slow;
    slow.name = QStringLiteral("slow");
    slow.delayMs = 20000;
    QVERIFY(m_receiver->setInbox(slow).isEmpty());
    Result r = hookline(withDataDir(
        {QStringLiteral("endpoints"), QStringLiteral("add"), QStringLiteral("--url"),
         m_receiver->inboxUrl(slow.name).toString(), QStringLiteral("--name"), slow.name}));
    QCOMPARE(r.code, 0);
    r = hookline(withDataDir({QStringLiteral("fire"), QStringLiteral("call.ringing")}));
    QCOMPARE(r.code, 0);
    QProcess run;
    run.start(QStringLiteral(HOOKLINE_BINARY), withDataDir({QStringLiteral("run")}));
    QVERIFY(run.waitForStarted());
    auto stop = qScopeGuard([&] {
        run.kill();
        run.waitForFinished();
    });
    QVERIFY(QTest::qWaitFor([&] { return !m_receiver->requests(slow.name).isEmpty(); }, 20000));
    QDir(m_dir->path()).mkpath(QStringLiteral("target"));
    r = hookline(withDataDir(
        {QStringLiteral("store"), QStringLiteral("copy"), QStringLiteral("--to"),
         QStringLiteral("sqlite:") + m_dir->filePath(QStringLiteral("target/hookline.sqlite"))}));
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("being sent by a running Hookline"), r.err.constData());
}

void TestCli::tokensCreateListRevoke()
{
    Result r = hookline(withDataDir({QStringLiteral("tokens"), QStringLiteral("create"),
                                     QStringLiteral("--name"), QStringLiteral("crm deploy")}));
    QCOMPARE(r.code, 0);
    const QByteArray token = r.out.trimmed();
    QVERIFY(token.startsWith("hl_"));
    QVERIFY(r.err.contains("shown only now"));
    r = hookline(withDataDir({QStringLiteral("tokens"), QStringLiteral("list")}));
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("crm deploy"));
    QVERIFY(r.out.contains("read-write"));
    QVERIFY(!r.out.contains(token)); // never the token again
    r = hookline(
        withDataDir({QStringLiteral("tokens"), QStringLiteral("list"), QStringLiteral("--json")}));
    const QJsonArray list = QJsonDocument::fromJson(r.out).array();
    QCOMPARE(list.size(), 1);
    const QString id = list.first().toObject().value(QLatin1String("id")).toString();
    r = hookline(withDataDir({QStringLiteral("tokens"), QStringLiteral("revoke"), id.left(6)}));
    QCOMPARE(r.code, 0);
    r = hookline(withDataDir({QStringLiteral("tokens"), QStringLiteral("revoke"), id}));
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains(id.toLatin1()));
}

namespace {
// Starts 'hookline serve' and waits for its "listening on URL" line; the URL, or empty.
QString startServe(QProcess *p, const QStringList &args)
{
    p->start(QStringLiteral(HOOKLINE_BINARY), args);
    QString url;
    (void)QTest::qWaitFor(
        [&] {
            const QByteArray line = p->readLine();
            if (line.startsWith("listening on "))
                url = QString::fromLatin1(line.mid(13).trimmed());
            return !url.isEmpty() || p->state() == QProcess::NotRunning;
        },
        30000);
    return url;
}

int httpStatus(QNetworkAccessManager *nam, const QByteArray &method, const QString &url,
               const QByteArray &token = {}, const QByteArray &body = {},
               QByteArray *answer = nullptr)
{
    QNetworkRequest request{QUrl(url)};
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token);
    if (!body.isEmpty())
        request.setRawHeader("Content-Type", "application/json");
    QNetworkReply *reply = nam->sendCustomRequest(request, method, body);
    (void)QTest::qWaitFor([&] { return reply->isFinished(); }, 30000);
    if (answer)
        *answer = reply->readAll();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    reply->deleteLater();
    return status;
}
} // namespace

void TestCli::serveStartsAndStops()
{
    QProcess serve;
    const QString url = startServe(
        &serve, withDataDir({QStringLiteral("serve"), QStringLiteral("--listen"),
                             QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-receiver")}));
    QVERIFY2(url.startsWith(QLatin1String("http://127.0.0.1:")),
             serve.readAllStandardError().constData());
    QNetworkAccessManager nam;
    QCOMPARE(httpStatus(&nam, "GET", url + QLatin1String("/api/v1/health")), 200);
    QCOMPARE(httpStatus(&nam, "GET", url + QLatin1String("/api/v1/endpoints")), 401);
    // A second server on the same address: exit 1, naming it.
    const QString address = url.mid(7);
    const Result taken = hookline(withDataDir({QStringLiteral("serve"), QStringLiteral("--listen"),
                                               address, QStringLiteral("--no-receiver")}));
    QCOMPARE(taken.code, 1);
    QVERIFY2(taken.err.contains(address.toLatin1()), taken.err.constData());
    // One log line per request: time, method, path, status, ms, token.
    (void)QTest::qWaitFor([&] { return serve.canReadLine(); }, 5000);
    const QByteArray log = serve.readAllStandardOutput();
    QVERIFY2(log.contains("GET /api/v1/health  200"), log.constData());
    QVERIFY(log.contains("GET /api/v1/endpoints  401"));
    serve.terminate();
    QVERIFY(QTest::qWaitFor([&] { return serve.state() == QProcess::NotRunning; }, 20000));
    QCOMPARE(serve.exitStatus(), QProcess::NormalExit);
    QCOMPARE(serve.exitCode(), 0);
}

// Every publish answered 202 is on disk: kill -9 the server in the middle of a stream of
// publishes, and a new process delivers each accepted event (and nothing the client was not
// told about is lost silently: a publish without an answer may or may not be stored).
void TestCli::serveKillNineLosesNothingAccepted()
{
    InboxConfig c;
    c.name = QStringLiteral("api");
    c.secret = m_secret;
    c.delayMs = 20;
    c.capacity = 10000;
    QVERIFY(m_receiver->setInbox(c).isEmpty());
    QVERIFY(!addEndpoint(QStringLiteral("api")).isEmpty());
    const Result created =
        hookline(withDataDir({QStringLiteral("tokens"), QStringLiteral("create"),
                              QStringLiteral("--name"), QStringLiteral("load")}));
    const QByteArray token = created.out.trimmed();
    QProcess serve;
    const QString url = startServe(
        &serve, withDataDir({QStringLiteral("serve"), QStringLiteral("--listen"),
                             QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-receiver"),
                             QStringLiteral("--rate-limit"), QStringLiteral("100000"),
                             QStringLiteral("--burst"), QStringLiteral("100000")}));
    QVERIFY(!url.isEmpty());
    QNetworkAccessManager nam;
    QSet<QString> accepted;
    QList<QNetworkReply *> replies;
    for (int i = 0; i < 400; ++i) {
        QNetworkRequest request{QUrl(url + QLatin1String("/api/v1/events"))};
        request.setRawHeader("Authorization", "Bearer " + token);
        request.setRawHeader("Content-Type", "application/json");
        QNetworkReply *reply = nam.post(
            request, "{\"type\":\"call.ended\",\"payload\":{\"n\":" + QByteArray::number(i) + "}}");
        // The kill lands the moment the 60th answer is read: whatever a 202 promised must
        // be on disk already, not in a commit about to happen.
        QObject::connect(reply, &QNetworkReply::finished, reply, [reply, &accepted, &serve] {
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 202)
                return;
            const QJsonArray ids = QJsonDocument::fromJson(reply->readAll())
                                       .object()
                                       .value(QLatin1String("deliveryIds"))
                                       .toArray();
            for (const QJsonValue &id : ids)
                accepted.insert(id.toString());
            if (accepted.size() >= 60 && serve.state() == QProcess::Running)
                ::kill(pid_t(serve.processId()), SIGKILL);
        });
        replies << reply;
    }
    QVERIFY(QTest::qWaitFor([&] { return serve.state() == QProcess::NotRunning; }, 60000));
    QTest::qWait(100); // answers already on the wire are read
    const QSet<QString> promised = accepted;
    QVERIFY2(promised.size() < 400, "the kill came too late");

    QProcess run;
    run.start(QStringLiteral(HOOKLINE_BINARY),
              withDataDir({QStringLiteral("run"), QStringLiteral("--quiet")}));
    QVERIFY(run.waitForStarted());
    auto store = Store::open(m_store, &m_secret);
    QVERIFY(store);
    for (const QString &id : promised) {
        const auto d = store->delivery(id, false);
        QVERIFY2(d, qPrintable(id)); // stored before the 202
    }
    QVERIFY(QTest::qWaitFor(
        [&] {
            for (const QString &id : promised) {
                const auto d = store->delivery(id, false);
                if (!d || d->state != DeliveryState::Succeeded)
                    return false;
            }
            return true;
        },
        60000));
    run.terminate();
    QVERIFY(QTest::qWaitFor([&] { return run.state() == QProcess::NotRunning; }, 20000));
    qDeleteAll(replies);
}

// --tls-cert/--tls-key: the API over HTTPS (a self-signed certificate made for the test), and
// plain HTTP to that port gets no API.
void TestCli::serveOverTls()
{
    const QString cert = m_dir->filePath(QStringLiteral("cert.pem"));
    const QString key = m_dir->filePath(QStringLiteral("key.pem"));
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                   QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                   QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert,
                   QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=127.0.0.1")});
    QVERIFY2(openssl.waitForFinished(30000) && openssl.exitCode() == 0,
             openssl.readAllStandardError().constData());
    QProcess serve;
    const QString url = startServe(
        &serve,
        withDataDir({QStringLiteral("serve"), QStringLiteral("--listen"),
                     QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-receiver"),
                     QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"), key}));
    QVERIFY2(url.startsWith(QLatin1String("https://127.0.0.1:")),
             serve.readAllStandardError().constData());
    QNetworkAccessManager nam;
    QNetworkRequest request{QUrl(url + QLatin1String("/api/v1/health"))};
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(QSslCertificate::fromPath(cert));
    request.setSslConfiguration(tls);
    QNetworkReply *reply = nam.get(request);
    QVERIFY(QTest::qWaitFor([&] { return reply->isFinished(); }, 30000));
    QVERIFY2(reply->error() == QNetworkReply::NoError, qPrintable(reply->errorString()));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    reply->deleteLater();
    // Cleartext to the TLS port: no answer an HTTP client could take for the API's.
    QString plain = url;
    plain.replace(QLatin1String("https://"), QLatin1String("http://"));
    QCOMPARE(httpStatus(&nam, "GET", plain + QLatin1String("/api/v1/health")), 0);
    serve.terminate();
    QVERIFY(QTest::qWaitFor([&] { return serve.state() == QProcess::NotRunning; }, 20000));
    QCOMPARE(serve.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
