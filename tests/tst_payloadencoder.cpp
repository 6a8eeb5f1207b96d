// SPDX-License-Identifier: GPL-3.0-or-later
// Payload encoding: JSON passes through, XML is a deterministic, well-formed and lossless
// mapping of any JSON value (checked by parsing it back with QXmlStreamReader), and form
// encoding carries the JSON in a "payload" field. Each with its Content-Type.
#include "encoding/JsonText.h"
#include "encoding/PayloadEncoder.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTest>
#include <QUrlQuery>
#include <QXmlStreamReader>

namespace {

// The inverse of PayloadEncoder's XML mapping, written independently from the encoder so a
// mismatch shows up as a failed round trip.
QJsonValue readValue(QXmlStreamReader &r, QString *key);

QString decodeText(QXmlStreamReader &r, const QXmlStreamAttributes &attrs)
{
    const QString text = r.readElementText(QXmlStreamReader::ErrorOnUnexpectedElement);
    if (attrs.value(QStringLiteral("encoding")) == QLatin1String("base64"))
        return QString::fromUtf8(QByteArray::fromBase64(text.toLatin1()));
    return text;
}

QJsonValue readValue(QXmlStreamReader &r, QString *key)
{
    const QXmlStreamAttributes attrs = r.attributes();
    if (r.name() == QLatin1String("entry")) {
        if (attrs.hasAttribute(QStringLiteral("key-base64")))
            *key = QString::fromUtf8(
                QByteArray::fromBase64(attrs.value(QStringLiteral("key-base64")).toLatin1()));
        else
            *key = attrs.value(QStringLiteral("key")).toString();
    } else {
        *key = r.name().toString();
    }
    const QString type = attrs.value(QStringLiteral("type")).toString();
    if (type == QLatin1String("object")) {
        QJsonObject o;
        while (r.readNextStartElement()) {
            QString k;
            const QJsonValue v = readValue(r, &k);
            o.insert(k, v);
        }
        return o;
    }
    if (type == QLatin1String("array")) {
        QJsonArray a;
        while (r.readNextStartElement()) {
            QString k;
            a.append(readValue(r, &k));
        }
        return a;
    }
    if (type == QLatin1String("null")) {
        r.skipCurrentElement();
        return QJsonValue::Null;
    }
    const QString text = decodeText(r, attrs);
    if (type == QLatin1String("number"))
        return text.toDouble();
    if (type == QLatin1String("boolean"))
        return text == QLatin1String("true");
    return text;
}

QJsonValue fromXml(const QByteArray &xml, QString *error)
{
    QXmlStreamReader r(xml);
    if (!r.readNextStartElement()) {
        *error = r.errorString();
        return {};
    }
    QString key;
    const QJsonValue v = readValue(r, &key);
    while (!r.atEnd())
        r.readNext();
    if (r.hasError())
        *error = r.errorString();
    return v;
}

QJsonValue parseJson(const QByteArray &json)
{
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    return doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
}

} // namespace

class TestPayloadEncoder : public QObject
{
    Q_OBJECT

private slots:
    void jsonPassesThrough();
    void xmlRoundTrip_data();
    void xmlRoundTrip();
    void xmlIsDeterministicAndReadable();
    void xmlKeepsNumbersAndOrderExactly();
    void xmlRefusesInvalidJson();
    void formDecodesWithAStandardDecoder_data();
    void formDecodesWithAStandardDecoder();
    void formEncoding();
    void contentTypes();
    void jsonPointer_data();
    void jsonPointer();
    void prettyKeepsOrder();
    void quickObjectCheck_data();
    void quickObjectCheck();
    void quickObjectCheckNeverAcceptsWhatQtRejects();
};

void TestPayloadEncoder::jsonPassesThrough()
{
    const QByteArray json = R"({"b":1,"a":"x"})";
    const EncodedPayload p = PayloadEncoder::encode(json, PayloadFormat::Json);
    QVERIFY(p.ok());
    QCOMPARE(p.body, json);
}

