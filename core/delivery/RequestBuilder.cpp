#include "RequestBuilder.h"

#include "HooklineVersion.h"
#include "encoding/PayloadEncoder.h"
#include "signing/WebhookSigner.h"

QByteArray hooklineUserAgent()
{
    return QByteArrayLiteral("Hookline/" HOOKLINE_VERSION);
}

OutgoingRequest buildRequest(const Endpoint &endpoint, const Delivery &delivery,
                             const QByteArray &payloadJson, const QDateTime &now)
{
    OutgoingRequest out;
    out.url = QUrl(endpoint.url, QUrl::StrictMode);
    const EncodedPayload encoded = PayloadEncoder::encode(payloadJson, endpoint.format);
    if (!encoded.ok()) {
        out.error = encoded.error;
        return out;
    }
    out.body = encoded.body;
    out.headers.append({QStringLiteral("Content-Type"), QString::fromLatin1(encoded.contentType)});
    out.headers.append({QStringLiteral("User-Agent"), QString::fromLatin1(hooklineUserAgent())});
    // Ask for an uncompressed answer: the body is capped as read, and a compressed one could
    // expand far past what we meant to hold.
    out.headers.append({QStringLiteral("Accept-Encoding"), QStringLiteral("identity")});
    for (const HttpHeader &h : endpoint.headers) {
        if (h.name.compare(QLatin1String("content-type"), Qt::CaseInsensitive) == 0) {
            out.headers[0] = h;
            continue;
        }
        if (h.name.compare(QLatin1String("user-agent"), Qt::CaseInsensitive) == 0) {
            out.headers[1] = h;
            continue;
        }
        out.headers.append(h);
    }
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
