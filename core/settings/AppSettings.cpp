// SPDX-License-Identifier: GPL-3.0-or-later
#include "AppSettings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include "domain/Endpoint.h"

namespace {
const QString kGeometry = QStringLiteral("window/geometry");
const QString kState = QStringLiteral("window/state");
const QString kLastPage = QStringLiteral("window/lastPage");
const QString kLanguage = QStringLiteral("ui/language");
const QString kDatabaseUrl = QStringLiteral("storage/database");
const QString kRetentionDays = QStringLiteral("store/retentionDays");
const QString kRetentionRows = QStringLiteral("store/retentionMaxDeliveries");
} // namespace

namespace {
// The settings file is readable by its owner only, like the database: it is created empty with
// mode 0600 before QSettings first writes it (QSettings replaces it keeping its permissions),
// and an existing one is tightened.
void ownerOnly(const QString &path)
{
    constexpr auto mode = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadUser |
                          QFileDevice::WriteUser;
    if (path.isEmpty())
        return;
    if (!QFileInfo::exists(path)) {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        f.open(QIODevice::WriteOnly | QIODevice::NewOnly, mode); // a lost race is fine
    } else if (QFile::permissions(path) != mode) {
        QFile::setPermissions(path, mode);
    }
}
} // namespace

AppSettings::AppSettings()
    : m_settings(std::make_unique<QSettings>())
{
    ownerOnly(m_settings->fileName());
}

AppSettings::AppSettings(const QString &path)
    : m_settings(std::make_unique<QSettings>(path, QSettings::IniFormat))
{
    ownerOnly(m_settings->fileName());
}

QByteArray AppSettings::windowGeometry() const
{
    return m_settings->value(kGeometry).toByteArray();
}
void AppSettings::setWindowGeometry(const QByteArray &g)
{
    m_settings->setValue(kGeometry, g);
}
QByteArray AppSettings::windowState() const
{
    return m_settings->value(kState).toByteArray();
}
void AppSettings::setWindowState(const QByteArray &s)
{
    m_settings->setValue(kState, s);
}
QByteArray AppSettings::splitterState(const QString &name) const
{
    return m_settings->value(QLatin1String("splitters/") + name).toByteArray();
}
void AppSettings::setSplitterState(const QString &name, const QByteArray &state)
{
    m_settings->setValue(QLatin1String("splitters/") + name, state);
}
QString AppSettings::lastPage() const
{
    return m_settings->value(kLastPage).toString();
}
void AppSettings::setLastPage(const QString &page)
{
    m_settings->setValue(kLastPage, page);
}
QString AppSettings::language() const
{
    return m_settings->value(kLanguage).toString();
}
void AppSettings::setLanguage(const QString &code)
{
    m_settings->setValue(kLanguage, code);
}
QString AppSettings::databaseUrl() const
{
    return m_settings->value(kDatabaseUrl).toString();
}
void AppSettings::setDatabaseUrl(const QString &url)
{
    m_settings->setValue(kDatabaseUrl, url);
}
int AppSettings::retentionDays() const
{
    return m_settings->value(kRetentionDays, 90).toInt();
}
void AppSettings::setRetentionDays(int days)
{
    m_settings->setValue(kRetentionDays, days);
}
qint64 AppSettings::retentionMaxDeliveries() const
{
    return m_settings->value(kRetentionRows, 0).toLongLong();
}
void AppSettings::setRetentionMaxDeliveries(qint64 rows)
{
    m_settings->setValue(kRetentionRows, rows);
}
QList<int> AppSettings::defaultRetrySchedule() const
{
    const QStringList parts =
        m_settings->value(QStringLiteral("delivery/defaultRetrySchedule")).toStringList();
    QList<int> out;
    for (const QString &p : parts) {
        bool ok = false;
        const int s = p.toInt(&ok);
        if (ok && s >= 0)
            out << s;
    }
    return out.isEmpty() ? RetryPolicy::defaultSchedule() : out;
}
void AppSettings::setDefaultRetrySchedule(const QList<int> &seconds)
{
    QStringList parts;
    for (int s : seconds)
        parts << QString::number(s);
    m_settings->setValue(QStringLiteral("delivery/defaultRetrySchedule"), parts);
}
quint16 AppSettings::receiverPort() const
{
    return quint16(m_settings->value(QStringLiteral("receiver/port"), 0).toUInt());
}
void AppSettings::setReceiverPort(quint16 port)
{
    m_settings->setValue(QStringLiteral("receiver/port"), port);
}
bool AppSettings::receiverAutoStart() const
{
    return m_settings->value(QStringLiteral("receiver/autoStart"), true).toBool();
}
void AppSettings::setReceiverAutoStart(bool on)
{
    m_settings->setValue(QStringLiteral("receiver/autoStart"), on);
}
int AppSettings::failureAlertPercent() const
{
    return qBound(0, m_settings->value(QStringLiteral("alerts/failurePercent"), 50).toInt(), 100);
}
void AppSettings::setFailureAlertPercent(int percent)
{
    m_settings->setValue(QStringLiteral("alerts/failurePercent"), qBound(0, percent, 100));
}
bool AppSettings::apiEnabled() const
{
    return m_settings->value(QStringLiteral("api/enabled"), false).toBool();
}
void AppSettings::setApiEnabled(bool on)
{
    m_settings->setValue(QStringLiteral("api/enabled"), on);
}
QString AppSettings::apiListen() const
{
    return m_settings->value(QStringLiteral("api/listen"), QStringLiteral("127.0.0.1:8470"))
        .toString();
}
void AppSettings::setApiListen(const QString &address)
{
    m_settings->setValue(QStringLiteral("api/listen"), address);
}
void AppSettings::sync()
{
    m_settings->sync();
}
