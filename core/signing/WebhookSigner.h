// SPDX-License-Identifier: GPL-3.0-or-later
// Standard Webhooks signing (https://www.standardwebhooks.com): the sender adds webhook-id,
// webhook-timestamp and webhook-signature = "v1,<base64 HMAC-SHA256(id.timestamp.body)>",
// several space-separated while a secret is rotated; the receiver recomputes and compares in
// constant time within a timestamp tolerance. Secrets are "whsec_" + base64 of random bytes.
// Never log a secret or a computed signature's key material.
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QString>
#include <QStringList>

struct SignatureHeaders
{
    QByteArray id;
    QByteArray timestamp;
    QByteArray signature;
};

// Unchecked: the request is signed but no secret is configured to check it against.
enum class SignatureVerdict {
    Valid,
    Invalid,
    Missing,
    TimestampOutOfTolerance,
    Malformed,
    Unchecked
};

struct VerificationResult
{
    SignatureVerdict verdict = SignatureVerdict::Missing;
    QString reason; // a sentence for the person reading the receiver's log
    bool valid() const { return verdict == SignatureVerdict::Valid; }
};

QString signatureVerdictName(SignatureVerdict verdict);

class WebhookSigner
{
public:
    static constexpr qint64 kDefaultToleranceSeconds = 5 * 60;

    // A new "whsec_…" secret from the operating system's CSPRNG (32 bytes by default).
    static QString generateSecret(int bytes = 32);
    // The raw key bytes of a whsec_ secret (also accepts bare base64); empty if undecodable.
    static QByteArray secretKey(const QString &secret);
    // "msg_" + 27 URL-safe random characters; stable for a delivery across retries.
    static QString generateMessageId();

    // The base64 signature of id.timestamp.body with one secret (without the "v1," prefix).
    static QByteArray computeSignature(const QString &secret, const QByteArray &id,
                                       qint64 timestamp, const QByteArray &body);
    // Headers signed with every secret in `secrets` (current first), space-separated.
    static SignatureHeaders sign(const QStringList &secrets, const QByteArray &id, qint64 timestamp,
                                 const QByteArray &body);

    // Verifies the three headers against any of `secrets` at time `now` (Unix seconds).
    static VerificationResult verify(const QStringList &secrets, const QByteArray &id,
                                     const QByteArray &timestamp, const QByteArray &signature,
                                     const QByteArray &body, qint64 now,
                                     qint64 toleranceSeconds = kDefaultToleranceSeconds);

    static bool constantTimeEquals(const QByteArray &a, const QByteArray &b);
};
