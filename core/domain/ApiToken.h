// SPDX-License-Identifier: GPL-3.0-or-later
// Who may call the admin API: a named token, read-only or read-write. The token itself
// (hl_ + 256 random bits from the OS's CSPRNG, base64url) is shown once at creation; only its
// SHA-256 is stored, and a request's token is found by that hash and compared in constant
// time. Plus the record that makes a retried publish safe (an Idempotency-Key's first answer).
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QString>

struct ApiToken
{
    QString id; // short, printable, not secret (tokens list, tokens revoke ID)
    QString name;
    bool readOnly = false;
    QDateTime created;
    QDateTime lastUsed; // invalid: never
};

namespace ApiTokens {
constexpr const char *kPrefix = "hl_";
// A new secret token: "hl_" + 43 base64url characters.
QString generate();
QByteArray hash(const QString &token);
// Equal in time independent of where they differ.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);
// "" or why a name a person typed will not do.
QString validateName(const QString &name);
} // namespace ApiTokens

struct IdempotencyRecord
{
    QString tokenId;
    QString key;
    QByteArray requestHash; // SHA-256 of method, path and body
    int status = 0;
    QByteArray response; // the first answer's body
    QDateTime created;
};
