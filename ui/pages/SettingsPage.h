// Preferences: where the data lives, how long history is kept (applied on start and on
// demand, never to unfinished work), delivery concurrency, and the interface language.
#pragma once

#include <QWidget>

#include <functional>

class AppSettings;
class Engine;
class QComboBox;
class QLineEdit;
class QSpinBox;
class QLabel;

class SettingsPage : public QWidget
{
    Q_OBJECT
public:
    SettingsPage(Engine *engine, AppSettings *settings, QWidget *parent = nullptr);

    // Applies the concurrency settings to the engine's dispatcher.
    static void applyDelivery(Engine *engine, const AppSettings &settings);

    // Asks whether to restart now for a new language; a dialog by default (tests replace it).
    using RestartQuestion = std::function<bool(QWidget *parent)>;
    void setRestartQuestion(RestartQuestion ask) { m_askRestart = std::move(ask); }
    // What choosing a language in the combo box does (also for tests): saves it and, if it
    // differs from the running one, offers to restart.
    void chooseLanguage(int index);

signals:
    void message(const QString &text);
    // The user chose another language and wants it now: app/ restarts Hookline.
    void restartRequested();

private:
    void save();

    Engine *m_engine;
    AppSettings *m_settings;
    QSpinBox *m_days = nullptr;
    QSpinBox *m_rows = nullptr;
    QSpinBox *m_perEndpoint = nullptr;
    QSpinBox *m_inFlight = nullptr;
    QComboBox *m_language = nullptr;
    QLineEdit *m_schedule = nullptr;
    QLabel *m_scheduleError = nullptr;
    RestartQuestion m_askRestart;
};
