// SPDX-License-Identifier: GPL-3.0-or-later
#include "EndpointsPage.h"

#include "dialogs/EndpointDialog.h"
#include "engine/Engine.h"
#include "models/EndpointsModel.h"
#include "widgets/EndpointView.h"
#include "widgets/StatusDelegate.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

EndpointsPage::EndpointsPage(Engine *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_model(new EndpointsModel(engine, this))
{
    m_runDialog = [](QDialog *d) {
        return d->exec() == QDialog::Accepted;
    };
    m_confirm = [this](const QString &q) {
        return QMessageBox::question(this, tr("Hookline"), q) == QMessageBox::Yes;
    };

    auto *bar = new QHBoxLayout;
    auto *add = new QPushButton(tr("&Add…"), this);
    add->setShortcut(QKeySequence::New);
    add->setToolTip(tr("Register a new endpoint (Ctrl+N)"));
    auto *local = new QPushButton(tr("Add &local test endpoint"), this);
    local->setToolTip(tr("An endpoint that delivers to Hookline's built-in receiver"));
    m_edit = new QPushButton(tr("&Edit…"), this);
    m_duplicate = new QPushButton(tr("D&uplicate"), this);
    m_delete = new QPushButton(tr("&Delete"), this);
    m_toggle = new QPushButton(tr("Disa&ble"), this);
    for (QWidget *w : {static_cast<QWidget *>(add), static_cast<QWidget *>(local),
                       static_cast<QWidget *>(m_edit), static_cast<QWidget *>(m_duplicate),
                       static_cast<QWidget *>(m_toggle), static_cast<QWidget *>(m_delete)})
        bar->addWidget(w);
    bar->addStretch();
    m_testEvent = new QComboBox(this);
    m_testEvent->setAccessibleName(tr("Test event"));
    m_send = new QPushButton(tr("Send &test"), this);
    m_send->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    m_send->setToolTip(tr("Send the chosen event to the selected endpoint now, even when it is "
                          "disabled (Ctrl+T)"));
    bar->addWidget(m_testEvent);
    bar->addWidget(m_send);

    m_view = new QTableView(this);
    m_view->setModel(m_model);
    m_view->setAccessibleName(tr("Endpoints"));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->horizontalHeader()->setSectionResizeMode(EndpointsModel::Url, QHeaderView::Stretch);
    // The short columns as wide as their text, so the URL keeps the room.
    for (int column : {EndpointsModel::State, EndpointsModel::Events, EndpointsModel::SuccessRate,
                       EndpointsModel::Queued, EndpointsModel::InFlight, EndpointsModel::Limits})
        m_view->horizontalHeader()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    m_view->setColumnWidth(EndpointsModel::Name, 180);
    m_view->setItemDelegateForColumn(EndpointsModel::LastStatus,
                                     new StatusDelegate(EndpointsModel::StatusCodeRole,
                                                        EndpointsModel::ErrorClassRole, 0, m_view));
    m_empty = new QLabel(tr("No endpoints yet. <b>Add…</b> registers a URL that should receive "
                            "webhooks; <b>Add local test endpoint</b> creates one that delivers to "
                            "Hookline's own receiver, so you can try everything right away."),
                         this);
    m_empty->setWordWrap(true);
    m_empty->setAlignment(Qt::AlignCenter);

    m_endpointView = new EndpointView(engine, this);
    connect(m_endpointView, &EndpointView::message, this, &EndpointsPage::message);
    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_view, 1);
    topLayout->addWidget(m_empty);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("endpointSplit"));
    split->addWidget(top);
    split->addWidget(m_endpointView);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    split->setChildrenCollapsible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(split, 1);

    connect(add, &QPushButton::clicked, this, &EndpointsPage::addEndpoint);
    connect(local, &QPushButton::clicked, this, &EndpointsPage::addLocalTestEndpoint);
    connect(m_edit, &QPushButton::clicked, this, &EndpointsPage::editSelected);
    connect(m_view, &QTableView::activated, this, &EndpointsPage::editSelected);
    connect(m_duplicate, &QPushButton::clicked, this, &EndpointsPage::duplicateSelected);
    connect(m_delete, &QPushButton::clicked, this, &EndpointsPage::deleteSelected);
    auto *del = new QShortcut(QKeySequence::Delete, m_view);
    connect(del, &QShortcut::activated, this, &EndpointsPage::deleteSelected);
    connect(m_toggle, &QPushButton::clicked, this, &EndpointsPage::toggleSelected);
    connect(m_send, &QPushButton::clicked, this, &EndpointsPage::sendTest);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &EndpointsPage::updateActions);
    connect(engine, &Engine::endpointsChanged, this, [this] {
        const QString id = selectedId();
        m_model->reload();
        select(id);
        updateActions();
    });
    connect(engine, &Engine::catalogChanged, this, &EndpointsPage::refreshEvents);
    connect(engine, &Engine::attemptFinished, this, [this] { m_statsDirty = 2; });
    connect(engine, &Engine::attemptStarted, this, [this] { m_statsDirty = 2; });
    connect(engine, &Engine::deliveriesQueued, this, [this] { m_statsDirty = 2; });
    m_stats = new QTimer(this);
    m_stats->setInterval(1000);
    connect(m_stats, &QTimer::timeout, this, [this] {
        // Every 5 s regardless: other processes on the store (hookline run) queue and
        // deliver too.
        if (m_statsDirty == 0 && ++m_statsTicks % 5 != 0)
            return;
        m_statsDirty = qMax(0, m_statsDirty - 1);
        m_model->refreshStats();
    });
    m_stats->start();
    refreshEvents();
    if (m_model->rowCount() > 0)
        m_view->selectRow(0);
    updateActions();
}

