#include "AppSettings.h"

namespace {
const QString kGeometry = QStringLiteral("window/geometry");
const QString kState = QStringLiteral("window/state");
const QString kLastPage = QStringLiteral("window/lastPage");
const QString kLanguage = QStringLiteral("ui/language");
} // namespace

AppSettings::AppSettings()
    : m_settings(std::make_unique<QSettings>())
{
}

AppSettings::AppSettings(const QString &path)
    : m_settings(std::make_unique<QSettings>(path, QSettings::IniFormat))
{
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
void AppSettings::sync()
{
    m_settings->sync();
}
