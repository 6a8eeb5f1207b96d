// SPDX-License-Identifier: GPL-3.0-or-later
#include "RenderContext.h"

#include <QCoreApplication>
#include <QUuid>

namespace {

// lupdate needs a class to name the context of these strings.
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(Placeholders)
};

QString newUuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

// Fast, fresh, and random enough for sample data; QUuid::createUuid would ignore the seed.
QString seededUuid(QRandomGenerator &rng)
{
    quint32 w[4];
    rng.fillRange(w);
    QByteArray b(reinterpret_cast<const char *>(w), 16);
    b[6] = char((b[6] & 0x0f) | 0x40); // version 4
    b[8] = char((b[8] & 0x3f) | 0x80); // RFC 4122 variant
    return QUuid::fromRfc4122(b).toString(QUuid::WithoutBraces);
}

} // namespace

const QList<PlaceholderInfo> &placeholderCatalog()
{
    static const QList<PlaceholderInfo> list = {
        {QStringLiteral("uuid"), Tr::tr("A fresh random UUID on every use")},
        {QStringLiteral("core.uuid"),
         Tr::tr("The platform node's UUID (the same for a whole call)")},
        {QStringLiteral("event.time"), Tr::tr("This event's time, ISO 8601 UTC with milliseconds")},
        {QStringLiteral("event.epochMicros"),
         Tr::tr("This event's time as a string of microseconds since 1970 (16 digits)")},
        {QStringLiteral("call.id"),
         Tr::tr("The call's UUID, shared by created, ringing, answered and ended")},
        {QStringLiteral("call.otherLegId"), Tr::tr("The UUID of the call's other leg")},
        {QStringLiteral("call.direction"), Tr::tr("inbound or outbound")},
        {QStringLiteral("call.startedAt"), Tr::tr("When the call started (ISO 8601)")},
        {QStringLiteral("call.startedAtEpoch"),
         Tr::tr("When the call started (epoch microseconds)")},
        {QStringLiteral("call.ringingAt"), Tr::tr("When the call started ringing (ISO 8601)")},
        {QStringLiteral("call.answeredAt"), Tr::tr("When the call was answered (ISO 8601)")},
        {QStringLiteral("call.endedAt"), Tr::tr("When the call was hung up (ISO 8601)")},
        {QStringLiteral("call.ringSeconds"), Tr::tr("Seconds of ringing (number)")},
        {QStringLiteral("call.talkSeconds"), Tr::tr("Seconds of conversation (number)")},
        {QStringLiteral("call.durationSeconds"), Tr::tr("Total call duration in seconds (number)")},
        {QStringLiteral("call.result"), Tr::tr("answered, no-answer or cancel")},
        {QStringLiteral("call.disposition"), Tr::tr("The agent's wrap-up code")},
        {QStringLiteral("call.hangupCause"), Tr::tr("Why the call ended, e.g. NORMAL_CLEARING")},
        {QStringLiteral("call.missedReason"), Tr::tr("Why the call was missed, or null")},
        {QStringLiteral("call.recordingFile"), Tr::tr("The recording's file name, <callID>.mp3")},
        {QStringLiteral("caller.name"), Tr::tr("The caller's display name")},
        {QStringLiteral("caller.number"), Tr::tr("The caller's phone number")},
        {QStringLiteral("callee.name"), Tr::tr("The callee's display name (agent extension)")},
        {QStringLiteral("callee.number"), Tr::tr("The callee's number (agent extension)")},
        {QStringLiteral("did.number"), Tr::tr("The public number that was dialled")},
        {QStringLiteral("customer.name"), Tr::tr("The customer's name")},
        {QStringLiteral("customer.number"), Tr::tr("The customer's phone number")},
        {QStringLiteral("customer.email"), Tr::tr("The customer's e-mail address")},
        {QStringLiteral("agent.id"), Tr::tr("The agent's numeric id (number)")},
        {QStringLiteral("agent.name"), Tr::tr("The agent's full name")},
        {QStringLiteral("agent.email"), Tr::tr("The agent's e-mail address")},
        {QStringLiteral("agent.extension"), Tr::tr("The agent's extension")},
        {QStringLiteral("agent.loginAt"), Tr::tr("When the agent logged in (ISO 8601)")},
        {QStringLiteral("agent.logoutAt"), Tr::tr("When the agent logged out (ISO 8601)")},
        {QStringLiteral("agent.engagementSeconds"),
         Tr::tr("Seconds between login and logout (number)")},
        {QStringLiteral("agent.callsHandled"),
         Tr::tr("Calls the agent handled in the shift (number)")},
        {QStringLiteral("agent.talkSeconds"), Tr::tr("Seconds the agent spent talking (number)")},
        {QStringLiteral("agent.breakSeconds"),
         Tr::tr("Seconds the agent spent on breaks (number)")},
    };
    return list;
}

