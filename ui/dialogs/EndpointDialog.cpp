// SPDX-License-Identifier: GPL-3.0-or-later
#include "EndpointDialog.h"

#include "i18n/Language.h"
#include "signing/WebhookSigner.h"
#include "widgets/HintText.h"

#include <QAbstractScrollArea>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

EndpointDialog::EndpointDialog(const EventCatalog &catalog, const Endpoint &e, QWidget *parent)
    : QDialog(parent)
    , m_catalog(catalog)
    , m_base(e)
{
    setWindowTitle(e.id.isEmpty() ? tr("Add endpoint") : tr("Edit endpoint “%1”").arg(e.name));
    setMinimumWidth(640);
    auto *outer = new QVBoxLayout(this);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setFocusPolicy(Qt::NoFocus); // Tab goes field to field; the area follows focus
    auto *content = new QWidget(scroll);
    auto *form = new QFormLayout(content);
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    scroll->setWidget(content);
    outer->addWidget(scroll, 1);

    auto withError = [this, form, content](const QString &label, QWidget *field,
                                           const QString &key) {
        auto *box = new QWidget(content);
        auto *v = new QVBoxLayout(box);
        v->setContentsMargins(0, 0, 0, 0);
        v->setSpacing(2);
        v->addWidget(field);
        QLabel *error = errorLabel(key);
        error->setParent(box);
        v->addWidget(error);
        box->setFocusProxy(field); // the label's mnemonic focuses the field itself
        form->addRow(label, box);
        // The label is the box's buddy, so a screen reader would not find it for the field.
        QWidget *input = field->focusProxy() ? field->focusProxy() : field;
        if (input->accessibleName().isEmpty())
            input->setAccessibleName(QString(label).remove(QLatin1Char('&')));
    };

    m_name = new QLineEdit(e.name, content);
    m_name->setPlaceholderText(tr("CRM call log"));
    withError(tr("&Name"), m_name, QStringLiteral("name"));

    auto *urlRow = new QWidget(content);
    auto *urlLayout = new QHBoxLayout(urlRow);
    urlLayout->setContentsMargins(0, 0, 0, 0);
    m_url = new QLineEdit(e.url, urlRow);
    m_url->setPlaceholderText(tr("https://crm.example.com/hooks/calls"));
    m_localButton = new QPushButton(tr("Use a local test &inbox"), urlRow);
    m_localButton->setToolTip(tr("Point this endpoint at Hookline's built-in receiver"));
    m_localButton->setVisible(false);
    urlLayout->addWidget(m_url, 1);
    urlLayout->addWidget(m_localButton);
    urlRow->setFocusProxy(m_url);
    withError(tr("&URL"), urlRow, QStringLiteral("url"));

    m_description = new QLineEdit(e.description, content);
    form->addRow(tr("Descri&ption"), m_description);
    m_enabled = new QCheckBox(tr("Deliver events to this endpoint"), content);
    m_enabled->setChecked(e.enabled);
    form->addRow(tr("&Enabled"), m_enabled);
    if (!e.enabled && !e.disabledReason.isEmpty()) {
        auto *why = new QLabel(tr("Disabled by Hookline: %1").arg(e.disabledReason), content);
        why->setWordWrap(true);
        form->addRow(QString(), why);
    }

    // Events: "all", or one box per event type with its description.
    auto *events = new QGroupBox(content);
    // As wide as the form allows: the descriptions wrap into fewer lines, and the form
    // layout (which only widens expanding fields) gives them the height they need.
    events->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    auto *ev = new QVBoxLayout(events);
    m_allEvents = new QCheckBox(tr("&All events, including ones added later"), events);
    m_allEvents->setChecked(e.allEvents);
    ev->addWidget(m_allEvents);
    for (const EventType &t : m_catalog.types()) {
        auto *box = new QCheckBox(QStringLiteral("%1  (%2)").arg(t.displayName, t.id), events);
        box->setToolTip(t.description);
        box->setChecked(e.eventTypes.contains(t.id));
        box->setEnabled(!e.allEvents);
        ev->addWidget(box);
        auto *desc = new QLabel(t.description, events);
        desc->setWordWrap(true);
        desc->setIndent(24);
        desc->setProperty("hint", true);
        HintText::makeHint(desc);
        ev->addWidget(desc);
        m_eventBoxes.insert(t.id, box);
        connect(box, &QCheckBox::toggled, this, &EndpointDialog::validate);
    }
    connect(m_allEvents, &QCheckBox::toggled, this, [this](bool all) {
        for (QCheckBox *b : std::as_const(m_eventBoxes))
            b->setEnabled(!all);
        validate();
    });
    withError(tr("E&vents"), events, QStringLiteral("eventTypes"));

    m_format = new QComboBox(content);
    m_format->addItem(tr("JSON (application/json)"), int(PayloadFormat::Json));
    m_format->addItem(tr("XML (application/xml)"), int(PayloadFormat::Xml));
    m_format->addItem(tr("Form (application/x-www-form-urlencoded)"), int(PayloadFormat::Form));
    m_format->setCurrentIndex(m_format->findData(int(e.format)));
    form->addRow(tr("&Format"), m_format);

    auto *headerBox = new QWidget(content);
    auto *hv = new QVBoxLayout(headerBox);
    hv->setContentsMargins(0, 0, 0, 0);
    m_headers = new QTableWidget(0, 2, headerBox);
    m_headers->setHorizontalHeaderLabels({tr("Header"), tr("Value")});
    m_headers->horizontalHeader()->setStretchLastSection(true);
    m_headers->verticalHeader()->hide();
    m_headers->setAccessibleName(tr("Custom headers"));
    m_headers->setMinimumHeight(90);
    for (const HttpHeader &h : e.headers)
        addHeaderRow(h.name, h.value);
    auto *hb = new QHBoxLayout;
    auto *addHeader = new QPushButton(tr("Add &header"), headerBox);
    auto *removeHeader = new QPushButton(tr("Remove header"), headerBox);
    hb->addWidget(addHeader);
    hb->addWidget(removeHeader);
    hb->addStretch();
    hv->addWidget(m_headers);
    hv->addLayout(hb);
    connect(addHeader, &QPushButton::clicked, this, [this] {
        addHeaderRow(QStringLiteral("x-api-key"), QString());
        m_headers->editItem(m_headers->item(m_headers->rowCount() - 1, 1));
    });
    connect(removeHeader, &QPushButton::clicked, this, [this] {
        if (m_headers->currentRow() >= 0)
            m_headers->removeRow(m_headers->currentRow());
        validate();
    });
    connect(m_headers, &QTableWidget::itemChanged, this, &EndpointDialog::validate);
    withError(tr("&Custom headers"), headerBox, QStringLiteral("headers"));

    auto *secretRow = new QWidget(content);
    auto *sr = new QHBoxLayout(secretRow);
    sr->setContentsMargins(0, 0, 0, 0);
    m_secret = new QLineEdit(e.secret, secretRow);
    m_secret->setEchoMode(QLineEdit::Password);
    m_secret->setPlaceholderText(tr("empty: deliveries are not signed"));
    auto *generate = new QPushButton(tr("&Generate"), secretRow);
    auto *reveal = new QPushButton(tr("Show"), secretRow);
    reveal->setCheckable(true);
    auto *copy = new QPushButton(tr("Copy"), secretRow);
    auto *rotate = new QPushButton(tr("&Rotate"), secretRow);
    rotate->setToolTip(tr("New secret; the current one stays valid for 24 hours"));
    rotate->setEnabled(!e.secret.isEmpty());
    for (QWidget *w : {static_cast<QWidget *>(m_secret), static_cast<QWidget *>(generate),
                       static_cast<QWidget *>(reveal), static_cast<QWidget *>(copy),
                       static_cast<QWidget *>(rotate)})
        sr->addWidget(w);
    sr->setStretch(0, 1);
    secretRow->setFocusProxy(m_secret);
    connect(generate, &QPushButton::clicked, this,
            [this] { m_secret->setText(WebhookSigner::generateSecret()); });
    connect(reveal, &QPushButton::toggled, this, [this, reveal](bool on) {
        m_secret->setEchoMode(on ? QLineEdit::Normal : QLineEdit::Password);
        reveal->setText(on ? tr("Hide") : tr("Show"));
    });
    connect(copy, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_secret->text()); });
    connect(rotate, &QPushButton::clicked, this, [this, rotate] {
        m_base.previousSecret = m_secret->text();
        m_base.previousSecretExpires = QDateTime::currentDateTimeUtc().addDays(1);
        m_secret->setText(WebhookSigner::generateSecret());
        rotate->setEnabled(false);
    });
    withError(tr("Signing &secret"), secretRow, QStringLiteral("secret"));

    m_timeout = new QSpinBox(content);
    m_timeout->setRange(kMinTimeoutMs, kMaxTimeoutMs);
    m_timeout->setSingleStep(500);
    m_timeout->setSuffix(tr(" ms"));
    m_timeout->setValue(e.timeoutMs);
    withError(tr("&Timeout"), m_timeout, QStringLiteral("timeoutMs"));

    m_attempts = new QSpinBox(content);
    m_attempts->setRange(1, kMaxAttemptsLimit);
    m_attempts->setValue(e.retry.maxAttempts);
    form->addRow(tr("Ma&x attempts"), m_attempts);
    QStringList schedule;
    for (int s : e.retry.scheduleSeconds)
        schedule << QString::number(s);
    m_schedule = new QLineEdit(schedule.join(QLatin1String(", ")), content);
    m_schedule->setToolTip(tr("Seconds to wait before each retry, e.g. 5, 300, 1800"));
    withError(tr("Retry &delays (s)"), m_schedule, QStringLiteral("retry"));
    m_disableAfter = new QSpinBox(content);
    m_disableAfter->setRange(0, 10000);
    m_disableAfter->setSpecialValueText(tr("never"));
    m_disableAfter->setSuffix(tr(" failed deliveries in a row"));
    m_disableAfter->setValue(e.retry.disableAfterFailures);
    form->addRow(tr("Disab&le after"), m_disableAfter);
    m_verifyTls = new QCheckBox(tr("Verify TLS certificates (turn off only for testing)"), content);
    m_verifyTls->setChecked(e.verifyTls);
    form->addRow(tr("TLS"), m_verifyTls);
    m_h2c = new QCheckBox(tr("HTTP/2 without TLS (prior knowledge)"), content);
    m_h2c->setChecked(e.http2Cleartext);
    form->addRow(tr("HTTP/2"), m_h2c);
    m_http1Only = new QCheckBox(tr("&Only HTTP/1.1, even if the server offers HTTP/2"), content);
    m_http1Only->setObjectName(QStringLiteral("http1Only"));
    m_http1Only->setChecked(e.http1Only);
    form->addRow(tr("HTTP/1.1"), m_http1Only);
    // One or the other: a cleartext HTTP/2 endpoint cannot be HTTP/1.1 only.
    connect(m_h2c, &QCheckBox::toggled, this, [this](bool on) {
        if (on)
            m_http1Only->setChecked(false);
    });
    connect(m_http1Only, &QCheckBox::toggled, this, [this](bool on) {
        if (on)
            m_h2c->setChecked(false);
    });

    m_maxInFlight = new QSpinBox(content);
    m_maxInFlight->setObjectName(QStringLiteral("maxInFlight"));
    m_maxInFlight->setRange(kMinInFlight, kMaxInFlight);
    m_maxInFlight->setSuffix(tr(" attempts at once"));
    m_maxInFlight->setValue(e.maxInFlight);
    m_maxInFlight->setToolTip(tr("How many deliveries to this endpoint may be under way at the "
                                 "same time. A slow receiver needs more; 1 sends one at a time."));
    withError(tr("Concurrenc&y"), m_maxInFlight, QStringLiteral("limits"));
    m_rate = new QDoubleSpinBox(content);
    m_rate->setObjectName(QStringLiteral("ratePerSecond"));
    m_rate->setRange(0, kMaxRatePerSecond);
    m_rate->setDecimals(2);
    m_rate->setSpecialValueText(tr("no limit"));
    m_rate->setSuffix(tr(" per second"));
    m_rate->setValue(e.ratePerSecond);
    m_rate->setToolTip(tr("The most deliveries started per second, on average, for receivers "
                          "that throttle. Deliveries beyond it wait their turn; none are lost."));
    form->addRow(tr("Rate li&mit"), m_rate);
    m_burst = new QSpinBox(content);
    m_burst->setObjectName(QStringLiteral("rateBurst"));
    m_burst->setRange(0, kMaxRateBurst);
    m_burst->setSpecialValueText(tr("the rate, rounded up"));
    m_burst->setValue(e.rateBurst);
    m_burst->setToolTip(tr("How many deliveries may start at once after a quiet spell."));
    m_burst->setEnabled(e.ratePerSecond > 0);
    form->addRow(tr("&Burst"), m_burst);
    m_orderKey = new QLineEdit(e.orderKey, content);
    m_orderKey->setObjectName(QStringLiteral("orderKey"));
    m_orderKey->setPlaceholderText(tr("off — for example /callID"));
    m_orderKey->setToolTip(
        tr("A field of the payload, as a JSON pointer. Deliveries whose payloads hold the same "
           "value there reach this endpoint one at a time, in the order they were published; "
           "a failing one holds the later ones back until it succeeds or gives up."));
    withError(tr("Order &key"), m_orderKey, QStringLiteral("orderKey"));
    connect(m_rate, &QDoubleSpinBox::valueChanged, this, [this](double rate) {
        m_burst->setEnabled(rate > 0);
        validate();
    });

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    outer->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        validate();
        if (canSave())
            accept();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_localButton, &QPushButton::clicked, this, [this] {
        if (!m_localInbox)
            return;
        Endpoint current = endpoint();
        m_localInbox(&current);
        m_url->setText(current.url);
        m_secret->setText(current.secret);
        if (m_name->text().trimmed().isEmpty())
            m_name->setText(tr("Local test inbox"));
    });

    for (QLineEdit *edit : {m_name, m_url, m_secret, m_schedule, m_description, m_orderKey})
        connect(edit, &QLineEdit::textChanged, this, &EndpointDialog::validate);
    for (QSpinBox *spin : {m_timeout, m_attempts, m_disableAfter, m_maxInFlight, m_burst})
        connect(spin, &QSpinBox::valueChanged, this, &EndpointDialog::validate);
    connect(m_h2c, &QCheckBox::toggled, this, &EndpointDialog::validate);
    validate();
    // In a scrolling form the wheel belongs to the form: a combo box or spin box under the
    // pointer takes it only once the admin has focused it (a scroll once turned JSON into
    // Form and saved it).
    for (QWidget *w : content->findChildren<QWidget *>()) {
        if (qobject_cast<QComboBox *>(w) || qobject_cast<QAbstractSpinBox *>(w)) {
            w->setFocusPolicy(Qt::StrongFocus);
            w->installEventFilter(this);
        }
    }
    m_name->setFocus();
}

