// SPDX-License-Identifier: GPL-3.0-or-later
// The endpoints an admin registered: a list with each one's last outcome and success rate,
// and the actions on it - add, edit, duplicate, delete (confirmed), enable/disable, point
// a new endpoint at the local test inbox, and send a test event with one click (to a disabled
// endpoint too, to check that it is back). Below the list, the selected endpoint's health
// (EndpointView).
#pragma once

#include "domain/Endpoint.h"

#include <QWidget>

#include <functional>

class Engine;
class EndpointView;
class EndpointsModel;
class QComboBox;
class QLabel;
class QPushButton;
class QTableView;
class QTimer;

class EndpointsPage : public QWidget
{
    Q_OBJECT
public:
    explicit EndpointsPage(Engine *engine, QWidget *parent = nullptr);

    EndpointsModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    EndpointView *endpointView() const { return m_endpointView; }
    QString selectedId() const;
    void select(const QString &id);

    // Seams for tests: how a dialog is shown, and how a question is answered.
    using DialogRunner = std::function<bool(QDialog *)>;
    void setDialogRunner(DialogRunner runner) { m_runDialog = std::move(runner); }
    // Where a new endpoint's defaults come from (the Settings page's retry delays).
    void setNewEndpointDefaults(std::function<Endpoint()> defaults)
    {
        m_defaults = std::move(defaults);
    }
    using Confirm = std::function<bool(const QString &question)>;
    void setConfirm(Confirm confirm) { m_confirm = std::move(confirm); }

public slots:
    void addEndpoint();
    void addLocalTestEndpoint();
    void editSelected();
    void duplicateSelected();
    void deleteSelected();
    void toggleSelected();
    void sendTest();

signals:
    void message(const QString &text);

private:
    bool editEndpoint(Endpoint endpoint);
    void updateActions();
    void refreshEvents();

    Engine *m_engine;
    EndpointsModel *m_model;
    QTableView *m_view = nullptr;
    EndpointView *m_endpointView = nullptr;
    QComboBox *m_testEvent = nullptr;
    QPushButton *m_edit = nullptr;
    QPushButton *m_duplicate = nullptr;
    QPushButton *m_delete = nullptr;
    QPushButton *m_toggle = nullptr;
    QPushButton *m_send = nullptr;
    QLabel *m_empty = nullptr;
    QTimer *m_stats = nullptr;
    int m_statsDirty = 0; // refreshes owed; see HistoryPage::m_dirty
    int m_statsTicks = 0;
    DialogRunner m_runDialog;
    Confirm m_confirm;
    std::function<Endpoint()> m_defaults = [] {
        return Endpoint();
    };
};
