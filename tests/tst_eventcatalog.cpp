// SPDX-License-Identifier: GPL-3.0-or-later
// Event catalog and payload templates: every built-in renders valid JSON with fresh values,
// placeholders splice correctly inside and outside strings, errors point at the template's
// line and column or name the unknown placeholder, and scenarios stay consistent.
#include "catalog/EventCatalog.h"
#include "catalog/TemplateRenderer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTest>

namespace {

QJsonObject parse(const QByteArray &json)
{
    QJsonParseError e{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &e);
    if (e.error != QJsonParseError::NoError)
        qWarning("bad JSON: %s", json.constData());
    return doc.object();
}

const QRegularExpression &isoMillisRe()
{
    static const QRegularExpression re(
        QStringLiteral("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$"));
    return re;
}

const QRegularExpression &uuidRe()
{
    static const QRegularExpression re(
        QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
    return re;
}

RenderContext fixedContext()
{
    RenderContext ctx;
    ctx.values[QStringLiteral("s")] = QStringLiteral("a \"quoted\" \\ line\nbreak");
    ctx.values[QStringLiteral("n")] = 42;
    ctx.values[QStringLiteral("f")] = 1.5;
    ctx.values[QStringLiteral("z")] = QVariant::fromValue(nullptr);
    ctx.values[QStringLiteral("b")] = true;
    return ctx;
}

} // namespace

class TestEventCatalog : public QObject
{
    Q_OBJECT

private slots:
    void builtInsAreTheSixEvents();
    void builtInsRender_data();
    void builtInsRender();
    void freshValuesOnEveryFire();
    void isoMillisMatchesQt();
    void compiledTemplatesRenderLikeTheFullRenderer_data();
    void compiledTemplatesRenderLikeTheFullRenderer();
    void ringingMatchesTheArticle();
    void callEndedIsRich();
    void everyEventCarriesTheArticlesFields_data();
    void everyEventCarriesTheArticlesFields();
    void placeholderSplicing_data();
    void placeholderSplicing();
    void keyOrderIsKept();
    void errors_data();
    void errors();
    void callScenarioIsConsistent();
    void agentShiftIsConsistent();
    void customTypes();
    void unknownTypeNamesKnownOnes();
};

void TestEventCatalog::builtInsAreTheSixEvents()
{
    const EventCatalog catalog;
    QCOMPARE(catalog.ids(),
             (QStringList{QStringLiteral("call.created"), QStringLiteral("call.ringing"),
                          QStringLiteral("call.answered"), QStringLiteral("call.ended"),
                          QStringLiteral("agent.login"), QStringLiteral("agent.logout")}));
    for (const EventType &t : catalog.types()) {
        QVERIFY(t.builtIn);
        QVERIFY2(!t.payloadTemplate.isEmpty(), qPrintable(t.id));
        QVERIFY(!t.displayName.isEmpty());
        QVERIFY(!t.description.isEmpty());
    }
}

void TestEventCatalog::builtInsRender_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("typeField");
    for (const auto &[id, field] : {std::pair{"call.created", "created"},
                                    {"call.ringing", "ringing"},
                                    {"call.answered", "answered"},
                                    {"call.ended", "ended"},
                                    {"agent.login", "agent-connected"},
                                    {"agent.logout", "agent-disconnected"}})
        QTest::newRow(id) << QString::fromLatin1(id) << QString::fromLatin1(field);
}

void TestEventCatalog::builtInsRender()
{
    QFETCH(QString, type);
    QFETCH(QString, typeField);
    const EventCatalog catalog;
    SampleData data(7);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const RenderResult r = catalog.render(type, data, now);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const QJsonObject o = parse(r.json);
    QCOMPARE(o.value(QStringLiteral("type")).toString(), typeField);
    QVERIFY(uuidRe().match(o.value(QStringLiteral("coreUUID")).toString()).hasMatch());
    const QString startedAt = o.value(QStringLiteral("startedAt")).toString();
    QVERIFY2(isoMillisRe().match(startedAt).hasMatch(), qPrintable(startedAt));
    // The event's own time is "now" for a single fire.
    QCOMPARE(QDateTime::fromString(startedAt, Qt::ISODateWithMs), now);
    const QString epoch = o.value(QStringLiteral("startedAtEpoch")).toString();
    QCOMPARE(epoch.size(), 16);
    QCOMPARE(epoch.left(13).toLongLong(), now.toMSecsSinceEpoch());
    if (type.startsWith(QLatin1String("call."))) {
        QVERIFY(uuidRe().match(o.value(QStringLiteral("callID")).toString()).hasMatch());
        QVERIFY(o.value(QStringLiteral("dialplan")).isNull());
    }
    // Compact: no whitespace outside strings.
    QVERIFY(!r.json.contains("\n"));
    QVERIFY(!r.json.contains("\": "));
}

