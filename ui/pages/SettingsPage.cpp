// SPDX-License-Identifier: GPL-3.0-or-later
#include "SettingsPage.h"

#include "domain/EndpointValidation.h"
#include "engine/Engine.h"
#include "i18n/Language.h"
#include "settings/AppSettings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <memory>

SettingsPage::SettingsPage(Engine *engine, AppSettings *settings, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_settings(settings)
{
    // Two columns (Data and Security | Delivery and Interface) above the API, so that the
    // page fits a 700-pixel-high window without scrolling.
    auto *layout = new QGridLayout(this);

    auto *data = new QGroupBox(tr("Data"), this);
    auto *df = new QFormLayout(data);
    auto *path = new QLabel(Language::ltr(engine->databaseName()), data);
    path->setTextInteractionFlags(Qt::TextSelectableByMouse);
    path->setObjectName(QStringLiteral("databaseName"));
    path->setWordWrap(true);
    auto *change = new QPushButton(tr("&Change…"), data);
    change->setObjectName(QStringLiteral("changeDatabase"));
    change->setToolTip(tr("Use another store: a SQLite file, or a PostgreSQL database shared "
                          "with other Hookline windows and workers"));
    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(path, 1);
    pathRow->addWidget(change);
    df->addRow(tr("Database"), pathRow);
    m_storageError = new QLabel(data);
    m_storageError->setObjectName(QStringLiteral("storageError"));
    m_storageError->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_storageError->setWordWrap(true);
    m_storageError->hide();
    df->addRow(QString(), m_storageError);
    connect(change, &QPushButton::clicked, this, [this] {
        QString url = m_settings->databaseUrl();
        const bool given = m_askDatabase ? m_askDatabase(this, &url) : [this, &url] {
            bool ok = false;
            url = QInputDialog::getText(
                this, tr("Change the database"),
                tr("A SQLite file (sqlite:/path/to/hookline.sqlite) or a PostgreSQL database "
                   "(postgresql://user:password@host:5432/dbname). Empty: the file in your "
                   "data directory."),
                QLineEdit::Normal, url, &ok);
            return ok;
        }();
        if (given)
            chooseDatabase(url.trimmed());
    });
    m_days = new QSpinBox(data);
    m_days->setRange(0, 3650);
    m_days->setSpecialValueText(tr("forever"));
    m_days->setSuffix(tr(" days"));
    m_days->setValue(settings->retentionDays());
    df->addRow(tr("Keep &history for"), m_days);
    m_rows = new QSpinBox(data);
    m_rows->setRange(0, 100000000);
    m_rows->setSingleStep(100000);
    m_rows->setSpecialValueText(tr("no limit"));
    m_rows->setSuffix(tr(" deliveries at most"));
    m_rows->setValue(int(settings->retentionMaxDeliveries()));
    df->addRow(tr("and"), m_rows);
    auto *applyNow = new QPushButton(tr("Apply retention &now"), data);
    applyNow->setToolTip(
        tr("Delete finished deliveries beyond these limits (pending and retrying work is kept)"));
    df->addRow(QString(), applyNow);
    layout->addWidget(data, 0, 0);

    auto *delivery = new QGroupBox(tr("Delivery"), this);
    auto *dl = new QFormLayout(delivery);
    m_inFlight = new QSpinBox(delivery);
    m_inFlight->setObjectName(QStringLiteral("maxInFlight"));
    m_inFlight->setRange(1, Engine::kMaxGlobalInFlight);
    m_inFlight->setValue(engine->maxInFlight());
    m_inFlight->setToolTip(tr("Deliveries under way at once over all endpoints, in each Hookline "
                              "process that delivers. Each endpoint has its own limit too."));
    dl->addRow(tr("Requests in flight in &total"), m_inFlight);
    QStringList schedule;
    for (int s : settings->defaultRetrySchedule())
        schedule << QString::number(s);
    m_schedule = new QLineEdit(schedule.join(QLatin1String(", ")), delivery);
    m_schedule->setToolTip(tr("Seconds before each retry, for endpoints created from now on"));
    dl->addRow(tr("Default retry &delays (s)"), m_schedule);
    m_alertPercent = new QSpinBox(delivery);
    m_alertPercent->setObjectName(QStringLiteral("alertPercent"));
    m_alertPercent->setRange(0, 100);
    m_alertPercent->setSuffix(tr(" %"));
    m_alertPercent->setSpecialValueText(tr("never"));
    m_alertPercent->setValue(settings->failureAlertPercent());
    m_alertPercent->setToolTip(tr("A desktop notification when this share of an endpoint's "
                                  "attempts failed over the last 5 minutes (at least 10 "
                                  "attempts). Disabled endpoints are always reported."));
    m_scheduleError = new QLabel(delivery);
    m_scheduleError->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_scheduleError->hide();
    dl->addRow(QString(), m_scheduleError);
    dl->addRow(tr("Notify &when failures reach"), m_alertPercent);
    layout->addWidget(delivery, 0, 1);

    // Store-wide: every Hookline process on this database applies the same (EgressPolicy.h).
    auto *security = new QGroupBox(tr("Security (for every process on this database)"), this);
    auto *sf = new QFormLayout(security);
    m_egress = new QComboBox(security);
    m_egress->setObjectName(QStringLiteral("egressLevel"));
    m_egress->addItem(tr("Any address"), int(EgressPolicy::Level::Any));
    m_egress->addItem(tr("Not link-local or cloud metadata (recommended)"),
                      int(EgressPolicy::Level::NoLinkLocal));
    m_egress->addItem(tr("Public addresses only"), int(EgressPolicy::Level::PublicOnly));
    m_egress->setToolTip(tr("Which addresses deliveries may connect to. Checked on the address "
                            "each attempt connects to, so a host name cannot be turned into a "
                            "private address later."));
    const EgressPolicy policy = engine->egressPolicy();
    m_egress->setCurrentIndex(qMax(0, m_egress->findData(int(policy.level))));
    sf->addRow(tr("Deliveries may &reach"), m_egress);
    m_egressAllow = new QLineEdit(policy.allowEntries().join(u' '), security);
    m_egressAllow->setObjectName(QStringLiteral("egressAllow"));
    m_egressAllow->setPlaceholderText(tr("e.g. crm.internal 10.0.0.0/8"));
    sf->addRow(tr("But always &allow"), m_egressAllow);
    m_securityError = new QLabel(security);
    m_securityError->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_securityError->setWordWrap(true);
    m_securityError->hide();
    sf->addRow(QString(), m_securityError);
    m_payloadLimit = new QSpinBox(security);
    m_payloadLimit->setObjectName(QStringLiteral("payloadLimit"));
    m_payloadLimit->setRange(1, 64 * 1024);
    m_payloadLimit->setSuffix(tr(" KiB"));
    m_payloadLimit->setValue(int(engine->maxPayloadBytes() / 1024));
    sf->addRow(tr("Largest &payload"), m_payloadLimit);
    auto *keyFile = new QLabel(engine->secretKeyLocation(), security);
    keyFile->setTextInteractionFlags(Qt::TextSelectableByMouse);
    keyFile->setToolTip(tr("Signing secrets and custom header values are stored encrypted with "
                           "this key. Back it up with the database; without it they must be "
                           "entered again."));
    sf->addRow(tr("Secrets are sealed with"), keyFile);
    layout->addWidget(security, 1, 0);
    connect(m_egress, &QComboBox::activated, this, &SettingsPage::saveSecurity);
    connect(m_egressAllow, &QLineEdit::editingFinished, this, &SettingsPage::saveSecurity);
    connect(m_payloadLimit, &QSpinBox::valueChanged, this, &SettingsPage::saveSecurity);

    auto *api = new QGroupBox(tr("API"), this);
    auto *af = new QFormLayout(api);
    m_apiOn = new QCheckBox(tr("&Serve the API to scripts and other systems"), api);
    m_apiOn->setChecked(engine->isApiServing());
    af->addRow(m_apiOn);
    m_apiAddress = new QLineEdit(settings->apiListen(), api);
    m_apiAddress->setToolTip(tr("A loopback address and port, such as 127.0.0.1:8470. To serve "
                                "other machines, use 'hookline serve' with TLS."));
    af->addRow(tr("&Address"), m_apiAddress);
    m_apiStatus = new QLabel(api);
    m_apiStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    af->addRow(QString(), m_apiStatus);
    m_tokens = new QTableWidget(0, 4, api);
    m_tokens->setObjectName(QStringLiteral("apiTokens"));
    m_tokens->setAccessibleName(tr("API tokens"));
    m_tokens->setHorizontalHeaderLabels({tr("Name"), tr("Access"), tr("Created"), tr("Last used")});
    m_tokens->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tokens->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_tokens->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_tokens->horizontalHeader()->setSectionResizeMode(3, QHeaderView::ResizeToContents);
    m_tokens->verticalHeader()->hide();
    m_tokens->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tokens->setSelectionMode(QAbstractItemView::SingleSelection);
    m_tokens->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_tokens->setMaximumHeight(140);
    af->addRow(tr("&Tokens"), m_tokens);
    auto *tokenButtons = new QHBoxLayout;
    auto *newToken = new QPushButton(tr("&New token…"), api);
    m_tokenReadOnly = new QCheckBox(tr("&Read-only"), api);
    m_tokenReadOnly->setToolTip(tr("A read-only token may read, not change or publish"));
    m_revoke = new QPushButton(tr("Re&voke"), api);
    tokenButtons->addWidget(newToken);
    tokenButtons->addWidget(m_tokenReadOnly);
    tokenButtons->addStretch();
    tokenButtons->addWidget(m_revoke);
    af->addRow(QString(), tokenButtons);
    layout->addWidget(api, 2, 0, 1, 2);
    connect(m_apiOn, &QCheckBox::toggled, this, [this](bool on) { setApiEnabled(on); });
    connect(m_apiAddress, &QLineEdit::editingFinished, this, [this] {
        if (m_apiOn->isChecked())
            setApiEnabled(true);
        else
            m_settings->setApiListen(m_apiAddress->text().trimmed());
    });
    connect(newToken, &QPushButton::clicked, this, &SettingsPage::newToken);
    connect(m_revoke, &QPushButton::clicked, this, &SettingsPage::revokeToken);
    connect(m_tokens, &QTableWidget::itemSelectionChanged, this,
            [this] { m_revoke->setEnabled(!m_tokens->selectedItems().isEmpty()); });
    refreshApi();
    refreshTokens();

    auto *ui = new QGroupBox(tr("Interface"), this);
    auto *uf = new QFormLayout(ui);
    m_language = new QComboBox(ui);
    m_language->setObjectName(QStringLiteral("language"));
    m_language->addItem(tr("System language"), QString());
    m_language->addItem(QStringLiteral("English"), QStringLiteral("en"));
    m_language->addItem(QStringLiteral("Français"), QStringLiteral("fr"));
    m_language->addItem(QStringLiteral("العربية"), QStringLiteral("ar"));
    m_language->setCurrentIndex(qMax(0, m_language->findData(settings->language())));
    uf->addRow(tr("&Language (after a restart)"), m_language);
    layout->addWidget(ui, 1, 1);
    layout->setRowStretch(3, 1);
    layout->setColumnStretch(0, 1);
    layout->setColumnStretch(1, 1);

    for (QSpinBox *s : {m_days, m_rows, m_inFlight, m_alertPercent})
        connect(s, &QSpinBox::valueChanged, this, &SettingsPage::save);
    connect(m_language, &QComboBox::activated, this, &SettingsPage::chooseLanguage);
    connect(m_schedule, &QLineEdit::textChanged, this, &SettingsPage::save);
    connect(applyNow, &QPushButton::clicked, this, [this] {
        RetentionPolicy policy;
        policy.maxAgeDays = m_days->value();
        policy.maxDeliveries = m_rows->value();
        // On the writer thread: a retention pass over a big history must not freeze the window.
        m_engine->applyRetention(policy, this, [this](qint64 removed) {
            emit message(tr("Old deliveries removed: %1").arg(removed));
        });
    });
}

void SettingsPage::saveSecurity()
{
    EgressPolicy policy = m_engine->egressPolicy();
    policy.level = EgressPolicy::Level(m_egress->currentData().toInt());
    policy.allowHosts.clear();
    policy.allowed.clear();
    QString error;
    for (const QString &entry : m_egressAllow->text().split(u' ', Qt::SkipEmptyParts)) {
        if (!policy.addAllowed(entry)) {
            error = tr("“%1” is neither a host name nor an address or range such as "
                       "10.0.0.0/8. Correct it; the policy was not changed.")
                        .arg(entry);
            break;
        }
    }
    if (error.isEmpty() && !m_engine->setEgressPolicy(policy, &error))
        error = tr("The policy could not be saved: %1").arg(error);
    if (error.isEmpty() &&
        !m_engine->setMaxPayloadBytes(qint64(m_payloadLimit->value()) * 1024, &error))
        error = tr("The payload limit could not be saved: %1").arg(error);
    m_securityError->setText(error);
    m_securityError->setVisible(!error.isEmpty());
}

bool SettingsPage::askRestart(const QString &title, const QString &text)
{
    if (m_askRestart)
        return m_askRestart(this);
    QMessageBox box(QMessageBox::Question, title, text, QMessageBox::NoButton, this);
    QPushButton *restart = box.addButton(tr("&Restart now"), QMessageBox::AcceptRole);
    box.addButton(tr("&Later"), QMessageBox::RejectRole);
    box.setDefaultButton(restart);
    box.exec();
    return box.clickedButton() == restart;
}

bool SettingsPage::chooseDatabase(const QString &url)
{
    QString error;
    if (!url.isEmpty() && !Engine::checkStore(url, &error)) {
        m_storageError->setText(Language::unbrokenUrls(error));
        m_storageError->show();
        return false;
    }
    m_storageError->hide();
    m_settings->setDatabaseUrl(url);
    m_settings->sync(); // on disk before a restarted Hookline reads it
    if (askRestart(tr("Change the database"),
                   tr("Hookline opens the new database when it starts. Restart it now? "
                      "Deliveries in progress are finished first or resumed.")))
        emit restartRequested();
    return true;
}

QString SettingsPage::storageError() const
{
    return m_storageError->isVisible() ? m_storageError->text() : QString();
}

void SettingsPage::chooseLanguage(int index)
{
    m_language->setCurrentIndex(index);
    save();
    m_settings->sync(); // on disk before a restarted Hookline reads it
    const QString chosen =
        Language::resolve(m_language->currentData().toString(), QLocale::system().uiLanguages());
    if (chosen == Language::current())
        return;
    if (askRestart(tr("Change the language"),
                   tr("Hookline changes its language when it starts. Restart it now? "
                      "Deliveries in progress are finished first or resumed.")))
        emit restartRequested();
}

void SettingsPage::save()
{
    m_settings->setRetentionDays(m_days->value());
    m_settings->setRetentionMaxDeliveries(m_rows->value());
    m_settings->setFailureAlertPercent(m_alertPercent->value());
    m_settings->setLanguage(m_language->currentData().toString());
    RetryPolicy policy;
    policy.scheduleSeconds.clear();
    bool numbers = true;
    for (const QString &part : m_schedule->text().split(u',', Qt::SkipEmptyParts)) {
        bool ok = false;
        policy.scheduleSeconds << part.trimmed().toInt(&ok);
        numbers = numbers && ok;
    }
    const QString error =
        numbers ? validateRetryPolicy(policy)
                : tr("Write the delays as seconds separated by commas, e.g. 5, 300, 1800.");
    m_scheduleError->setText(error);
    m_scheduleError->setVisible(!error.isEmpty());
    if (error.isEmpty() && !policy.scheduleSeconds.isEmpty())
        m_settings->setDefaultRetrySchedule(policy.scheduleSeconds);
    if (m_inFlight->value() != m_engine->maxInFlight()) {
        QString storeError;
        if (!m_engine->setMaxInFlight(m_inFlight->value(), &storeError))
            emit message(storeError);
    }
}

bool SettingsPage::applyApi(Engine *engine, const AppSettings &settings, QString *error)
{
    if (!settings.apiEnabled())
        return true;
    ApiOptions options;
    if (!parseListenAddress(settings.apiListen(), &options.address, &options.port) ||
        !options.address.isLoopback()) {
        *error = tr("The API address “%1” is not a loopback address and port such as "
                    "127.0.0.1:8470.")
                     .arg(settings.apiListen());
        return false;
    }
    return engine->serveApi(options, error);
}

bool SettingsPage::setApiEnabled(bool on)
{
    const QString address = m_apiAddress->text().trimmed();
    m_settings->setApiListen(address);
    m_settings->setApiEnabled(on);
    QString error;
    bool ok = true;
    if (on) {
        ok = applyApi(m_engine, *m_settings, &error);
        if (!ok) {
            m_settings->setApiEnabled(false);
            m_engine->stopApi();
        }
    } else {
        m_engine->stopApi();
    }
    {
        QSignalBlocker block(m_apiOn);
        m_apiOn->setChecked(m_engine->isApiServing());
    }
    refreshApi();
    if (!ok)
        m_apiStatus->setText(error);
    emit message(ok ? (on ? tr("API on %1").arg(m_engine->apiUrl()) : tr("API off")) : error);
    return ok;
}

void SettingsPage::refreshApi()
{
    m_apiStatus->setText(
        m_engine->isApiServing()
            ? tr("Listening on %1 — requests need a token from below.").arg(m_engine->apiUrl())
            : tr("Off."));
}

void SettingsPage::refreshTokens()
{
    const QList<ApiToken> tokens = m_engine->tokens();
    m_tokens->setRowCount(int(tokens.size()));
    const QLocale locale;
    for (int i = 0; i < tokens.size(); ++i) {
        const ApiToken &t = tokens.at(i);
        auto *name = new QTableWidgetItem(t.name);
        name->setData(Qt::UserRole, t.id);
        m_tokens->setItem(i, 0, name);
        m_tokens->setItem(i, 1,
                          new QTableWidgetItem(t.readOnly ? tr("read-only") : tr("read-write")));
        m_tokens->setItem(
            i, 2,
            new QTableWidgetItem(locale.toString(t.created.toLocalTime(), QLocale::ShortFormat)));
        m_tokens->setItem(i, 3,
                          new QTableWidgetItem(
                              t.lastUsed.isValid()
                                  ? locale.toString(t.lastUsed.toLocalTime(), QLocale::ShortFormat)
                                  : tr("never")));
    }
    m_revoke->setEnabled(!m_tokens->selectedItems().isEmpty());
}

QString SettingsPage::createToken(const QString &name, bool readOnly)
{
    ApiToken t;
    QString error;
    const QString token = m_engine->createToken(name, readOnly, &t, &error);
    refreshTokens();
    emit message(token.isEmpty() ? error : tr("Created token “%1”.").arg(t.name));
    return token;
}

void SettingsPage::newToken()
{
    QString name;
    const bool asked = m_askTokenName ? m_askTokenName(this, &name) : [&] {
        bool ok = false;
        name = QInputDialog::getText(this, tr("New API token"),
                                     tr("Who or what will use it (for example “CRM deploy”):"),
                                     QLineEdit::Normal, QString(), &ok);
        return ok;
    }();
    if (!asked)
        return;
    const QString token = createToken(name, m_tokenReadOnly->isChecked());
    if (token.isEmpty()) {
        QMessageBox::warning(this, tr("New API token"), ApiTokens::validateName(name));
        return;
    }
    if (m_askTokenName)
        return; // tests read the token from createToken
    QMessageBox box(QMessageBox::Information, tr("New API token"),
                    tr("Copy this token now; Hookline keeps only a hash of it and cannot show it "
                       "again.\n\n%1\n\nSend it as: Authorization: Bearer <token>")
                        .arg(token),
                    QMessageBox::Ok, this);
    box.setTextInteractionFlags(Qt::TextSelectableByMouse);
    box.exec();
}

void SettingsPage::revokeToken()
{
    const QList<QTableWidgetItem *> selected = m_tokens->selectedItems();
    if (selected.isEmpty())
        return;
    QTableWidgetItem *name = m_tokens->item(selected.first()->row(), 0);
    const QString id = name->data(Qt::UserRole).toString();
    if (QMessageBox::question(
            this, tr("Revoke token"),
            tr("Revoke “%1”? Requests with it will be refused at once.").arg(name->text())) !=
        QMessageBox::Yes)
        return;
    QString error;
    if (!m_engine->revokeToken(id, &error))
        QMessageBox::warning(this, tr("Revoke token"), error);
    refreshTokens();
}
