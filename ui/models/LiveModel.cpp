// SPDX-License-Identifier: GPL-3.0-or-later
#include "LiveModel.h"

#include "widgets/StatusStyle.h"

#include <QLocale>

LiveModel::LiveModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void LiveModel::setCapacity(int rows)
{
    m_capacity = qMax(1, rows);
}

void LiveModel::setEndpointNames(const QHash<QString, QString> &names)
{
    m_endpointNames = names;
    if (!m_rows.empty())
        emit dataChanged(index(0, Endpoint), index(rowCount() - 1, Endpoint));
}

QString LiveModel::key(const QString &deliveryId, int attempt)
{
    return deliveryId + u'#' + QString::number(attempt);
}

int LiveModel::rowOf(qint64 seq) const
{
    if (m_rows.empty())
        return -1;
    const qint64 row = m_rows.front().seq - seq;
    return row >= 0 && row < qint64(m_rows.size()) ? int(row) : -1;
}

void LiveModel::attemptStarted(const Delivery &delivery, const Attempt &attempt)
{
    m_pending.push_back({delivery, attempt, false, {}});
}

void LiveModel::attemptFinished(const Delivery &delivery, const Attempt &attempt)
{
    m_pending.push_back({delivery, attempt, true, {}});
}

void LiveModel::deliveryHeld(const Delivery &delivery, const QString &behindDeliveryId)
{
    Attempt a;
    a.deliveryId = delivery.id;
    a.number = delivery.attemptCount + 1;
    a.started = QDateTime::currentDateTimeUtc();
    m_pending.push_back({delivery, a, false, behindDeliveryId});
}

QString LiveModel::statusClass(int status, ErrorClass error, bool finished)
{
    if (!finished)
        return QStringLiteral("pending");
    if (error == ErrorClass::None && status >= 200 && status < 300)
        return QStringLiteral("2xx");
    if (error == ErrorClass::Http3xx || error == ErrorClass::Http4xx)
        return status >= 400 ? QStringLiteral("4xx") : QStringLiteral("3xx");
    if (error == ErrorClass::Http5xx)
        return QStringLiteral("5xx");
    return QStringLiteral("error");
}

void LiveModel::flush()
{
    if (m_pending.empty())
        return;
    std::vector<Update> updates;
    updates.swap(m_pending);
    // Finishes of rows already shown are updated in place; everything else is a new row.
    std::vector<Row> fresh;
    int minChanged = INT_MAX, maxChanged = -1;
    QHash<QString, size_t> freshIndex;
    for (Update &u : updates) {
        const QString k = key(u.delivery.id, u.attempt.number);
        if (!u.finished && u.heldBehind.isEmpty()) {
            // The start of an attempt that was shown as held: that row, in place.
            const auto fi = freshIndex.constFind(k);
            if (fi != freshIndex.cend() && !fresh[fi.value()].heldBehind.isEmpty()) {
                fresh[fi.value()] = {0, u.delivery, u.attempt, false, {}};
                continue;
            }
            const auto it = m_seqByKey.constFind(k);
            const int row = it == m_seqByKey.cend() ? -1 : rowOf(it.value());
            if (row >= 0 && !m_rows[size_t(row)].heldBehind.isEmpty()) {
                Row &r = m_rows[size_t(row)];
                r.delivery = u.delivery;
                r.attempt = u.attempt;
                r.heldBehind.clear();
                minChanged = qMin(minChanged, row);
                maxChanged = qMax(maxChanged, row);
                continue;
            }
        }
        if (u.finished) {
            const auto fi = freshIndex.constFind(k);
            if (fi != freshIndex.cend()) {
                Row &r = fresh[fi.value()];
                r.delivery = u.delivery;
                r.attempt = u.attempt;
                r.finished = true;
                r.heldBehind.clear();
                continue;
            }
            const auto it = m_seqByKey.constFind(k);
            const int row = it == m_seqByKey.cend() ? -1 : rowOf(it.value());
            if (row >= 0) {
                Row &r = m_rows[size_t(row)];
                r.delivery = u.delivery;
                r.attempt = u.attempt;
                r.finished = true;
                r.heldBehind.clear();
                minChanged = qMin(minChanged, row);
                maxChanged = qMax(maxChanged, row);
                continue;
            }
        }
        freshIndex.insert(k, fresh.size());
        fresh.push_back({0, u.delivery, u.attempt, u.finished, u.heldBehind});
    }
    if (maxChanged >= 0)
        emit dataChanged(index(minChanged, 0), index(maxChanged, ColumnCount - 1));

    if (fresh.empty())
        return;
    // Newest first; never more than the capacity, even within one flush.
    const size_t keep = qMin(fresh.size(), size_t(m_capacity));
    const size_t skip = fresh.size() - keep;
    const int inserting = int(keep);
    const int overflow = int(m_rows.size()) + inserting - m_capacity;
    if (overflow > 0) {
        const int from = int(m_rows.size()) - overflow;
        beginRemoveRows({}, from, int(m_rows.size()) - 1);
        for (int i = 0; i < overflow; ++i) {
            const Row &r = m_rows.back();
            m_seqByKey.remove(key(r.delivery.id, r.attempt.number));
            m_rows.pop_back();
        }
        endRemoveRows();
    }
    beginInsertRows({}, 0, inserting - 1);
    for (size_t i = skip; i < fresh.size(); ++i) {
        Row &r = fresh[i];
        r.seq = m_nextSeq++;
        m_seqByKey.insert(key(r.delivery.id, r.attempt.number), r.seq);
        m_rows.push_front(std::move(r));
    }
    endInsertRows();
}

void LiveModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_pending.clear();
    m_seqByKey.clear();
    endResetModel();
}

int LiveModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LiveModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LiveModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(size_t(index.row()));
    switch (role) {
    case DeliveryIdRole:
        return r.delivery.id;
    case EndpointIdRole:
        return r.delivery.endpointId;
    case EventTypeRole:
        return r.delivery.eventType;
    case StatusClassRole:
        return statusClass(r.attempt.responseStatus, r.attempt.errorClass, r.finished);
    case StatusCodeRole:
        return r.attempt.responseStatus;
    case ErrorClassRole:
        return int(r.attempt.errorClass);
    case Qt::ToolTipRole:
        if (index.column() == Status && !r.heldBehind.isEmpty())
            return tr("Waits for delivery %1 (same order key, %2) to succeed or give up.")
                .arg(r.heldBehind, r.delivery.orderKey);
        return {};
    case Qt::DecorationRole:
        if (index.column() != Status)
            return {};
        return r.finished ? StatusStyle::outcomeIcon(r.attempt.responseStatus, r.attempt.errorClass)
                          : StatusStyle::stateIcon(DeliveryState::InFlight);
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (index.column()) {
    case Time:
        return r.attempt.started.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz"));
    case Event:
        return r.delivery.eventType;
    case Endpoint:
        return m_endpointNames.value(r.delivery.endpointId, r.delivery.endpointId.left(8));
    case Status:
        if (!r.heldBehind.isEmpty())
            return tr("held behind %1").arg(r.heldBehind.left(8));
        if (!r.finished)
            return tr("sending…");
        if (r.attempt.responseStatus > 0 && r.attempt.errorClass != ErrorClass::Timeout)
            return QString::number(r.attempt.responseStatus);
        return StatusStyle::errorText(r.attempt.errorClass);
    case Duration:
        return r.finished ? QVariant(tr("%1 ms").arg(r.attempt.durationMs)) : QVariant();
    case AttemptNo:
        return QString::number(r.attempt.number); // digits like the codes beside it
    default:
        return {};
    }
}

QVariant LiveModel::headerData(int section, Qt::Orientation orientation, int role) const
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
    case Status:
        return tr("Status");
    case Duration:
        return tr("Duration");
    case AttemptNo:
        return tr("Attempt");
    default:
        return {};
    }
}
