// SPDX-License-Identifier: GPL-3.0-or-later
// Tells the admin when an endpoint needs attention, also while the window is in the
// background: a desktop notification (the system tray's) when an endpoint is disabled
// automatically, and when the share of its attempts that failed over the last 5 minutes
// reaches a threshold (once, until it drops below again). Each names the endpoint and the
// reason; clicking it asks for that endpoint's view. Without a system tray (a bare X
// server, a desktop without one) the window's own notice is all there is.
#pragma once

#include <QHash>
#include <QObject>
#include <QString>

#include <functional>

class Engine;
class QSystemTrayIcon;
class QTimer;

class HealthNotifier : public QObject
{
    Q_OBJECT
public:
    static constexpr int kWindowMinutes = 5;
    // Fewer attempts than this in the window say too little to raise an alarm.
    static constexpr int kMinAttempts = 10;

    explicit HealthNotifier(Engine *engine, QObject *parent = nullptr);

    // Where the threshold comes from (read at every check, so a change in Settings applies at
    // once): 1-100, the failed share of attempts that raises a notification; 0: never.
    void setThreshold(std::function<int()> percent) { m_threshold = std::move(percent); }
    // Looks at every endpoint's last 5 minutes now (a timer does it every 30 s).
    void checkNow();

    // How a notification is shown: the tray's balloon by default (test seam).
    using Show = std::function<void(const QString &title, const QString &text)>;
    void setShow(Show show) { m_show = std::move(show); }
    bool hasTray() const { return m_tray != nullptr; }

signals:
    // Every notification, also without a tray (the window shows it too).
    void notified(const QString &endpointId, const QString &text);
    // The admin clicked the notification of this endpoint.
    void openEndpoint(const QString &endpointId);

private:
    void notify(const QString &endpointId, const QString &text);

    Engine *m_engine;
    std::function<int()> m_threshold = [] {
        return 50;
    };
    QSystemTrayIcon *m_tray = nullptr;
    QTimer *m_timer = nullptr;
    QHash<QString, bool> m_alarmed; // endpoint id -> over the threshold at the last check
    QString m_lastEndpoint;         // of the notification on show, for a click
    Show m_show;
};
