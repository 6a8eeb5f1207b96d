// SPDX-License-Identifier: GPL-3.0-or-later
#include "Ids.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QUuid>

namespace Ids {

QString newTimeOrdered()
{
    return newTimeOrdered(QDateTime::currentMSecsSinceEpoch());
}

QString newTimeOrdered(qint64 unixMillis)
{
    quint8 b[16];
    const quint64 ms = quint64(unixMillis) & 0xFFFFFFFFFFFFull;
    for (int i = 0; i < 6; ++i)
        b[i] = quint8(ms >> (8 * (5 - i)));
    quint32 r[3];
    QRandomGenerator::system()->fillRange(r);
    for (int i = 0; i < 10; ++i)
        b[6 + i] = quint8(r[i / 4] >> (8 * (i % 4)));
    b[6] = quint8((b[6] & 0x0f) | 0x70); // version 7
    b[8] = quint8((b[8] & 0x3f) | 0x80); // RFC 4122/9562 variant
    return QUuid::fromRfc4122(QByteArrayView(b, 16)).toString(QUuid::WithoutBraces);
}

} // namespace Ids
