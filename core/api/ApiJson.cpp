// SPDX-License-Identifier: GPL-3.0-or-later
#include "ApiJson.h"

#include <QJsonArray>

namespace {

// The API speaks English whatever the window's language: its answers are read by scripts and
// written into logs, like the command line's.
QString text(const char *s)
{
    return QString::fromUtf8(s);
}

ApiJson::InputError kindError(const QString &field, const char *kind)
{
    return {422, field, text("The field “%1” must be %2.").arg(field, text(kind))};
}

ApiJson::InputError unknownField(const QString &field, const QStringList &known)
{
    return {
        400, field,
        text("Unknown field “%1”. Known fields: %2.").arg(field, known.join(QLatin1String(", ")))};
}

bool toInt(const QJsonValue &v, int *out)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    if (d != double(qint64(d)) || d < -2147483648.0 || d > 2147483647.0)
        return false;
    *out = int(d);
    return true;
}

bool toStringList(const QJsonValue &v, QStringList *out)
{
    if (!v.isArray())
        return false;
    QStringList list;
    for (const QJsonValue &x : v.toArray()) {
        if (!x.isString())
            return false;
        list << x.toString();
    }
    *out = list;
    return true;
}

bool toIntList(const QJsonValue &v, QList<int> *out)
{
    if (!v.isArray())
        return false;
    QList<int> list;
    for (const QJsonValue &x : v.toArray()) {
        int n = 0;
        if (!toInt(x, &n))
            return false;
        list << n;
    }
    *out = list;
    return true;
}

// Headers as the CLI prints them ([["Name", "value"], …]) or as an object {"Name": "value"}.
bool toHeaders(const QJsonValue &v, QList<HttpHeader> *out)
{
    QList<HttpHeader> list;
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (!it.value().isString())
                return false;
            list << HttpHeader{it.key(), it.value().toString()};
        }
    } else if (v.isArray()) {
        for (const QJsonValue &pair : v.toArray()) {
            const QJsonArray a = pair.toArray();
            if (!pair.isArray() || a.size() != 2 || !a.at(0).isString() || !a.at(1).isString())
                return false;
            list << HttpHeader{a.at(0).toString(), a.at(1).toString()};
        }
    } else {
        return false;
    }
    *out = list;
    return true;
}

} // namespace

