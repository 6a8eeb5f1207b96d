// SPDX-License-Identifier: GPL-3.0-or-later
#include "ReceiverPage.h"

#include "engine/Engine.h"
#include "widgets/DeliveryDetailsView.h"
#include "widgets/StatusStyle.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace {
constexpr int kMaxRows = 1000;
}

ReceiverPage::ReceiverPage(Engine *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
{
    auto *top = new QHBoxLayout;
    m_port = new QSpinBox(this);
    m_port->setRange(0, 65535);
    m_port->setSpecialValueText(tr("any free port"));
    m_port->setAccessibleName(tr("Port"));
    m_startStop = new QPushButton(this);
    m_state = new QLabel(this);
    top->addWidget(new QLabel(tr("Port:"), this));
    top->addWidget(m_port);
    top->addWidget(m_startStop);
    top->addWidget(m_state, 1);

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    m_inboxes = new QListWidget(left);
    m_inboxes->setAccessibleName(tr("Inboxes"));
    auto *newInbox = new QPushButton(tr("New &inbox…"), left);
    leftLayout->addWidget(new QLabel(tr("Inboxes"), left));
    leftLayout->addWidget(m_inboxes, 1);
    leftLayout->addWidget(newInbox);

    auto *faults = new QGroupBox(tr("How this inbox answers"), left);
    auto *form = new QFormLayout(faults);
    m_url = new QLabel(faults);
    m_url->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("URL"), m_url);
    m_status = new QSpinBox(faults);
    m_status->setRange(200, 599);
    form->addRow(tr("&Status"), m_status);
    m_delay = new QSpinBox(faults);
    m_delay->setRange(0, 600000);
    m_delay->setSuffix(tr(" ms"));
    form->addRow(tr("&Delay"), m_delay);
    m_failRate = new QDoubleSpinBox(faults);
    m_failRate->setRange(0, 100);
    m_failRate->setSuffix(tr(" % answer 503"));
    form->addRow(tr("Fai&lures"), m_failRate);
    m_retryAfter = new QSpinBox(faults);
    m_retryAfter->setRange(0, 86400);
    m_retryAfter->setSpecialValueText(tr("none"));
    m_retryAfter->setSuffix(tr(" s"));
    form->addRow(tr("Retry-&After"), m_retryAfter);
    m_drip = new QSpinBox(faults);
    m_drip->setRange(0, 60000);
    m_drip->setSpecialValueText(tr("off"));
    m_drip->setSuffix(tr(" ms per byte"));
    form->addRow(tr("Slo&w drip"), m_drip);
    m_drop = new QCheckBox(tr("Close the connection without answering"), faults);
    form->addRow(tr("D&rop"), m_drop);
    m_script = new QLineEdit(faults);
    m_script->setPlaceholderText(tr("e.g. 503, 503, 200 (0 drops)"));
    form->addRow(tr("S&cript"), m_script);
    m_body = new QPlainTextEdit(faults);
    m_body->setObjectName(QStringLiteral("answerBody"));
    m_body->setTabChangesFocus(true);
    m_body->setLayoutDirection(Qt::LeftToRight); // a response body: code, left to right
    m_body->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_body->setFixedHeight(m_body->fontMetrics().lineSpacing() * 3 + 12);
    m_body->setToolTip(tr("What this inbox answers with, whatever the status: {\"ok\": false}, "
                          "an error your integration should handle, an empty body…"));
    form->addRow(tr("Answer &body"), m_body);
    m_contentType = new QLineEdit(faults);
    m_contentType->setObjectName(QStringLiteral("answerType"));
    m_contentType->setPlaceholderText(QStringLiteral("application/json"));
    form->addRow(tr("Content t&ype"), m_contentType);
    m_secret = new QLineEdit(faults);
    m_secret->setPlaceholderText(tr("whsec_… to check signatures"));
    form->addRow(tr("S&ecret"), m_secret);
    auto *apply = new QPushButton(tr("A&pply"), faults);
    form->addRow(QString(), apply);
    leftLayout->addWidget(faults);

    m_requests = new QTableWidget(0, 6, this);
    m_requests->setHorizontalHeaderLabels(
        {tr("Time"), tr("Inbox"), tr("Request"), tr("Size"), tr("Answered"), tr("Signature")});
    m_requests->setAccessibleName(tr("Received requests"));
    m_requests->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_requests->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_requests->setSelectionMode(QAbstractItemView::SingleSelection);
    m_requests->verticalHeader()->hide();
    // The request line takes what is left (and elides); the short columns, the signature
    // verdict among them, keep their text whole at any window width.
    m_requests->horizontalHeader()->setStretchLastSection(false);
    m_requests->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_requests->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_requests->setWordWrap(false);
    m_requests->verticalHeader()->setDefaultSectionSize(m_requests->fontMetrics().height() + 8);
    m_detail = new QPlainTextEdit(this);
    m_detail->setReadOnly(true);
    m_detail->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_detail->setAccessibleName(tr("Request details"));
    m_detail->setLayoutDirection(Qt::LeftToRight);
    m_detail->setPlaceholderText(tr("Select a request to see its headers and body."));
    m_filter = new QComboBox(this);
    m_filter->setObjectName(QStringLiteral("inboxFilter"));
    auto *filterLabel = new QLabel(tr("Show inbo&x:"), this);
    filterLabel->setBuddy(m_filter);
    auto *requestsBox = new QWidget(this);
    auto *requestsLayout = new QVBoxLayout(requestsBox);
    requestsLayout->setContentsMargins(0, 0, 0, 0);
    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(filterLabel);
    filterRow->addWidget(m_filter);
    filterRow->addStretch();
    requestsLayout->addLayout(filterRow);
    requestsLayout->addWidget(m_requests, 1);
    auto *right = new QSplitter(Qt::Vertical, this);
    right->addWidget(requestsBox);
    right->addWidget(m_detail);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("receiverSplitter"));
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);

    connect(m_startStop, &QPushButton::clicked, this, [this] {
        if (m_engine->isReceiverListening()) {
            m_engine->stopReceiver();
        } else {
            QString error;
            if (!startReceiver(&error))
                QMessageBox::warning(this, tr("Receiver"), error);
        }
        refreshState();
    });
    connect(newInbox, &QPushButton::clicked, this, [this] {
        bool ok = false;
        const QString name =
            QInputDialog::getText(this, tr("New inbox"), tr("Name (letters, digits, - and _):"),
                                  QLineEdit::Normal, QStringLiteral("crm"), &ok);
        if (!ok)
            return;
        InboxConfig c;
        c.name = name.trimmed();
        const QString error = m_engine->setInbox(c);
        if (!error.isEmpty())
            QMessageBox::warning(this, tr("New inbox"), error);
        refreshInboxes();
    });
    connect(m_inboxes, &QListWidget::currentRowChanged, this, &ReceiverPage::loadInbox);
    connect(m_filter, &QComboBox::currentIndexChanged, this, &ReceiverPage::applyFilter);
    connect(apply, &QPushButton::clicked, this, &ReceiverPage::applyInbox);
    connect(engine, &Engine::requestCaptured, this,
            [this](const CapturedRequest &r) { m_pending.append(r); });
    connect(m_requests, &QTableWidget::currentCellChanged, this,
            [this](int row) { showRequest(row); });
    m_flush = new QTimer(this);
    m_flush->setInterval(250);
    connect(m_flush, &QTimer::timeout, this, &ReceiverPage::appendPending);
    m_flush->start();
    connect(engine, &Engine::endpointsChanged, this, &ReceiverPage::refreshInboxes);
    refreshState();
    refreshInboxes();
}

