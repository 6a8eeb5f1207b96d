#include "StatusStyle.h"

#include <QCoreApplication>

namespace {

bool isDark(const QPalette &p)
{
    return p.color(QPalette::Base).lightness() < 128;
}

QColor pick(const QPalette &p, const char *light, const char *dark)
{
    return QColor(QLatin1String(isDark(p) ? dark : light));
}

} // namespace

namespace StatusStyle {

QString outcomeText(int status, ErrorClass error)
{
    if (status > 0 && error != ErrorClass::Timeout)
        return QString::number(status);
    if (error == ErrorClass::None)
        return QStringLiteral("\u2014"); // not attempted yet
    return errorClassName(error);
}

QColor outcomeColor(int status, ErrorClass error, const QPalette &palette)
{
    if (status >= 200 && status < 300 && error == ErrorClass::None)
        return pick(palette, "#1b7f3b", "#5fd38d");
    if (status >= 300 && status < 500 && error != ErrorClass::Timeout)
        return pick(palette, "#a15c00", "#f0b45a");
    if (status == 0 && error == ErrorClass::None)
        return palette.color(QPalette::PlaceholderText);
    return pick(palette, "#b3261e", "#ff8a80");
}

QColor stateColor(DeliveryState state, const QPalette &palette)
{
    switch (state) {
    case DeliveryState::Succeeded:
        return pick(palette, "#1b7f3b", "#5fd38d");
    case DeliveryState::Retrying:
        return pick(palette, "#a15c00", "#f0b45a");
    case DeliveryState::Failed:
        return pick(palette, "#b3261e", "#ff8a80");
    case DeliveryState::Pending:
    case DeliveryState::InFlight:
    case DeliveryState::Cancelled:
        break;
    }
    return palette.color(QPalette::PlaceholderText);
}

QString stateText(DeliveryState state)
{
    switch (state) {
    case DeliveryState::Pending:
        return QCoreApplication::translate("StatusStyle", "pending");
    case DeliveryState::InFlight:
        return QCoreApplication::translate("StatusStyle", "in flight");
    case DeliveryState::Succeeded:
        return QCoreApplication::translate("StatusStyle", "succeeded");
    case DeliveryState::Retrying:
        return QCoreApplication::translate("StatusStyle", "retrying");
    case DeliveryState::Failed:
        return QCoreApplication::translate("StatusStyle", "failed");
    case DeliveryState::Cancelled:
        return QCoreApplication::translate("StatusStyle", "cancelled");
    }
    return {};
}

} // namespace StatusStyle
