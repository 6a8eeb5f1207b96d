// SPDX-License-Identifier: GPL-3.0-or-later
// Standard Webhooks signing: the spec's published test vector, rotation with several
// signatures, verification verdicts (valid, invalid, missing, stale), secret generation, and
// the OpenSSL-backed HMAC held to Qt's for any key and length, on several threads at once.
#include "signing/WebhookSigner.h"

#include "domain/EndpointValidation.h"

#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QSet>
#include <QTest>

#include <atomic>
#include <memory>
#include <thread>

namespace {
// From the Standard Webhooks specification's reference test suite.
const QString kSpecSecret = QStringLiteral("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
const QByteArray kSpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const qint64 kSpecTimestamp = 1614265330;
const QByteArray kSpecBody = R"({"test": 2432232314})";
const QByteArray kSpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// The signature as the spec defines it, computed with Qt's own HMAC: the reference the
// OpenSSL-backed signer is held to.
QByteArray plainSignature(const QByteArray &key, const QByteArray &id, qint64 timestamp,
                          const QByteArray &body)
{
    return QMessageAuthenticationCode::hash(id + '.' + QByteArray::number(timestamp) + '.' + body,
                                            key, QCryptographicHash::Sha256)
        .toBase64();
}

QByteArray randomBytes(QRandomGenerator &rng, int n)
{
    QByteArray out(n, Qt::Uninitialized);
    for (char &c : out)
        c = char(rng.bounded(256));
    return out;
}
} // namespace

class TestWebhookSigner : public QObject
{
    Q_OBJECT

private slots:
    void specVector();
    void verifySpecVector();
    void verdicts_data();
    void verdicts();
    void rotationSignsWithBoth();
    void rotationVerifiesEither();
    void generatedSecrets();
    void messageIds();
    void constantTimeEquals();
    void matchesAPlainHmacForAnyKeyAndLength();
    void keysAlternatingOnEachThread();
};

void TestWebhookSigner::specVector()
{
    const SignatureHeaders h =
        WebhookSigner::sign({kSpecSecret}, kSpecId, kSpecTimestamp, kSpecBody);
    QCOMPARE(h.signature, kSpecSignature);
    QCOMPARE(h.id, kSpecId);
    QCOMPARE(h.timestamp, QByteArray("1614265330"));
}

void TestWebhookSigner::verifySpecVector()
{
    const VerificationResult r = WebhookSigner::verify({kSpecSecret}, kSpecId, "1614265330",
                                                       kSpecSignature, kSpecBody, kSpecTimestamp);
    QVERIFY2(r.valid(), qPrintable(r.reason));
}

void TestWebhookSigner::verdicts_data()
{
    QTest::addColumn<QStringList>("secrets");
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<QByteArray>("timestamp");
    QTest::addColumn<QByteArray>("signature");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<qint64>("now");
    QTest::addColumn<int>("verdict");

    const QStringList s{kSpecSecret};
    const QByteArray ts = "1614265330";
    const int valid = int(SignatureVerdict::Valid), invalid = int(SignatureVerdict::Invalid),
              missing = int(SignatureVerdict::Missing),
              stale = int(SignatureVerdict::TimestampOutOfTolerance),
              malformed = int(SignatureVerdict::Malformed),
              unchecked = int(SignatureVerdict::Unchecked);
    QTest::newRow("valid") << s << kSpecId << ts << kSpecSignature << kSpecBody << kSpecTimestamp
                           << valid;
    QTest::newRow("valid within tolerance")
        << s << kSpecId << ts << kSpecSignature << kSpecBody << kSpecTimestamp + 299 << valid;
    QTest::newRow("too old") << s << kSpecId << ts << kSpecSignature << kSpecBody
                             << kSpecTimestamp + 301 << stale;
    QTest::newRow("too new") << s << kSpecId << ts << kSpecSignature << kSpecBody
                             << kSpecTimestamp - 301 << stale;
    QTest::newRow("body changed") << s << kSpecId << ts << kSpecSignature
                                  << QByteArray(R"({"test": 2432232315})") << kSpecTimestamp
                                  << invalid;
    QTest::newRow("id changed") << s << QByteArray("msg_other") << ts << kSpecSignature << kSpecBody
                                << kSpecTimestamp << invalid;
    QTest::newRow("other secret") << QStringList{WebhookSigner::generateSecret()} << kSpecId << ts
                                  << kSpecSignature << kSpecBody << kSpecTimestamp << invalid;
    QTest::newRow("no secret configured") << QStringList{} << kSpecId << ts << kSpecSignature
                                          << kSpecBody << kSpecTimestamp << unchecked;
    QTest::newRow("all missing") << s << QByteArray() << QByteArray() << QByteArray() << kSpecBody
                                 << kSpecTimestamp << missing;
    QTest::newRow("signature missing")
        << s << kSpecId << ts << QByteArray() << kSpecBody << kSpecTimestamp << missing;
    QTest::newRow("timestamp not a number")
        << s << kSpecId << QByteArray("yesterday") << kSpecSignature << kSpecBody << kSpecTimestamp
        << malformed;
    QTest::newRow("no v1 entry") << s << kSpecId << ts << QByteArray("v2,abc") << kSpecBody
                                 << kSpecTimestamp << malformed;
    QTest::newRow("truncated signature")
        << s << kSpecId << ts << kSpecSignature.left(20) << kSpecBody << kSpecTimestamp << invalid;
    QTest::newRow("valid among several")
        << s << kSpecId << ts << QByteArray("v1,Zm9vYmFy " + kSpecSignature + " v2,xyz")
        << kSpecBody << kSpecTimestamp << valid;
}

void TestWebhookSigner::verdicts()
{
    QFETCH(QStringList, secrets);
    QFETCH(QByteArray, id);
    QFETCH(QByteArray, timestamp);
    QFETCH(QByteArray, signature);
    QFETCH(QByteArray, body);
    QFETCH(qint64, now);
    QFETCH(int, verdict);
    const VerificationResult r =
        WebhookSigner::verify(secrets, id, timestamp, signature, body, now);
    QCOMPARE(int(r.verdict), verdict);
    QVERIFY(!r.reason.isEmpty());
}

void TestWebhookSigner::rotationSignsWithBoth()
{
    const QString fresh = WebhookSigner::generateSecret();
    const SignatureHeaders h =
        WebhookSigner::sign({fresh, kSpecSecret}, kSpecId, kSpecTimestamp, kSpecBody);
    const QList<QByteArray> parts = h.signature.split(' ');
    QCOMPARE(parts.size(), 2);
    QVERIFY(parts.at(0).startsWith("v1,"));
    QCOMPARE(parts.at(1), kSpecSignature);
}

void TestWebhookSigner::rotationVerifiesEither()
{
    const QString fresh = WebhookSigner::generateSecret();
    const SignatureHeaders h =
        WebhookSigner::sign({fresh, kSpecSecret}, kSpecId, kSpecTimestamp, kSpecBody);
    // A receiver that still knows only the old secret, and one that knows only the new one.
    QVERIFY(WebhookSigner::verify({kSpecSecret}, h.id, h.timestamp, h.signature, kSpecBody,
                                  kSpecTimestamp)
                .valid());
    QVERIFY(
        WebhookSigner::verify({fresh}, h.id, h.timestamp, h.signature, kSpecBody, kSpecTimestamp)
            .valid());
    QVERIFY(!WebhookSigner::verify({WebhookSigner::generateSecret()}, h.id, h.timestamp,
                                   h.signature, kSpecBody, kSpecTimestamp)
                 .valid());
}

void TestWebhookSigner::generatedSecrets()
{
    QSet<QString> seen;
    for (int i = 0; i < 50; ++i) {
        const QString s = WebhookSigner::generateSecret();
        QVERIFY(s.startsWith(QLatin1String("whsec_")));
        QCOMPARE(WebhookSigner::secretKey(s).size(), 32);
        QVERIFY2(validateSecret(s).isEmpty(), qPrintable(s));
        seen.insert(s);
    }
    QCOMPARE(seen.size(), 50);
    QCOMPARE(WebhookSigner::secretKey(WebhookSigner::generateSecret(8)).size(), 24);   // floor
    QCOMPARE(WebhookSigner::secretKey(WebhookSigner::generateSecret(100)).size(), 64); // ceiling
}

void TestWebhookSigner::messageIds()
{
    const QString a = WebhookSigner::generateMessageId();
    const QString b = WebhookSigner::generateMessageId();
    QVERIFY(a.startsWith(QLatin1String("msg_")));
    QCOMPARE(a.size(), 31);
    QVERIFY(a != b);
}

void TestWebhookSigner::constantTimeEquals()
{
    QVERIFY(WebhookSigner::constantTimeEquals("abc", "abc"));
    QVERIFY(!WebhookSigner::constantTimeEquals("abc", "abd"));
    QVERIFY(!WebhookSigner::constantTimeEquals("abc", "ab"));
    QVERIFY(WebhookSigner::constantTimeEquals("", ""));
}

// Every length around SHA-256's 64-byte block and its padding boundary, and keys of every
// size HMAC treats differently (empty, short, exactly a block, longer than a block, which is
// hashed first), against the plain definition.
void TestWebhookSigner::matchesAPlainHmacForAnyKeyAndLength()
{
    QRandomGenerator rng(20261127);
    for (int keyLength : {0, 1, 24, 32, 63, 64, 65, 200}) {
        const QByteArray key = randomBytes(rng, keyLength);
        const QString secret = QLatin1String("whsec_") + QString::fromLatin1(key.toBase64());
        QCOMPARE(WebhookSigner::secretKey(secret), key);
        for (int length = 0; length < 300; length += (length < 140 ? 1 : 37)) {
            const QByteArray body = randomBytes(rng, length);
            QCOMPARE(WebhookSigner::computeSignature(secret, kSpecId, kSpecTimestamp, body),
                     plainSignature(key, kSpecId, kSpecTimestamp, body));
        }
        const QByteArray big = randomBytes(rng, 1 << 20);
        QCOMPARE(WebhookSigner::computeSignature(secret, "msg_big", 1, big),
                 plainSignature(key, "msg_big", 1, big));
    }
}

// The signer keeps a key between calls on a thread: switching endpoints (keys) back and
// forth must never sign with the previous one, on this thread or on others at once.
void TestWebhookSigner::keysAlternatingOnEachThread()
{
    const QString a = WebhookSigner::generateSecret();
    const QString b = WebhookSigner::generateSecret();
    const QByteArray body = "{\"type\":\"call.ringing\"}";
    const QByteArray sa = plainSignature(WebhookSigner::secretKey(a), kSpecId, 7, body);
    const QByteArray sb = plainSignature(WebhookSigner::secretKey(b), kSpecId, 7, body);
    QVERIFY(sa != sb);
    std::atomic<int> wrong{0};
    auto work = [&] {
        for (int i = 0; i < 2000; ++i) {
            const bool useA = (i % 3) != 1;
            if (WebhookSigner::computeSignature(useA ? a : b, kSpecId, 7, body) != (useA ? sa : sb))
                ++wrong;
        }
    };
    // A std::thread, joined: join() returns only after the thread's thread-local signer
    // context has been freed. QThread::wait() may return before that, and LeakSanitizer,
    // checking at exit, then sometimes reported the context as leaked.
    std::thread other(work);
    work();
    other.join();
    QCOMPARE(wrong.load(), 0);
}

QTEST_GUILESS_MAIN(TestWebhookSigner)
#include "tst_webhooksigner.moc"