void TestPayloadEncoder::xmlRoundTrip_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("article ringing") << QByteArray(
        R"({"coreUUID":"c0ffee00-0000-4000-8000-000000000001","dialplan":null,"type":"ringing","flags":"0","startedAtEpoch":"1581838555122651"})");
    QTest::newRow("null, bool, numbers") << QByteArray(
        R"({"n":null,"t":true,"f":false,"i":42,"neg":-7,"d":3.25,"big":1581838555122651})");
    QTest::newRow("nested objects") << QByteArray(R"({"agent":{"id":1,"name":"Aisha","tags":{}}})");
    QTest::newRow("arrays") << QByteArray(R"({"a":[1,"two",null,[3,4],{"x":1}],"empty":[]})");
    QTest::newRow("top-level array") << QByteArray(R"([1,{"a":2}])");
    QTest::newRow("unicode")
        << QString::fromUtf8(R"({"name":"عائشة المنصوري","emoji":"📞","cjk":"電話"})").toUtf8();
    QTest::newRow("keys that are not XML names") << QByteArray(
        R"({"1st":1,"with space":2,"a:b":3,"xmlThing":4,"":5,"ключ":6,"entry":7,"item":8})");
    QTest::newRow("markup in text")
        << QByteArray(R"({"html":"<b>&amp;</b> \"q\" 'a'","cr":"a\r\nb\tc"})");
    QTest::newRow("control characters")
        << QByteArray(R"({"bell":"a\u0007b","nul":"x\u0000y","key\u0001":1})");
    QTest::newRow("empty strings") << QByteArray(R"({"a":"","b":[""]})");
}

void TestPayloadEncoder::xmlRoundTrip()
{
    QFETCH(QByteArray, json);
    const EncodedPayload p = PayloadEncoder::encode(json, PayloadFormat::Xml);
    QVERIFY2(p.ok(), qPrintable(p.error));
    QVERIFY(p.body.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    QString error;
    const QJsonValue back = fromXml(p.body, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error + QLatin1String("\n") + QString::fromUtf8(p.body)));
    QCOMPARE(back, parseJson(json));
}

void TestPayloadEncoder::xmlIsDeterministicAndReadable()
{
    const QByteArray json = R"({"type":"ringing","agent":{"id":7},"list":[1],"dialplan":null})";
    const QByteArray a = PayloadEncoder::encode(json, PayloadFormat::Xml).body;
    const QByteArray b = PayloadEncoder::encode(json, PayloadFormat::Xml).body;
    QCOMPARE(a, b);
    QCOMPARE(a, QByteArray("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                           "<webhook type=\"object\">"
                           "<type>ringing</type>"
                           "<agent type=\"object\"><id type=\"number\">7</id></agent>"
                           "<list type=\"array\"><item type=\"number\">1</item></list>"
                           "<dialplan type=\"null\"/>"
                           "</webhook>\n"));
}

// Numbers travel digit for digit (a double would round 12345678901234567890 to
// 1.2345678901234567e+19), and elements come in the payload's key order.
void TestPayloadEncoder::xmlKeepsNumbersAndOrderExactly()
{
    const QByteArray json =
        R"({"z":12345678901234567890,"a":-98765432109876543210.5,)"
        R"("m":[18446744073709551617,1e300,0.1],"s":"\u00e9\ud83d\udcde\"\\/"})";
    const EncodedPayload p = PayloadEncoder::encode(json, PayloadFormat::Xml);
    QVERIFY2(p.ok(), qPrintable(p.error));
    QCOMPARE(p.body, QString::fromUtf8("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                                       "<webhook type=\"object\">"
                                       "<z type=\"number\">12345678901234567890</z>"
                                       "<a type=\"number\">-98765432109876543210.5</a>"
                                       "<m type=\"array\">"
                                       "<item type=\"number\">18446744073709551617</item>"
                                       "<item type=\"number\">1e300</item>"
                                       "<item type=\"number\">0.1</item></m>"
                                       "<s>é📞&quot;\\/</s>"
                                       "</webhook>\n")
                         .toUtf8());
}

void TestPayloadEncoder::xmlRefusesInvalidJson()
{
    const EncodedPayload p = PayloadEncoder::encode("{not json", PayloadFormat::Xml);
    QVERIFY(!p.ok());
    QVERIFY(p.body.isEmpty());
    QVERIFY(p.error.contains(QStringLiteral("not valid JSON")));
}

void TestPayloadEncoder::formEncoding()
{
    const QByteArray json = QString::fromUtf8(R"({"a":"x&y=z +%","n":"عائشة"})").toUtf8();
    const EncodedPayload p = PayloadEncoder::encode(json, PayloadFormat::Form);
    QVERIFY(p.body.startsWith("payload="));
    QVERIFY(!p.body.contains('&'));
    QVERIFY(!p.body.contains(' '));
    const QUrlQuery q(QString::fromLatin1(p.body));
    QCOMPARE(q.queryItemValue(QStringLiteral("payload"), QUrl::FullyDecoded).toUtf8(), json);
}

