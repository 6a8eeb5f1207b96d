// SPDX-License-Identifier: GPL-3.0-or-later
#include "EndpointView.h"

#include "ActivityChart.h"
#include "DeliveryDetailsView.h"
#include "StatusDelegate.h"
#include "StatusStyle.h"
#include "engine/Engine.h"
#include "models/HistoryModel.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace {
// The newest deliveries listed, and the retrying ones (soonest first).
constexpr int kListed = 500;

// "in 3 min", "in 40 s", "now" - how long until a time.
QString untilText(const QDateTime &when, const QDateTime &now)
{
    const qint64 s = now.secsTo(when);
    if (s <= 0)
        return EndpointView::tr("due now");
    const QLocale locale;
    if (s < 90)
        return EndpointView::tr("in %1 s").arg(locale.toString(s));
    if (s < 90 * 60)
        return EndpointView::tr("in %1 min").arg(locale.toString((s + 30) / 60));
    return EndpointView::tr("in %1 h").arg(locale.toString((s + 1800) / 3600));
}
} // namespace

EndpointView::EndpointView(Engine *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
{
    m_confirm = [this](const QString &q) {
        return QMessageBox::question(this, tr("Hookline"), q) == QMessageBox::Yes;
    };
    m_askSince = [this](QDateTime *since) {
        QDialog dialog(this);
        dialog.setWindowTitle(tr("Resend failed deliveries"));
        auto *edit = new QDateTimeEdit(since->toLocalTime(), &dialog);
        edit->setCalendarPopup(true);
        edit->setDisplayFormat(QLocale().dateTimeFormat(QLocale::ShortFormat));
        edit->setMaximumDateTime(QDateTime::currentDateTime());
        auto *explain = new QLabel(tr("Every delivery to this endpoint that failed or was "
                                      "cancelled since this time is sent again, in the order "
                                      "it was published."),
                                   &dialog);
        explain->setWordWrap(true);
        auto *form = new QFormLayout;
        form->addRow(tr("&Since:"), edit);
        auto *buttons =
            new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
        connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
        connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
        auto *layout = new QVBoxLayout(&dialog);
        layout->addWidget(explain);
        layout->addLayout(form);
        layout->addWidget(buttons);
        if (dialog.exec() != QDialog::Accepted)
            return false;
        *since = edit->dateTime().toUTC();
        return true;
    };

    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::PlainText);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    m_title->setFont(titleFont);
    m_state = new QLabel(this);
    m_state->setTextFormat(Qt::PlainText);
    m_state->setWordWrap(true);
    m_spanBox = new QComboBox(this);
    m_spanBox->setObjectName(QStringLiteral("span"));
    m_spanBox->setAccessibleName(tr("Period"));
    m_spanBox->addItem(tr("Last hour"));
    m_spanBox->addItem(tr("Last 24 hours"));
    m_spanBox->addItem(tr("Last 7 days"));
    m_resend = new QPushButton(tr("&Resend failed since…"), this);
    m_resend->setObjectName(QStringLiteral("resend"));
    m_resend->setToolTip(tr("After an outage: send again everything this endpoint missed (failed "
                            "and cancelled deliveries since a time you choose)"));
    auto *head = new QHBoxLayout;
    head->addWidget(m_title);
    head->addWidget(m_state, 1);
    head->addWidget(m_spanBox);
    head->addWidget(m_resend);

    m_figures = new QLabel(this);
    m_figures->setObjectName(QStringLiteral("figures"));
    m_figures->setTextFormat(Qt::RichText);
    m_figures->setWordWrap(true);
    m_figures->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);

    m_outcomes = new ActivityChart(ActivityChart::Kind::Outcomes, this);
    m_latency = new ActivityChart(ActivityChart::Kind::Latency, this);
    auto *charts = new QWidget(this);
    auto *chartsLayout = new QVBoxLayout(charts);
    chartsLayout->setContentsMargins(0, 0, 0, 0);
    chartsLayout->addWidget(m_outcomes, 1);
    chartsLayout->addWidget(m_latency, 1);

    m_recentModel = new HistoryModel(engine, this);
    m_recent = new QTableView(this);
    m_recent->setObjectName(QStringLiteral("recent"));
    m_recent->setAccessibleName(tr("Recent deliveries"));
    m_recent->setModel(m_recentModel);
    m_recent->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_recent->setSelectionMode(QAbstractItemView::SingleSelection);
    m_recent->verticalHeader()->hide();
    m_recent->verticalHeader()->setDefaultSectionSize(m_recent->fontMetrics().height() + 8);
    m_recent->setColumnHidden(HistoryModel::Endpoint, true);
    m_recent->setColumnHidden(HistoryModel::Id, true);
    m_recent->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_recent->horizontalHeader()->setSectionResizeMode(HistoryModel::Event, QHeaderView::Stretch);
    m_recent->setItemDelegateForColumn(
        HistoryModel::Code, new StatusDelegate(HistoryModel::StatusCodeRole,
                                               HistoryModel::ErrorClassRole, 0, m_recent));
    m_redeliver = new QPushButton(tr("Redel&iver"), this);
    m_redeliver->setToolTip(tr("Send the selected delivery again now"));
    auto *recentPage = new QWidget(this);
    auto *recentLayout = new QVBoxLayout(recentPage);
    recentLayout->addWidget(m_recent, 1);
    auto *recentButtons = new QHBoxLayout;
    recentButtons->addStretch();
    recentButtons->addWidget(m_redeliver);
    recentLayout->addLayout(recentButtons);

    m_retrying = new QTreeWidget(this);
    m_retrying->setObjectName(QStringLiteral("retrying"));
    m_retrying->setAccessibleName(tr("Retrying deliveries"));
    m_retrying->setRootIsDecorated(false);
    m_retrying->setHeaderLabels(
        {tr("Next try"), tr("Event"), tr("Attempts"), tr("Last outcome"), tr("Delivery")});
    m_retrying->header()->setSectionResizeMode(QHeaderView::ResizeToContents);

    m_details = new DeliveryDetailsView(this);

    m_tabs = new QTabWidget(this);
    m_tabs->addTab(recentPage, tr("Recent deliveries"));
    m_tabs->addTab(m_retrying, tr("Retrying"));
    m_tabs->addTab(m_details, tr("Request and response"));

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(charts);
    split->addWidget(m_tabs);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setChildrenCollapsible(false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(head);
    layout->addWidget(m_figures);
    layout->addWidget(split, 1);

    connect(m_spanBox, &QComboBox::currentIndexChanged, this,
            [this](int index) { setSpan(static_cast<Span>(index)); });
    connect(m_resend, &QPushButton::clicked, this, &EndpointView::resendSince);
    connect(m_redeliver, &QPushButton::clicked, this, &EndpointView::redeliverSelected);
    connect(m_recent->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &EndpointView::showSelectedDelivery);
    connect(m_recent, &QTableView::activated, this, [this] {
        showSelectedDelivery();
        m_tabs->setCurrentWidget(m_details);
    });
    connect(m_retrying, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        const auto d = m_engine->delivery(item->data(0, Qt::UserRole).toString());
        if (!d)
            return;
        m_shownDelivery = d->id;
        if (d->attempts.isEmpty())
            m_details->showWithoutAttempts(*d);
        else
            m_details->showAttempt(*d, d->attempts.last());
        m_tabs->setCurrentWidget(m_details);
    });

    // Figures follow the deliveries: at most once a second while this endpoint's attempts
    // finish, and every 10 s in any case (other processes on the store deliver too).
    auto *timer = new QTimer(this);
    timer->setInterval(1000);
    auto dirty = std::make_shared<bool>(false);
    auto ticks = std::make_shared<int>(0);
    connect(engine, &Engine::attemptFinished, this, [this, dirty](const Delivery &d) {
        if (d.endpointId == m_id)
            *dirty = true;
    });
    connect(engine, &Engine::endpointsChanged, this, [this, dirty] { *dirty = true; });
    connect(timer, &QTimer::timeout, this, [this, dirty, ticks] {
        if (!isVisible() || m_id.isEmpty())
            return;
        if (!*dirty && ++*ticks % 10 != 0)
            return;
        *dirty = false;
        refresh();
    });
    timer->start();
    setEndpoint({});
}