bool RenderContext::contains(const QString &name) const
{
    return name == QLatin1String("uuid") || values.contains(name);
}

QVariant RenderContext::value(const QString &name) const
{
    if (name == QLatin1String("uuid"))
        return newUuid();
    return values.value(name);
}

void RenderContext::setEventTime(const QDateTime &utc, int extraMicros)
{
    values[QStringLiteral("event.time")] = SampleData::isoMillis(utc);
    values[QStringLiteral("event.epochMicros")] = SampleData::epochMicros(utc, extraMicros);
}

SampleData::SampleData()
    : m_rng(QRandomGenerator::system()->generate())
{
}

SampleData::SampleData(quint32 seed)
    : m_rng(seed)
{
}

QString SampleData::isoMillis(const QDateTime &utc)
{
    // QDateTime::toString(format) costs tens of microseconds and even splitting the time into
    // date() and time() a few; this runs five times per rendered event, so do the calendar
    // arithmetic here (days to civil date: H. Hinnant's algorithm) and write the digits.
    const qint64 ms = utc.toMSecsSinceEpoch();
    constexpr qint64 kDay = 86400000;
    qint64 days = ms >= 0 ? ms / kDay : -((-ms + kDay - 1) / kDay);
    const qint64 inDay = ms - days * kDay;
    days += 719468;
    const qint64 era = (days >= 0 ? days : days - 146096) / 146097;
    const qint64 doe = days - era * 146097;
    const qint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const qint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const qint64 mp = (5 * doy + 2) / 153;
    const int day = int(doy - (153 * mp + 2) / 5 + 1);
    const int month = int(mp < 10 ? mp + 3 : mp - 9);
    const qint64 year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999)
        return utc.toUTC().toString(Qt::ISODateWithMs);
    char16_t out[24];
    auto put = [&out](int at, qint64 value, int width) {
        for (int i = width - 1; i >= 0; --i, value /= 10)
            out[at + i] = char16_t(u'0' + value % 10);
    };
    put(0, year, 4);
    out[4] = u'-';
    put(5, month, 2);
    out[7] = u'-';
    put(8, day, 2);
    out[10] = u'T';
    put(11, inDay / 3600000, 2);
    out[13] = u':';
    put(14, inDay / 60000 % 60, 2);
    out[16] = u':';
    put(17, inDay / 1000 % 60, 2);
    out[19] = u'.';
    put(20, inDay % 1000, 3);
    out[23] = u'Z';
    return QString(reinterpret_cast<const QChar *>(out), 24);
}

QString SampleData::epochMicros(const QDateTime &utc, int extraMicros)
{
    return QString::number(utc.toMSecsSinceEpoch() * 1000 + qBound(0, extraMicros, 999));
}

int SampleData::between(int low, int high)
{
    return int(m_rng.bounded(low, high + 1));
}

QString SampleData::pick(const QStringList &list)
{
    return list.at(between(0, int(list.size()) - 1));
}

QString SampleData::dubaiLandline()
{
    return QStringLiteral("04%1%2").arg(between(2, 8)).arg(between(0, 999999), 6, 10, QChar(u'0'));
}

QString SampleData::dubaiMobile()
{
    return QStringLiteral("+97150%1").arg(between(0, 9999999), 7, 10, QChar(u'0'));
}

