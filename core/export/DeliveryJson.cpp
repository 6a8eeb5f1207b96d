// SPDX-License-Identifier: GPL-3.0-or-later
#include "DeliveryJson.h"

#include <QJsonArray>
#include <QStringDecoder>

namespace {

QJsonValue time(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(t.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue();
}

// Custom header values are shown only where the secret is (just after it was set).
QJsonArray headers(const QList<HttpHeader> &list, bool withValues = true)
{
    QJsonArray a;
    for (const HttpHeader &h : list)
        a.append(QJsonArray{h.name, withValues ? h.value : Endpoint::redactedValue()});
    return a;
}

void putBody(QJsonObject &o, const QString &key, const QByteArray &body)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder(body);
    if (!decoder.hasError())
        o.insert(key, text);
    else
        o.insert(key + QLatin1String("Base64"), QString::fromLatin1(body.toBase64()));
}

} // namespace

QJsonObject attemptToJson(const Attempt &a)
{
    QJsonObject o{
        {QStringLiteral("number"), a.number},
        {QStringLiteral("trigger"), attemptTriggerName(a.trigger)},
        {QStringLiteral("started"), time(a.started)},
        {QStringLiteral("durationMs"), a.durationMs},
        {QStringLiteral("requestUrl"), a.requestUrl},
        {QStringLiteral("requestHeaders"), headers(a.requestHeaders)},
        {QStringLiteral("responseStatus"), a.responseStatus},
        {QStringLiteral("responseReason"), a.responseReason},
        {QStringLiteral("responseHeaders"), headers(a.responseHeaders)},
        {QStringLiteral("responseBodySize"), a.responseBodySize},
        {QStringLiteral("errorClass"), errorClassName(a.errorClass)},
        {QStringLiteral("errorText"), a.error.text()},
        {QStringLiteral("protocol"), a.protocol},
    };
    putBody(o, QStringLiteral("requestBody"), a.requestBody);
    putBody(o, QStringLiteral("responseBody"), a.responseBody);
    return o;
}

QJsonObject deliveryToJson(const Delivery &d)
{
    QJsonArray attempts;
    for (const Attempt &a : d.attempts)
        attempts.append(attemptToJson(a));
    return QJsonObject{
        {QStringLiteral("id"), d.id},
        {QStringLiteral("eventId"), d.eventId},
        {QStringLiteral("eventType"), d.eventType},
        {QStringLiteral("endpointId"), d.endpointId},
        {QStringLiteral("webhookId"), d.webhookId},
        {QStringLiteral("state"), deliveryStateName(d.state)},
        {QStringLiteral("attemptCount"), d.attemptCount},
        {QStringLiteral("created"), time(d.created)},
        {QStringLiteral("updated"), time(d.updated)},
        {QStringLiteral("nextAttempt"), time(d.nextAttempt)},
        {QStringLiteral("lastStatus"), d.lastStatus},
        {QStringLiteral("lastError"), errorClassName(d.lastError)},
        {QStringLiteral("lastDurationMs"), d.lastDurationMs},
        {QStringLiteral("orderKey"), d.orderKey},
        {QStringLiteral("attempts"), attempts},
    };
}

QJsonObject endpointToJson(const Endpoint &e, bool includeSecrets)
{
    QJsonArray schedule;
    for (int s : e.retry.scheduleSeconds)
        schedule.append(s);
    QJsonObject o{
        {QStringLiteral("id"), e.id},
        {QStringLiteral("name"), e.name},
        {QStringLiteral("url"), e.url},
        {QStringLiteral("description"), e.description},
        {QStringLiteral("enabled"), e.enabled},
        {QStringLiteral("disabledReason"), e.disabledReason},
        {QStringLiteral("allEvents"), e.allEvents},
        {QStringLiteral("eventTypes"), QJsonArray::fromStringList(e.eventTypes)},
        {QStringLiteral("format"), payloadFormatName(e.format)},
        {QStringLiteral("headers"), headers(e.headers, includeSecrets)},
        {QStringLiteral("signed"), !e.secret.isEmpty()},
        {QStringLiteral("timeoutMs"), e.timeoutMs},
        {QStringLiteral("retrySchedule"), schedule},
        {QStringLiteral("maxAttempts"), e.retry.maxAttempts},
        {QStringLiteral("disableAfterFailures"), e.retry.disableAfterFailures},
        {QStringLiteral("verifyTls"), e.verifyTls},
        {QStringLiteral("http2Cleartext"), e.http2Cleartext},
        {QStringLiteral("http1Only"), e.http1Only},
        {QStringLiteral("maxInFlight"), e.maxInFlight},
        {QStringLiteral("ratePerSecond"), e.ratePerSecond},
        {QStringLiteral("rateBurst"), e.rateBurst},
        {QStringLiteral("orderKey"), e.orderKey},
        {QStringLiteral("created"), time(e.created)},
        {QStringLiteral("updated"), time(e.updated)},
    };
    if (includeSecrets)
        o.insert(QStringLiteral("secret"), e.secret);
    if (!e.secretsError.isEmpty())
        o.insert(QStringLiteral("secretsError"), e.secretsError);
    return o;
}

namespace {
QJsonValue latencyValue(double ms)
{
    return ms < 0 ? QJsonValue() : QJsonValue(qRound64(ms * 10) / 10.0);
}

QJsonObject countsToJson(const ActivityCounts &c)
{
    return QJsonObject{
        {QStringLiteral("attempts"), c.attempts},
        {QStringLiteral("succeeded"), c.succeeded},
        {QStringLiteral("retrying"), c.retrying},
        {QStringLiteral("failed"), c.failed},
        {QStringLiteral("successRate"),
         c.attempts > 0 ? QJsonValue(qRound64(c.successRate() * 10000) / 10000.0) : QJsonValue()},
        {QStringLiteral("latencyMs"),
         QJsonObject{{QStringLiteral("mean"), latencyValue(c.meanMs())},
                     {QStringLiteral("p50"), latencyValue(c.percentileMs(0.50))},
                     {QStringLiteral("p95"), latencyValue(c.percentileMs(0.95))},
                     {QStringLiteral("p99"), latencyValue(c.percentileMs(0.99))}}},
    };
}
} // namespace

QJsonObject activityToJson(const EndpointActivity &activity, const QString &endpointName)
{
    QJsonObject o = countsToJson(activity.total);
    o.insert(QStringLiteral("endpointId"), activity.endpointId);
    o.insert(QStringLiteral("name"), endpointName);
    o.insert(QStringLiteral("from"), activity.from.toString(Qt::ISODate));
    o.insert(QStringLiteral("to"), activity.to.toString(Qt::ISODate));
    if (activity.binMinutes > 0) {
        QJsonArray bins;
        for (const ActivityBin &bin : activity.bins) {
            QJsonObject s = countsToJson(bin.counts);
            s.insert(QStringLiteral("start"), bin.start.toString(Qt::ISODate));
            bins.append(s);
        }
        o.insert(QStringLiteral("binMinutes"), activity.binMinutes);
        o.insert(QStringLiteral("bins"), bins);
    }
    return o;
}
