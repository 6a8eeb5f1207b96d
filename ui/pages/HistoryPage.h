// SPDX-License-Identifier: GPL-3.0-or-later
// Every delivery ever made, from the store: filters (endpoint, event, state, code class,
// time range) answered in SQL, a windowed model, the selected delivery's attempts in the
// shared details view, and actions: redeliver, retry all failed in the filter, export to
// CSV or JSON Lines (on a worker thread, cancellable).
#pragma once

#include "domain/DeliveryQuery.h"

#include <QWidget>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class DeliveryDetailsView;
class QLineEdit;
class Engine;
class HistoryModel;
class HistoryScroller;
class QComboBox;
class QLabel;
class QPushButton;
class QTableView;
class QThread;
class QTimer;

class HistoryPage : public QWidget
{
    Q_OBJECT
public:
    explicit HistoryPage(Engine *engine, QWidget *parent = nullptr);
    ~HistoryPage() override;

    HistoryModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    HistoryScroller *scroller() const { return m_scroller; }
    DeliveryDetailsView *details() const { return m_details; }
    DeliveryQuery currentQuery() const;

    // The file an export writes, given the name typed and the dialog filter chosen.
    static QString exportPath(const QString &path, const QString &selectedFilter);
    // Starts an export of the filtered rows; the GUI asks for the file name first.
    bool exportTo(const QString &path, QString *error);
    bool isExporting() const { return m_exportThread != nullptr; }
    void redeliverSelected();
    // Searches payloads and responses off the GUI thread; the table shows the matches.
    void search(const QString &text);
    bool isSearching() const;
    // Asks the admin a yes/no question (a message box; tests answer it themselves).
    using Confirm = std::function<bool(const QString &question)>;
    void setConfirm(Confirm confirm) { m_confirm = std::move(confirm); }
    // Redelivers the failed deliveries the filters show (at most kRetryAllLimit), after
    // asking; returns how many were sent again, or -1 when the admin said no.
    int retryAllFailed();
    static constexpr int kRetryAllLimit = 10000;

signals:
    void exportFinished(qint64 rows, const QString &error);
    void searchFinished(int matches);
    void message(const QString &text);

private:
    Confirm m_confirm;
    void refreshFilters();
    void applyFilters();
    void showSelected();
    void showAttempt(int index);
    void chooseExport();

    Engine *m_engine;
    HistoryModel *m_model;
    QTableView *m_view = nullptr;
    HistoryScroller *m_scroller = nullptr;
    DeliveryDetailsView *m_details = nullptr;
    QComboBox *m_endpoint = nullptr;
    QComboBox *m_event = nullptr;
    QComboBox *m_state = nullptr;
    QComboBox *m_code = nullptr;
    QComboBox *m_range = nullptr;
    QComboBox *m_attempt = nullptr;
    QLineEdit *m_search = nullptr;
    QTimer *m_searchDelay = nullptr;
    int m_searchId = 0;
    std::optional<QList<qint64>> m_matches;
    QLabel *m_count = nullptr;
    QTimer *m_refresh = nullptr;
    // Refreshes still owed: 2 after a change, so one more pass a second later picks up
    // writes the store committed after the first one (the GUI never waits on the writer).
    int m_dirty = 0;
    Delivery m_selected;
    QThread *m_exportThread = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelExport;
};
