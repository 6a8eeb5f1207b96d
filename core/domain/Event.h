// SPDX-License-Identifier: GPL-3.0-or-later
// One occurrence of an event type with its rendered payload. Deliveries to each subscribed
// endpoint refer to it; the payload is kept as rendered (canonical JSON text) and encoded per
// endpoint format at send time.
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QString>

enum class EventOrigin { Test, Scenario, Api, Replay };

QString eventOriginName(EventOrigin origin);
bool eventOriginFromName(const QString &name, EventOrigin *origin);

struct Event
{
    QString id;         // UUID without braces
    QString type;       // EventType::id
    QByteArray payload; // JSON text as rendered
    QDateTime created;
    EventOrigin origin = EventOrigin::Test;
    QString scenarioId; // shared by the events of one rendered scenario, else empty
};
