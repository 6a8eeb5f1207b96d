// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer harness: Standard Webhooks signature verification (the receiver's check of
// incoming requests), with the id, timestamp, signature header and body cut from the input.
// Invariants: it never accepts a signature it did not compute, and always accepts the one it
// signs itself.
#include "FuzzCommon.h"
#include "signing/WebhookSigner.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QString secret = QStringLiteral("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    const QByteArray in(reinterpret_cast<const char *>(data), qsizetype(size));
    const QList<QByteArray> parts = in.split('\n');
    const QByteArray id = parts.value(0);
    const QByteArray timestamp = parts.value(1);
    const QByteArray signature = parts.value(2);
    const QByteArray body = parts.size() > 3
                                ? in.mid(id.size() + timestamp.size() + signature.size() + 3)
                                : QByteArray();
    const qint64 now = 1700000000;
    const VerificationResult r =
        WebhookSigner::verify({secret}, id, timestamp, signature, body, now);
    if (r.valid()) {
        bool ok = false;
        const qint64 ts = timestamp.toLongLong(&ok);
        const QByteArray expected = "v1," + WebhookSigner::computeSignature(secret, id, ts, body);
        if (!ok || !signature.split(' ').contains(expected))
            std::abort();
    }
    const SignatureHeaders own = WebhookSigner::sign({secret}, id, now, body);
    bool plainId = !id.isEmpty() && id.size() <= 64;
    for (const char c : id)
        plainId = plainId && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
    if (plainId &&
        !WebhookSigner::verify({secret}, id, QByteArray::number(now), own.signature, body, now)
             .valid())
        std::abort();
    return 0;
}