void SampleData::fillAgent(RenderContext *ctx)
{
    static const QStringList first = {
        QStringLiteral("Aisha"), QStringLiteral("Omar"),   QStringLiteral("Fatima"),
        QStringLiteral("Rahul"), QStringLiteral("Sara"),   QStringLiteral("Youssef"),
        QStringLiteral("Layla"), QStringLiteral("Hamdan"), QStringLiteral("Maria"),
        QStringLiteral("Karim"),
    };
    static const QStringList last = {
        QStringLiteral("Al Mansoori"), QStringLiteral("Haddad"), QStringLiteral("Khan"),
        QStringLiteral("Menon"),       QStringLiteral("Nasser"), QStringLiteral("Rahman"),
        QStringLiteral("Santos"),      QStringLiteral("Saleh"),
    };
    const QString f = pick(first);
    const QString l = pick(last);
    auto &v = ctx->values;
    v[QStringLiteral("agent.id")] = between(100, 9999);
    v[QStringLiteral("agent.name")] = QString(f + u' ' + l);
    v[QStringLiteral("agent.email")] = QString(
        f.toLower() + u'.' + QString(l).remove(u' ').toLower() + QLatin1String("@example.com"));
    v[QStringLiteral("agent.extension")] = QString::number(between(10000, 99999));
}

RenderContext SampleData::callContext(CallStage anchor, const QDateTime &anchorTime)
{
    static const QStringList customers = {
        QStringLiteral("Mohammed Al Falasi"), QStringLiteral("Priya Sharma"),
        QStringLiteral("Ahmed Youssef"),      QStringLiteral("Emma Wilson"),
        QStringLiteral("Noura Al Suwaidi"),   QStringLiteral("Ali Hassan"),
    };
    static const QStringList dispositions = {
        QStringLiteral("resolved"),    QStringLiteral("follow-up"), QStringLiteral("sale"),
        QStringLiteral("information"), QStringLiteral("complaint"),
    };
    RenderContext ctx;
    ctx.values.reserve(40); // every call placeholder, without rehashing on the way
    fillAgent(&ctx);
    auto &v = ctx.values;
    const bool inbound = between(0, 3) != 0;
    const QString customerNumber = between(0, 1) ? dubaiMobile() : dubaiLandline();
    const QString customerName = pick(customers);
    const QString did = QStringLiteral("800%1").arg(between(1000, 9999));
    const QString ext = v.value(QStringLiteral("agent.extension")).toString();

    // Timeline, in milliseconds from the call's start.
    const qint64 toRinging = between(200, 1500);
    const int ringSeconds = between(3, 25);
    const int talkSeconds = between(30, 600);
    const qint64 toAnswered = toRinging + ringSeconds * 1000LL + between(0, 999);
    const qint64 toEnded = toAnswered + talkSeconds * 1000LL + between(0, 999);
    qint64 anchorOffset = 0;
    switch (anchor) {
    case CallStage::Created:
        anchorOffset = 0;
        break;
    case CallStage::Ringing:
        anchorOffset = toRinging;
        break;
    case CallStage::Answered:
        anchorOffset = toAnswered;
        break;
    case CallStage::Ended:
        anchorOffset = toEnded;
        break;
    }
    const QDateTime start = anchorTime.toUTC().addMSecs(-anchorOffset);
    const QString callId = seededUuid(m_rng);

    v[QStringLiteral("core.uuid")] = seededUuid(m_rng);
    v[QStringLiteral("call.id")] = callId;
    v[QStringLiteral("call.otherLegId")] = seededUuid(m_rng);
    v[QStringLiteral("call.direction")] =
        inbound ? QStringLiteral("inbound") : QStringLiteral("outbound");
    v[QStringLiteral("call.startedAt")] = isoMillis(start);
    v[QStringLiteral("call.startedAtEpoch")] = epochMicros(start, between(0, 999));
    v[QStringLiteral("call.ringingAt")] = isoMillis(start.addMSecs(toRinging));
    v[QStringLiteral("call.answeredAt")] = isoMillis(start.addMSecs(toAnswered));
    v[QStringLiteral("call.endedAt")] = isoMillis(start.addMSecs(toEnded));
    v[QStringLiteral("call.ringSeconds")] = ringSeconds;
    v[QStringLiteral("call.talkSeconds")] = talkSeconds;
    v[QStringLiteral("call.durationSeconds")] = int((toEnded + 500) / 1000);
    v[QStringLiteral("call.result")] = QStringLiteral("answered");
    v[QStringLiteral("call.disposition")] = pick(dispositions);
    v[QStringLiteral("call.hangupCause")] = QStringLiteral("NORMAL_CLEARING");
    v[QStringLiteral("call.missedReason")] = QVariant::fromValue(nullptr);
    v[QStringLiteral("call.recordingFile")] = QString(callId + QLatin1String(".mp3"));
    v[QStringLiteral("caller.name")] = inbound ? customerNumber : ext;
    v[QStringLiteral("caller.number")] = inbound ? customerNumber : ext;
    v[QStringLiteral("callee.name")] = inbound ? ext : customerNumber;
    v[QStringLiteral("callee.number")] = inbound ? ext : customerNumber;
    v[QStringLiteral("did.number")] = did;
    v[QStringLiteral("customer.name")] = customerName;
    v[QStringLiteral("customer.number")] = customerNumber;
    v[QStringLiteral("customer.email")] =
        QString(QString(customerName).remove(u' ').toLower() + QLatin1String("@example.net"));
    ctx.setEventTime(anchorTime.toUTC(), between(0, 999));
    return ctx;
}

