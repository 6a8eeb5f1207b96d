// SPDX-License-Identifier: GPL-3.0-or-later
#include "HistoryPage.h"

#include "engine/Engine.h"
#include "export/DeliveryExport.h"
#include "models/HistoryModel.h"
#include "widgets/DeliveryDetailsView.h"
#include "widgets/FilterBoxes.h"
#include "widgets/HistoryScroller.h"
#include "widgets/StatusDelegate.h"
#include "widgets/StatusStyle.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollBar>
#include <QSplitter>
#include <QStandardPaths>
#include <QStyle>
#include <QTableView>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

HistoryPage::HistoryPage(Engine *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_model(new HistoryModel(engine, this))
{
    m_confirm = [this](const QString &question) {
        return QMessageBox::question(this, tr("Retry all failed"), question) == QMessageBox::Yes;
    };
    auto *bar = new QHBoxLayout;
    m_endpoint = new QComboBox(this);
    m_endpoint->setAccessibleName(tr("Filter by endpoint"));
    m_event = new QComboBox(this);
    m_event->setAccessibleName(tr("Filter by event"));
    m_state = new QComboBox(this);
    m_state->setAccessibleName(tr("Filter by state"));
    m_state->setObjectName(QStringLiteral("stateFilter"));
    m_state->addItem(tr("Any state"), -1);
    for (DeliveryState s :
         {DeliveryState::Succeeded, DeliveryState::Failed, DeliveryState::Retrying,
          DeliveryState::Pending, DeliveryState::InFlight, DeliveryState::Cancelled})
        m_state->addItem(StatusStyle::stateText(s), int(s));
    m_code = new QComboBox(this);
    m_code->setAccessibleName(tr("Filter by response code"));
    m_code->addItem(tr("Any code"), QString());
    m_code->addItem(tr("2xx"), QStringLiteral("2xx"));
    m_code->addItem(tr("3xx"), QStringLiteral("3xx"));
    m_code->addItem(tr("4xx"), QStringLiteral("4xx"));
    m_code->addItem(tr("5xx"), QStringLiteral("5xx"));
    m_code->addItem(tr("No answer (network)"), QStringLiteral("error"));
    m_range = new QComboBox(this);
    m_range->setAccessibleName(tr("Time range"));
    m_range->addItem(tr("Any time"), 0);
    m_range->addItem(tr("Last hour"), 3600);
    m_range->addItem(tr("Last 24 hours"), 86400);
    m_range->addItem(tr("Last 7 days"), 7 * 86400);
    bar->addWidget(m_endpoint);
    bar->addWidget(m_event);
    bar->addWidget(m_state);
    bar->addWidget(m_code);
    bar->addWidget(m_range);
    bar->addStretch();
    m_count = new QLabel(this);
    bar->addWidget(m_count);

    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search payloads, responses, ids, endpoint names…"));
    m_search->setAccessibleName(tr("Search payloads, responses, ids and endpoint names"));
    m_search->setToolTip(tr("Finds deliveries by text in their payload or a response, by "
                            "webhook-id, delivery id (or its start) or event id, "
                            "and by endpoint name"));
    m_search->setClearButtonEnabled(true);
    m_search->setMinimumWidth(220);

    auto *actions = new QHBoxLayout;
    actions->addWidget(m_search, 1);
    auto *redeliver = new QPushButton(tr("&Redeliver"), this);
    redeliver->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    redeliver->setToolTip(tr("Send the selected delivery again now (Ctrl+Shift+R)"));
    auto *retryFailed = new QPushButton(tr("Retry all &failed"), this);
    retryFailed->setToolTip(tr("Redeliver every failed delivery that matches the filters"));
    auto *exportButton = new QPushButton(tr("&Export…"), this);
    exportButton->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportButton->setToolTip(tr("Save the filtered rows as CSV or JSON Lines (Ctrl+E)"));
    actions->addSpacing(12);
    actions->addWidget(redeliver);
    actions->addWidget(retryFailed);
    actions->addWidget(exportButton);

    m_view = new QTableView(this);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->setModel(m_model);
    m_view->setAccessibleName(tr("Delivery history"));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    // One line per row: a delivery id is elided in its middle (its start and end stay
    // readable), never wrapped at its hyphens into a second line the row cannot show.
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->setItemDelegateForColumn(
        HistoryModel::Code,
        new StatusDelegate(HistoryModel::StatusCodeRole, HistoryModel::ErrorClassRole, 0, m_view));
    int widths[] = {150, 120, 150, 90, 80, 70, 80};
    // The state column fits its longest word in this language, beside its icon ("succeeded"
    // was cut to "succee…" at a fixed 90 px).
    const int icon = m_view->style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, m_view);
    for (DeliveryState s :
         {DeliveryState::Pending, DeliveryState::InFlight, DeliveryState::Succeeded,
          DeliveryState::Retrying, DeliveryState::Failed, DeliveryState::Cancelled}) {
        const int text = m_view->fontMetrics().horizontalAdvance(StatusStyle::stateText(s));
        widths[HistoryModel::State] = qMax(widths[HistoryModel::State], text + icon + 24);
    }
    for (int c = 0; c < 7; ++c)
        m_view->setColumnWidth(c, widths[c]);

    auto *detailBox = new QWidget(this);
    auto *detailLayout = new QVBoxLayout(detailBox);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    auto *attemptRow = new QHBoxLayout;
    attemptRow->addWidget(new QLabel(tr("Attempt:"), detailBox));
    m_attempt = new QComboBox(detailBox);
    m_attempt->setObjectName(QStringLiteral("attemptPicker"));
    m_attempt->setAccessibleName(tr("Attempt"));
    // "#3 manual · timeout" whole, not "#3 sc".
    m_attempt->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_attempt->setMinimumContentsLength(20);
    attemptRow->addWidget(m_attempt);
    attemptRow->addStretch();
    detailLayout->addLayout(attemptRow);
    m_details = new DeliveryDetailsView(detailBox);
    detailLayout->addWidget(m_details, 1);

    // The table and a scroll bar over the whole history (the model shows a window of it).
    auto *tableBox = new QWidget(this);
    auto *tableLayout = new QHBoxLayout(tableBox);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->setSpacing(0);
    auto *scrollBar = new QScrollBar(Qt::Vertical, tableBox);
    scrollBar->setObjectName(QStringLiteral("historyScrollBar"));
    scrollBar->setAccessibleName(tr("Position in the history"));
    tableLayout->addWidget(m_view, 1);
    tableLayout->addWidget(scrollBar);
    m_scroller = new HistoryScroller(m_view, m_model, scrollBar);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("historySplitter"));
    split->addWidget(tableBox);
    split->addWidget(detailBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addLayout(actions);
    layout->addWidget(split, 1);

    for (QComboBox *box : {m_endpoint, m_event, m_state, m_code, m_range})
        connect(box, &QComboBox::currentIndexChanged, this, &HistoryPage::applyFilters);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &HistoryPage::showSelected);
    connect(m_attempt, &QComboBox::currentIndexChanged, this, &HistoryPage::showAttempt);
    connect(redeliver, &QPushButton::clicked, this, &HistoryPage::redeliverSelected);
    connect(retryFailed, &QPushButton::clicked, this, [this] {
        const int n = retryAllFailed();
        if (n >= 0)
            emit message(tr("Failed deliveries sent again: %1").arg(n));
    });
    connect(exportButton, &QPushButton::clicked, this, &HistoryPage::chooseExport);
    // Search as the admin types, once they pause; a newer search abandons the running one.
    m_searchDelay = new QTimer(this);
    m_searchDelay->setSingleShot(true);
    m_searchDelay->setInterval(300);
    connect(m_search, &QLineEdit::textChanged, m_searchDelay, qOverload<>(&QTimer::start));
    connect(m_searchDelay, &QTimer::timeout, this, [this] { search(m_search->text()); });
    connect(engine, &Engine::searchFinished, this,
            [this](int id, const QList<qint64> &seqs, bool truncated, const QString &error) {
                if (id != m_searchId)
                    return; // an older search, overtaken
                m_matches = seqs;
                applyFilters();
                if (!error.isEmpty())
                    emit message(error);
                else if (truncated)
                    emit message(
                        tr("Showing the newest %1 matches; refine the search to see others.")
                            .arg(seqs.size()));
                emit searchFinished(int(seqs.size()));
            });

    // New and finished deliveries show up within a second, in one re-count, not per row.
    auto markDirty = [this] {
        m_dirty = 2;
    };
    connect(engine, &Engine::deliveriesQueued, this, markDirty);
    connect(engine, &Engine::attemptFinished, this, markDirty);
    connect(engine, &Engine::deliveriesChangedElsewhere, this, markDirty);
    m_refresh = new QTimer(this);
    m_refresh->setInterval(1000);
    connect(m_refresh, &QTimer::timeout, this, [this] {
        // While the store cannot be read (a shared store's server gone), keep what is shown.
        if (m_dirty == 0 || !isVisible() || m_engine->isStoreUnreachable())
            return;
        --m_dirty;
        m_model->refresh();
        m_count->setText(tr("Deliveries: %1").arg(m_model->totalCount()));
        if (!m_selected.id.isEmpty())
            showSelected();
    });
    m_refresh->start();
    connect(engine, &Engine::endpointsChanged, this, &HistoryPage::refreshFilters);
    connect(engine, &Engine::catalogChanged, this, &HistoryPage::refreshFilters);
    refreshFilters();
    m_count->setText(tr("Deliveries: %1").arg(m_model->totalCount()));
    if (m_model->rowCount() > 0)
        m_view->setCurrentIndex(m_model->index(0, 0)); // details are never empty for nothing
}

