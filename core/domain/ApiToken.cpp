// SPDX-License-Identifier: GPL-3.0-or-later
#include "ApiToken.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QRandomGenerator>

namespace {
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(ApiToken)
};
} // namespace

namespace ApiTokens {

QString generate()
{
    quint32 words[8];
    QRandomGenerator::system()->fillRange(words); // the OS's CSPRNG (getrandom)
    const QByteArray bytes(reinterpret_cast<const char *>(words), sizeof(words));
    return QLatin1String(kPrefix) +
           QString::fromLatin1(
               bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QByteArray hash(const QString &token)
{
    return QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256);
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

QString validateName(const QString &name)
{
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty() || trimmed.size() > 64)
        return Tr::tr("A token needs a name of 1 to 64 characters (who or what uses it), not "
                      "“%1”.")
            .arg(name.left(80));
    for (const QChar c : trimmed) {
        if (c.category() == QChar::Other_Control)
            return Tr::tr("The token name “%1” contains a control character.").arg(name.left(80));
    }
    return {};
}

} // namespace ApiTokens
