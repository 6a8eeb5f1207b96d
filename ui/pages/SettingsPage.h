// SPDX-License-Identifier: GPL-3.0-or-later
// Preferences: where the data lives, how long history is kept (applied on start and on
// demand, never to unfinished work), delivery concurrency, the admin API (on or off, its
// loopback address, its tokens) and the interface language.
#pragma once

#include <QWidget>

#include <functional>

class AppSettings;
class Engine;
class QCheckBox;
class QComboBox;
class QTableWidget;
class QLineEdit;
class QSpinBox;
class QLabel;
class QPushButton;

class SettingsPage : public QWidget
{
    Q_OBJECT
public:
    SettingsPage(Engine *engine, AppSettings *settings, QWidget *parent = nullptr);

    // Applies the concurrency settings to the engine's dispatcher.
    // Starts the API when the settings say so (the window serves loopback only); false with
    // *error when it cannot.
    static bool applyApi(Engine *engine, const AppSettings &settings, QString *error);

    // Turns the API on or off as the check box does; false with the reason shown.
    bool setApiEnabled(bool on);
    // Creates a token as "New token…" does, without the dialogs; returns it (shown once).
    QString createToken(const QString &name, bool readOnly);
    QTableWidget *tokensTable() const { return m_tokens; }

    // Asks for a new token's name; a dialog by default (tests replace it).
    using TokenNameQuestion = std::function<bool(QWidget *parent, QString *name)>;
    void setTokenNameQuestion(TokenNameQuestion ask) { m_askTokenName = std::move(ask); }

    // Asks whether to restart now for a new language; a dialog by default (tests replace it).
    using RestartQuestion = std::function<bool(QWidget *parent)>;
    void setRestartQuestion(RestartQuestion ask) { m_askRestart = std::move(ask); }
    // What choosing a language in the combo box does (also for tests): saves it and, if it
    // differs from the running one, offers to restart.
    void chooseLanguage(int index);
    // Settings → Storage: asks for a database URL (a dialog by default; tests replace it).
    using DatabaseQuestion = std::function<bool(QWidget *parent, QString *url)>;
    void setDatabaseQuestion(DatabaseQuestion ask) { m_askDatabase = std::move(ask); }
    // What "Change…" does with the URL given: checks it (a mistake or an unreachable server
    // is shown and nothing changes), keeps it for the next start and offers to restart.
    // Returns whether it was kept.
    bool chooseDatabase(const QString &url);
    QString storageError() const;

signals:
    void message(const QString &text);
    // The user chose another language or store and wants it now: app/ restarts Hookline.
    void restartRequested();

private:
    void save();
    void saveSecurity();
    void refreshApi();
    void refreshTokens();
    void newToken();
    void revokeToken();

    Engine *m_engine;
    AppSettings *m_settings;
    QSpinBox *m_days = nullptr;
    QSpinBox *m_rows = nullptr;
    QSpinBox *m_inFlight = nullptr;
    QSpinBox *m_alertPercent = nullptr;
    QComboBox *m_language = nullptr;
    QLineEdit *m_schedule = nullptr;
    QLabel *m_scheduleError = nullptr;
    QComboBox *m_egress = nullptr;
    QLineEdit *m_egressAllow = nullptr;
    QSpinBox *m_payloadLimit = nullptr;
    QLabel *m_securityError = nullptr;
    RestartQuestion m_askRestart;
    DatabaseQuestion m_askDatabase;
    QLabel *m_storageError = nullptr;
    bool askRestart(const QString &title, const QString &text);
    QCheckBox *m_apiOn = nullptr;
    QLineEdit *m_apiAddress = nullptr;
    QLabel *m_apiStatus = nullptr;
    QTableWidget *m_tokens = nullptr;
    QCheckBox *m_tokenReadOnly = nullptr;
    QPushButton *m_revoke = nullptr;
    TokenNameQuestion m_askTokenName;
};
