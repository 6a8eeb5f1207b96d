// SPDX-License-Identifier: GPL-3.0-or-later
// Endpoint validation: which URLs, headers, secrets and limits are accepted, and that every
// refusal quotes the offending value so a person can fix it.
#include "domain/EndpointValidation.h"
#include "signing/WebhookSigner.h"

#include <QTest>

#include <cmath>

class TestEndpointValidation : public QObject
{
    Q_OBJECT

private slots:
    void url_data();
    void url();
    void headerName_data();
    void headerName();
    void headerValue_data();
    void headerValue();
    void duplicateHeaders();
    void parseHeaderLine_data();
    void parseHeaderLine();
    void secret_data();
    void secret();
    void retryPolicy_data();
    void retryPolicy();
    void endpointFields();
    void eventSelection();
    void limitsAndOrder_data();
    void limitsAndOrder();
    void quoteMakesControlCharsVisible();
    void signingSecretsDuringRotation();
};

void TestEndpointValidation::url_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("mentions"); // a fragment the error must contain

    QTest::newRow("https") << "https://crm.example.com/hooks/calls" << true << "";
    QTest::newRow("http with port and query") << "http://127.0.0.1:8080/in?x=1" << true << "";
    QTest::newRow("ipv6 literal") << "http://[::1]:9000/hook" << true << "";
    QTest::newRow("ipv6 full") << "https://[2001:db8::1]/h" << true << "";
    QTest::newRow("idn host") << QString::fromUtf8("https://bücher.example/hook") << true << "";
    QTest::newRow("arabic idn") << QString::fromUtf8("https://مثال.إختبار/hook") << true << "";
    QTest::newRow("upper-case scheme") << "HTTPS://EXAMPLE.COM/x" << true << "";
    QTest::newRow("empty") << "" << false << "Enter the URL";
    QTest::newRow("blank") << "   " << false << "Enter the URL";
    QTest::newRow("no scheme") << "crm.example.com/hooks" << false << "no scheme";
    QTest::newRow("host:port no scheme") << "localhost:8080/x" << false << "no scheme";
    QTest::newRow("ftp") << "ftp://example.com/x" << false << "\u201Cftp\u201D";
    // The URL's own %2 must not be taken for the message's placeholder (found by fuzzing).
    QTest::newRow("percent-digit in a bad URL") << "http://h/%2 x" << false << "http://h/%2 x";
    QTest::newRow("empty user info") << "https://:@k/le,@k/l" << false << "password";
    QTest::newRow("user only") << "https://admin@crm.example/x" << false << "password";
    QTest::newRow("javascript") << "javascript:alert(1)" << false << "scheme “javascript”";
    QTest::newRow("no host") << "https:///path" << false << "";
    QTest::newRow("space in path") << "https://example.com/a b" << false << "a space";
    QTest::newRow("CRLF injection")
        << "https://example.com/\r\nX-Evil: 1" << false << "carriage return";
    QTest::newRow("NUL") << QStringLiteral("https://example.com/a") + QChar(0) << false << "NUL";
    QTest::newRow("tab") << "https://exa\tmple.com/" << false << "a tab";
    // Qt's own parser messages ("Invalid port or port number out of range") never show.
    QTest::newRow("unclosed ipv6") << "http://[::1/hook" << false << "no closing bracket";
    QTest::newRow("bad ipv6") << "http://[::g]/hook" << false << "check the host name";
    QTest::newRow("port too big") << "http://example.com:99999/" << false << "1 to 65535";
    QTest::newRow("port not a number") << "http://example.com:80a/x" << false << "“80a”";
    QTest::newRow("ipv6 port too big") << "http://[::1]:70000/x" << false << "“70000”";
    QTest::newRow("password is not a port")
        << "https://admin:hunter2@crm.example/x" << false << "password";
    QTest::newRow("bad host") << "https://exa_mple!.com/x" << false << "check the host name";
    QTest::newRow("fragment") << "https://example.com/hook#part" << false << "fragment";
    QTest::newRow("overlong") << QStringLiteral("https://example.com/") + QString(3000, u'a')
                              << false << "3020";
    QTest::newRow("at limit") << QStringLiteral("https://example.com/") +
                                     QString(kMaxUrlLength - 20, u'a')
                              << true << "";
}

void TestEndpointValidation::url()
{
    QFETCH(QString, url);
    QFETCH(bool, valid);
    QFETCH(QString, mentions);
    const QString error = validateUrl(url);
    QCOMPARE(error.isEmpty(), valid);
    if (!mentions.isEmpty())
        QVERIFY2(error.contains(mentions), qPrintable(error));
}