int EndpointView::binMinutes(Span span)
{
    switch (span) {
    case Span::Hour:
        return 1;
    case Span::Day:
        return 15;
    case Span::Week:
        return 60;
    }
    return 1;
}

qint64 EndpointView::spanMinutes(Span span)
{
    switch (span) {
    case Span::Hour:
        return 60;
    case Span::Day:
        return 24 * 60;
    case Span::Week:
        return 7 * 24 * 60;
    }
    return 60;
}

void EndpointView::setSpan(Span span)
{
    m_span = span;
    if (m_spanBox->currentIndex() != int(span))
        m_spanBox->setCurrentIndex(int(span));
    refresh();
}

void EndpointView::setEndpoint(const QString &endpointId)
{
    const bool changed = endpointId != m_id;
    m_id = endpointId;
    setEnabled(!m_id.isEmpty());
    if (changed) {
        DeliveryQuery q;
        q.endpointId = m_id.isEmpty() ? QStringLiteral("\n") : m_id; // none for no endpoint
        q.countCap = kListed;
        m_recentModel->setQuery(q);
        m_details->clear();
        m_shownDelivery.clear();
    }
    refresh();
}

QString EndpointView::figuresText() const
{
    return m_figures->text();
}

void EndpointView::refresh()
{
    const std::optional<Endpoint> e = m_id.isEmpty() ? std::nullopt : m_engine->endpoint(m_id);
    if (!e) {
        m_title->setText(tr("No endpoint selected"));
        m_state->clear();
        m_figures->clear();
        m_outcomes->setActivity({});
        m_latency->setActivity({});
        m_retrying->clear();
        return;
    }
    m_title->setText(e->name);
    m_state->setText(e->enabled ? QString()
                                : (e->disabledReason.isEmpty()
                                       ? tr("Disabled")
                                       : tr("Disabled: %1").arg(e->disabledReason)));
    // The bins end with the current minute; the span reaches back from there.
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const int bin = binMinutes(m_span);
    const qint64 nowMinute = now.toMSecsSinceEpoch() / 60000;
    const qint64 end = (nowMinute / bin + 1) * bin; // the bin with the current minute, whole
    const QDateTime to = QDateTime::fromMSecsSinceEpoch(end * 60000, Qt::UTC);
    const QDateTime from = to.addSecs(-spanMinutes(m_span) * 60);
    const EndpointActivity activity = m_engine->endpointActivity(m_id, from, to, bin);
    m_outcomes->setActivity(activity);
    m_latency->setActivity(activity);

    const EndpointStats stats = m_engine->endpointStats(m_id);
    refreshRetrying();
    const ActivityCounts &c = activity.total;
    const QLocale locale;
    const QString queued = stats.queued >= EndpointStats::kCountCap
                               ? tr("%1+").arg(locale.toString(stats.queued))
                               : locale.toString(stats.queued);
    const QString b = QStringLiteral("<b>%1</b>");
    QStringList parts;
    parts << tr("%1 attempts").arg(b.arg(locale.toString(c.attempts)));
    if (c.attempts > 0) {
        parts << tr("%1 succeeded")
                     .arg(b.arg(tr("%1 %").arg(locale.toString(c.successRate() * 100, 'f', 1))));
        parts << tr("latency p50 %1 · p95 %2 · p99 %3")
                     .arg(b.arg(ActivityChart::latencyText(c.percentileMs(0.5))),
                          b.arg(ActivityChart::latencyText(c.percentileMs(0.95))),
                          b.arg(ActivityChart::latencyText(c.percentileMs(0.99))));
    }
    parts << tr("%1 queued").arg(b.arg(queued));
    parts << tr("%1 in flight").arg(b.arg(locale.toString(stats.inFlight)));
    parts << tr("%1 retrying").arg(b.arg(locale.toString(m_retrying->topLevelItemCount())));
    m_figures->setText(parts.join(QStringLiteral(" &nbsp;·&nbsp; ")));
    m_recentModel->refresh();
}

