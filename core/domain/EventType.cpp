// SPDX-License-Identifier: GPL-3.0-or-later
#include "EventType.h"

#include "EndpointValidation.h"

#include <QCoreApplication>
#include <QRegularExpression>

QString validateEventTypeId(const QString &id)
{
    static const QRegularExpression re(QStringLiteral("^[a-z0-9_-]+(\\.[a-z0-9_-]+)*$"));
    if (id.isEmpty())
        return QCoreApplication::translate("EventType",
                                           "Give the event type an id such as call.transferred.");
    if (id.size() > 100 || !re.match(id).hasMatch())
        return QCoreApplication::translate(
                   "EventType",
                   "The event type id %1 is not valid. Use lower-case words of "
                   "letters, digits, '-' or '_', joined by dots, like call.transferred.")
            .arg(quoteForMessage(id));
    return {};
}