void TestEventCatalog::freshValuesOnEveryFire()
{
    const EventCatalog catalog;
    SampleData data;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QJsonObject a = parse(catalog.render(QStringLiteral("call.ringing"), data, now).json);
    const QJsonObject b = parse(catalog.render(QStringLiteral("call.ringing"), data, now).json);
    QVERIFY(a.value(QStringLiteral("callID")) != b.value(QStringLiteral("callID")));
    QVERIFY(a.value(QStringLiteral("coreUUID")) != b.value(QStringLiteral("coreUUID")));
}

void TestEventCatalog::ringingMatchesTheArticle()
{
    const EventCatalog catalog;
    SampleData data(3);
    const QJsonObject o = parse(
        catalog.render(QStringLiteral("call.ringing"), data, QDateTime::currentDateTimeUtc()).json);
    const QStringList expected = {
        QStringLiteral("coreUUID"),       QStringLiteral("dialplan"),
        QStringLiteral("callID"),         QStringLiteral("otherLegCallID"),
        QStringLiteral("type"),           QStringLiteral("data"),
        QStringLiteral("flags"),          QStringLiteral("callerIdName"),
        QStringLiteral("callerIdNumber"), QStringLiteral("calleeIdName"),
        QStringLiteral("calleeIdNumber"), QStringLiteral("startedAt"),
        QStringLiteral("startedAtEpoch")};
    QStringList keys = o.keys();
    QStringList sorted = expected;
    sorted.sort();
    QCOMPARE(keys, sorted);
    QCOMPARE(o.value(QStringLiteral("flags")).toString(), QStringLiteral("0"));
    // Dubai numbers: landline 04xxxxxxx or mobile +97150xxxxxxx, or a 5-digit extension.
    static const QRegularExpression phone(QStringLiteral("^(04\\d{7}|\\+97150\\d{7}|\\d{5})$"));
    QVERIFY(phone.match(o.value(QStringLiteral("callerIdNumber")).toString()).hasMatch());
    QVERIFY(phone.match(o.value(QStringLiteral("calleeIdNumber")).toString()).hasMatch());
}

// The article's samples (../shared/EVENTS.md): every call event carries every field of its call
// sample, and every agent event every field of its agent sample, with the same names and JSON
// types, so a receiver that reads one field from every event of a kind finds it on each.
void TestEventCatalog::everyEventCarriesTheArticlesFields_data()
{
    QTest::addColumn<QString>("type");
    for (const EventType &t : EventCatalog::builtInTypes())
        QTest::newRow(qPrintable(t.id)) << t.id;
}

void TestEventCatalog::everyEventCarriesTheArticlesFields()
{
    QFETCH(QString, type);
    const QJsonObject call = parse(R"({"coreUUID": "x", "dialplan": null, "callID": "x",
        "otherLegCallID": "x", "type": "ringing", "data": "043", "flags": "0",
        "callerIdName": "043", "callerIdNumber": "043", "calleeIdName": "33333",
        "calleeIdNumber": "33333", "startedAt": "2020-02-16T07:35:55.122Z",
        "startedAtEpoch": "1581838555122651"})");
    const QJsonObject agent = parse(R"({"coreUUID": "x", "status": "available",
        "action": "agent-add", "type": "agent-connected", "data": "043",
        "startedAt": "2020-02-16T07:35:55.122Z", "startedAtEpoch": "1581838555122651"})");
    const QJsonObject &sample = type.startsWith(QLatin1String("call.")) ? call : agent;
    const EventCatalog catalog;
    SampleData data(7);
    const QJsonObject o = parse(catalog.render(type, data, QDateTime::currentDateTimeUtc()).json);
    for (auto it = sample.begin(); it != sample.end(); ++it) {
        QVERIFY2(o.contains(it.key()), qPrintable(type + QLatin1String(" lacks ") + it.key()));
        QVERIFY2(o.value(it.key()).type() == it.value().type(),
                 qPrintable(type + QLatin1String(": wrong JSON type for ") + it.key()));
    }
    QCOMPARE(o.value(QStringLiteral("startedAtEpoch")).toString().size(), 16);
}

