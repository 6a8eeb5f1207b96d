// SPDX-License-Identifier: GPL-3.0-or-later
// The main window: navigation between the pages, menus with keyboard shortcuts, a status
// bar with live delivery counters and the receiver's state, and remembered geometry,
// splitters and last page. It arranges pages; what each page does lives in pages/, and
// all data comes from the core Engine handed in by app/.
#pragma once

#include <QIcon>
#include <QMainWindow>

class AppSettings;
class Engine;
class QLabel;
class QListWidget;
class QStackedWidget;
class QTimer;

class HealthNotifier;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    MainWindow(AppSettings *settings, Engine *engine, QWidget *parent = nullptr);

    // Page keys, stable across versions (they are stored in settings).
    static QStringList pageKeys();
    QString currentPage() const;
    void showPage(const QString &key);
    template<typename Page>
    Page *page() const
    {
        return findChild<Page *>();
    }
    QString countersText() const;
    HealthNotifier *notifier() const { return m_notifier; }
    static QIcon applicationIcon();

signals:
    // Settings asked for a restart (a new language); app/ closes and starts Hookline again.
    void restartRequested();

public slots:
    void showAbout();
    void showMessage(const QString &text);
    void showStoreProblem(const QString &error);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void addPage(const QString &key, const QString &title, QWidget *page);
    void updateCounters();

    AppSettings *m_settings;
    Engine *m_engine;
    QListWidget *m_nav = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_counters = nullptr;
    QLabel *m_receiverState = nullptr;
    QLabel *m_apiState = nullptr; // "API on http://127.0.0.1:8470" while it is on
    QLabel *m_storeNotice = nullptr;
    QTimer *m_counterTimer = nullptr;
    HealthNotifier *m_notifier = nullptr;
    QStringList m_keys;
};