// Form bodies checked by a decoder that is not ours: Node's URLSearchParams (WHATWG
// application/x-www-form-urlencoded parsing, where '+' means a space).
void TestPayloadEncoder::formDecodesWithAStandardDecoder_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("international number") << QByteArray(R"({"callerIdNumber":"+971501234567"})");
    QTest::newRow("separators") << QByteArray(R"({"a":"x&y=z;w","b":"100% sure"})");
    QTest::newRow("spaces and plus") << QByteArray(R"({"a":"a b+c  +"})");
    QTest::newRow("non-ASCII")
        << QString::fromUtf8(R"({"name":"عائشة المنصوري","emoji":"📞","fr":"élève"})").toUtf8();
    QTest::newRow("escapes and controls")
        << QByteArray(R"({"q":"\"\\\n\t\u0000\u0001","url":"http://x/?a=1&b=%20#f"})");
}

void TestPayloadEncoder::formDecodesWithAStandardDecoder()
{
    QFETCH(QByteArray, json);
    const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
    if (node.isEmpty())
        QSKIP("node is not installed (.ci/quickstart test installs it)");
    const EncodedPayload p = PayloadEncoder::encode(json, PayloadFormat::Form);
    QProcess decoder;
    decoder.start(node, {QStringLiteral("-e"),
                         QStringLiteral("const q = new URLSearchParams(require('fs')"
                                        ".readFileSync(0, 'latin1'));"
                                        "process.stdout.write(JSON.stringify([...q.keys()]) + "
                                        "'\\n' + q.get('payload'));")});
    QVERIFY(decoder.waitForStarted());
    decoder.write(p.body);
    decoder.closeWriteChannel();
    QVERIFY(decoder.waitForFinished(20000));
    QCOMPARE(decoder.exitCode(), 0);
    const QByteArray out = decoder.readAllStandardOutput();
    const qsizetype nl = out.indexOf('\n');
    QCOMPARE(out.left(nl), QByteArray(R"(["payload"])"));
    QCOMPARE(out.mid(nl + 1), json);
}

void TestPayloadEncoder::contentTypes()
{
    QCOMPARE(PayloadEncoder::encode("{}", PayloadFormat::Json).contentType,
             QByteArray("application/json"));
    QCOMPARE(PayloadEncoder::encode("{}", PayloadFormat::Xml).contentType,
             QByteArray("application/xml; charset=utf-8"));
    QCOMPARE(PayloadEncoder::encode("{}", PayloadFormat::Form).contentType,
             QByteArray("application/x-www-form-urlencoded"));
}

void TestPayloadEncoder::prettyKeepsOrder()
{
    const QByteArray compact = R"({"z":1,"a":[1,2],"e":{},"s":"a, b: {c}"})";
    const QByteArray pretty = JsonText::pretty(compact);
    QCOMPARE(pretty, QByteArray("{\n  \"z\": 1,\n  \"a\": [\n    1,\n    2\n  ],\n  \"e\": {},\n"
                                "  \"s\": \"a, b: {c}\"\n}"));
    QCOMPARE(JsonText::minify(pretty), compact);
}

void TestPayloadEncoder::quickObjectCheck_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("certain");
    QTest::newRow("empty object") << QByteArray(" {} ") << true;
    QTest::newRow("nested") << QByteArray(R"({"a":[1,-2.5,0,true,false,null,{"b":"c"}],"d":{}})")
                            << true;
    QTest::newRow("escapes") << QByteArray(R"({"a":"q\"\\\/\b\f\n\r\t\u00e9"})") << true;
    QTest::newRow("utf-8") << QByteArray("{\"name\":\"\xd8\xb9\xd9\x84\xd9\x8a \xf0\x9f\x93\x9e\"}")
                           << true;
    QTest::newRow("array at the top") << QByteArray("[1]") << false;
    QTest::newRow("trailing comma") << QByteArray(R"({"a":1,})") << false;
    QTest::newRow("two documents") << QByteArray("{}{}") << false;
    QTest::newRow("bare word") << QByteArray(R"({"a":nul})") << false;
    QTest::newRow("leading zero") << QByteArray(R"({"a":01})") << false;
    QTest::newRow("control char") << QByteArray("{\"a\":\"x\ny\"}") << false;
    QTest::newRow("bad escape") << QByteArray(R"({"a":"\x"})") << false;
    QTest::newRow("short \\u") << QByteArray(R"({"a":"\u12"})") << false;
    QTest::newRow("overlong utf-8") << QByteArray("{\"a\":\"\xc0\xaf\"}") << false;
    QTest::newRow("lone continuation") << QByteArray("{\"a\":\"\x80\"}") << false;
    QTest::newRow("unterminated") << QByteArray(R"({"a":"b)") << false;
    // Valid, but left to Qt's parser to judge.
    QTest::newRow("exponent") << QByteArray(R"({"a":1e400})") << false;
    QTest::newRow("long number") << QByteArray(R"({"a":12345678901234567890})") << false;
    QTest::newRow("surrogate escape") << QByteArray(R"({"a":"\ud83d\udcde"})") << false;
}

