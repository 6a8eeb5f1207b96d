#include "SettingsPage.h"

#include "domain/EndpointValidation.h"
#include "engine/Engine.h"
#include "i18n/Language.h"
#include "settings/AppSettings.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <memory>

SettingsPage::SettingsPage(Engine *engine, AppSettings *settings, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_settings(settings)
{
    auto *layout = new QVBoxLayout(this);

    auto *data = new QGroupBox(tr("Data"), this);
    auto *df = new QFormLayout(data);
    auto *path = new QLabel(engine->databasePath(), data);
    path->setTextInteractionFlags(Qt::TextSelectableByMouse);
    df->addRow(tr("Database"), path);
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
    layout->addWidget(data);

    auto *delivery = new QGroupBox(tr("Delivery"), this);
    auto *dl = new QFormLayout(delivery);
    m_perEndpoint = new QSpinBox(delivery);
    m_perEndpoint->setRange(1, 64);
    m_perEndpoint->setValue(settings->perEndpointLimit());
    dl->addRow(tr("Requests in flight per &endpoint"), m_perEndpoint);
    m_inFlight = new QSpinBox(delivery);
    m_inFlight->setRange(1, 1024);
    m_inFlight->setValue(settings->maxInFlight());
    dl->addRow(tr("Requests in flight in &total"), m_inFlight);
    QStringList schedule;
    for (int s : settings->defaultRetrySchedule())
        schedule << QString::number(s);
    m_schedule = new QLineEdit(schedule.join(QLatin1String(", ")), delivery);
    m_schedule->setToolTip(tr("Seconds before each retry, for endpoints created from now on"));
    dl->addRow(tr("Default retry &delays (s)"), m_schedule);
    m_scheduleError = new QLabel(delivery);
    m_scheduleError->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_scheduleError->hide();
    dl->addRow(QString(), m_scheduleError);
    layout->addWidget(delivery);

    auto *ui = new QGroupBox(tr("Interface"), this);
    auto *uf = new QFormLayout(ui);
    m_language = new QComboBox(ui);
    m_language->addItem(tr("System language"), QString());
    m_language->addItem(QStringLiteral("English"), QStringLiteral("en"));
    m_language->addItem(QStringLiteral("Français"), QStringLiteral("fr"));
    m_language->addItem(QStringLiteral("العربية"), QStringLiteral("ar"));
    m_language->setCurrentIndex(qMax(0, m_language->findData(settings->language())));
    uf->addRow(tr("&Language (after a restart)"), m_language);
    layout->addWidget(ui);
    layout->addStretch();

    for (QSpinBox *s : {m_days, m_rows, m_perEndpoint, m_inFlight})
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

void SettingsPage::chooseLanguage(int index)
{
    m_language->setCurrentIndex(index);
    save();
    m_settings->sync(); // on disk before a restarted Hookline reads it
    const QString chosen =
        Language::resolve(m_language->currentData().toString(), QLocale::system().uiLanguages());
    if (chosen == Language::current())
        return;
    const bool now = m_askRestart ? m_askRestart(this) : [this] {
        QMessageBox box(QMessageBox::Question, tr("Change the language"),
                        tr("Hookline changes its language when it starts. Restart it now? "
                           "Deliveries in progress are finished first or resumed."),
                        QMessageBox::NoButton, this);
        QPushButton *restart = box.addButton(tr("&Restart now"), QMessageBox::AcceptRole);
        box.addButton(tr("&Later"), QMessageBox::RejectRole);
        box.setDefaultButton(restart);
        box.exec();
        return box.clickedButton() == restart;
    }();
    if (now)
        emit restartRequested();
}

void SettingsPage::save()
{
    m_settings->setRetentionDays(m_days->value());
    m_settings->setRetentionMaxDeliveries(m_rows->value());
    m_settings->setPerEndpointLimit(m_perEndpoint->value());
    m_settings->setMaxInFlight(m_inFlight->value());
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
    applyDelivery(m_engine, *m_settings);
}

void SettingsPage::applyDelivery(Engine *engine, const AppSettings &settings)
{
    DispatcherOptions o = engine->deliveryOptions();
    o.perEndpointLimit = settings.perEndpointLimit();
    o.maxInFlight = settings.maxInFlight();
    engine->setDeliveryOptions(o);
}
