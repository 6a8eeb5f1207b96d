// SPDX-License-Identifier: GPL-3.0-or-later
// A kind of event the platform can notify about (call.ringing, agent.login, …) and the
// payload template Hookline renders for it. Event ids and templates are data, never an enum:
// the vendor's format is beta, so an admin can edit built-ins and add custom types.
#pragma once

#include <QString>

struct EventType
{
    QString id;          // "call.ringing"; lower-case dotted
    QString displayName; // "Call Ringing"
    QString description; // when it fires, what the body tells
    QString payloadTemplate;
    bool builtIn = false;

    friend bool operator==(const EventType &a, const EventType &b)
    {
        return a.id == b.id && a.displayName == b.displayName && a.description == b.description &&
               a.payloadTemplate == b.payloadTemplate && a.builtIn == b.builtIn;
    }
};

// Refuses ids that are empty, too long, or not of the form "word(.word)*" with letters,
// digits, '-' and '_'. Returns an actionable message or empty.
QString validateEventTypeId(const QString &id);