void HistoryPage::search(const QString &text)
{
    m_searchDelay->stop();
    if (text.trimmed().isEmpty()) {
        m_engine->cancelSearch();
        m_searchId = 0;
        m_matches.reset();
        applyFilters();
        return;
    }
    m_searchId = m_engine->searchDeliveries(text.trimmed());
    m_count->setText(tr("Searching…"));
}

bool HistoryPage::isSearching() const
{
    return m_engine->isSearching();
}

HistoryPage::~HistoryPage()
{
    if (m_exportThread) {
        m_cancelExport->store(true);
        m_exportThread->wait();
        delete m_exportThread;
    }
}

void HistoryPage::refreshFilters()
{
    m_model->setEndpointNames(FilterBoxes::refill(*m_engine, m_endpoint, m_event));
}

DeliveryQuery HistoryPage::currentQuery() const
{
    DeliveryQuery q;
    q.endpointId = m_endpoint->currentData().toString();
    q.eventType = m_event->currentData().toString();
    const int state = m_state->currentData().toInt();
    if (state >= 0)
        q.state = DeliveryState(state);
    q.codeClass = m_code->currentData().toString();
    const int seconds = m_range->currentData().toInt();
    if (seconds > 0)
        q.from = QDateTime::currentDateTimeUtc().addSecs(-seconds);
    q.onlySeqs = m_matches;
    return q;
}

