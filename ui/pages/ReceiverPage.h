// SPDX-License-Identifier: GPL-3.0-or-later
// The built-in receiver: start or stop it, define inboxes and the faults they play, and see
// what arrived - method, path, size, status answered and the signature verdict - with the
// headers and body of the selected request.
#pragma once

#include "domain/Inbox.h"

#include <QWidget>

class Engine;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTimer;

class ReceiverPage : public QWidget
{
    Q_OBJECT
public:
    explicit ReceiverPage(Engine *engine, QWidget *parent = nullptr);

    QTableWidget *requestsTable() const { return m_requests; }
    // Shows only the requests of one inbox (empty: all).
    void setInboxFilter(const QString &inbox);
    bool startReceiver(QString *error);

signals:
    void message(const QString &text);
    void stateChanged();

private:
    void refreshState();
    void refreshInboxes();
    void loadInbox();
    void applyInbox();
    void appendPending();
    void showRequest(int row);
    void applyFilter();

    Engine *m_engine;
    QSpinBox *m_port = nullptr;
    QPushButton *m_startStop = nullptr;
    QLabel *m_state = nullptr;
    QListWidget *m_inboxes = nullptr;
    QLineEdit *m_secret = nullptr;
    QSpinBox *m_status = nullptr;
    QSpinBox *m_delay = nullptr;
    QDoubleSpinBox *m_failRate = nullptr;
    QSpinBox *m_retryAfter = nullptr;
    QSpinBox *m_drip = nullptr;
    QCheckBox *m_drop = nullptr;
    QLineEdit *m_script = nullptr;
    QPlainTextEdit *m_body = nullptr;
    QLineEdit *m_contentType = nullptr;
    QComboBox *m_filter = nullptr; // which inbox's requests the list shows
    QLabel *m_url = nullptr;
    QTableWidget *m_requests = nullptr;
    QPlainTextEdit *m_detail = nullptr;
    QList<CapturedRequest> m_shown;
    QList<CapturedRequest> m_pending;
    QTimer *m_flush = nullptr;
};