void TestEventCatalog::callEndedIsRich()
{
    const EventCatalog catalog;
    SampleData data(11);
    const QJsonObject o = parse(
        catalog.render(QStringLiteral("call.ended"), data, QDateTime::currentDateTimeUtc()).json);
    const int ring = o.value(QStringLiteral("ringTime")).toInt();
    const int talk = o.value(QStringLiteral("talkTime")).toInt();
    const int duration = o.value(QStringLiteral("duration")).toInt();
    QVERIFY(ring > 0 && talk > 0);
    QVERIFY2(qAbs(duration - ring - talk) <= 3, qPrintable(QString::number(duration)));
    QCOMPARE(o.value(QStringLiteral("recordingFile")).toString(),
             o.value(QStringLiteral("callID")).toString() + QLatin1String(".mp3"));
    QVERIFY(!o.value(QStringLiteral("disposition")).toString().isEmpty());
    QVERIFY(o.value(QStringLiteral("agent")).isObject());
    const QDateTime answered =
        QDateTime::fromString(o.value(QStringLiteral("answeredAt")).toString(), Qt::ISODateWithMs);
    const QDateTime ended =
        QDateTime::fromString(o.value(QStringLiteral("endedAt")).toString(), Qt::ISODateWithMs);
    QVERIFY(answered < ended);
    QCOMPARE(int(answered.secsTo(ended)) / 10, talk / 10);
}

void TestEventCatalog::placeholderSplicing_data()
{
    QTest::addColumn<QString>("tpl");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("string in string")
        << R"({"a": "{{s}}"})" << QByteArray(R"({"a":"a \"quoted\" \\ line\nbreak"})");
    QTest::newRow("string bare") << R"({"a": {{s}}})"
                                 << QByteArray(R"({"a":"a \"quoted\" \\ line\nbreak"})");
    QTest::newRow("number bare") << R"({"a": {{n}}})" << QByteArray(R"({"a":42})");
    QTest::newRow("float bare") << R"({"a": {{f}}})" << QByteArray(R"({"a":1.5})");
    QTest::newRow("number in string") << R"({"a": "#{{n}}"})" << QByteArray(R"({"a":"#42"})");
    QTest::newRow("null bare") << R"({"a": {{z}}})" << QByteArray(R"({"a":null})");
    QTest::newRow("null in string") << R"({"a": "x{{z}}y"})" << QByteArray(R"({"a":"xy"})");
    QTest::newRow("bool bare") << R"({"a": {{ b }}})" << QByteArray(R"({"a":true})");
    QTest::newRow("escaped quote before") << R"({"a": "\"{{n}}"})" << QByteArray(R"({"a":"\"42"})");
    QTest::newRow("unicode kept") << QString::fromUtf8(R"({"a": "مرحبا {{n}}"})")
                                  << QString::fromUtf8(R"({"a":"مرحبا 42"})").toUtf8();
    QTest::newRow("whitespace in strings kept")
        << R"({ "a b" : " x  y " })" << QByteArray(R"({"a b":" x  y "})");
}

void TestEventCatalog::placeholderSplicing()
{
    QFETCH(QString, tpl);
    QFETCH(QByteArray, expected);
    const RenderResult r = TemplateRenderer::render(tpl, fixedContext());
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.json, expected);
}

void TestEventCatalog::keyOrderIsKept()
{
    const RenderResult r = TemplateRenderer::render(
        QStringLiteral(R"({"z": 1, "a": 2, "m": {"y": 1, "b": 2}})"), fixedContext());
    QCOMPARE(r.json, QByteArray(R"({"z":1,"a":2,"m":{"y":1,"b":2}})"));
}

void TestEventCatalog::errors_data()
{
    QTest::addColumn<QString>("tpl");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("unknown placeholder")
        << "{\n  \"a\": \"{{nope.value}}\"\n}" << 2 << 9 << "{{nope.value}}";
    QTest::newRow("unclosed placeholder") << "{\n  \"a\": \"{{n\"\n}" << 2 << 9 << "not closed";
    QTest::newRow("missing comma") << "{\n  \"a\": 1\n  \"b\": 2\n}" << 3 << 3 << "line 3";
    QTest::newRow("missing comma after placeholder")
        << "{\n  \"a\": \"{{s}}\"\n  \"b\": 2\n}" << 3 << 3 << "column 3";
    QTest::newRow("trailing garbage") << "{\"a\": {{n}} x}" << 1 << 13 << "column 13";
    QTest::newRow("string placeholder breaks") << "{\"a\": \"x\" {{n}}}" << 1 << 11 << "";
    QTest::newRow("not an object") << "[1, 2]" << 1 << 1 << "JSON object";
    QTest::newRow("empty") << "" << 1 << 1 << "";
}

