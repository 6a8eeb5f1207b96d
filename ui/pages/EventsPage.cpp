// SPDX-License-Identifier: GPL-3.0-or-later
#include "EventsPage.h"

#include "encoding/JsonText.h"
#include "engine/Engine.h"
#include "widgets/JsonHighlighter.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTextBlock>
#include <QTextCursor>
#include <QVBoxLayout>

EventsPage::EventsPage(Engine *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
{
    m_askUnsaved = [this](const QString &typeId) {
        return int(QMessageBox::question(
            this, tr("Unsaved template"),
            tr("The template of %1 has changes that are not saved. Save them?").arg(typeId),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save));
    };
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("eventsSplitter"));

    auto *left = new QWidget(splitter);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    m_list = new QListWidget(left);
    m_list->setAccessibleName(tr("Event types"));
    m_list->setMinimumWidth(180);
    m_list->setSpacing(2);
    auto *addType = new QPushButton(tr("&New event type…"), left);
    leftLayout->addWidget(m_list, 1);
    leftLayout->addWidget(addType);

    auto *detail = new QWidget(splitter);
    auto *layout = new QVBoxLayout(detail);
    m_title = new QLabel(detail);
    m_title->setTextFormat(Qt::RichText);
    m_description = new QLabel(detail);
    m_description->setWordWrap(true);
    layout->addWidget(m_title);
    layout->addWidget(m_description);

    auto *actions = new QHBoxLayout;
    m_target = new QComboBox(detail);
    m_target->setAccessibleName(tr("Send to"));
    m_send = new QPushButton(tr("Send &test"), detail);
    m_send->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    m_send->setToolTip(tr("Render this event and send it now (Ctrl+T)"));
    auto *scenario = new QPushButton(tr("Run &call scenario"), detail);
    scenario->setToolTip(tr("Created, ringing, answered and ended of one call, in order"));
    auto *shift = new QPushButton(tr("Run agent s&hift"), detail);
    actions->addWidget(new QLabel(tr("Send to:"), detail));
    actions->addWidget(m_target, 1);
    actions->addWidget(m_send);
    actions->addWidget(scenario);
    actions->addWidget(shift);
    layout->addLayout(actions);

    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    auto *panes = new QSplitter(Qt::Horizontal, detail);
    auto *tplBox = new QWidget(panes);
    auto *tplLayout = new QVBoxLayout(tplBox);
    tplLayout->setContentsMargins(0, 0, 0, 0);
    auto *tplHeader = new QHBoxLayout;
    tplHeader->addWidget(new QLabel(tr("Template"), tplBox));
    tplHeader->addStretch();
    m_save = new QPushButton(tr("&Save template"), tplBox);
    m_save->setShortcut(QKeySequence::Save);
    tplHeader->addWidget(m_save);
    tplLayout->addLayout(tplHeader);
    m_template = new QPlainTextEdit(tplBox);
    m_template->setFont(mono);
    m_template->setAccessibleName(tr("Payload template"));
    m_template->setTabChangesFocus(true);
    // JSON reads left to right in every language; in a right-to-left window a code view
    // otherwise opens scrolled to its right edge, cutting the keys off.
    m_template->setLayoutDirection(Qt::LeftToRight);
    m_template->setLineWrapMode(QPlainTextEdit::NoWrap);
    new JsonHighlighter(m_template->document());
    tplLayout->addWidget(m_template, 1);
    m_templateError = new QLabel(tplBox);
    m_templateError->setWordWrap(true);
    m_templateError->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_templateError->hide();
    tplLayout->addWidget(m_templateError);

    auto *sampleBox = new QWidget(panes);
    auto *sampleLayout = new QVBoxLayout(sampleBox);
    sampleLayout->setContentsMargins(0, 0, 0, 0);
    auto *sampleHeader = new QHBoxLayout;
    sampleHeader->addWidget(new QLabel(tr("Sample payload"), sampleBox));
    sampleHeader->addStretch();
    auto *again = new QPushButton(tr("&Render again"), sampleBox);
    again->setToolTip(tr("Render the template with fresh sample values (Ctrl+R)"));
    again->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    sampleHeader->addWidget(again);
    sampleLayout->addLayout(sampleHeader);
    m_sample = new QPlainTextEdit(sampleBox);
    m_sample->setReadOnly(true);
    m_sample->setFont(mono);
    m_sample->setAccessibleName(tr("Sample payload"));
    m_sample->setLayoutDirection(Qt::LeftToRight);
    m_sample->setLineWrapMode(QPlainTextEdit::NoWrap);
    new JsonHighlighter(m_sample->document());
    sampleLayout->addWidget(m_sample, 1);
    layout->addWidget(panes, 1);

    splitter->setStretchFactor(1, 1);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(splitter);

    connect(m_list, &QListWidget::currentRowChanged, this, &EventsPage::showType);
    connect(again, &QPushButton::clicked, this, &EventsPage::renderSample);
    connect(m_template, &QPlainTextEdit::textChanged, this, &EventsPage::checkTemplate);
    connect(m_save, &QPushButton::clicked, this, &EventsPage::saveTemplate);
    connect(m_send, &QPushButton::clicked, this, &EventsPage::sendTest);
    connect(scenario, &QPushButton::clicked, this, [this] { runScenario(QStringLiteral("call")); });
    connect(shift, &QPushButton::clicked, this, [this] { runScenario(QStringLiteral("agent")); });
    connect(addType, &QPushButton::clicked, this, &EventsPage::addCustomType);
    connect(engine, &Engine::endpointsChanged, this, &EventsPage::refreshTargets);
    connect(engine, &Engine::catalogChanged, this, &EventsPage::reloadList);
    reloadList();
    refreshTargets();
}