void TestPayloadEncoder::quickObjectCheck()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, certain);
    QCOMPARE(JsonText::isCertainlyObject(json), certain);
    if (certain) {
        QJsonParseError error{};
        QVERIFY(QJsonDocument::fromJson(json, &error).isObject());
    }
}

// Thousands of damaged copies of a real payload: whatever the quick check accepts, Qt must
// accept as an object too (the reverse need not hold).
void TestPayloadEncoder::quickObjectCheckNeverAcceptsWhatQtRejects()
{
    const QByteArray base = R"({"callID":"0d6f3c5e-6a8b-4c1e-9f2a-1b2c3d4e5f60","n":[1,2.5,-3],)"
                            R"("ok":true,"none":null,"s":"a\"b\u00e9\\","o":{"x":{}}})";
    const QByteArray alphabet = "{}[]\",:\\ u0123456789.eE-+tfnalrs\x80\xc3\xa9\x01";
    QRandomGenerator rng(42);
    int accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        QByteArray json = base;
        const int edits = 1 + int(rng.bounded(3));
        for (int i = 0; i < edits; ++i) {
            const int at = int(rng.bounded(json.size()));
            switch (rng.bounded(3)) {
            case 0:
                json.remove(at, 1);
                break;
            case 1:
                json.insert(at, alphabet.at(rng.bounded(alphabet.size())));
                break;
            default:
                json[at] = alphabet.at(rng.bounded(alphabet.size()));
                break;
            }
        }
        if (!JsonText::isCertainlyObject(json))
            continue;
        ++accepted;
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
        QVERIFY2(error.error == QJsonParseError::NoError && doc.isObject(), json.constData());
    }
    QVERIFY(accepted > 100); // the damage left many still valid: the check said yes to them
}

void TestPayloadEncoder::jsonPointer_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<bool>("found");
    QTest::addColumn<QString>("value");
    const QByteArray call =
        R"({"callID":"c-1","agent":{"id":7,"a/b":"s","m~n":true},"legs":[1,"x"],"e":""})";
    QTest::newRow("string") << call << QStringLiteral("/callID") << true << QStringLiteral("c-1");
    QTest::newRow("nested number")
        << call << QStringLiteral("/agent/id") << true << QStringLiteral("7");
    QTest::newRow("escaped slash")
        << call << QStringLiteral("/agent/a~1b") << true << QStringLiteral("s");
    QTest::newRow("escaped tilde")
        << call << QStringLiteral("/agent/m~0n") << true << QStringLiteral("true");
    QTest::newRow("array index") << call << QStringLiteral("/legs/1") << true
                                 << QStringLiteral("x");
    QTest::newRow("object as text") << call << QStringLiteral("/agent") << true
                                    << QStringLiteral(R"({"a/b":"s","id":7,"m~n":true})");
    QTest::newRow("empty string") << call << QStringLiteral("/e") << true << QString();
    QTest::newRow("missing") << call << QStringLiteral("/nope") << false << QString();
    QTest::newRow("index out of range") << call << QStringLiteral("/legs/2") << false << QString();
    QTest::newRow("leading zero index") << call << QStringLiteral("/legs/01") << false << QString();
    QTest::newRow("through a string") << call << QStringLiteral("/callID/x") << false << QString();
    QTest::newRow("not JSON") << QByteArray("a=b") << QStringLiteral("/a") << false << QString();
    QTest::newRow("no slash") << call << QStringLiteral("callID") << false << QString();
}

void TestPayloadEncoder::jsonPointer()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, pointer);
    QFETCH(bool, found);
    QFETCH(QString, value);
    bool got = !found;
    const QString v = JsonText::pointerValue(json, pointer, &got);
    QCOMPARE(got, found);
    QCOMPARE(v, value);
}

QTEST_GUILESS_MAIN(TestPayloadEncoder)
#include "tst_payloadencoder.moc"