void TestEventCatalog::errors()
{
    QFETCH(QString, tpl);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, mentions);
    const RenderResult r = TemplateRenderer::render(tpl, fixedContext());
    QVERIFY(!r.ok());
    QVERIFY(r.json.isEmpty());
    QCOMPARE(r.errorLine, line);
    QCOMPARE(r.errorColumn, column);
    if (!mentions.isEmpty())
        QVERIFY2(r.error.contains(mentions), qPrintable(r.error));
}

void TestEventCatalog::callScenarioIsConsistent()
{
    const EventCatalog catalog;
    SampleData data(5);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const ScenarioResult s = catalog.callScenario(data, now);
    QVERIFY2(s.ok(), qPrintable(s.error));
    QCOMPARE(s.events.size(), 4);
    QStringList types;
    QSet<QString> callIds, coreIds;
    QDateTime previous;
    qint64 previousEpoch = 0;
    for (const RenderedEvent &e : s.events) {
        types << e.type;
        const QJsonObject o = parse(e.payload);
        callIds << o.value(QStringLiteral("callID")).toString();
        coreIds << o.value(QStringLiteral("coreUUID")).toString();
        const QDateTime t = QDateTime::fromString(o.value(QStringLiteral("startedAt")).toString(),
                                                  Qt::ISODateWithMs);
        QCOMPARE(t, e.time);
        const qint64 epoch = o.value(QStringLiteral("startedAtEpoch")).toString().toLongLong();
        QCOMPARE(epoch / 1000, t.toMSecsSinceEpoch());
        if (previous.isValid()) {
            QVERIFY(previous < t);
            QVERIFY(previousEpoch < epoch);
        }
        previous = t;
        previousEpoch = epoch;
    }
    QCOMPARE(types, (QStringList{QStringLiteral("call.created"), QStringLiteral("call.ringing"),
                                 QStringLiteral("call.answered"), QStringLiteral("call.ended")}));
    QCOMPARE(callIds.size(), 1);
    QCOMPARE(coreIds.size(), 1);
    QVERIFY(previous <= now);
    QCOMPARE(s.events.last().time, now);
    // The ended event's timeline agrees with the stages that were sent.
    const QJsonObject ended = parse(s.events.last().payload);
    QCOMPARE(QDateTime::fromString(ended.value(QStringLiteral("answeredAt")).toString(),
                                   Qt::ISODateWithMs),
             s.events.at(2).time);
    QCOMPARE(QDateTime::fromString(ended.value(QStringLiteral("callStartedAt")).toString(),
                                   Qt::ISODateWithMs),
             s.events.at(0).time);
    const int ring = ended.value(QStringLiteral("ringTime")).toInt();
    QVERIFY(qAbs(s.events.at(1).time.secsTo(s.events.at(2).time) - ring) <= 1);
}

void TestEventCatalog::agentShiftIsConsistent()
{
    const EventCatalog catalog;
    SampleData data(9);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const ScenarioResult s = catalog.agentShift(data, now);
    QVERIFY2(s.ok(), qPrintable(s.error));
    QCOMPARE(s.events.size(), 2);
    const QJsonObject login = parse(s.events.at(0).payload);
    const QJsonObject logout = parse(s.events.at(1).payload);
    QCOMPARE(login.value(QStringLiteral("agent")), logout.value(QStringLiteral("agent")));
    const int engagement = logout.value(QStringLiteral("engagementTime")).toInt();
    QCOMPARE(s.events.at(0).time.secsTo(s.events.at(1).time), qint64(engagement));
    QCOMPARE(logout.value(QStringLiteral("loginAt")).toString(),
             login.value(QStringLiteral("startedAt")).toString());
    QCOMPARE(s.events.at(1).time, now);
}

void TestEventCatalog::customTypes()
{
    EventCatalog catalog;
    EventType custom{
        QStringLiteral("call.transferred"), QStringLiteral("Call Transferred"),
        QStringLiteral("A call moves to another agent."),
        QStringLiteral(
            R"({"type": "transferred", "callID": "{{call.id}}", "to": "{{agent.name}}"})"),
        true};
    QVERIFY(catalog.upsert(custom).isEmpty());
    QVERIFY(!catalog.find(custom.id)->builtIn); // a custom type cannot claim to be built in
    SampleData data(1);
    const RenderResult r = catalog.render(custom.id, data, QDateTime::currentDateTimeUtc());
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(parse(r.json).value(QStringLiteral("type")).toString(), QStringLiteral("transferred"));

    EventType bad = custom;
    bad.payloadTemplate = QStringLiteral(R"({"x": "{{bogus}}"})");
    QVERIFY(catalog.upsert(bad).contains(QStringLiteral("{{bogus}}")));
    bad = custom;
    bad.id = QStringLiteral("Call Transferred!");
    QVERIFY(catalog.upsert(bad).contains(QStringLiteral("not valid")));

    QVERIFY(catalog.remove(QStringLiteral("call.ringing")).contains(QStringLiteral("built-in")));
    QVERIFY(catalog.remove(custom.id).isEmpty());
    QVERIFY(!catalog.find(custom.id));
}