void TestEndpointValidation::headerName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("valid");
    QTest::newRow("x-api-key") << "x-api-key" << true;
    QTest::newRow("Authorization") << "Authorization" << true;
    QTest::newRow("token symbols") << "X-Custom_Header.v2~!#$%&'*+^`|" << true;
    QTest::newRow("empty") << "" << false;
    QTest::newRow("space") << "X Api" << false;
    QTest::newRow("colon") << "X:Api" << false;
    QTest::newRow("CR") << "X-A\rB" << false;
    QTest::newRow("LF") << "X-A\nB" << false;
    QTest::newRow("non-ascii") << QString::fromUtf8("X-Clé") << false;
    QTest::newRow("parenthesis") << "X(1)" << false;
    QTest::newRow("Host reserved") << "Host" << false;
    QTest::newRow("content-length reserved") << "content-length" << false;
    QTest::newRow("transfer-encoding reserved") << "Transfer-Encoding" << false;
    QTest::newRow("connection reserved") << "CONNECTION" << false;
    QTest::newRow("webhook-id reserved") << "webhook-id" << false;
    QTest::newRow("webhook-timestamp reserved") << "Webhook-Timestamp" << false;
    QTest::newRow("webhook-signature reserved") << "webhook-signature" << false;
}

void TestEndpointValidation::headerName()
{
    QFETCH(QString, name);
    QFETCH(bool, valid);
    const QString error = validateHeaderName(name);
    QVERIFY2(error.isEmpty() == valid, qPrintable(error));
    if (!valid && !name.isEmpty())
        QVERIFY2(error.contains(quoteForMessage(name)), qPrintable(error));
}

void TestEndpointValidation::headerValue_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("plain") << "abc123" << true << "";
    QTest::newRow("spaces and tab") << "Bearer abc\tdef" << true << "";
    QTest::newRow("utf8") << QString::fromUtf8("مرحبا") << true << "";
    QTest::newRow("empty") << "" << true << "";
    QTest::newRow("CRLF injection") << "abc\r\nX-Injected: yes" << false << "line break";
    QTest::newRow("LF only") << "abc\nX-Injected: yes" << false << "line break";
    QTest::newRow("CR only") << "abc\rdef" << false << "line break";
    QTest::newRow("NUL") << QStringLiteral("abc") + QChar(0) + QStringLiteral("def") << false
                         << "NUL";
    QTest::newRow("bell") << "abc\x07" << false << "U+0007";
    QTest::newRow("DEL") << "abc\x7f" << false << "U+007F";
    QTest::newRow("overlong") << QString(kMaxHeaderValueLength + 1, u'x') << false << "limit";
}

void TestEndpointValidation::headerValue()
{
    QFETCH(QString, value);
    QFETCH(bool, valid);
    QFETCH(QString, mentions);
    const QString error = validateHeaderValue(QStringLiteral("X-Api-Key"), value);
    QVERIFY2(error.isEmpty() == valid, qPrintable(error));
    if (!valid) {
        QVERIFY2(error.contains(mentions), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("X-Api-Key")), qPrintable(error));
        // The message itself must never carry a raw line break: it could be logged.
        QVERIFY(!error.contains(u'\r') && !error.contains(u'\n'));
    }
}

void TestEndpointValidation::duplicateHeaders()
{
    const QList<HttpHeader> ok = {{QStringLiteral("x-api-key"), QStringLiteral("1")},
                                  {QStringLiteral("X-Tenant"), QStringLiteral("acme")}};
    QVERIFY(validateHeaders(ok).isEmpty());
    const QList<HttpHeader> twice = {{QStringLiteral("x-api-key"), QStringLiteral("1")},
                                     {QStringLiteral("X-API-KEY"), QStringLiteral("2")}};
    QVERIFY(validateHeaders(twice).contains(QStringLiteral("twice")));
}

void TestEndpointValidation::parseHeaderLine_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::newRow("simple") << "x-api-key: 123" << true << "x-api-key"
                            << "123";
    QTest::newRow("colon in value") << "X-Url: http://a:b" << true << "X-Url"
                                    << "http://a:b";
    QTest::newRow("no colon") << "x-api-key 123" << false << ""
                              << "";
    QTest::newRow("empty name") << ": 123" << false << ""
                                << "";
    QTest::newRow("reserved") << "Host: evil" << false << ""
                              << "";
    QTest::newRow("injection") << "X-A: 1\r\nX-B: 2" << false << ""
                               << "";
}

