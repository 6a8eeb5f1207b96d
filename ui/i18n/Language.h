// SPDX-License-Identifier: GPL-3.0-or-later
// The interface language: which one to use, and installing it (Hookline's own translation,
// Qt's for its standard dialogs, the locale for numbers and dates, and the layout direction).
#pragma once

#include <QString>
#include <QStringList>

namespace Language {

// Codes the binary carries a translation for; "en" is the language of the sources.
QStringList available();

// Whether a translation exists for choice's language ("fr", "fr_CA", "ar-AE").
bool isAvailable(const QString &choice);

// The language to use: an explicit choice (--lang or Settings) if it is available, otherwise
// the first of the system's preferred languages that is, otherwise English. An explicit choice
// may be a full locale name ("fr_CA", "ar-AE"): its language decides.
QString resolve(const QString &choice, const QStringList &systemUiLanguages);

// Replaces whatever language was installed before with code's on the running application.
// Returns false (and installs English) if code is not available. Needs a QGuiApplication for
// the layout direction; call it before building any window.
bool install(const QString &code);

// What install() last installed, "en" before the first call.
QString current();

// s wrapped in a left-to-right isolate: ids, URLs, paths and times keep their order inside
// a right-to-left sentence ("/tmp/data" does not become "tmp/data/"). Harmless left to right.
QString ltr(const QString &s);

// Text for a word-wrapped label, with the URLs in it kept on one line (word joiners between
// their characters): a URL broken over two lines is hard to read, and in a right-to-left
// sentence its two halves are each reordered on their own line. plain() undoes it.
QString unbrokenUrls(const QString &text);
QString plain(const QString &shown);

} // namespace Language
