// SPDX-License-Identifier: GPL-3.0-or-later
// The values that placeholders in a payload template resolve to. A context describes one
// call (or one agent shift) with consistent ids, numbers and times; rendering several event
// types from the same context is how a scenario keeps callID and timestamps coherent.
// Values are made up by SampleData; nothing here touches the network or the store.
#pragma once

#include <QDateTime>
#include <QHash>
#include <QRandomGenerator>
#include <QString>
#include <QStringList>
#include <QVariant>

struct PlaceholderInfo
{
    QString name;
    QString description;
};

// The placeholders a template may use, with what they render to (for the GUI's help and
// for the "unknown placeholder" message).
const QList<PlaceholderInfo> &placeholderCatalog();

enum class CallStage { Created, Ringing, Answered, Ended };
enum class AgentStage { Login, Logout };

class RenderContext
{
public:
    // A QString, a number, a bool, null (QVariant::fromValue(nullptr) or an invalid
    // QVariant), or a QJsonArray / QJsonObject. QVariant, not QJsonValue: a QJsonValue
    // allocates a container for every string, and a call context holds about forty.
    QHash<QString, QVariant> values;

    bool contains(const QString &name) const;
    // "uuid" is fresh on every use; everything else comes from values.
    QVariant value(const QString &name) const;

    // Sets event.time and event.epochMicros to the given instant.
    void setEventTime(const QDateTime &utc, int extraMicros = 0);
};

// Makes plausible contact-center data: Dubai phone numbers, agent names, UUIDs, and call or
// shift timelines. Seeded for reproducible tests; by default seeded from the system.
class SampleData
{
public:
    SampleData();
    explicit SampleData(quint32 seed);

    // A call whose stage `anchor` happens at `anchorTime` (usually now); the other stages
    // are placed before or after it with realistic ring and talk times. event.time is set
    // to the anchor stage.
    RenderContext callContext(CallStage anchor, const QDateTime &anchorTime);
    // An agent shift whose login or logout happens at anchorTime.
    RenderContext agentContext(AgentStage anchor, const QDateTime &anchorTime);
    // Both of the above merged: enough to render any built-in or custom template.
    RenderContext anyContext(const QDateTime &now);

    static QDateTime callStageTime(const RenderContext &ctx, CallStage stage);
    static QDateTime agentStageTime(const RenderContext &ctx, AgentStage stage);

    static QString isoMillis(const QDateTime &utc);
    static QString epochMicros(const QDateTime &utc, int extraMicros);

private:
    QString dubaiLandline();
    QString dubaiMobile();
    QString pick(const QStringList &list);
    int between(int low, int high);
    void fillAgent(RenderContext *ctx);

    QRandomGenerator m_rng;
};
