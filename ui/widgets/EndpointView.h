// SPDX-License-Identifier: GPL-3.0-or-later
// One endpoint's health at a glance, under the Endpoints list: its attempts by outcome and
// its latency over the last hour, day or week (charts from the per-minute counts the store
// keeps, so it opens as fast on an endpoint with millions of deliveries as on a new one),
// what is queued, in flight and retrying - each retrying delivery with the time of its next
// try - its recent deliveries with their request and response and one-click redeliver, and
// "Resend failed since…" for recovering from an outage in one confirmed action.
#pragma once

#include "domain/Endpoint.h"
#include "domain/EndpointActivity.h"

#include <QDateTime>
#include <QWidget>

#include <functional>

class ActivityChart;
class DeliveryDetailsView;
class Engine;
class HistoryModel;
class QComboBox;
class QLabel;
class QPushButton;
class QTabWidget;
class QTableView;
class QTreeWidget;

class EndpointView : public QWidget
{
    Q_OBJECT
public:
    explicit EndpointView(Engine *engine, QWidget *parent = nullptr);

    // The endpoint shown (empty: none); reads its figures now.
    void setEndpoint(const QString &endpointId);
    QString endpointId() const { return m_id; }
    // Reads the figures again (the page calls it while deliveries happen).
    void refresh();

    enum class Span { Hour, Day, Week };
    void setSpan(Span span);
    Span span() const { return m_span; }
    // The span's start and bin length.
    static int binMinutes(Span span);
    static qint64 spanMinutes(Span span);

    ActivityChart *outcomesChart() const { return m_outcomes; }
    ActivityChart *latencyChart() const { return m_latency; }
    QTableView *recentView() const { return m_recent; }
    QTreeWidget *retryingView() const { return m_retrying; }
    DeliveryDetailsView *details() const { return m_details; }
    QString figuresText() const;

    // Seams for tests: choosing the time to resend from, and answering a question.
    using AskSince = std::function<bool(QDateTime *since)>;
    void setAskSince(AskSince ask) { m_askSince = std::move(ask); }
    using Confirm = std::function<bool(const QString &question)>;
    void setConfirm(Confirm confirm) { m_confirm = std::move(confirm); }

public slots:
    void resendSince();
    void redeliverSelected();

signals:
    void message(const QString &text);

private:
    void showSelectedDelivery();
    void refreshRetrying();

    Engine *m_engine;
    QString m_id;
    Span m_span = Span::Hour;
    QLabel *m_title = nullptr;
    QLabel *m_state = nullptr;
    QComboBox *m_spanBox = nullptr;
    QPushButton *m_resend = nullptr;
    QLabel *m_figures = nullptr;
    ActivityChart *m_outcomes = nullptr;
    ActivityChart *m_latency = nullptr;
    QTabWidget *m_tabs = nullptr;
    HistoryModel *m_recentModel = nullptr;
    QTableView *m_recent = nullptr;
    QPushButton *m_redeliver = nullptr;
    QTreeWidget *m_retrying = nullptr;
    DeliveryDetailsView *m_details = nullptr;
    QString m_shownDelivery;
    AskSince m_askSince;
    Confirm m_confirm;
};