void TestEndpointValidation::parseHeaderLine()
{
    QFETCH(QString, line);
    QFETCH(bool, valid);
    HttpHeader h;
    const QString error = ::parseHeaderLine(line, &h);
    QVERIFY2(error.isEmpty() == valid, qPrintable(error));
    if (valid) {
        QFETCH(QString, name);
        QFETCH(QString, value);
        QCOMPARE(h.name, name);
        QCOMPARE(h.value, value);
    }
}

void TestEndpointValidation::secret_data()
{
    QTest::addColumn<QString>("secret");
    QTest::addColumn<bool>("valid");
    QTest::newRow("empty (unsigned)") << "" << true;
    QTest::newRow("spec example") << "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" << true;
    QTest::newRow("generated") << WebhookSigner::generateSecret() << true;
    QTest::newRow("generated 64") << WebhookSigner::generateSecret(64) << true;
    QTest::newRow("no prefix") << "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" << false;
    QTest::newRow("not base64") << "whsec_***not base64***" << false;
    QTest::newRow("too short") << QStringLiteral("whsec_") +
                                      QString::fromLatin1(QByteArray(8, 'k').toBase64())
                               << false;
    QTest::newRow("too long") << QStringLiteral("whsec_") +
                                     QString::fromLatin1(QByteArray(65, 'k').toBase64())
                              << false;
    QTest::newRow("prefix only") << "whsec_" << false;
}

void TestEndpointValidation::secret()
{
    QFETCH(QString, secret);
    QFETCH(bool, valid);
    const QString error = validateSecret(secret);
    QVERIFY2(error.isEmpty() == valid, qPrintable(error));
}

void TestEndpointValidation::retryPolicy_data()
{
    QTest::addColumn<QList<int>>("schedule");
    QTest::addColumn<int>("maxAttempts");
    QTest::addColumn<bool>("valid");
    QTest::newRow("default") << RetryPolicy::defaultSchedule() << 8 << true;
    QTest::newRow("single attempt, no schedule") << QList<int>{} << 1 << true;
    QTest::newRow("zero attempts") << QList<int>{5} << 0 << false;
    QTest::newRow("too many attempts") << QList<int>{5} << 51 << false;
    QTest::newRow("retries without schedule") << QList<int>{} << 3 << false;
    QTest::newRow("negative delay") << QList<int>{5, -1} << 3 << false;
    QTest::newRow("delay over a week") << QList<int>{8 * 24 * 3600} << 3 << false;
}

void TestEndpointValidation::retryPolicy()
{
    QFETCH(QList<int>, schedule);
    QFETCH(int, maxAttempts);
    QFETCH(bool, valid);
    RetryPolicy p;
    p.scheduleSeconds = schedule;
    p.maxAttempts = maxAttempts;
    const QString error = validateRetryPolicy(p);
    QVERIFY2(error.isEmpty() == valid, qPrintable(error));
}

void TestEndpointValidation::endpointFields()
{
    Endpoint e;
    e.name = QStringLiteral("CRM");
    e.url = QStringLiteral("https://crm.example.com/hook");
    QVERIFY(validateEndpoint(e).isEmpty());

    Endpoint bad = e;
    bad.name.clear();
    bad.url = QStringLiteral("ftp://x");
    bad.timeoutMs = 10;
    bad.headers = {{QStringLiteral("Host"), QStringLiteral("x")}};
    bad.secret = QStringLiteral("nope");
    const QList<ValidationError> errors = validateEndpoint(bad);
    QStringList fields;
    for (const ValidationError &v : errors)
        fields << v.field;
    QCOMPARE(fields,
             (QStringList{QStringLiteral("name"), QStringLiteral("url"), QStringLiteral("headers"),
                          QStringLiteral("secret"), QStringLiteral("timeoutMs")}));
    QVERIFY(errors.at(4).message.contains(QStringLiteral("10 ms")));

    Endpoint h2 = e;
    h2.http2Cleartext = true;
    QCOMPARE(validateEndpoint(h2).size(), 1);
    h2.url = QStringLiteral("http://127.0.0.1:9/h");
    QVERIFY(validateEndpoint(h2).isEmpty());
}