namespace ApiJson {

InputError applyEndpoint(const QJsonObject &body, Endpoint *e, bool *secretGiven)
{
    static const QStringList known = {QStringLiteral("url"),
                                      QStringLiteral("name"),
                                      QStringLiteral("description"),
                                      QStringLiteral("enabled"),
                                      QStringLiteral("eventTypes"),
                                      QStringLiteral("allEvents"),
                                      QStringLiteral("format"),
                                      QStringLiteral("headers"),
                                      QStringLiteral("secret"),
                                      QStringLiteral("timeoutMs"),
                                      QStringLiteral("retrySchedule"),
                                      QStringLiteral("maxAttempts"),
                                      QStringLiteral("disableAfterFailures"),
                                      QStringLiteral("verifyTls"),
                                      QStringLiteral("http2Cleartext"),
                                      QStringLiteral("http1Only"),
                                      QStringLiteral("maxInFlight"),
                                      QStringLiteral("ratePerSecond"),
                                      QStringLiteral("rateBurst"),
                                      QStringLiteral("orderKey")};
    // What GET returns and a client may send back unchanged: read-only, ignored.
    static const QStringList readOnly = {
        QStringLiteral("id"),     QStringLiteral("created"),        QStringLiteral("updated"),
        QStringLiteral("signed"), QStringLiteral("disabledReason"), QStringLiteral("secretsError")};
    *secretGiven = false;
    for (auto it = body.begin(); it != body.end(); ++it) {
        const QString &k = it.key();
        const QJsonValue &v = it.value();
        if (readOnly.contains(k))
            continue;
        if (!known.contains(k))
            return unknownField(k, known);
        if (k == QLatin1String("url") || k == QLatin1String("name") ||
            k == QLatin1String("description") || k == QLatin1String("secret") ||
            k == QLatin1String("format") || k == QLatin1String("orderKey")) {
            if (!v.isString())
                return kindError(k, "a string");
            const QString s = v.toString();
            if (k == QLatin1String("url"))
                e->url = s;
            else if (k == QLatin1String("name"))
                e->name = s;
            else if (k == QLatin1String("description"))
                e->description = s;
            else if (k == QLatin1String("orderKey"))
                e->orderKey = s;
            else if (k == QLatin1String("secret")) {
                e->secret = s;
                *secretGiven = true;
            } else if (!payloadFormatFromName(s, &e->format)) {
                return {422, k,
                        text("The field “format” must be json, xml or form, not “%1”.")
                            .arg(quoteForMessage(s))};
            }
        } else if (k == QLatin1String("enabled") || k == QLatin1String("allEvents") ||
                   k == QLatin1String("verifyTls") || k == QLatin1String("http2Cleartext") ||
                   k == QLatin1String("http1Only")) {
            if (!v.isBool())
                return kindError(k, "true or false");
            if (k == QLatin1String("enabled"))
                e->enabled = v.toBool();
            else if (k == QLatin1String("allEvents"))
                e->allEvents = v.toBool();
            else if (k == QLatin1String("verifyTls"))
                e->verifyTls = v.toBool();
            else if (k == QLatin1String("http1Only"))
                e->http1Only = v.toBool();
            else
                e->http2Cleartext = v.toBool();
        } else if (k == QLatin1String("eventTypes")) {
            if (!toStringList(v, &e->eventTypes))
                return kindError(k, "an array of event type ids");
            // An explicit list means these types only; an empty one means every type.
            if (!body.contains(QLatin1String("allEvents")))
                e->allEvents = e->eventTypes.isEmpty();
        } else if (k == QLatin1String("headers")) {
            const QList<HttpHeader> stored = e->headers;
            if (!toHeaders(v, &e->headers))
                return kindError(k, "an array of [name, value] pairs or an object");
            // GET shows values as "[redacted]"; sent back so, a header keeps its stored value.
            for (HttpHeader &h : e->headers) {
                if (h.value != Endpoint::redactedValue())
                    continue;
                for (const HttpHeader &old : stored) {
                    if (old.name.compare(h.name, Qt::CaseInsensitive) == 0)
                        h.value = old.value;
                }
            }
        } else if (k == QLatin1String("ratePerSecond")) {
            if (!v.isDouble())
                return kindError(k, "a number");
            e->ratePerSecond = v.toDouble();
        } else if (k == QLatin1String("retrySchedule")) {
            if (!toIntList(v, &e->retry.scheduleSeconds))
                return kindError(k, "an array of whole seconds");
        } else {
            int n = 0;
            if (!toInt(v, &n))
                return kindError(k, "a whole number");
            if (k == QLatin1String("timeoutMs"))
                e->timeoutMs = n;
            else if (k == QLatin1String("maxAttempts"))
                e->retry.maxAttempts = n;
            else if (k == QLatin1String("maxInFlight"))
                e->maxInFlight = n;
            else if (k == QLatin1String("rateBurst"))
                e->rateBurst = n;
            else
                e->retry.disableAfterFailures = n;
        }
    }
    return {};
}

InputError applyInbox(const QJsonObject &body, InboxConfig *c)
{
    static const QStringList known = {QStringLiteral("status"),
                                      QStringLiteral("body"),
                                      QStringLiteral("contentType"),
                                      QStringLiteral("delayMs"),
                                      QStringLiteral("failRate"),
                                      QStringLiteral("failStatus"),
                                      QStringLiteral("retryAfterSeconds"),
                                      QStringLiteral("drop"),
                                      QStringLiteral("dripMs"),
                                      QStringLiteral("script"),
                                      QStringLiteral("secret"),
                                      QStringLiteral("capacity")};
    static const QStringList readOnly = {QStringLiteral("name"), QStringLiteral("url"),
                                         QStringLiteral("requests"), QStringLiteral("signed")};
    for (auto it = body.begin(); it != body.end(); ++it) {
        const QString &k = it.key();
        const QJsonValue &v = it.value();
        if (readOnly.contains(k))
            continue;
        if (!known.contains(k))
            return unknownField(k, known);
        if (k == QLatin1String("body") || k == QLatin1String("contentType") ||
            k == QLatin1String("secret")) {
            if (!v.isString())
                return kindError(k, "a string");
            if (k == QLatin1String("body"))
                c->body = v.toString().toUtf8();
            else if (k == QLatin1String("contentType"))
                c->contentType = v.toString().toUtf8();
            else
                c->secret = v.toString();
        } else if (k == QLatin1String("drop")) {
            if (!v.isBool())
                return kindError(k, "true or false");
            c->closeWithoutAnswer = v.toBool();
        } else if (k == QLatin1String("failRate")) {
            if (!v.isDouble())
                return kindError(k, "a number from 0 to 1");
            c->failRate = v.toDouble();
        } else if (k == QLatin1String("script")) {
            if (!toIntList(v, &c->script))
                return kindError(k, "an array of statuses");
        } else {
            int n = 0;
            if (!toInt(v, &n))
                return kindError(k, "a whole number");
            if (k == QLatin1String("status"))
                c->status = n;
            else if (k == QLatin1String("delayMs"))
                c->delayMs = n;
            else if (k == QLatin1String("failStatus"))
                c->failStatus = n;
            else if (k == QLatin1String("retryAfterSeconds"))
                c->retryAfterSeconds = n;
            else if (k == QLatin1String("dripMs"))
                c->dripIntervalMs = n;
            else
                c->capacity = n;
        }
    }
    return {};
}

QJsonObject inboxToJson(const InboxConfig &c)
{
    QJsonArray script;
    for (int s : c.script)
        script.append(s);
    return {
        {QStringLiteral("name"), c.name},
        {QStringLiteral("status"), c.status},
        {QStringLiteral("body"), QString::fromUtf8(c.body)},
        {QStringLiteral("contentType"), QString::fromUtf8(c.contentType)},
        {QStringLiteral("delayMs"), c.delayMs},
        {QStringLiteral("failRate"), c.failRate},
        {QStringLiteral("failStatus"), c.failStatus},
        {QStringLiteral("retryAfterSeconds"), c.retryAfterSeconds},
        {QStringLiteral("drop"), c.closeWithoutAnswer},
        {QStringLiteral("dripMs"), c.dripIntervalMs},
        {QStringLiteral("script"), script},
        {QStringLiteral("signed"), !c.secret.isEmpty()},
        {QStringLiteral("capacity"), c.capacity},
    };
}

QJsonObject capturedToJson(const CapturedRequest &r)
{
    QJsonArray headers;
    for (const auto &h : r.headers)
        headers.append(QJsonArray{QString::fromLatin1(h.first), QString::fromUtf8(h.second)});
    return {
        {QStringLiteral("sequence"), r.sequence},
        {QStringLiteral("received"), r.received.toString(Qt::ISODateWithMs)},
        {QStringLiteral("inbox"), r.inbox},
        {QStringLiteral("method"), QString::fromLatin1(r.method)},
        {QStringLiteral("target"), QString::fromUtf8(r.target)},
        {QStringLiteral("remote"), r.remoteAddress},
        {QStringLiteral("headers"), headers},
        {QStringLiteral("bodySize"), r.bodySize},
        {QStringLiteral("body"), QString::fromUtf8(r.body)},
        {QStringLiteral("signature"), signatureVerdictName(r.signature.verdict)},
        {QStringLiteral("signatureReason"), r.signature.reason},
        {QStringLiteral("status"), r.responseStatus},
        {QStringLiteral("note"), r.note},
    };
}

QString position(const QByteArray &body, int offset)
{
    int line = 1;
    int column = 1;
    for (int i = 0; i < offset && i < body.size(); ++i) {
        if (body.at(i) == '\n') {
            ++line;
            column = 1;
        } else if ((static_cast<unsigned char>(body.at(i)) & 0xC0) != 0x80) {
            ++column; // count characters, not UTF-8 continuation bytes
        }
    }
    return text("line %1, column %2").arg(line).arg(column);
}

} // namespace ApiJson
