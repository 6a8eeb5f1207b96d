// SPDX-License-Identifier: GPL-3.0-or-later
#include "Inbox.h"

#include <QCoreApplication>
#include <QRegularExpression>

#include "EndpointValidation.h"

namespace {
// The receiver's wording, under its translation context.
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(ReceiverServer)
};
} // namespace

QByteArray CapturedRequest::header(const QByteArray &name) const
{
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return {};
}

QString validateInboxConfig(const InboxConfig &c)
{
    static const QRegularExpression nameRe(QStringLiteral("^[A-Za-z0-9_-]{1,64}$"));
    if (!nameRe.match(c.name).hasMatch())
        return Tr::tr("The inbox name “%1” is not valid: use 1 to 64 letters, digits, '-' "
                      "or '_' (it becomes part of the URL).")
            .arg(c.name.left(80));
    if (c.status < 200 || c.status > 599)
        return Tr::tr("The response status %1 is out of range; use 200 to 599.").arg(c.status);
    if (c.failStatus < 200 || c.failStatus > 599)
        return Tr::tr("The failure status %1 is out of range; use 200 to 599.").arg(c.failStatus);
    if (!(c.failRate >= 0.0 && c.failRate <= 1.0)) // NaN too
        return Tr::tr("The failure rate %1 is out of range; use 0 (never) to 1 (always).")
            .arg(c.failRate);
    if (c.delayMs < 0 || c.delayMs > 600000)
        return Tr::tr("The delay %1 ms is out of range; use 0 to 600000 ms.").arg(c.delayMs);
    if (c.dripIntervalMs < 0 || c.dripIntervalMs > 60000)
        return Tr::tr("The drip interval %1 ms is out of range; use 0 to 60000 ms.")
            .arg(c.dripIntervalMs);
    if (c.retryAfterSeconds < 0)
        return Tr::tr("Retry-After must be 0 (none) or a number of seconds.");
    if (c.capacity < 1 || c.capacity > 100000)
        return Tr::tr("The inbox keeps 1 to 100000 requests; %1 is out of range.").arg(c.capacity);
    for (int s : c.script) {
        if (s != 0 && (s < 200 || s > 599))
            return Tr::tr("The scripted status %1 is out of range; use 200 to 599, or 0 to drop "
                          "the connection.")
                .arg(s);
    }
    for (const auto &h : c.headers) {
        if (h.first.isEmpty() || h.first.contains(':') || h.first.contains('\r') ||
            h.first.contains('\n') || h.second.contains('\r') || h.second.contains('\n'))
            return Tr::tr("The response header “%1” is not a valid header line.")
                .arg(QString::fromUtf8(h.first + ": " + h.second).left(80));
    }
    static const QRegularExpression typeRe(
        QStringLiteral("^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+( *;[ -~]*)?$"));
    if (!typeRe.match(QString::fromUtf8(c.contentType)).hasMatch())
        return Tr::tr("The content type “%1” is not a media type such as application/json or "
                      "text/plain; charset=utf-8.")
            .arg(QString::fromUtf8(c.contentType).left(80));
    if (c.body.size() > kMaxInboxBodyBytes)
        return Tr::tr("The answer body is %1 bytes; an inbox answers at most %2.")
            .arg(c.body.size())
            .arg(kMaxInboxBodyBytes);
    if (const QString why = validateSecret(c.secret); !why.isEmpty())
        return why; // the rule endpoints follow: whsec_ and 24 to 64 bytes
    return {};
}
