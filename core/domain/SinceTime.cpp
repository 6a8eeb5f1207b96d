// SPDX-License-Identifier: GPL-3.0-or-later
#include "SinceTime.h"

#include <QRegularExpression>

std::optional<QDateTime> parseSince(const QString &text, const QDateTime &now)
{
    const QString t = text.trimmed();
    if (t.isEmpty())
        return std::nullopt;
    static const QRegularExpression span(QStringLiteral("^(?:(\\d{1,6})([smhdw]))+$"));
    if (span.match(t).hasMatch()) {
        static const QRegularExpression part(QStringLiteral("(\\d{1,6})([smhdw])"));
        qint64 seconds = 0;
        for (const QRegularExpressionMatch &m : part.globalMatch(t)) {
            const qint64 n = m.captured(1).toLongLong();
            switch (m.captured(2).at(0).toLatin1()) {
            case 's':
                seconds += n;
                break;
            case 'm':
                seconds += n * 60;
                break;
            case 'h':
                seconds += n * 3600;
                break;
            case 'd':
                seconds += n * 86400;
                break;
            default:
                seconds += n * 7 * 86400;
                break; // 'w'
            }
        }
        // Ten years back is as far as a span goes.
        if (seconds > qint64(3650) * 86400)
            return std::nullopt;
        return now.addSecs(-seconds);
    }
    QDateTime when = QDateTime::fromString(t, Qt::ISODateWithMs);
    if (!when.isValid()) {
        const QDate day = QDate::fromString(t, Qt::ISODate);
        if (day.isValid())
            when = day.startOfDay();
    }
    if (!when.isValid() || when > now)
        return std::nullopt;
    return when.toUTC();
}