RenderContext SampleData::agentContext(AgentStage anchor, const QDateTime &anchorTime)
{
    RenderContext ctx;
    fillAgent(&ctx);
    auto &v = ctx.values;
    const int engagement = between(2 * 3600, 9 * 3600);
    const QDateTime login =
        anchor == AgentStage::Login ? anchorTime.toUTC() : anchorTime.toUTC().addSecs(-engagement);
    const int calls = between(5, 60);
    const int talk = qMin(engagement / 2, calls * between(60, 300));
    v[QStringLiteral("core.uuid")] = seededUuid(m_rng);
    v[QStringLiteral("agent.loginAt")] = isoMillis(login);
    v[QStringLiteral("agent.logoutAt")] = isoMillis(login.addSecs(engagement));
    v[QStringLiteral("agent.engagementSeconds")] = engagement;
    v[QStringLiteral("agent.callsHandled")] = calls;
    v[QStringLiteral("agent.talkSeconds")] = talk;
    v[QStringLiteral("agent.breakSeconds")] = between(600, 3600);
    ctx.setEventTime(anchorTime.toUTC(), between(0, 999));
    return ctx;
}

RenderContext SampleData::anyContext(const QDateTime &now)
{
    RenderContext ctx = agentContext(AgentStage::Login, now);
    const RenderContext call = callContext(CallStage::Created, now);
    for (auto it = call.values.cbegin(); it != call.values.cend(); ++it)
        ctx.values.insert(it.key(), it.value());
    return ctx;
}

QDateTime SampleData::callStageTime(const RenderContext &ctx, CallStage stage)
{
    const char *key = "call.startedAt";
    switch (stage) {
    case CallStage::Created:
        break;
    case CallStage::Ringing:
        key = "call.ringingAt";
        break;
    case CallStage::Answered:
        key = "call.answeredAt";
        break;
    case CallStage::Ended:
        key = "call.endedAt";
        break;
    }
    return QDateTime::fromString(ctx.values.value(QLatin1String(key)).toString(),
                                 Qt::ISODateWithMs);
}

QDateTime SampleData::agentStageTime(const RenderContext &ctx, AgentStage stage)
{
    const char *key = stage == AgentStage::Login ? "agent.loginAt" : "agent.logoutAt";
    return QDateTime::fromString(ctx.values.value(QLatin1String(key)).toString(),
                                 Qt::ISODateWithMs);
}