void EndpointView::refreshRetrying()
{
    const QList<Delivery> retrying = m_engine->retryingDeliveries(m_id, kListed);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QLocale locale;
    m_retrying->clear();
    for (const Delivery &d : std::as_const(retrying)) {
        auto *item = new QTreeWidgetItem(m_retrying);
        item->setText(
            0, tr("%1 (%2)").arg(locale.toString(d.nextAttempt.toLocalTime(), QLocale::ShortFormat),
                                 untilText(d.nextAttempt, now)));
        item->setText(1, d.eventType);
        item->setText(2, locale.toString(d.attemptCount));
        item->setText(3, StatusStyle::outcomeText(d.lastStatus, d.lastError));
        item->setIcon(3, StatusStyle::outcomeIcon(d.lastStatus, d.lastError));
        item->setText(4, d.id);
        item->setData(0, Qt::UserRole, d.id);
    }
    const int n = m_retrying->topLevelItemCount();
    m_tabs->setTabText(1, n == 0 ? tr("Retrying") : tr("Retrying (%1)").arg(locale.toString(n)));
}

void EndpointView::showSelectedDelivery()
{
    const QModelIndex i = m_recent->currentIndex();
    if (!i.isValid())
        return;
    const QString id = i.siblingAtColumn(0).data(HistoryModel::DeliveryIdRole).toString();
    const auto d = m_engine->delivery(id);
    if (!d)
        return;
    m_shownDelivery = id;
    if (d->attempts.isEmpty())
        m_details->showWithoutAttempts(*d, m_engine->heldBehind(*d));
    else
        m_details->showAttempt(*d, d->attempts.last());
}