bool EndpointDialog::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Wheel) {
        auto *w = qobject_cast<QWidget *>(watched);
        if (w && !w->hasFocus()) {
            // The form scrolls instead.
            for (QWidget *p = w->parentWidget(); p; p = p->parentWidget()) {
                if (auto *area = qobject_cast<QAbstractScrollArea *>(p)) {
                    QCoreApplication::sendEvent(area->viewport(), event);
                    break;
                }
            }
            return true;
        }
    }
    return QDialog::eventFilter(watched, event);
}

void EndpointDialog::setLocalInboxProvider(std::function<void(Endpoint *)> provider)
{
    m_localInbox = std::move(provider);
    m_localButton->setVisible(bool(m_localInbox));
}

QLabel *EndpointDialog::errorLabel(const QString &field)
{
    auto *label = new QLabel(this);
    label->setObjectName(field + QLatin1String("Error"));
    label->setWordWrap(true);
    label->setStyleSheet(QStringLiteral("color: #b3261e;"));
    label->hide();
    m_errorLabels.insert(field, label);
    return label;
}

void EndpointDialog::addHeaderRow(const QString &name, const QString &value)
{
    QSignalBlocker block(m_headers);
    const int row = m_headers->rowCount();
    m_headers->insertRow(row);
    m_headers->setItem(row, 0, new QTableWidgetItem(name));
    m_headers->setItem(row, 1, new QTableWidgetItem(value));
    validate();
}

