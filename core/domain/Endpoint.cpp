// SPDX-License-Identifier: GPL-3.0-or-later
#include "Endpoint.h"

#include <cmath>

QString payloadFormatName(PayloadFormat format)
{
    switch (format) {
    case PayloadFormat::Json:
        return QStringLiteral("json");
    case PayloadFormat::Xml:
        return QStringLiteral("xml");
    case PayloadFormat::Form:
        return QStringLiteral("form");
    }
    return QStringLiteral("json");
}

bool payloadFormatFromName(const QString &name, PayloadFormat *format)
{
    const QString n = name.trimmed().toLower();
    PayloadFormat f;
    if (n == QLatin1String("json"))
        f = PayloadFormat::Json;
    else if (n == QLatin1String("xml"))
        f = PayloadFormat::Xml;
    else if (n == QLatin1String("form"))
        f = PayloadFormat::Form;
    else
        return false;
    if (format)
        *format = f;
    return true;
}

QStringList Endpoint::signingSecrets(const QDateTime &now) const
{
    QStringList out;
    if (!secret.isEmpty())
        out << secret;
    if (!previousSecret.isEmpty() && previousSecretExpires.isValid() && now < previousSecretExpires)
        out << previousSecret;
    return out;
}

int Endpoint::effectiveBurst() const
{
    if (rateBurst > 0)
        return rateBurst;
    return qMax(1, int(std::ceil(ratePerSecond)));
}

bool operator==(const Endpoint &a, const Endpoint &b)
{
    return a.id == b.id && a.name == b.name && a.url == b.url && a.description == b.description &&
           a.enabled == b.enabled && a.disabledReason == b.disabledReason &&
           a.allEvents == b.allEvents && a.eventTypes == b.eventTypes && a.format == b.format &&
           a.headers == b.headers && a.secret == b.secret && a.previousSecret == b.previousSecret &&
           a.previousSecretExpires == b.previousSecretExpires && a.timeoutMs == b.timeoutMs &&
           a.retry == b.retry && a.verifyTls == b.verifyTls &&
           a.http2Cleartext == b.http2Cleartext && a.http1Only == b.http1Only &&
           a.maxInFlight == b.maxInFlight && a.ratePerSecond == b.ratePerSecond &&
           a.rateBurst == b.rateBurst && a.orderKey == b.orderKey && a.created == b.created &&
           a.updated == b.updated && a.version == b.version;
}
