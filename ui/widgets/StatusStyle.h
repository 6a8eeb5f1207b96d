// SPDX-License-Identifier: GPL-3.0-or-later
// How a delivery outcome looks: a short text ("200", "timeout") and a colour by class
// (2xx green, 3xx/4xx amber, 5xx and network errors red, pending grey), chosen to stay
// readable on light and dark palettes, and an icon whose shape tells the same (tick, cross,
// triangle, clock...). Colour is never the only carrier: text and shape always come with it.
#pragma once

#include "domain/Delivery.h"
#include "signing/WebhookSigner.h"

#include <QColor>
#include <QIcon>
#include <QPalette>
#include <QString>

namespace StatusStyle {

QString outcomeText(int status, ErrorClass error);
QColor outcomeColor(int status, ErrorClass error, const QPalette &palette);
QColor stateColor(DeliveryState state, const QPalette &palette);
QString stateText(DeliveryState state);
QString errorText(ErrorClass error);
QString triggerText(AttemptTrigger trigger); // "scheduled", "manual", "test" // "timeout",
                                             // "refused"... in the interface's language
QIcon outcomeIcon(int status, ErrorClass error);
QIcon stateIcon(DeliveryState state);
QIcon endpointIcon(bool enabled);
// A receiver's verdict on a request's signature: text, icon and colour.
QString verdictText(SignatureVerdict verdict);
QIcon verdictIcon(SignatureVerdict verdict);
QColor verdictColor(SignatureVerdict verdict,
                    const QPalette &palette); // a pause sign when disabled, nothing when enabled

} // namespace StatusStyle
