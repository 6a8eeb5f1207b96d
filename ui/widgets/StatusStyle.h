// How a delivery outcome looks: a short text ("200", "timeout") and a colour by class
// (2xx green, 3xx/4xx amber, 5xx and network errors red, pending grey), chosen to stay
// readable on light and dark palettes. Text always accompanies the colour.
#pragma once

#include "domain/Delivery.h"

#include <QColor>
#include <QPalette>
#include <QString>

namespace StatusStyle {

QString outcomeText(int status, ErrorClass error);
QColor outcomeColor(int status, ErrorClass error, const QPalette &palette);
QColor stateColor(DeliveryState state, const QPalette &palette);
QString stateText(DeliveryState state);

} // namespace StatusStyle