bool ReceiverPage::startReceiver(QString *error)
{
    if (!m_engine->startReceiver(quint16(m_port->value()), error))
        return false;
    refreshState();
    refreshInboxes();
    return true;
}

void ReceiverPage::refreshState()
{
    if (m_engine->isReceiverListening()) {
        m_state->setText(tr("Listening on 127.0.0.1:%1%2")
                             .arg(m_engine->receiverPort())
                             .arg(m_engine->receiverHasIpv6() ? tr(" and [::1]") : QString()));
        m_startStop->setText(tr("S&top"));
        m_port->setValue(m_engine->receiverPort());
        m_port->setEnabled(false);
    } else {
        m_state->setText(tr("Stopped. Start it to receive test deliveries on this machine."));
        m_startStop->setText(tr("S&tart"));
        m_port->setEnabled(true);
    }
    loadInbox();
    emit stateChanged();
}

void ReceiverPage::refreshInboxes()
{
    const QString current = m_inboxes->currentItem() ? m_inboxes->currentItem()->text() : QString();
    QSignalBlocker block(m_inboxes);
    m_inboxes->clear();
    const QStringList names = m_engine->inboxNames();
    m_inboxes->addItems(names);
    const auto found = m_inboxes->findItems(current, Qt::MatchExactly);
    block.unblock();
    const QString filtered = m_filter->currentData().toString();
    {
        QSignalBlocker blockFilter(m_filter);
        m_filter->clear();
        m_filter->addItem(tr("All inboxes"), QString());
        for (const QString &name : names)
            m_filter->addItem(name, name);
        m_filter->setCurrentIndex(qMax(0, m_filter->findData(filtered)));
    }
    m_inboxes->setCurrentRow(found.isEmpty() ? 0 : m_inboxes->row(found.first()));
}

void ReceiverPage::loadInbox()
{
    const QListWidgetItem *item = m_inboxes->currentItem();
    if (!item) {
        m_url->clear();
        return;
    }
    const InboxConfig c = m_engine->inbox(item->text());
    m_url->setText(m_engine->isReceiverListening() ? m_engine->inboxUrl(c.name).toString()
                                                   : tr("(start the receiver)"));
    m_status->setValue(c.status);
    m_delay->setValue(c.delayMs);
    m_failRate->setValue(c.failRate * 100.0);
    m_retryAfter->setValue(c.retryAfterSeconds);
    m_drip->setValue(c.dripIntervalMs);
    m_drop->setChecked(c.closeWithoutAnswer);
    QStringList script;
    for (int s : c.script)
        script << QString::number(s);
    m_script->setText(script.join(QLatin1String(", ")));
    m_secret->setText(c.secret);
    m_body->setPlainText(QString::fromUtf8(c.body));
    m_contentType->setText(QString::fromLatin1(c.contentType));
}

