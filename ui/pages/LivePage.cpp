// SPDX-License-Identifier: GPL-3.0-or-later
#include "LivePage.h"

#include "engine/Engine.h"
#include "models/LiveModel.h"
#include "widgets/DeliveryDetailsView.h"
#include "widgets/FilterBoxes.h"
#include "widgets/HintText.h"
#include "widgets/StatusDelegate.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace {

class LiveFilter : public QSortFilterProxyModel
{
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    QString endpoint, event, status;
    void apply() { invalidateRowsFilter(); }

protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override
    {
        const QModelIndex i = sourceModel()->index(row, 0, parent);
        if (!endpoint.isEmpty() && i.data(LiveModel::EndpointIdRole).toString() != endpoint)
            return false;
        if (!event.isEmpty() && i.data(LiveModel::EventTypeRole).toString() != event)
            return false;
        if (!status.isEmpty()) {
            const QString cls = i.data(LiveModel::StatusClassRole).toString();
            if (status == QLatin1String("failed"))
                return cls != QLatin1String("2xx") && cls != QLatin1String("pending");
            return cls == status;
        }
        return true;
    }
};

} // namespace

LivePage::LivePage(Engine *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_model(new LiveModel(this))
    , m_proxy(new LiveFilter(this))
{
    m_proxy->setSourceModel(m_model);

    auto *bar = new QHBoxLayout;
    m_endpoint = new QComboBox(this);
    m_endpoint->setAccessibleName(tr("Filter by endpoint"));
    m_event = new QComboBox(this);
    m_event->setAccessibleName(tr("Filter by event"));
    m_status = new QComboBox(this);
    m_status->setAccessibleName(tr("Filter by status"));
    m_status->addItem(tr("All statuses"), QString());
    m_status->addItem(tr("2xx success"), QStringLiteral("2xx"));
    m_status->addItem(tr("Any failure"), QStringLiteral("failed"));
    m_status->addItem(tr("3xx"), QStringLiteral("3xx"));
    m_status->addItem(tr("4xx"), QStringLiteral("4xx"));
    m_status->addItem(tr("5xx"), QStringLiteral("5xx"));
    m_status->addItem(tr("Network errors"), QStringLiteral("error"));
    m_status->addItem(tr("In flight"), QStringLiteral("pending"));
    m_pause = new QPushButton(tr("&Pause"), this);
    m_pause->setCheckable(true);
    // A shortcut of its own: the button's text switches between "&Pause" and "&Resume", and a
    // button takes its shortcut from its text's mnemonic, which would drop Ctrl+P.
    auto *pauseKey = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_P), this);
    connect(pauseKey, &QShortcut::activated, m_pause, &QPushButton::toggle);
    m_pause->setToolTip(tr("Freeze the list (Ctrl+P); deliveries keep going"));
    auto *clear = new QPushButton(tr("C&lear"), this);
    m_count = new QLabel(this);
    bar->addWidget(new QLabel(tr("Show:"), this));
    bar->addWidget(m_endpoint);
    bar->addWidget(m_event);
    bar->addWidget(m_status);
    bar->addStretch();
    bar->addWidget(m_count);
    bar->addWidget(m_pause);
    bar->addWidget(clear);

    m_view = new QTableView(this);
    m_view->setModel(m_proxy);
    m_view->setAccessibleName(tr("Live deliveries"));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->horizontalHeader()->setSectionResizeMode(LiveModel::Endpoint, QHeaderView::Stretch);
    m_view->setItemDelegateForColumn(
        LiveModel::Status, new StatusDelegate(LiveModel::StatusCodeRole, LiveModel::ErrorClassRole,
                                              LiveModel::StatusClassRole, m_view));
    m_view->setColumnWidth(LiveModel::Time, 110);
    m_view->setColumnWidth(LiveModel::Event, 130);
    m_view->setColumnWidth(LiveModel::Endpoint, 160);
    m_view->setColumnWidth(LiveModel::Status, 90);
    m_view->setColumnWidth(LiveModel::Duration, 90);

    m_emptyHint = new QLabel(tr("Deliveries appear here as they happen. Send a test event from the "
                                "Endpoints page (Ctrl+1, then Ctrl+T) or run a call scenario from "
                                "the Events page."),
                             this);
    m_emptyHint->setWordWrap(true);
    m_emptyHint->setProperty("hint", true);
    HintText::makeHint(m_emptyHint);
    m_details = new DeliveryDetailsView(this);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("liveSplitter"));
    split->addWidget(m_view);
    split->addWidget(m_details);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_emptyHint);
    layout->addWidget(split, 1);

    connect(engine, &Engine::attemptStarted, m_model, &LiveModel::attemptStarted);
    connect(engine, &Engine::attemptFinished, m_model, &LiveModel::attemptFinished);
    connect(engine, &Engine::deliveryHeld, m_model, &LiveModel::deliveryHeld);
    // What other processes on the store (a `hookline run`, another window) send shows too.
    connect(engine, &Engine::attemptRecordedElsewhere, m_model, &LiveModel::attemptFinished);
    engine->watchAttemptsElsewhere();
    // A few updates a second, however fast deliveries come.
    m_flush = new QTimer(this);
    m_flush->setInterval(200);
    connect(m_flush, &QTimer::timeout, this, [this] {
        if (!m_paused)
            flushNow();
    });
    m_flush->start();

    connect(m_pause, &QPushButton::toggled, this, &LivePage::setPaused);
    connect(clear, &QPushButton::clicked, this, [this] {
        m_model->clear();
        m_details->clear();
        m_count->clear();
        m_emptyHint->show();
    });
    for (QComboBox *box : {m_endpoint, m_event, m_status})
        connect(box, &QComboBox::currentIndexChanged, this, &LivePage::applyFilter);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &LivePage::showSelected);
    connect(engine, &Engine::endpointsChanged, this, &LivePage::refreshFilters);
    connect(engine, &Engine::catalogChanged, this, &LivePage::refreshFilters);
    refreshFilters();
}