void TestEndpointValidation::limitsAndOrder_data()
{
    QTest::addColumn<int>("inFlight");
    QTest::addColumn<double>("rate");
    QTest::addColumn<int>("burst");
    QTest::addColumn<QString>("orderKey");
    QTest::addColumn<QString>("field"); // empty: valid
    QTest::addColumn<QString>("mentions");
    QTest::newRow("defaults") << 16 << 0.0 << 0 << QString() << QString() << QString();
    QTest::newRow("limits at the edges")
        << 256 << 10000.0 << 10000 << QStringLiteral("/callID") << QString() << QString();
    QTest::newRow("one at a time")
        << 1 << 0.01 << 1 << QStringLiteral("/a~1b/0") << QString() << QString();
    QTest::newRow("none in flight")
        << 0 << 0.0 << 0 << QString() << QStringLiteral("limits") << QStringLiteral("0");
    QTest::newRow("too many") << 257 << 0.0 << 0 << QString() << QStringLiteral("limits")
                              << QStringLiteral("257");
    QTest::newRow("negative rate")
        << 16 << -1.0 << 0 << QString() << QStringLiteral("limits") << QStringLiteral("-1");
    QTest::newRow("NaN rate") << 16 << std::nan("") << 0 << QString() << QStringLiteral("limits")
                              << QStringLiteral("nan");
    QTest::newRow("tiny rate") << 16 << 0.001 << 0 << QString() << QStringLiteral("limits")
                               << QStringLiteral("0.001");
    QTest::newRow("negative burst")
        << 16 << 1.0 << -3 << QString() << QStringLiteral("limits") << QStringLiteral("-3");
    QTest::newRow("pointer without slash")
        << 16 << 0.0 << 0 << QStringLiteral("callID") << QStringLiteral("orderKey")
        << QStringLiteral("callID");
    QTest::newRow("bad escape") << 16 << 0.0 << 0 << QStringLiteral("/a~2")
                                << QStringLiteral("orderKey") << QStringLiteral("/a~2");
}

void TestEndpointValidation::limitsAndOrder()
{
    QFETCH(int, inFlight);
    QFETCH(double, rate);
    QFETCH(int, burst);
    QFETCH(QString, orderKey);
    QFETCH(QString, field);
    QFETCH(QString, mentions);
    Endpoint e;
    e.name = QStringLiteral("limits");
    e.url = QStringLiteral("http://127.0.0.1:9/h");
    e.maxInFlight = inFlight;
    e.ratePerSecond = rate;
    e.rateBurst = burst;
    e.orderKey = orderKey;
    const QList<ValidationError> errors = validateEndpoint(e);
    if (field.isEmpty()) {
        QVERIFY2(errors.isEmpty(),
                 qPrintable(errors.isEmpty() ? QString() : errors.first().message));
        return;
    }
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.first().field, field);
    QVERIFY2(errors.first().message.contains(mentions), qPrintable(errors.first().message));
}

void TestEndpointValidation::eventSelection()
{
    Endpoint e;
    e.name = QStringLiteral("CRM");
    e.url = QStringLiteral("https://crm.example.com/hook");
    e.allEvents = false;
    QCOMPARE(validateEndpoint(e).size(), 1);
    QCOMPARE(validateEndpoint(e).first().field, QStringLiteral("eventTypes"));
    e.eventTypes = {QStringLiteral("call.ringing")};
    const QStringList known = {QStringLiteral("call.ringing"), QStringLiteral("call.ended")};
    QVERIFY(validateEndpoint(e, known).isEmpty());
    QVERIFY(e.subscribesTo(QStringLiteral("call.ringing")));
    QVERIFY(!e.subscribesTo(QStringLiteral("call.ended")));
    e.eventTypes << QStringLiteral("call.exploded");
    const auto errors = validateEndpoint(e, known);
    QCOMPARE(errors.size(), 1);
    QVERIFY(errors.first().message.contains(QStringLiteral("call.exploded")));
    e.allEvents = true;
    QVERIFY(e.subscribesTo(QStringLiteral("anything")));
}

void TestEndpointValidation::quoteMakesControlCharsVisible()
{
    QCOMPARE(quoteForMessage(QStringLiteral("a\r\nb")), QStringLiteral("\u201Ca\\r\\nb\u201D"));
    const QString longValue(200, u'x');
    const QString quoted = quoteForMessage(longValue, 10);
    QVERIFY(quoted.size() < 20);
    QVERIFY(quoted.contains(QChar(0x2026)));
}

void TestEndpointValidation::signingSecretsDuringRotation()
{
    Endpoint e;
    e.secret = QStringLiteral("whsec_new");
    e.previousSecret = QStringLiteral("whsec_old");
    const QDateTime now = QDateTime::currentDateTimeUtc();
    e.previousSecretExpires = now.addSecs(60);
    QCOMPARE(e.signingSecrets(now), (QStringList{e.secret, e.previousSecret}));
    QCOMPARE(e.signingSecrets(now.addSecs(61)), QStringList{e.secret});
}

QTEST_GUILESS_MAIN(TestEndpointValidation)
#include "tst_endpointvalidation.moc"