Endpoint EndpointDialog::endpoint() const
{
    Endpoint e = m_base;
    e.name = m_name->text().trimmed();
    e.url = m_url->text().trimmed();
    e.description = m_description->text();
    e.enabled = m_enabled->isChecked();
    if (e.enabled)
        e.disabledReason.clear();
    e.allEvents = m_allEvents->isChecked();
    e.eventTypes.clear();
    for (const EventType &t : m_catalog.types()) {
        if (m_eventBoxes.value(t.id)->isChecked())
            e.eventTypes << t.id;
    }
    e.format = PayloadFormat(m_format->currentData().toInt());
    e.headers.clear();
    for (int r = 0; r < m_headers->rowCount(); ++r) {
        const QString name =
            m_headers->item(r, 0) ? m_headers->item(r, 0)->text().trimmed() : QString();
        const QString value = m_headers->item(r, 1) ? m_headers->item(r, 1)->text() : QString();
        if (name.isEmpty() && value.isEmpty())
            continue;
        e.headers.append({name, value});
    }
    e.secret = m_secret->text().trimmed();
    e.timeoutMs = m_timeout->value();
    e.retry.maxAttempts = m_attempts->value();
    e.retry.disableAfterFailures = m_disableAfter->value();
    e.retry.scheduleSeconds.clear();
    for (const QString &part : m_schedule->text().split(u',', Qt::SkipEmptyParts))
        e.retry.scheduleSeconds << part.trimmed().toInt();
    e.verifyTls = m_verifyTls->isChecked();
    e.http2Cleartext = m_h2c->isChecked();
    e.http1Only = m_http1Only->isChecked();
    e.maxInFlight = m_maxInFlight->value();
    e.ratePerSecond = m_rate->value();
    e.rateBurst = m_burst->value();
    e.orderKey = m_orderKey->text().trimmed();
    return e;
}