void EventsPage::reloadList()
{
    const QString current = selectedType();
    QSignalBlocker block(m_list);
    m_list->clear();
    for (const EventType &t : m_engine->catalog().types()) {
        auto *item = new QListWidgetItem(
            t.builtIn ? t.displayName : tr("%1 (custom)").arg(t.displayName), m_list);
        item->setData(Qt::UserRole, t.id);
        item->setToolTip(t.id);
    }
    block.unblock();
    if (!current.isEmpty())
        selectType(current);
    else if (m_list->count() > 0)
        m_list->setCurrentRow(0);
}

void EventsPage::refreshTargets()
{
    const QString current = m_target->currentData().toString();
    m_target->clear();
    m_target->addItem(tr("Every subscribed endpoint"), QString());
    for (const Endpoint &e : m_engine->endpoints())
        m_target->addItem(e.enabled ? e.name : tr("%1 (disabled)").arg(e.name), e.id);
    m_target->setCurrentIndex(qMax(0, m_target->findData(current)));
}

void EventsPage::selectType(const QString &id)
{
    for (int i = 0; i < m_list->count(); ++i) {
        if (m_list->item(i)->data(Qt::UserRole).toString() == id)
            m_list->setCurrentRow(i);
    }
}

QString EventsPage::selectedType() const
{
    const QListWidgetItem *item = m_list->currentItem();
    return item ? item->data(Qt::UserRole).toString() : QString();
}

QString EventsPage::samplePayload() const
{
    return m_sample->toPlainText();
}

QString EventsPage::templateError() const
{
    return m_templateError->isVisibleTo(this) ? m_templateError->text() : QString();
}

bool EventsPage::hasUnsavedTemplate() const
{
    return m_save->isEnabled();
}

void EventsPage::showType(int row)
{
    const EventCatalog catalog = m_engine->catalog();
    if (row < 0 || row >= catalog.types().size())
        return;
    const QString id = catalog.types().at(row).id;
    if (id != m_shownId && !m_shownId.isEmpty() && hasUnsavedTemplate()) {
        // Picking another type would drop the edits: save, discard, or stay.
        const int answer = m_askUnsaved(m_shownId);
        if (answer == QMessageBox::Cancel ||
            (answer == QMessageBox::Save && !saveTemplateOf(m_shownId))) {
            const QSignalBlocker block(m_list);
            selectType(m_shownId);
            return;
        }
    }
    m_shownId = id;
    const EventType &t = catalog.types().at(row);
    m_title->setText(QStringLiteral("<h3>%1 <small><code>%2</code></small></h3>")
                         .arg(t.displayName.toHtmlEscaped(), t.id.toHtmlEscaped()));
    m_description->setText(t.description);
    m_loading = true;
    m_template->setPlainText(t.payloadTemplate);
    m_loading = false;
    checkTemplate();
    m_save->setEnabled(false);
}

