// SPDX-License-Identifier: GPL-3.0-or-later
#include "EventCatalog.h"

#include <QCoreApplication>
#include <QFile>

namespace {

struct BuiltIn
{
    const char *id;
    const char *name;
    const char *description;
};

// Display names and descriptions are translated when shown, from these source strings.
const BuiltIn kBuiltIns[] = {
    {"call.created", QT_TRANSLATE_NOOP("EventCatalog", "Call Created"),
     QT_TRANSLATE_NOOP("EventCatalog", "A call starts. Tells the start time, and the end time "
                                       "and reason if the call was missed.")},
    {"call.ringing", QT_TRANSLATE_NOOP("EventCatalog", "Call Ringing"),
     QT_TRANSLATE_NOOP("EventCatalog", "The call rings on an agent's phone. Tells the caller "
                                       "and callee names and numbers.")},
    {"call.answered", QT_TRANSLATE_NOOP("EventCatalog", "Call Answered"),
     QT_TRANSLATE_NOOP("EventCatalog", "Inbound: an agent picks up; outbound: the external "
                                       "party picks up. Tells the customer information.")},
    {"call.ended", QT_TRANSLATE_NOOP("EventCatalog", "Call Ended"),
     QT_TRANSLATE_NOOP("EventCatalog", "The call is hung up. Tells the duration, ring and talk "
                                       "time, disposition and the recording reference.")},
    {"agent.login", QT_TRANSLATE_NOOP("EventCatalog", "Agent Login"),
     QT_TRANSLATE_NOOP("EventCatalog", "An agent logs in. Tells the time and the agent's "
                                       "profile.")},
    {"agent.logout", QT_TRANSLATE_NOOP("EventCatalog", "Agent Logout"),
     QT_TRANSLATE_NOOP("EventCatalog", "An agent logs out. Tells the total engagement time "
                                       "and the shift's activities.")},
};

// lupdate needs a class to name the context of these strings.
struct Tr
{
    Q_DECLARE_TR_FUNCTIONS(EventCatalog)
};

QString readTemplate(const QString &id)
{
    QFile f(QStringLiteral(":/templates/%1.json").arg(id));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

} // namespace

EventCatalog::EventCatalog()
    : m_types(builtInTypes())
{
}

EventCatalog::EventCatalog(const QList<EventType> &types)
    : m_types(types)
{
}

QList<EventType> EventCatalog::builtInTypes()
{
    QList<EventType> out;
    for (const BuiltIn &b : kBuiltIns) {
        const QString id = QLatin1String(b.id);
        out.append({id, Tr::tr(b.name), Tr::tr(b.description), readTemplate(id), true});
    }
    return out;
}

EventType EventCatalog::builtInType(const QString &id)
{
    for (const EventType &t : builtInTypes()) {
        if (t.id == id)
            return t;
    }
    return {};
}

QStringList EventCatalog::ids() const
{
    QStringList out;
    for (const EventType &t : m_types)
        out << t.id;
    return out;
}

const EventType *EventCatalog::find(const QString &id) const
{
    for (const EventType &t : m_types) {
        if (t.id == id)
            return &t;
    }
    return nullptr;
}

QString EventCatalog::upsert(const EventType &type)
{
    QString error = validateEventTypeId(type.id);
    if (!error.isEmpty())
        return error;
    if (type.displayName.trimmed().isEmpty())
        return Tr::tr("Give the event type %1 a display name.").arg(type.id);
    const RenderResult check = TemplateRenderer::check(type.payloadTemplate);
    if (!check.ok())
        return check.error;
    for (EventType &t : m_types) {
        if (t.id == type.id) {
            const bool builtIn = t.builtIn;
            t = type;
            t.builtIn = builtIn;
            return {};
        }
    }
    EventType added = type;
    added.builtIn = false;
    m_types.append(added);
    return {};
}

QString EventCatalog::remove(const QString &id)
{
    for (qsizetype i = 0; i < m_types.size(); ++i) {
        if (m_types.at(i).id != id)
            continue;
        if (m_types.at(i).builtIn)
            return Tr::tr("%1 is a built-in event type; it can be edited or reset, not removed.")
                .arg(id);
        m_types.removeAt(i);
        return {};
    }
    return Tr::tr("There is no event type %1.").arg(id);
}

RenderResult EventCatalog::render(const QString &typeId, SampleData &data,
                                  const QDateTime &now) const
{
    const EventType *type = find(typeId);
    if (!type) {
        RenderResult r;
        r.error =
            Tr::tr("Unknown event type “%1”. Known types: %2.").arg(typeId, ids().join(u", "));
        return r;
    }
    RenderContext ctx;
    if (typeId == QLatin1String("call.created"))
        ctx = data.callContext(CallStage::Created, now);
    else if (typeId == QLatin1String("call.ringing"))
        ctx = data.callContext(CallStage::Ringing, now);
    else if (typeId == QLatin1String("call.answered"))
        ctx = data.callContext(CallStage::Answered, now);
    else if (typeId == QLatin1String("call.ended"))
        ctx = data.callContext(CallStage::Ended, now);
    else if (typeId == QLatin1String("agent.logout"))
        ctx = data.agentContext(AgentStage::Logout, now);
    else
        ctx = data.anyContext(now);
    return TemplateRenderer::render(type->payloadTemplate, ctx);
}

ScenarioResult EventCatalog::renderStages(const QStringList &typeIds, const RenderContext &base,
                                          const QList<QDateTime> &times) const
{
    ScenarioResult result;
    RenderContext ctx = base;
    for (qsizetype i = 0; i < typeIds.size(); ++i) {
        const EventType *type = find(typeIds.at(i));
        if (!type) {
            result.error = Tr::tr("The scenario needs the event type %1, which is missing from the "
                                  "catalog.")
                               .arg(typeIds.at(i));
            result.events.clear();
            return result;
        }
        ctx.setEventTime(times.at(i), int(i) * 111 % 1000);
        const RenderResult r = TemplateRenderer::render(type->payloadTemplate, ctx);
        if (!r.ok()) {
            result.error = Tr::tr("Event type %1: %2").arg(typeIds.at(i), r.error);
            result.events.clear();
            return result;
        }
        result.events.append({type->id, r.json, times.at(i)});
    }
    return result;
}

ScenarioResult EventCatalog::callScenario(SampleData &data, const QDateTime &now) const
{
    const RenderContext ctx = data.callContext(CallStage::Ended, now);
    QList<QDateTime> times;
    for (CallStage s :
         {CallStage::Created, CallStage::Ringing, CallStage::Answered, CallStage::Ended})
        times << SampleData::callStageTime(ctx, s);
    return renderStages({QStringLiteral("call.created"), QStringLiteral("call.ringing"),
                         QStringLiteral("call.answered"), QStringLiteral("call.ended")},
                        ctx, times);
}

ScenarioResult EventCatalog::agentShift(SampleData &data, const QDateTime &now) const
{
    const RenderContext ctx = data.agentContext(AgentStage::Logout, now);
    return renderStages({QStringLiteral("agent.login"), QStringLiteral("agent.logout")}, ctx,
                        {SampleData::agentStageTime(ctx, AgentStage::Login),
                         SampleData::agentStageTime(ctx, AgentStage::Logout)});
}
