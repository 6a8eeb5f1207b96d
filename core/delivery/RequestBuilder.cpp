// SPDX-License-Identifier: GPL-3.0-or-later
#include "RequestBuilder.h"

#include "HooklineVersion.h"
#include "encoding/PayloadEncoder.h"
#include "signing/WebhookSigner.h"

QByteArray hooklineUserAgent()
{
    return QByteArrayLiteral("Hookline/" HOOKLINE_VERSION);
}

RequestTemplate requestTemplate(const Endpoint &endpoint)
{
    RequestTemplate t;
    t.url = QUrl(endpoint.url, QUrl::StrictMode);
    t.headers.reserve(endpoint.headers.size() + 6);
    t.headers.append({QStringLiteral("Content-Type"),
                      QString::fromLatin1(PayloadEncoder::contentType(endpoint.format))});
    t.headers.append({QStringLiteral("User-Agent"), QString::fromLatin1(hooklineUserAgent())});
    // Ask for an uncompressed answer: the body is capped as read, and a compressed one could
    // expand far past what we meant to hold.
    t.headers.append({QStringLiteral("Accept-Encoding"), QStringLiteral("identity")});
    for (const HttpHeader &h : endpoint.headers) {
        if (h.name.compare(QLatin1String("content-type"), Qt::CaseInsensitive) == 0) {
            t.headers[0] = h;
            continue;
        }
        if (h.name.compare(QLatin1String("user-agent"), Qt::CaseInsensitive) == 0) {
            t.headers[1] = h;
            continue;
        }
        t.headers.append(h);
    }
    return t;
}

OutgoingRequest buildRequest(const Endpoint &endpoint, const Delivery &delivery,
                             const QByteArray &payloadJson, const QDateTime &now)
{
    return buildRequest(requestTemplate(endpoint), endpoint, delivery, payloadJson, now);
}

OutgoingRequest buildRequest(const RequestTemplate &shared, const Endpoint &endpoint,
                             const Delivery &delivery, const QByteArray &payloadJson,
                             const QDateTime &now)
{
    OutgoingRequest out;
    out.url = shared.url;
    if (!endpoint.secretsError.isEmpty()) { // never send unsigned or without its API key
        out.error = endpoint.secretsError;
        return out;
    }
    const EncodedPayload encoded = PayloadEncoder::encode(payloadJson, endpoint.format);
    if (!encoded.ok()) {
        out.error = encoded.error;
        return out;
    }
    out.body = encoded.body;
    out.headers = shared.headers;
    const QByteArray id = delivery.webhookId.toLatin1();
    const qint64 timestamp = now.toSecsSinceEpoch();
    out.headers.append({QStringLiteral("webhook-id"), delivery.webhookId});
    out.headers.append({QStringLiteral("webhook-timestamp"), QString::number(timestamp)});
    const QStringList secrets = endpoint.signingSecrets(now);
    if (!secrets.isEmpty()) {
        const SignatureHeaders sig = WebhookSigner::sign(secrets, id, timestamp, out.body);
        out.headers.append(
            {QStringLiteral("webhook-signature"), QString::fromLatin1(sig.signature)});
    }
    return out;
}
