// SPDX-License-Identifier: GPL-3.0-or-later
#include "Language.h"

#include <QCoreApplication>
#include <QGuiApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QRegularExpression>
#include <QTranslator>

#include <memory>

namespace {

// Qt reads the layout direction of an application from this string in the installed
// translations; listing it here keeps it in Hookline's .ts files (Arabic says "RTL").
[[maybe_unused]] const char *kLayoutDirection =
    QT_TRANSLATE_NOOP("QGuiApplication", "QT_LAYOUT_DIRECTION");

struct Installed
{
    QString code = QStringLiteral("en");
    std::unique_ptr<QTranslator> own;
    std::unique_ptr<QTranslator> qt;
};

Installed &installed()
{
    static Installed s;
    return s;
}

QString languageOf(const QString &name)
{
    // "fr_CA", "ar-AE", "fr" -> "fr"
    return name.section(QLatin1Char('_'), 0, 0).section(QLatin1Char('-'), 0, 0).toLower();
}

// Numbers and dates follow the system locale when it speaks the chosen language (an admin in
// Paris keeps fr_FR, one in Casablanca ar_MA), otherwise that language's default locale.
// Digits stay 0-9 everywhere: status codes, ports, ids and payloads are written with them,
// and a spin box showing ٦٤ beside a table of 200s and 503s reads as two number systems.
// Arabic therefore falls back to ar_AE (the Gulf, 0-9) rather than ar_EG (٠-٩).
QLocale localeFor(const QString &code)
{
    const QLocale system = QLocale::system();
    if (languageOf(system.name()) == code && system.zeroDigit() == QLatin1String("0"))
        return system;
    if (code == QLatin1String("ar"))
        return QLocale(QLocale::Arabic, QLocale::UnitedArabEmirates);
    return QLocale(code);
}

} // namespace

namespace Language {

QStringList available()
{
    return {QStringLiteral("en"), QStringLiteral("fr"), QStringLiteral("ar")};
}

bool isAvailable(const QString &choice)
{
    return available().contains(languageOf(choice));
}

QString resolve(const QString &choice, const QStringList &systemUiLanguages)
{
    const QStringList codes = available();
    if (!choice.isEmpty()) {
        const QString code = languageOf(choice);
        if (codes.contains(code))
            return code;
    }
    for (const QString &ui : systemUiLanguages) {
        const QString code = languageOf(ui);
        if (codes.contains(code))
            return code;
    }
    return QStringLiteral("en");
}

bool install(const QString &requested)
{
    Installed &s = installed();
    const QString code = languageOf(requested);
    const bool known = available().contains(code);
    if (s.own)
        QCoreApplication::removeTranslator(s.own.get());
    if (s.qt)
        QCoreApplication::removeTranslator(s.qt.get());
    s.own.reset();
    s.qt.reset();
    s.code = known ? code : QStringLiteral("en");

    const QLocale locale = localeFor(s.code);
    QLocale::setDefault(locale);
    // English too: its plural forms ("%n attempt(s)" reads "1 attempt", "3 attempts").
    auto own = std::make_unique<QTranslator>();
    if (own->load(QStringLiteral(":/i18n/hookline_%1.qm").arg(s.code))) {
        QCoreApplication::installTranslator(own.get());
        s.own = std::move(own);
    }
    if (s.code != QLatin1String("en")) {
        // Qt's own strings (standard buttons, file dialogs): from Debian's
        // qt6-translations-l10n when it is installed; Hookline's strings do not depend on it.
        auto qt = std::make_unique<QTranslator>();
        if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                     QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
            QCoreApplication::installTranslator(qt.get());
            s.qt = std::move(qt);
        }
    }
    if (qobject_cast<QGuiApplication *>(QCoreApplication::instance()))
        QGuiApplication::setLayoutDirection(locale.textDirection());
    return known;
}

QString current()
{
    return installed().code;
}

QString ltr(const QString &s)
{
    return QChar(0x2066) + s + QChar(0x2069); // LEFT-TO-RIGHT ISOLATE ... POP DIRECTIONAL ISOLATE
}

namespace {
constexpr char16_t kWordJoiner = 0x2060;
}

QString unbrokenUrls(const QString &text)
{
    // A run without spaces that holds "://", or an IPv6 address in brackets.
    static const QRegularExpression url(QStringLiteral("\\S*(?:://|\\[[0-9A-Fa-f:]*:)\\S*"));
    QString out;
    qsizetype at = 0;
    for (auto it = url.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        out += QStringView(text).mid(at, m.capturedStart() - at);
        const QString token = m.captured();
        for (qsizetype i = 0; i < token.size(); ++i) {
            if (i > 0)
                out += QChar(kWordJoiner);
            out += token.at(i);
        }
        at = m.capturedEnd();
    }
    out += QStringView(text).mid(at);
    return out;
}

QString plain(const QString &shown)
{
    QString out = shown;
    out.remove(QChar(kWordJoiner));
    return out;
}

} // namespace Language
