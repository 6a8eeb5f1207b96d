// SPDX-License-Identifier: GPL-3.0-or-later
// The event catalog: each event type with its description and payload template in an
// editor with JSON highlighting and live validation that points at the error; a freshly
// rendered sample; Send test (to one endpoint or every subscribed one), Run call
// scenario / agent shift, and custom event types.
#pragma once

#include "catalog/EventCatalog.h"

#include <QWidget>

#include <functional>

class Engine;
class QComboBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;

class EventsPage : public QWidget
{
    Q_OBJECT
public:
    explicit EventsPage(Engine *engine, QWidget *parent = nullptr);

    void selectType(const QString &id);
    QString selectedType() const;
    QString samplePayload() const;
    QString templateError() const;
    QPlainTextEdit *templateEditor() const { return m_template; }
    // True while the shown template has edits that are not saved.
    bool hasUnsavedTemplate() const;
    // What to do with unsaved template edits when another type is picked: QMessageBox::Save,
    // Discard or Cancel (a message box; tests answer it themselves).
    using AskUnsaved = std::function<int(const QString &typeId)>;
    void setAskUnsaved(AskUnsaved ask) { m_askUnsaved = std::move(ask); }

public slots:
    void sendTest();
    void runScenario(const QString &kind);
    bool saveTemplate();
    void addCustomType();

signals:
    void message(const QString &text);

private:
    void reloadList();
    void refreshTargets();
    void showType(int row);
    void renderSample();
    void checkTemplate();
    bool saveTemplateOf(const QString &typeId);

    Engine *m_engine;
    SampleData m_sampleData;
    QListWidget *m_list = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_description = nullptr;
    QPlainTextEdit *m_template = nullptr;
    QLabel *m_templateError = nullptr;
    QPlainTextEdit *m_sample = nullptr;
    QComboBox *m_target = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_send = nullptr;
    bool m_loading = false;
    QString m_shownId; // the type whose template the editor holds
    AskUnsaved m_askUnsaved;
};
