// SPDX-License-Identifier: GPL-3.0-or-later
// The History table over the store (through Engine): it never loads all rows. The count comes
// from an indexed COUNT(*) with the current filter; rows are fetched in pages of 256 when the
// view asks for them - by keyset (seq < last seq of the page above) when scrolling, by OFFSET
// when jumping - and only a bounded number of pages is kept. The view sees a window of at most
// windowRows() rows of the whole history (a table view keeps some bytes per row and walks them
// all now and then: at ten million rows that was a second to open and 80 MB);
// HistoryScroller moves the window as the admin scrolls. New deliveries appear at the top on
// refresh() without resetting the view.
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
    static constexpr int kWindowRows = 50000;

    explicit HistoryModel(const Engine *engine, QObject *parent = nullptr);

    void setQuery(const DeliveryQuery &query);
    const DeliveryQuery &query() const { return m_query; }
    void setEndpointNames(const QHash<QString, QString> &names);
    // Re-counts; rows added since are inserted at the top, a shrink resets.
    void refresh();

    Delivery deliveryAt(int row) const;

    // Every delivery the query matches; rowCount() is the part of them in the window.
    qint64 totalCount() const { return m_count; }
    // The position (0: newest) of row 0.
    qint64 windowStart() const { return m_base; }
    int windowRows() const { return m_windowRows; }
    void setWindowRows(int rows); // smaller windows for tests
    // Moves the window (a reset) so that it holds `position` about in its middle.
    void moveWindowTo(qint64 position);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    int cachedPages() const { return int(m_pages.size()); }

private:
    const QList<Delivery> &page(int pageNo) const;

    void recount();
    void clampWindow();
    bool unfiltered() const;

    const Engine *m_engine;
    DeliveryQuery m_query;
    qint64 m_count = 0;
    qint64 m_base = 0;
    int m_rows = 0; // rows in the window
    int m_windowRows = kWindowRows;
    qint64 m_maxSeq = 0;
    bool m_dense = false; // unfiltered and no gaps: row r is seq (max - r)
    QHash<QString, QString> m_names;
    mutable QHash<int, QList<Delivery>> m_pages;
    mutable std::list<int> m_lru; // most recent first
};
