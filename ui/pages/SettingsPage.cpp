#include "SettingsPage.h"

#include "delivery/Dispatcher.h"
#include "engine/Engine.h"
#include "settings/AppSettings.h"
#include "store/Store.h"
#include "store/StoreWriter.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

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
    dl->addRow(
        QString(),
        new QLabel(tr("New endpoints retry after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h; "
                      "each endpoint's form can change that."),
                   delivery));
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
    connect(m_language, &QComboBox::currentIndexChanged, this, &SettingsPage::save);
    connect(applyNow, &QPushButton::clicked, this, [this] {
        RetentionPolicy policy;
        policy.maxAgeDays = m_days->value();
        policy.maxDeliveries = m_rows->value();
        m_engine->writer().flush();
        const qint64 removed =
            m_engine->store().applyRetention(policy, QDateTime::currentDateTimeUtc());
        emit message(tr("Old deliveries removed: %1").arg(removed));
    });
}

void SettingsPage::save()
{
    m_settings->setRetentionDays(m_days->value());
    m_settings->setRetentionMaxDeliveries(m_rows->value());
    m_settings->setPerEndpointLimit(m_perEndpoint->value());
    m_settings->setMaxInFlight(m_inFlight->value());
    m_settings->setLanguage(m_language->currentData().toString());
    applyDelivery(m_engine, *m_settings);
}

void SettingsPage::applyDelivery(Engine *engine, const AppSettings &settings)
{
    DispatcherOptions o = engine->dispatcher().options();
    o.perEndpointLimit = settings.perEndpointLimit();
    o.maxInFlight = settings.maxInFlight();
    engine->dispatcher().setOptions(o);
}