void HistoryPage::applyFilters()
{
    m_model->setQuery(currentQuery());
    m_count->setText(tr("Deliveries: %1").arg(m_model->totalCount()));
    m_selected = Delivery();
    m_details->clear();
    m_attempt->clear();
}

void HistoryPage::showSelected()
{
    const QModelIndex current = m_view->selectionModel()->currentIndex();
    if (!current.isValid())
        return;
    const QString id = m_model->deliveryAt(current.row()).id;
    const auto d = m_engine->delivery(id);
    if (!d)
        return;
    // The same delivery keeps the attempt the admin picked - unless a new attempt came
    // (a redelivery, a retry): then the new one, which is what they are waiting to see.
    const bool same = m_selected.id == d->id && m_selected.attempts.size() == d->attempts.size();
    const int keep = m_attempt->currentIndex();
    m_selected = *d;
    QSignalBlocker block(m_attempt);
    m_attempt->clear();
    for (const Attempt &a : m_selected.attempts)
        m_attempt->addItem(StatusStyle::outcomeIcon(a.responseStatus, a.errorClass),
                           tr("#%1 %2 · %3")
                               .arg(a.number)
                               .arg(StatusStyle::triggerText(a.trigger),
                                    StatusStyle::outcomeText(a.responseStatus, a.errorClass)));
    if (m_selected.attempts.isEmpty()) {
        m_details->showWithoutAttempts(m_selected, m_engine->heldBehind(m_selected));
        return;
    }
    const int pick = same && keep >= 0 && keep < m_attempt->count() ? keep : m_attempt->count() - 1;
    m_attempt->setCurrentIndex(pick);
    showAttempt(pick);
}

void HistoryPage::showAttempt(int index)
{
    if (index >= 0 && index < m_selected.attempts.size())
        m_details->showAttempt(m_selected, m_selected.attempts.at(index));
}