QString EndpointsPage::selectedId() const
{
    const QModelIndex i = m_view->selectionModel()->currentIndex();
    return i.isValid() ? i.siblingAtColumn(0).data(EndpointsModel::EndpointIdRole).toString()
                       : QString();
}

void EndpointsPage::select(const QString &id)
{
    const int row = m_model->rowOf(id);
    if (row >= 0)
        m_view->selectRow(row);
}

void EndpointsPage::refreshEvents()
{
    const QString current = m_testEvent->currentData().toString();
    m_testEvent->clear();
    for (const EventType &t : m_engine->catalog().types())
        m_testEvent->addItem(t.displayName, t.id);
    m_testEvent->setCurrentIndex(qMax(
        0, m_testEvent->findData(current.isEmpty() ? QStringLiteral("call.ringing") : current)));
}

void EndpointsPage::updateActions()
{
    const QString id = selectedId();
    const bool has = !id.isEmpty();
    for (QPushButton *b : {m_edit, m_duplicate, m_delete, m_toggle, m_send})
        b->setEnabled(has);
    if (has) {
        const Endpoint e = m_model->endpointAt(m_model->rowOf(id));
        m_toggle->setText(e.enabled ? tr("Disa&ble") : tr("Ena&ble"));
    }
    m_empty->setVisible(m_model->rowCount() == 0);
    if (m_endpointView->endpointId() != id)
        m_endpointView->setEndpoint(id);
}

bool EndpointsPage::editEndpoint(Endpoint endpoint)
{
    for (;;) {
        EndpointDialog dialog(m_engine->catalog(), endpoint, this);
        dialog.setLocalInboxProvider([this](Endpoint *e) {
            QString error;
            if (!m_engine->startReceiver(0, &error)) {
                emit message(error);
                return;
            }
            m_engine->attachOwnTestInbox(e);
        });
        if (!m_runDialog(&dialog))
            return false;
        endpoint = dialog.endpoint();
        const QList<ValidationError> errors = m_engine->saveEndpoint(&endpoint);
        if (errors.isEmpty())
            break;
        QStringList messages;
        for (const ValidationError &v : errors)
            messages << v.message;
        QMessageBox::warning(this, tr("Endpoint not saved"), messages.join(u'\n'));
    }
    select(endpoint.id);
    emit message(tr("Saved endpoint “%1”.").arg(endpoint.name));
    return true;
}

void EndpointsPage::addEndpoint()
{
    editEndpoint(Endpoint());
}

void EndpointsPage::addLocalTestEndpoint()
{
    QString error;
    if (!m_engine->startReceiver(0, &error)) {
        QMessageBox::warning(this, tr("Receiver"), error);
        return;
    }
    Endpoint e = m_defaults();
    e.description = tr("Delivers to Hookline's built-in receiver (Receiver page).");
    // Each its own inbox and secret: the Receiver page shows its requests apart, and its
    // signatures check against its own secret.
    const QString inbox = m_engine->attachOwnTestInbox(&e);
    e.name = inbox == QLatin1String("test") ? tr("Local test inbox")
                                            : tr("Local test inbox (%1)").arg(inbox);
    const QList<ValidationError> errors = m_engine->saveEndpoint(&e);
    if (!errors.isEmpty()) {
        QMessageBox::warning(this, tr("Endpoint not saved"), errors.first().message);
        return;
    }
    select(e.id);
    emit message(tr("Added “%1” at %2.").arg(e.name, e.url));
}

void EndpointsPage::editSelected()
{
    const int row = m_model->rowOf(selectedId());
    if (row >= 0)
        editEndpoint(m_model->endpointAt(row));
}

void EndpointsPage::duplicateSelected()
{
    const int row = m_model->rowOf(selectedId());
    if (row < 0)
        return;
    Endpoint copy = m_model->endpointAt(row);
    copy.id.clear();
    copy.created = QDateTime();
    copy.name = tr("%1 (copy)").arg(copy.name);
    editEndpoint(copy);
}

void EndpointsPage::deleteSelected()
{
    const int row = m_model->rowOf(selectedId());
    if (row < 0)
        return;
    const Endpoint e = m_model->endpointAt(row);
    if (!m_confirm(
            tr("Delete the endpoint “%1” (%2)? Its delivery history is kept.").arg(e.name, e.url)))
        return;
    if (m_engine->removeEndpoint(e.id))
        emit message(tr("Deleted “%1”.").arg(e.name));
}

void EndpointsPage::toggleSelected()
{
    const int row = m_model->rowOf(selectedId());
    if (row < 0)
        return;
    const Endpoint e = m_model->endpointAt(row);
    m_engine->setEndpointEnabled(e.id, !e.enabled);
    emit message(e.enabled ? tr("Disabled “%1”.").arg(e.name) : tr("Enabled “%1”.").arg(e.name));
}

void EndpointsPage::sendTest()
{
    const QString id = selectedId();
    if (id.isEmpty())
        return;
    QString error;
    const QString type = m_testEvent->currentData().toString();
    if (m_engine->sendTest(type, id, &error).isEmpty())
        QMessageBox::warning(this, tr("Send test"), error);
    else
        emit message(tr("Sent %1 — watch it on the Live page (Ctrl+3).").arg(type));
}
