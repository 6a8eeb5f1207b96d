// SPDX-License-Identifier: GPL-3.0-or-later
// The Live panel's rows: one per attempt, newest first, at most `capacity` of them.
// Attempts arrive from the dispatcher at any rate; they are buffered and applied in one
// model update per flush (the page flushes a few times a second), so 2,000 deliveries a
// second cost a handful of view updates, not thousands. Colours come from the view side.
#pragma once

#include "domain/Delivery.h"

#include <QAbstractTableModel>
#include <QHash>

#include <deque>
#include <vector>

class LiveModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Time, Event, Endpoint, Status, Duration, AttemptNo, ColumnCount };
    enum Role {
        DeliveryIdRole = Qt::UserRole + 1,
        EndpointIdRole,
        EventTypeRole,
        StatusClassRole, // "2xx", "4xx", "5xx", "error", "pending"
        StatusCodeRole,
        ErrorClassRole,
    };

    explicit LiveModel(QObject *parent = nullptr);

    void setCapacity(int rows);
    int capacity() const { return m_capacity; }
    void setEndpointNames(const QHash<QString, QString> &names);

    // Buffered; nothing changes in the model until flush().
    void attemptStarted(const Delivery &delivery, const Attempt &attempt);
    void attemptFinished(const Delivery &delivery, const Attempt &attempt);
    // An ordered delivery waiting for an earlier one: a row that its first attempt replaces.
    void deliveryHeld(const Delivery &delivery, const QString &behindDeliveryId);
    void flush();
    void clear();
    int pendingUpdates() const { return int(m_pending.size()); }

    const Delivery &deliveryAt(int row) const { return m_rows.at(size_t(row)).delivery; }
    const Attempt &attemptAt(int row) const { return m_rows.at(size_t(row)).attempt; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    static QString statusClass(int status, ErrorClass error, bool finished);

private:
    struct Row
    {
        qint64 seq = 0;
        Delivery delivery;
        Attempt attempt;
        bool finished = false;
        QString heldBehind;
    };
    struct Update
    {
        Delivery delivery;
        Attempt attempt;
        bool finished;
        QString heldBehind;
    };
    static QString key(const QString &deliveryId, int attempt);
    int rowOf(qint64 seq) const;

    std::deque<Row> m_rows; // front = newest
    std::vector<Update> m_pending;
    QHash<QString, qint64> m_seqByKey;
    QHash<QString, QString> m_endpointNames;
    qint64 m_nextSeq = 1;
    int m_capacity = 2000;
};
