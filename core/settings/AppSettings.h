// SPDX-License-Identifier: GPL-3.0-or-later
// The one typed wrapper over QSettings: every preference Hookline keeps goes through here,
// so names and defaults live in one place and tests can point it at a temporary file.
// Secrets never go in here (they live in the store with the endpoint).
#pragma once

#include <QByteArray>
#include <QList>
#include <QSettings>
#include <QString>

#include <memory>

class AppSettings
{
public:
    // Uses the platform's default location (~/.config/Hookline/Hookline.conf on Linux).
    AppSettings();
    // Uses an INI file at `path` (tests, portable runs).
    explicit AppSettings(const QString &path);

    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray &geometry);
    QByteArray windowState() const;
    void setWindowState(const QByteArray &state);
    QByteArray splitterState(const QString &name) const;
    void setSplitterState(const QString &name, const QByteArray &state);
    QString lastPage() const;
    void setLastPage(const QString &page);
    QString language() const; // empty: follow the system
    void setLanguage(const QString &code);
    // Settings → Storage: the store the window opens (a database URL); empty: the SQLite
    // file in the user's data directory. --database, --data-dir and HOOKLINE_DATABASE win.
    QString databaseUrl() const;
    void setDatabaseUrl(const QString &url);

    int retentionDays() const; // 0: keep forever
    void setRetentionDays(int days);
    qint64 retentionMaxDeliveries() const; // 0: no cap
    void setRetentionMaxDeliveries(qint64 rows);
    QList<int> defaultRetrySchedule() const; // for new endpoints
    void setDefaultRetrySchedule(const QList<int> &seconds);
    quint16 receiverPort() const; // 0: not chosen yet
    void setReceiverPort(quint16 port);
    bool receiverAutoStart() const;
    void setReceiverAutoStart(bool on);
    // The window's API server (off by default) and its loopback address, "127.0.0.1:8470".
    // Failed share of an endpoint's attempts over 5 minutes that raises a notification, in
    // percent (default 50); 0: never.
    int failureAlertPercent() const;
    void setFailureAlertPercent(int percent);
    bool apiEnabled() const;
    void setApiEnabled(bool on);
    QString apiListen() const;
    void setApiListen(const QString &address);

    void sync();

private:
    std::unique_ptr<QSettings> m_settings;
};
