// SPDX-License-Identifier: GPL-3.0-or-later
#include "HistoryModel.h"

#include "engine/Engine.h"

#include "widgets/StatusStyle.h"

#include <QGuiApplication>

HistoryModel::HistoryModel(const Engine *engine, QObject *parent)
    : QAbstractTableModel(parent)
    , m_engine(engine)
{
    recount();
    clampWindow();
}

bool HistoryModel::unfiltered() const
{
    return m_query.endpointId.isEmpty() && m_query.eventType.isEmpty() && !m_query.state &&
           m_query.codeClass.isEmpty() && !m_query.from.isValid() && !m_query.to.isValid() &&
           !m_query.onlySeqs;
}

void HistoryModel::clampWindow()
{
    m_base = qBound<qint64>(0, m_base, qMax<qint64>(0, m_count - m_windowRows));
    m_rows = int(qMin<qint64>(m_windowRows, m_count - m_base));
}

void HistoryModel::setWindowRows(int rows)
{
    beginResetModel();
    m_windowRows = qMax(kPageSize, rows);
    clampWindow();
    endResetModel();
}

void HistoryModel::moveWindowTo(qint64 position)
{
    beginResetModel();
    m_base = position - m_windowRows / 2;
    clampWindow();
    endResetModel();
}

void HistoryModel::recount()
{
    m_count = m_engine->countDeliveries(m_query);
    m_dense = false;
    if (unfiltered() && m_count > 0) {
        const auto [low, high] = m_engine->seqRange();
        m_maxSeq = high;
        m_dense = high - low + 1 == m_count;
    }
}

void HistoryModel::setQuery(const DeliveryQuery &query)
{
    beginResetModel();
    m_query = query;
    m_query.limit = kPageSize;
    m_query.offset = 0;
    m_query.beforeSeq = 0;
    m_pages.clear();
    m_lru.clear();
    m_base = 0;
    recount();
    clampWindow();
    endResetModel();
}

void HistoryModel::setEndpointNames(const QHash<QString, QString> &names)
{
    m_names = names;
    if (m_rows > 0)
        emit dataChanged(index(0, Endpoint), index(rowCount() - 1, Endpoint));
}

void HistoryModel::refresh()
{
    const qint64 before = m_count;
    recount();
    const qint64 count = m_count;
    m_count = before;
    m_pages.clear();
    m_lru.clear();
    if (count == before) {
        // Same rows; states may have changed (retrying -> succeeded).
        if (m_rows > 0)
            emit dataChanged(index(0, 0), index(m_rows - 1, ColumnCount - 1));
        return;
    }
    if (count < before) {
        beginResetModel();
        m_count = count;
        clampWindow();
        endResetModel();
        return;
    }
    const qint64 added = count - before;
    if (m_base > 0) {
        // The window keeps showing the same deliveries, now further from the top.
        m_base += added;
        m_count = count;
        if (m_rows > 0)
            emit dataChanged(index(0, 0), index(m_rows - 1, ColumnCount - 1));
        return;
    }
    // New rows at the top of a window at the top; the window keeps its size.
    const int inserted = int(qMin<qint64>(added, m_windowRows));
    const int excess = m_rows + inserted - m_windowRows;
    if (excess > 0) {
        beginRemoveRows({}, m_rows - excess, m_rows - 1);
        m_rows -= excess;
        endRemoveRows();
    }
    beginInsertRows({}, 0, inserted - 1);
    m_count = count;
    m_rows += inserted;
    endInsertRows();
}