void HistoryPage::redeliverSelected()
{
    const QModelIndex current = m_view->selectionModel()->currentIndex();
    if (!current.isValid()) {
        emit message(tr("Select a delivery to redeliver."));
        return;
    }
    QString error;
    const QString id = m_model->deliveryAt(current.row()).id;
    if (m_engine->redeliver(id, &error))
        emit message(tr("Redelivering %1…").arg(id.left(8)));
    else
        QMessageBox::warning(this, tr("Redeliver"), error);
}

int HistoryPage::retryAllFailed()
{
    DeliveryQuery q = currentQuery();
    // Only what the filters show: with State set to anything but failed, no failed delivery
    // is on screen, so none is sent (three hidden ones once were).
    if (q.state && *q.state != DeliveryState::Failed) {
        emit message(tr("No failed deliveries are shown: the State filter is “%1”. Choose "
                        "State: failed (or all) to retry them.")
                         .arg(StatusStyle::stateText(*q.state)));
        return 0;
    }
    q.state = DeliveryState::Failed;
    const qint64 count = qMin<qint64>(m_engine->countDeliveries(q), kRetryAllLimit);
    if (count == 0) {
        emit message(tr("No failed deliveries match the filters."));
        return 0;
    }
    if (!m_confirm(tr("Send %n failed delivery(s) that match the filters again? Each keeps its "
                      "webhook-id, so receivers can tell a repeat.",
                      nullptr, int(count))))
        return -1;
    q.limit = kRetryAllLimit;
    int n = 0;
    for (const Delivery &d : m_engine->deliveries(q)) {
        if (m_engine->redeliver(d.id, nullptr))
            ++n;
    }
    return n;
}

void HistoryPage::chooseExport()
{
    if (m_exportThread) {
        m_cancelExport->store(true);
        return;
    }
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    QString selected;
    const QString chosen = QFileDialog::getSaveFileName(
        this, tr("Export deliveries"), dir + QLatin1String("/hookline-deliveries.csv"),
        tr("CSV (*.csv);;JSON Lines (*.jsonl)"), &selected);
    if (chosen.isEmpty())
        return;
    const QString path = exportPath(chosen, selected);
    QString error;
    if (!exportTo(path, &error))
        QMessageBox::warning(this, tr("Export"), error);
}

QString HistoryPage::exportPath(const QString &path, const QString &selectedFilter)
{
    // The format follows the file name; a name without an extension gets the one of the
    // filter chosen in the dialog (a JSON Lines export was once written as CSV).
    if (!QFileInfo(path).suffix().isEmpty())
        return path;
    return path + (selectedFilter.contains(QLatin1String("*.jsonl")) ? QLatin1String(".jsonl")
                                                                     : QLatin1String(".csv"));
}

bool HistoryPage::exportTo(const QString &path, QString *error)
{
    if (m_exportThread) {
        if (error)
            *error = tr("An export is already running.");
        return false;
    }
    const ExportFormat format = path.endsWith(QLatin1String(".jsonl"), Qt::CaseInsensitive) ||
                                        path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)
                                    ? ExportFormat::JsonLines
                                    : ExportFormat::Csv;
    m_engine->flush(nullptr);
    const DeliveryQuery query = currentQuery();
    const QString database = m_engine->databasePath();
    m_cancelExport = std::make_shared<std::atomic<bool>>(false);
    auto cancel = m_cancelExport;
    // Its own connection on its own thread: a million rows must not freeze the window.
    m_exportThread = QThread::create([this, path, format, query, database, cancel] {
        ExportResult result;
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly)) {
            result.error = tr("Cannot write %1: %2").arg(path, file.errorString());
        } else {
            result = Engine::exportDeliveries(database, query, format, &file, cancel.get());
            if (result.error.isEmpty() && !result.cancelled && !file.commit())
                result.error = tr("Cannot write %1: %2").arg(path, file.errorString());
        }
        QMetaObject::invokeMethod(
            this,
            [this, result] {
                m_exportThread->wait();
                delete m_exportThread;
                m_exportThread = nullptr;
                const QString text = result.cancelled ? tr("Export cancelled.") : result.error;
                emit exportFinished(result.rows, text);
                emit message(text.isEmpty() ? tr("Exported deliveries: %1").arg(result.rows)
                                            : text);
            },
            Qt::QueuedConnection);
    });
    m_exportThread->start();
    emit message(tr("Exporting to %1…").arg(path));
    return true;
}