void LivePage::setPaused(bool paused)
{
    m_paused = paused;
    m_pause->setChecked(paused);
    m_pause->setText(paused ? tr("&Resume") : tr("&Pause"));
    if (!paused)
        flushNow();
}

void LivePage::flushNow()
{
    m_model->flush();
    m_count->setText(tr("Attempts shown: %1").arg(m_proxy->rowCount()));
    m_emptyHint->setVisible(m_model->rowCount() == 0);
    // The details follow the selection, which may have been updated in place. Until the
    // admin picks a row, show the first one rather than an empty pane.
    if (!m_view->selectionModel()->currentIndex().isValid() && m_proxy->rowCount() > 0)
        m_view->setCurrentIndex(m_proxy->index(0, 0));
    else if (m_view->selectionModel()->currentIndex().isValid())
        showSelected();
}

void LivePage::refreshFilters()
{
    m_model->setEndpointNames(FilterBoxes::refill(*m_engine, m_endpoint, m_event));
}

void LivePage::applyFilter()
{
    auto *f = static_cast<LiveFilter *>(m_proxy);
    f->endpoint = m_endpoint->currentData().toString();
    f->event = m_event->currentData().toString();
    f->status = m_status->currentData().toString();
    f->apply();
    m_count->setText(tr("Attempts shown: %1").arg(m_proxy->rowCount()));
    m_emptyHint->setVisible(m_model->rowCount() == 0);
}

void LivePage::showSelected()
{
    const QModelIndex current = m_proxy->mapToSource(m_view->selectionModel()->currentIndex());
    if (!current.isValid()) {
        m_details->clear();
        return;
    }
    const Delivery delivery = m_model->deliveryAt(current.row());
    const Attempt attempt = m_model->attemptAt(current.row());
    // Another process's attempt is listed from its summary: what it sent and got back is read
    // from the store when it is looked at.
    if (attempt.id > 0 && attempt.requestHeaders.isEmpty()) {
        if (const std::optional<Delivery> stored = m_engine->delivery(delivery.id)) {
            for (const Attempt &a : stored->attempts) {
                if (a.id == attempt.id) {
                    m_details->showAttempt(*stored, a);
                    return;
                }
            }
        }
    }
    m_details->showAttempt(delivery, attempt);
}
