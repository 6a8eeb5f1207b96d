// SPDX-License-Identifier: GPL-3.0-or-later
#include "HealthNotifier.h"

#include "engine/Engine.h"

#include <QApplication>
#include <QLocale>
#include <QSystemTrayIcon>
#include <QTimer>

HealthNotifier::HealthNotifier(Engine *engine, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
{
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(QApplication::windowIcon(), this);
        m_tray->setToolTip(tr("Hookline"));
        m_tray->show();
        connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] {
            if (!m_lastEndpoint.isEmpty())
                emit openEndpoint(m_lastEndpoint);
        });
        connect(m_tray, &QSystemTrayIcon::activated, this, [this] {
            if (!m_lastEndpoint.isEmpty())
                emit openEndpoint(m_lastEndpoint);
        });
    }
    m_show = [this](const QString &title, const QString &text) {
        if (m_tray)
            m_tray->showMessage(title, text, QSystemTrayIcon::Warning, 15000);
    };
    connect(engine, &Engine::endpointDisabled, this,
            [this](const QString &endpointId, const QString &reason) {
                notify(
                    endpointId,
                    tr("“%1” was disabled: %2.").arg(m_engine->endpointName(endpointId), reason));
            });
    m_timer = new QTimer(this);
    m_timer->setInterval(30000);
    connect(m_timer, &QTimer::timeout, this, &HealthNotifier::checkNow);
    m_timer->start();
}

void HealthNotifier::checkNow()
{
    const int threshold = m_threshold();
    if (threshold <= 0)
        return;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QDateTime from = now.addSecs(-kWindowMinutes * 60);
    const QLocale locale;
    for (const Endpoint &e : m_engine->endpoints()) {
        if (!e.enabled) {
            m_alarmed.remove(e.id); // said when it was disabled
            continue;
        }
        const ActivityCounts c = m_engine->endpointActivity(e.id, from, now, 0).total;
        const qint64 failed = c.retrying + c.failed;
        const bool over = c.attempts >= kMinAttempts && failed * 100 >= c.attempts * threshold;
        const bool was = m_alarmed.value(e.id);
        m_alarmed.insert(e.id, over);
        if (over && !was)
            notify(e.id,
                   tr("“%1”: %2 of its last %3 attempts failed (%4 %) in %5 minutes.")
                       .arg(e.name, locale.toString(failed), locale.toString(c.attempts),
                            locale.toString(qRound64(double(failed) * 100.0 / double(c.attempts))),
                            locale.toString(kWindowMinutes)));
    }
}

void HealthNotifier::notify(const QString &endpointId, const QString &text)
{
    m_lastEndpoint = endpointId;
    m_show(tr("Hookline: an endpoint needs attention"), text);
    emit notified(endpointId, text);
}
