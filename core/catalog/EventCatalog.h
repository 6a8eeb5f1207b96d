// SPDX-License-Identifier: GPL-3.0-or-later
// The event types Hookline can send: the six built-ins of EVENTS.md (templates shipped in
// resources/templates) plus admin-defined custom types, and how to render any of them into
// a payload. The catalog is a value; the store persists it. No network, no widgets.
#pragma once

#include "RenderContext.h"
#include "TemplateRenderer.h"
#include "domain/EventType.h"

#include <QList>
#include <QString>

struct RenderedEvent
{
    QString type;
    QByteArray payload;
    QDateTime time;
};

struct ScenarioResult
{
    QList<RenderedEvent> events;
    QString error;
    bool ok() const { return error.isEmpty(); }
};

class EventCatalog
{
public:
    EventCatalog(); // the built-ins
    explicit EventCatalog(const QList<EventType> &types);

    static QList<EventType> builtInTypes();
    static EventType builtInType(const QString &id);

    const QList<EventType> &types() const { return m_types; }
    QStringList ids() const;
    const EventType *find(const QString &id) const;

    // Adds or replaces a type after checking its id and template; returns the error or empty.
    QString upsert(const EventType &type);
    // Custom types are removed; built-ins cannot be, only reset. Returns the error or empty.
    QString remove(const QString &id);

    // Renders one event of the type with fresh sample data whose own time is `now`.
    RenderResult render(const QString &typeId, SampleData &data, const QDateTime &now) const;

    // created → ringing → answered → ended of one call: one callID, increasing timestamps,
    // the last one at `now`.
    ScenarioResult callScenario(SampleData &data, const QDateTime &now) const;
    // login → logout of one agent, the logout at `now`.
    ScenarioResult agentShift(SampleData &data, const QDateTime &now) const;

private:
    ScenarioResult renderStages(const QStringList &typeIds, const RenderContext &base,
                                const QList<QDateTime> &times) const;

    QList<EventType> m_types;
};