void TestEventCatalog::unknownTypeNamesKnownOnes()
{
    const EventCatalog catalog;
    SampleData data(1);
    const RenderResult r =
        catalog.render(QStringLiteral("call.exploded"), data, QDateTime::currentDateTimeUtc());
    QVERIFY(!r.ok());
    QVERIFY(r.error.contains(QStringLiteral("call.exploded")));
    QVERIFY(r.error.contains(QStringLiteral("call.ringing")));
}

void TestEventCatalog::compiledTemplatesRenderLikeTheFullRenderer_data()
{
    QTest::addColumn<QString>("tpl");
    EventCatalog catalog;
    for (const QString &id : catalog.ids())
        QTest::newRow(qPrintable(id)) << catalog.find(id)->payloadTemplate;
    QTest::newRow("placeholders in strings and out")
        << QStringLiteral("{ \"a\" : {{s}}, \"b\": \"x {{ s }} y\",\n \"n\":\t{{n}},"
                          " \"z\": {{z}}, \"t\": \"{{z}}\", \"e\": \"\\\\ \\\" {{b}}\"}");
    QTest::newRow("unknown placeholder") << QStringLiteral("{\"a\": {{nope}}}");
    QTest::newRow("unclosed") << QStringLiteral("{\"a\": {{s}\n}");
    QTest::newRow("escaped placeholder") << QStringLiteral("{\"a\": \"\\{{s}}\"}");
    QTest::newRow("broken JSON") << QStringLiteral("{\"a\": {{n}} \"b\": 1}");
    QTest::newRow("array at the top") << QStringLiteral("[{{n}}]");
    QTest::newRow("exponent left to Qt") << QStringLiteral("{\"a\": 1e3, \"b\": {{f}}}");
}

// The compiled fast path gives byte for byte what the full renderer gives, errors included
// (fresh UUIDs aside, which differ on every use by design).
void TestEventCatalog::compiledTemplatesRenderLikeTheFullRenderer()
{
    QFETCH(QString, tpl);
    static const QRegularExpression uuid(
        QStringLiteral("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
    auto sameUuids = [](QByteArray json) {
        return QString::fromUtf8(json).replace(uuid, QStringLiteral("<uuid>"));
    };
    SampleData sample(3);
    for (int i = 0; i < 20; ++i) {
        RenderContext ctx = sample.anyContext(QDateTime::currentDateTimeUtc());
        const RenderContext fixed = fixedContext();
        for (auto it = fixed.values.cbegin(); it != fixed.values.cend(); ++it)
            ctx.values.insert(it.key(), it.value());
        const RenderResult fast = TemplateRenderer::render(tpl, ctx);
        const RenderResult full = TemplateRenderer::renderInFull(tpl, ctx);
        QCOMPARE(sameUuids(fast.json), sameUuids(full.json));
        QCOMPARE(fast.error, full.error);
        QCOMPARE(fast.errorLine, full.errorLine);
        QCOMPARE(fast.errorColumn, full.errorColumn);
    }
}

// The hand-written timestamp formatter against Qt's, over leap days, century years and
// random instants from 1970 to 2200.
void TestEventCatalog::isoMillisMatchesQt()
{
    QList<qint64> instants = {0,
                              1,
                              999,
                              86399999,
                              86400000,
                              951782400000 /* 2000-02-29 */,
                              4107542399999 /* 2100-02-28T23:59:59.999 */,
                              253402300799999};
    QRandomGenerator rng(7);
    for (int i = 0; i < 20000; ++i)
        instants << qint64(rng.bounded(Q_INT64_C(7258118400000)));
    for (const qint64 ms : std::as_const(instants)) {
        const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
        QCOMPARE(SampleData::isoMillis(t), t.toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzzZ")));
    }
    // Another offset (Dubai's, +4 h): the same instant, written in UTC.
    const QDateTime dubai =
        QDateTime::fromMSecsSinceEpoch(951782400123, Qt::OffsetFromUTC, 4 * 3600);
    QCOMPARE(SampleData::isoMillis(dubai), QStringLiteral("2000-02-29T00:00:00.123Z"));
}

QTEST_GUILESS_MAIN(TestEventCatalog)
#include "tst_eventcatalog.moc"
