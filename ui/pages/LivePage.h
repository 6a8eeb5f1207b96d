// SPDX-License-Identifier: GPL-3.0-or-later
// Deliveries as they happen: one row per attempt, newest first, coloured by outcome,
// filterable by endpoint, event and status; the selected attempt's request and response
// below. Pause freezes the view (attempts keep arriving and are shown on resume).
#pragma once

#include <QHash>
#include <QWidget>

class DeliveryDetailsView;
class Engine;
class LiveModel;
class QComboBox;
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTimer;

class LivePage : public QWidget
{
    Q_OBJECT
public:
    explicit LivePage(Engine *engine, QWidget *parent = nullptr);

    LiveModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    DeliveryDetailsView *details() const { return m_details; }
    bool isPaused() const { return m_paused; }
    void setPaused(bool paused);
    void flushNow();

private:
    void refreshFilters();
    void applyFilter();
    void showSelected();

    Engine *m_engine;
    LiveModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view = nullptr;
    DeliveryDetailsView *m_details = nullptr;
    QComboBox *m_endpoint = nullptr;
    QComboBox *m_event = nullptr;
    QComboBox *m_status = nullptr;
    QPushButton *m_pause = nullptr;
    QLabel *m_count = nullptr;
    QLabel *m_emptyHint = nullptr;
    QTimer *m_flush = nullptr;
    bool m_paused = false;
};
