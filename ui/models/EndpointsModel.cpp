// SPDX-License-Identifier: GPL-3.0-or-later
#include "EndpointsModel.h"

#include "engine/Engine.h"
#include "widgets/StatusStyle.h"

#include <QLocale>

EndpointsModel::EndpointsModel(Engine *engine, QObject *parent)
    : QAbstractTableModel(parent)
    , m_engine(engine)
{
    reload();
}

void EndpointsModel::reload()
{
    beginResetModel();
    m_rows = m_engine->endpoints();
    m_stats.clear();
    for (const Endpoint &e : std::as_const(m_rows))
        m_stats.append(m_engine->endpointStats(e.id));
    endResetModel();
}

void EndpointsModel::refreshStats()
{
    if (m_rows.isEmpty())
        return;
    for (int i = 0; i < m_rows.size(); ++i)
        m_stats[i] = m_engine->endpointStats(m_rows.at(i).id);
    emit dataChanged(index(0, LastStatus), index(rowCount() - 1, InFlight));
}

int EndpointsModel::rowOf(const QString &id) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).id == id)
            return i;
    }
    return -1;
}

int EndpointsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int EndpointsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EndpointsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Endpoint &e = m_rows.at(index.row());
    const EndpointStats &s = m_stats.at(index.row());
    switch (role) {
    case EndpointIdRole:
        return e.id;
    case StatusCodeRole:
        return s.lastStatus;
    case ErrorClassRole:
        return int(s.lastError);
    case EnabledRole:
        return e.enabled;
    case Qt::DecorationRole:
        if (index.column() == State)
            return StatusStyle::endpointIcon(e.enabled);
        if (index.column() == LastStatus && s.any)
            return StatusStyle::outcomeIcon(s.lastStatus, s.lastError);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Queued || index.column() == InFlight)
            return QVariant::fromValue(Qt::AlignTrailing | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == Queued)
            return tr("Deliveries waiting, retrying or being attempted");
        if (index.column() == InFlight)
            return tr("Attempts under way now in this window");
        if (index.column() == Limits) {
            QStringList lines{tr("At most %n attempt(s) at once", nullptr, e.maxInFlight)};
            if (e.ratePerSecond > 0)
                lines << tr("At most %1 per second, bursts of %2")
                             .arg(QLocale().toString(e.ratePerSecond, 'g', 6))
                             .arg(e.effectiveBurst());
            if (e.http1Only)
                lines << tr("HTTP/1.1 only");
            return lines.join(u'\n');
        }
        if (!e.enabled && !e.disabledReason.isEmpty())
            return tr("Disabled: %1").arg(e.disabledReason);
        return e.description.isEmpty() ? QVariant() : QVariant(e.description);
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (index.column()) {
    case Name:
        return e.name;
    case Url:
        return e.url;
    case State:
        return e.enabled ? tr("enabled") : tr("disabled");
    case Events:
        return e.allEvents ? tr("all") : QString::number(e.eventTypes.size());
    case LastStatus:
        return s.any ? StatusStyle::outcomeText(s.lastStatus, s.lastError) : tr("never sent");
    case SuccessRate:
        if (s.recentFinal == 0)
            return QStringLiteral("—");
        return QStringLiteral("%1 %").arg(qRound(100.0 * s.recentSucceeded / s.recentFinal));
    case Queued:
        return s.queued >= EndpointStats::kCountCap ? tr("%1+").arg(QLocale().toString(s.queued))
                                                    : QLocale().toString(s.queued);
    case InFlight:
        return QLocale().toString(s.inFlight);
    case Limits:
        return e.ratePerSecond > 0 ? tr("%1 at once, %2/s")
                                         .arg(e.maxInFlight)
                                         .arg(QLocale().toString(e.ratePerSecond, 'g', 6))
                                   : tr("%1 at once").arg(e.maxInFlight);
    default:
        return {};
    }
}

QVariant EndpointsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name:
        return tr("Name");
    case Url:
        return tr("URL");
    case State:
        return tr("State");
    case Events:
        return tr("Events");
    case LastStatus:
        return tr("Last status");
    case SuccessRate:
        return tr("Success");
    case Queued:
        return tr("Queued");
    case InFlight:
        return tr("In flight");
    case Limits:
        return tr("Limits");
    default:
        return {};
    }
}
