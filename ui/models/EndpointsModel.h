// SPDX-License-Identifier: GPL-3.0-or-later
// The Endpoints list: name, URL, enabled, how many events, the last delivery's outcome and
// the recent success rate. Reloaded from the engine when endpoints change and refreshed
// (coalesced) as deliveries finish.
#pragma once

#include "domain/DeliveryQuery.h"
#include "domain/Endpoint.h"

#include <QAbstractTableModel>

class Engine;

class EndpointsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        Name,
        Url,
        State,
        Events,
        LastStatus,
        SuccessRate,
        Queued,
        InFlight,
        Limits,
        ColumnCount
    };
    enum Role { EndpointIdRole = Qt::UserRole + 1, StatusCodeRole, ErrorClassRole, EnabledRole };

    explicit EndpointsModel(Engine *engine, QObject *parent = nullptr);

    void reload();
    void refreshStats();
    Endpoint endpointAt(int row) const { return m_rows.value(row); }
    int rowOf(const QString &id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    Engine *m_engine;
    QList<Endpoint> m_rows;
    QList<EndpointStats> m_stats;
};