void EndpointView::redeliverSelected()
{
    const QModelIndex i = m_recent->currentIndex();
    if (!i.isValid()) {
        emit message(tr("Select a delivery to redeliver."));
        return;
    }
    const QString id = i.siblingAtColumn(0).data(HistoryModel::DeliveryIdRole).toString();
    QString error;
    if (m_engine->redeliver(id, &error))
        emit message(tr("Redelivering %1…").arg(id.left(8)));
    else
        emit message(error);
}

void EndpointView::resendSince()
{
    const std::optional<Endpoint> e = m_id.isEmpty() ? std::nullopt : m_engine->endpoint(m_id);
    if (!e)
        return;
    QDateTime since = QDateTime::currentDateTimeUtc().addSecs(-3600);
    if (!m_askSince(&since))
        return;
    const qint64 n = m_engine->countRecoverable(m_id, since);
    const QLocale locale;
    const QString when = locale.toString(since.toLocalTime(), QLocale::ShortFormat);
    if (n <= 0) {
        QMessageBox::information(
            this, tr("Resend failed deliveries"),
            n < 0 ? tr("The history could not be read.")
                  : tr("Nothing to resend: no delivery to “%1” failed or was cancelled since %2.")
                        .arg(e->name, when));
        return;
    }
    QString question = tr("Resend to “%1” what failed or was cancelled since %2?\n\nDeliveries "
                          "to resend: %3, oldest first.")
                           .arg(e->name, when, locale.toString(n));
    if (!e->enabled)
        question += QStringLiteral("\n") + tr("The endpoint is disabled; it is enabled first.");
    if (!m_confirm(question))
        return;
    QString error;
    if (!e->enabled && !m_engine->setEndpointEnabled(m_id, true, &error)) {
        QMessageBox::warning(this, tr("Resend failed deliveries"), error);
        return;
    }
    QList<Delivery> resent;
    if (!m_engine->recover(m_id, since, &resent, &error)) {
        QMessageBox::warning(this, tr("Resend failed deliveries"), error);
        return;
    }
    emit message(tr("Resending to “%1”: %2 in all.").arg(e->name, locale.toString(resent.size())));
    refresh();
}