const QList<Delivery> &HistoryModel::page(int pageNo) const
{
    auto it = m_pages.find(pageNo);
    if (it != m_pages.end()) {
        m_lru.remove(pageNo);
        m_lru.push_front(pageNo);
        return it.value();
    }
    DeliveryQuery q = m_query;
    q.limit = kPageSize;
    // Keyset when the page above is known: an index seek instead of skipping rows.
    const auto above = m_pages.constFind(pageNo - 1);
    if (above != m_pages.cend() && !above->isEmpty()) {
        q.beforeSeq = above->last().seq;
        q.offset = 0;
    } else if (m_dense) {
        // Positions are seq values counted down from the newest: seek, don't skip.
        q.beforeSeq = m_maxSeq - qint64(pageNo) * kPageSize + 1;
        q.offset = 0;
    } else if (const auto seek = m_engine->seekPosition(m_query, qint64(pageNo) * kPageSize)) {
        // A jump into a filter: from the counted bucket that holds the row, not an OFFSET
        // over every row above it.
        q.beforeSeq = seek->beforeSeq;
        q.offset = seek->offset;
    } else {
        q.beforeSeq = 0;
        q.offset = qint64(pageNo) * kPageSize;
    }
    QList<Delivery> rows = m_engine->deliveries(q);
    if (int(m_lru.size()) >= kMaxPages) {
        m_pages.remove(m_lru.back());
        m_lru.pop_back();
    }
    m_lru.push_front(pageNo);
    return m_pages.insert(pageNo, rows).value();
}

Delivery HistoryModel::deliveryAt(int row) const
{
    if (row < 0 || row >= m_rows)
        return {};
    const qint64 position = m_base + row;
    const QList<Delivery> &p = page(int(position / kPageSize));
    const int i = int(position % kPageSize);
    return i < p.size() ? p.at(i) : Delivery();
}

int HistoryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

int HistoryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant HistoryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role != Qt::DisplayRole && role < Qt::UserRole && role != Qt::ToolTipRole &&
        role != Qt::DecorationRole)
        return {};
    const qint64 position = m_base + index.row();
    const QList<Delivery> &p = page(int(position / kPageSize));
    const int i = int(position % kPageSize);
    if (i >= p.size())
        return {};
    const Delivery &d = p.at(i);
    switch (role) {
    case DeliveryIdRole:
        return d.id;
    case StateRole:
        return int(d.state);
    case StatusCodeRole:
        return d.lastStatus;
    case ErrorClassRole:
        return int(d.lastError);
    case Qt::ToolTipRole:
        return index.column() == Id ? QVariant(d.id) : QVariant();
    case Qt::DecorationRole:
        return index.column() == State ? QVariant(StatusStyle::stateIcon(d.state)) : QVariant();
    default:
        break;
    }
    switch (index.column()) {
    case Time: {
        // Date then time, also in a right-to-left window (there the two runs of digits
        // were shown time first).
        const QString time =
            d.created.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        return QGuiApplication::isRightToLeft() ? QChar(0x2066) + time + QChar(0x2069) : time;
    }
    case Event:
        return d.eventType;
    case Endpoint:
        return m_names.value(d.endpointId, d.endpointId.left(8));
    case State:
        return StatusStyle::stateText(d.state);
    case Code:
        return StatusStyle::outcomeText(d.lastStatus, d.lastError);
    case Attempts:
        return QString::number(d.attemptCount); // digits like the codes beside it, in every locale
    case Duration:
        return d.attemptCount ? QVariant(tr("%1 ms").arg(d.lastDurationMs)) : QVariant();
    case Id:
        // Left to right as a whole, also inside a right-to-left window (an id that starts
        // with digits once showed with its first hyphen moved to the front in Arabic).
        return QGuiApplication::isRightToLeft() ? QChar(0x2066) + d.id + QChar(0x2069) : d.id;
    default:
        return {};
    }
}

QVariant HistoryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Time:
        return tr("Time");
    case Event:
        return tr("Event");
    case Endpoint:
        return tr("Endpoint");
    case State:
        return tr("State");
    case Code:
        return tr("Code");
    case Attempts:
        return tr("Attempts");
    case Duration:
        return tr("Duration");
    case Id:
        return tr("Delivery id");
    default:
        return {};
    }
}