void EventsPage::checkTemplate()
{
    const RenderResult r = TemplateRenderer::check(m_template->toPlainText());
    if (r.ok()) {
        m_templateError->hide();
        m_sample->setPlainText(QString::fromUtf8(JsonText::pretty(r.json)));
    } else {
        m_templateError->setText(r.error);
        m_templateError->show();
    }
    // Point at the error in the editor itself: its line gets a tinted background.
    QList<QTextEdit::ExtraSelection> marks;
    if (!r.ok() && r.errorLine > 0) {
        QTextEdit::ExtraSelection mark;
        mark.format.setBackground(QColor(179, 38, 30, 60));
        mark.format.setProperty(QTextFormat::FullWidthSelection, true);
        mark.cursor = QTextCursor(m_template->document()->findBlockByNumber(r.errorLine - 1));
        marks << mark;
    }
    m_template->setExtraSelections(marks);
    m_send->setEnabled(r.ok());
    if (!m_loading)
        m_save->setEnabled(r.ok());
}

void EventsPage::renderSample()
{
    const QString id = selectedType();
    if (id.isEmpty())
        return;
    const RenderResult r =
        m_engine->catalog().render(id, m_sampleData, QDateTime::currentDateTimeUtc());
    if (r.ok())
        m_sample->setPlainText(QString::fromUtf8(JsonText::pretty(r.json)));
}

bool EventsPage::saveTemplate()
{
    return saveTemplateOf(selectedType());
}

bool EventsPage::saveTemplateOf(const QString &typeId)
{
    const EventType *t = m_engine->catalog().find(typeId);
    if (!t)
        return false;
    EventType edited = *t;
    edited.payloadTemplate = m_template->toPlainText();
    // Not "unsaved" any more before the catalog announces the change: the list reloads and
    // reselects from inside the save, and must not ask about these edits again.
    m_save->setEnabled(false);
    const QString error = m_engine->saveEventType(edited);
    if (!error.isEmpty()) {
        m_save->setEnabled(true);
        QMessageBox::warning(this, tr("Template not saved"), error);
        return false;
    }
    emit message(tr("Saved the template of %1.").arg(edited.id));
    return true;
}

void EventsPage::addCustomType()
{
    bool ok = false;
    const QString id =
        QInputDialog::getText(this, tr("New event type"),
                              tr("Id (lower-case words joined by dots, e.g. call.transferred):"),
                              QLineEdit::Normal, QStringLiteral("call.transferred"), &ok)
            .trimmed();
    if (!ok || id.isEmpty())
        return;
    EventType t{id, id, tr("A custom event type."),
                QStringLiteral("{\n  \"type\": \"%1\",\n  \"callID\": \"{{call.id}}\",\n  "
                               "\"startedAt\": \"{{event.time}}\"\n}\n")
                    .arg(id.section(u'.', -1)),
                false};
    const QString error = m_engine->saveEventType(t);
    if (!error.isEmpty()) {
        QMessageBox::warning(this, tr("New event type"), error);
        return;
    }
    reloadList();
    selectType(id);
}

void EventsPage::sendTest()
{
    const QString type = selectedType();
    if (type.isEmpty())
        return;
    QString error;
    const QStringList ids = m_engine->sendTest(type, m_target->currentData().toString(), &error);
    if (ids.isEmpty())
        QMessageBox::warning(this, tr("Send test"), error);
    else
        emit message(
            tr("Sent %1 (deliveries: %2) — see the Live page (Ctrl+3).").arg(type).arg(ids.size()));
}

void EventsPage::runScenario(const QString &kind)
{
    QString error;
    if (!m_engine->runScenario(kind, m_target->currentData().toString(), &error))
        QMessageBox::warning(this, tr("Scenario"), error);
    else
        emit message(kind == QLatin1String("agent")
                         ? tr("Agent shift started: login, then logout.")
                         : tr("Call scenario started: created, ringing, answered, ended."));
}