void EndpointDialog::validate()
{
    if (!m_buttons)
        return; // still building the form
    m_errors = validateEndpoint(endpoint(), m_catalog.ids());
    for (const QString &part : m_schedule->text().split(u',', Qt::SkipEmptyParts)) {
        bool ok = false;
        part.trimmed().toInt(&ok);
        if (!ok) {
            m_errors.append({QStringLiteral("retry"),
                             tr("“%1” is not a number of seconds. Write the delays like "
                                "5, 300, 1800.")
                                 .arg(part.trimmed())});
            break;
        }
    }
    for (auto it = m_errorLabels.begin(); it != m_errorLabels.end(); ++it) {
        QStringList messages;
        for (const ValidationError &v : std::as_const(m_errors)) {
            if (v.field == it.key())
                messages << v.message;
        }
        it.value()->setText(Language::unbrokenUrls(messages.join(u'\n')));
        it.value()->setVisible(!messages.isEmpty());
    }
    m_buttons->button(QDialogButtonBox::Save)->setEnabled(m_errors.isEmpty());
}

bool EndpointDialog::canSave() const
{
    return m_errors.isEmpty();
}

QString EndpointDialog::fieldError(const QString &field) const
{
    const QLabel *l = m_errorLabels.value(field);
    return l && l->isVisibleTo(this) ? Language::plain(l->text()) : QString();
}