void ReceiverPage::setInboxFilter(const QString &inbox)
{
    m_filter->setCurrentIndex(qMax(0, m_filter->findData(inbox)));
    applyFilter();
}

void ReceiverPage::applyFilter()
{
    const QString inbox = m_filter->currentData().toString();
    for (int row = 0; row < m_requests->rowCount() && row < m_shown.size(); ++row)
        m_requests->setRowHidden(row, !inbox.isEmpty() && m_shown.at(row).inbox != inbox);
}

void ReceiverPage::applyInbox()
{
    const QListWidgetItem *item = m_inboxes->currentItem();
    if (!item)
        return;
    InboxConfig c = m_engine->inbox(item->text());
    c.status = m_status->value();
    c.delayMs = m_delay->value();
    c.failRate = m_failRate->value() / 100.0;
    c.retryAfterSeconds = m_retryAfter->value();
    c.dripIntervalMs = m_drip->value();
    c.closeWithoutAnswer = m_drop->isChecked();
    c.secret = m_secret->text().trimmed();
    c.body = m_body->toPlainText().toUtf8();
    const QString type = m_contentType->text().trimmed();
    c.contentType = type.isEmpty() ? QByteArrayLiteral("application/json") : type.toUtf8();
    c.script.clear();
    for (const QString &part : m_script->text().split(u',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const int code = part.trimmed().toInt(&ok);
        if (!ok) {
            QMessageBox::warning(
                this, tr("Inbox"),
                tr("“%1” in the script is not a status code.").arg(part.trimmed()));
            return;
        }
        c.script << code;
    }
    const QString error = m_engine->setInbox(c);
    if (!error.isEmpty())
        QMessageBox::warning(this, tr("Inbox"), error);
    else
        emit message(tr("Inbox “%1” updated.").arg(c.name));
}

void ReceiverPage::appendPending()
{
    if (m_pending.isEmpty())
        return;
    const QList<CapturedRequest> batch = std::exchange(m_pending, {});
    m_requests->setUpdatesEnabled(false);
    for (const CapturedRequest &r : batch) {
        m_requests->insertRow(0);
        m_shown.prepend(r);
        const QString answered =
            r.responseStatus ? QString::number(r.responseStatus) : tr("dropped");
        const QStringList cells = {
            r.received.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz")),
            r.inbox.isEmpty() ? tr("(none)") : r.inbox,
            QString::fromLatin1(r.method) + u' ' + QString::fromUtf8(r.target),
            tr("%1 B").arg(r.bodySize),
            answered,
            StatusStyle::verdictText(r.signature.verdict)};
        for (int c = 0; c < cells.size(); ++c)
            m_requests->setItem(0, c, new QTableWidgetItem(cells.at(c)));
        m_requests->item(0, 5)->setForeground(
            StatusStyle::verdictColor(r.signature.verdict, palette()));
        m_requests->item(0, 5)->setIcon(StatusStyle::verdictIcon(r.signature.verdict));
        const ErrorClass answerClass =
            r.responseStatus ? errorClassForStatus(r.responseStatus) : ErrorClass::Aborted;
        m_requests->item(0, 4)->setForeground(
            StatusStyle::outcomeColor(r.responseStatus, answerClass, palette()));
        m_requests->item(0, 4)->setIcon(StatusStyle::outcomeIcon(r.responseStatus, answerClass));
    }
    while (m_requests->rowCount() > kMaxRows) {
        m_requests->removeRow(m_requests->rowCount() - 1);
        m_shown.removeLast();
    }
    applyFilter();
    m_requests->setUpdatesEnabled(true);
}

void ReceiverPage::showRequest(int row)
{
    if (row < 0 || row >= m_shown.size()) {
        m_detail->clear();
        return;
    }
    const CapturedRequest &r = m_shown.at(row);
    QString text =
        QStringLiteral("%1 %2\n").arg(QString::fromLatin1(r.method), QString::fromUtf8(r.target));
    text += tr("from %1:%2 at %3\n")
                .arg(r.remoteAddress)
                .arg(r.remotePort)
                .arg(r.received.toLocalTime().toString(Qt::ISODateWithMs));
    text += tr("signature: %1 — %2\n")
                .arg(StatusStyle::verdictText(r.signature.verdict), r.signature.reason);
    if (!r.note.isEmpty())
        text += tr("fault played: %1\n").arg(r.note);
    text += u'\n';
    for (const auto &h : r.headers)
        text += QString::fromLatin1(h.first) + QLatin1String(": ") + QString::fromUtf8(h.second) +
                u'\n';
    text += u'\n' + DeliveryDetailsView::formatBody(r.body);
    if (r.bodySize > r.body.size())
        text += u'\n' + tr("(%1 of %2 bytes kept)").arg(r.body.size()).arg(r.bodySize);
    m_detail->setPlainText(text);
}
