// SPDX-License-Identifier: GPL-3.0-or-later
// The History table over the store (through Engine): it never loads all rows. rowCount comes from
// an indexed COUNT(*) with the current filter; rows are fetched in pages of 256 when the view asks
// for them - by keyset (seq < last seq of the page above) when scrolling, by OFFSET when jumping -
// and only a bounded number of pages is kept. New deliveries appear at the top on refresh() without
// resetting the view.
#pragma once

#include "domain/DeliveryQuery.h"

#include <QAbstractTableModel>
#include <QHash>

#include <list>

class Engine;

class HistoryModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Time, Event, Endpoint, State, Code, Attempts, Duration, Id, ColumnCount };
    enum Role {
        DeliveryIdRole = Qt::UserRole + 1,
        StateRole,
        StatusCodeRole,
        ErrorClassRole,
    };
    static constexpr int kPageSize = 256;
    static constexpr int kMaxPages = 64;

    explicit HistoryModel(const Engine *engine, QObject *parent = nullptr);

    void setQuery(const DeliveryQuery &query);
    const DeliveryQuery &query() const { return m_query; }
    void setEndpointNames(const QHash<QString, QString> &names);
    // Re-counts; rows added since are inserted at the top, a shrink resets.
    void refresh();

    Delivery deliveryAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    int cachedPages() const { return int(m_pages.size()); }

private:
    const QList<Delivery> &page(int pageNo) const;

    void recount();
    bool unfiltered() const;

    const Engine *m_engine;
    DeliveryQuery m_query;
    qint64 m_count = 0;
    qint64 m_maxSeq = 0;
    bool m_dense = false; // unfiltered and no gaps: row r is seq (max - r)
    QHash<QString, QString> m_names;
    mutable QHash<int, QList<Delivery>> m_pages;
    mutable std::list<int> m_lru; // most recent first
};
