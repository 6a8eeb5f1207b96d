// SPDX-License-Identifier: GPL-3.0-or-later
// Translations: the .ts files hold every string of the sources and every one is translated
// (lupdate is run on a copy and compared); placeholders and plural forms survive
// translation; the window starts in each language, Arabic lays it out right to left, and no
// English is left in a translated window.
#include "MainWindow.h"
#include "UiText.h"
#include "catalog/EventCatalog.h"
#include "dialogs/EndpointDialog.h"
#include "engine/Engine.h"
#include "i18n/Language.h"
#include "pages/EndpointsPage.h"
#include "pages/ReceiverPage.h"
#include "pages/SettingsPage.h"
#include "settings/AppSettings.h"
#include "widgets/DeliveryDetailsView.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextLayout>
#include <QXmlStreamReader>

namespace {

struct Message
{
    QString context;
    QString source;
    QStringList translations; // one, or one per plural form
    QString type;             // "", "unfinished", "vanished", "obsolete"
    bool numerus = false;
};

QList<Message> readTs(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = f.errorString();
        return {};
    }
    QList<Message> out;
    QXmlStreamReader xml(&f);
    QString context;
    Message m;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isEndElement() && xml.name() == u"message") {
            out << m;
            continue;
        }
        if (!xml.isStartElement())
            continue;
        const auto name = xml.name();
        if (name == u"name") {
            context = xml.readElementText();
        } else if (name == u"message") {
            m = Message{
                context, {}, {}, {}, xml.attributes().value(QLatin1String("numerus")) == u"yes"};
        } else if (name == u"source") {
            m.source = xml.readElementText();
        } else if (name == u"translation") {
            m.type = xml.attributes().value(QLatin1String("type")).toString();
            if (!m.numerus) // a plural's forms are its children
                m.translations << xml.readElementText();
        } else if (name == u"numerusform") {
            m.translations << xml.readElementText();
        }
    }
    if (xml.hasError())
        *error = xml.errorString();
    return out;
}

QStringList placeholders(const QString &s)
{
    // Two digits: a literal "%20" (a percent-encoded space) is not %2 followed by 0.
    static const QRegularExpression re(QStringLiteral("%(?:[1-9][0-9]?|n|L1)"));
    QStringList out;
    for (auto it = re.globalMatch(s); it.hasNext();)
        out << it.next().captured();
    out.removeDuplicates();
    out.sort();
    return out;
}

// A window over a fresh store, built in whatever language is installed (the engine after
// the language: the event catalog's names are translated when it is made).
struct Window
{
    QTemporaryDir dir;
    AppSettings settings{dir.filePath(QStringLiteral("hookline.ini"))};
    Engine engine;
    std::unique_ptr<MainWindow> window;

    Window()
    {
        QString error;
        if (!engine.open(dir.path(), &error))
            qFatal("%s", qPrintable(error));
        window = std::make_unique<MainWindow>(&settings, &engine);
    }
};

} // namespace

class TestI18n : public QObject
{
    Q_OBJECT

private slots:
    void cleanup();
    void resolvesTheLanguage();
    void tsFilesMatchTheSources_data();
    void tsFilesMatchTheSources();
    void startsInEachLanguage_data();
    void startsInEachLanguage();
    void noEnglishLeftInTranslatedWindow_data();
    void noEnglishLeftInTranslatedWindow();
    void choosingALanguageOffersARestart();
    void noDuplicateMnemonicsOnAPage_data();
    void noDuplicateMnemonicsOnAPage();
    void errorsAreWordedInTheLanguageShowingThem();
    void codeViewsOpenAtTheirStartInArabic();
    void databaseNameReadsLeftToRightInArabic();
    void urlsInErrorsStayOnOneLine();
    void englishPluralsReadRight();

private:
    QList<UiText> windowText(const QString &code, Qt::LayoutDirection *direction = nullptr);
};

void TestI18n::cleanup()
{
    Language::install(QStringLiteral("en"));
}

void TestI18n::resolvesTheLanguage()
{
    using L = QStringList;
    QCOMPARE(Language::resolve(QStringLiteral("fr"), L{QStringLiteral("ar-AE")}),
             QStringLiteral("fr"));
    QCOMPARE(Language::resolve(QString(), L{QStringLiteral("ar-AE"), QStringLiteral("en")}),
             QStringLiteral("ar"));
    QCOMPARE(Language::resolve(QString(), L{QStringLiteral("de-DE"), QStringLiteral("fr-CA")}),
             QStringLiteral("fr"));
    QCOMPARE(Language::resolve(QString(), L{QStringLiteral("de-DE")}), QStringLiteral("en"));
    QCOMPARE(Language::resolve(QStringLiteral("fr_CA"), {}), QStringLiteral("fr"));
    // An unknown explicit choice falls back to the system's languages, then English.
    QCOMPARE(Language::resolve(QStringLiteral("xx"), L{QStringLiteral("ar")}),
             QStringLiteral("ar"));
    QVERIFY(Language::isAvailable(QStringLiteral("ar-SA")));
    QVERIFY(!Language::isAvailable(QStringLiteral("de")));
    QVERIFY(!Language::install(QStringLiteral("de")));
    QCOMPARE(Language::current(), QStringLiteral("en"));
}

void TestI18n::tsFilesMatchTheSources_data()
{
    QTest::addColumn<QString>("code");
    QTest::newRow("ar") << QStringLiteral("ar");
    QTest::newRow("fr") << QStringLiteral("fr");
    QTest::newRow("en plurals") << QStringLiteral("en");
}

// The CI check of issue #6: run lupdate over the sources into a copy of the committed .ts
// file; a string the code has and the file lacks comes back "unfinished", a string the code
// no longer has comes back "vanished".
void TestI18n::tsFilesMatchTheSources()
{
    QFETCH(QString, code);
    const QString committed =
        QStringLiteral(HOOKLINE_SOURCE_DIR "/translations/hookline_%1.ts").arg(code);
    QTemporaryDir dir;
    const QString copy = dir.filePath(QFileInfo(committed).fileName());
    QVERIFY(QFile::copy(committed, copy));
    QFile::setPermissions(copy, QFile::ReadOwner | QFile::WriteOwner);
    QProcess lupdate;
    lupdate.setProcessChannelMode(QProcess::MergedChannels);
    // English, the language of the sources, has a file for its plural forms alone.
    const bool pluralsOnly = code == QLatin1String("en");
    QStringList args{QStringLiteral("-locations"),
                     QStringLiteral("none"),
                     QStringLiteral(HOOKLINE_SOURCE_DIR "/core"),
                     QStringLiteral(HOOKLINE_SOURCE_DIR "/ui"),
                     QStringLiteral(HOOKLINE_SOURCE_DIR "/app"),
                     QStringLiteral("-ts"),
                     copy};
    if (pluralsOnly)
        args.prepend(QStringLiteral("-pluralonly"));
    lupdate.start(QStringLiteral(HOOKLINE_LUPDATE), args);
    QVERIFY(lupdate.waitForFinished(120000));
    const QString log = QString::fromUtf8(lupdate.readAll());
    QVERIFY2(lupdate.exitCode() == 0, qPrintable(log));
    // lupdate warns about tr() it cannot place in a context: those strings would be lost.
    QVERIFY2(!log.contains(QLatin1String("cannot be called without context")), qPrintable(log));

    QString error;
    const QList<Message> messages = readTs(copy, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(messages.size() > (pluralsOnly ? 3 : 400));
    QStringList problems;
    for (const Message &m : messages) {
        const QString id = m.context + QLatin1String(": \"") + m.source + QLatin1Char('"');
        if (m.type == QLatin1String("unfinished")) {
            problems << QLatin1String("not translated (run the update_translations target, "
                                      "then translate) ") +
                            id;
            continue;
        }
        if (m.type == QLatin1String("vanished") || m.type == QLatin1String("obsolete")) {
            problems << QLatin1String("no longer in the sources ") + id;
            continue;
        }
        const QStringList wanted = placeholders(m.source);
        for (const QString &t : m.translations) {
            if (t.trimmed().isEmpty()) {
                problems << QLatin1String("empty translation ") + id;
                continue;
            }
            QStringList got = placeholders(t);
            // A plural form may spell its number out ("une tentative"): %n is optional.
            if (m.numerus && !got.contains(QLatin1String("%n")) && wanted.contains(u"%n"_qs)) {
                got << QStringLiteral("%n");
                got.sort();
            }
            if (got != wanted)
                problems << QLatin1String("placeholders ") + wanted.join(u' ') +
                                QLatin1String(" became ") + got.join(u' ') + QLatin1String(" in ") +
                                id;
        }
    }
    QVERIFY2(problems.isEmpty(),
             qPrintable(QString::number(problems.size()) + QLatin1String(" problem(s) in ") +
                        committed + QLatin1String(":\n  ") + problems.join(u"\n  "_qs)));
}

QList<UiText> TestI18n::windowText(const QString &code, Qt::LayoutDirection *direction)
{
    Language::install(code);
    QList<UiText> out;
    {
        Window fixture;
        MainWindow &w = *fixture.window;
        Engine &engine = fixture.engine;
        w.show();
        if (direction)
            *direction = w.layoutDirection();
        for (const QString &key : MainWindow::pageKeys()) {
            w.showPage(key);
            QCoreApplication::processEvents();
        }
        collectUiText(&w, &out);
        EndpointDialog dialog(engine.catalog(), Endpoint());
        collectUiText(&dialog, &out);
    }
    return out;
}

void TestI18n::startsInEachLanguage_data()
{
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("pagesLabel"); // the accessible name of the navigation list
    QTest::addColumn<Qt::LayoutDirection>("direction");
    QTest::newRow("en") << QStringLiteral("en") << QStringLiteral("Pages") << Qt::LeftToRight;
    QTest::newRow("fr") << QStringLiteral("fr") << QStringLiteral("Pages") << Qt::LeftToRight;
    QTest::newRow("ar") << QStringLiteral("ar") << QStringLiteral("الصفحات") << Qt::RightToLeft;
}

void TestI18n::startsInEachLanguage()
{
    QFETCH(QString, code);
    QFETCH(QString, pagesLabel);
    QFETCH(Qt::LayoutDirection, direction);
    QVERIFY(Language::install(code));
    QCOMPARE(Language::current(), code);
    QCOMPARE(QGuiApplication::layoutDirection(), direction);
    Window fixture;
    MainWindow &w = *fixture.window;
    const Engine &engine = fixture.engine;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.layoutDirection(), direction);
    QCOMPARE(w.isRightToLeft(), direction == Qt::RightToLeft);
    auto *nav = w.findChild<QListWidget *>();
    QVERIFY(nav);
    QCOMPARE(nav->accessibleName(), pagesLabel);
    // The event catalog speaks the language too.
    if (code == QLatin1String("fr"))
        QCOMPARE(engine.catalog().find(QStringLiteral("call.ringing"))->displayName,
                 QStringLiteral("Appel qui sonne"));
    // Digits stay 0-9, like the codes and ports around them.
    QCOMPARE(QLocale().toString(64), QStringLiteral("64"));
    // Qt's own standard buttons, from Debian's qt6-translations-l10n.
    if (code == QLatin1String("ar"))
        QVERIFY(QCoreApplication::translate("QPlatformTheme", "Cancel") != QLatin1String("Cancel"));
}

void TestI18n::noEnglishLeftInTranslatedWindow_data()
{
    QTest::addColumn<QString>("code");
    QTest::newRow("ar") << QStringLiteral("ar");
    QTest::newRow("fr") << QStringLiteral("fr");
}

// Every page of the window and the endpoint form, built in English and in the language:
// a text of the translated window that the English one also shows is English left behind,
// unless it is a name that is the same in every language.
void TestI18n::noEnglishLeftInTranslatedWindow()
{
    QFETCH(QString, code);
    const QList<UiText> english = windowText(QStringLiteral("en"));
    Qt::LayoutDirection direction = Qt::LeftToRight;
    const QList<UiText> translated = windowText(code, &direction);
    QVERIFY(english.size() > 150);
    static const QRegularExpression word(QStringLiteral("[A-Za-z]{2,}"));
    static const QRegularExpression sameEverywhere(
        QStringLiteral("^(Hookline|JSON|XML|URL|HTTP|cURL|Qt|API|English|Français|العربية|"
                       "[a-z]+\\.[a-z]+|[a-z]+/[a-z0-9.+-]+|https?://\\S+|/"
                       "\\S+|\\S+@\\S+|x-api-key|webhook-\\S+|whsec_\\S*|"
                       "[1-5]xx|Retry-After|TLS|HTTP/2|(JSON|XML) \\(application/\\S+\\))$"));
    // Alignment-free: a text of the translated window that is also a text of the English
    // one is left over (the two windows' widget trees can differ, e.g. scroll bars).
    QSet<QString> englishTexts;
    for (const UiText &t : english)
        englishTexts.insert(t.text);
    // Words that French spells like English.
    const QSet<QString> sameInLanguage =
        code == QLatin1String("fr")
            ? QSet<QString>{QStringLiteral("Pages"),     QStringLiteral("Code"),
                            QStringLiteral("Signature"), QStringLiteral("Description"),
                            QStringLiteral("Format"),    QStringLiteral("Interface"),
                            QStringLiteral("Port"),      QStringLiteral("Pause"),
                            QStringLiteral("Script"),    QStringLiteral("Secret")}
            : QSet<QString>{};
    QStringList leftovers;
    for (const UiText &t : translated) {
        if (englishTexts.contains(t.text) && t.text.contains(word) &&
            !sameEverywhere.match(t.text).hasMatch() && !sameInLanguage.contains(t.text))
            leftovers << t.where + QLatin1String(": ") + t.text;
    }
    leftovers.removeDuplicates();
    QVERIFY2(leftovers.isEmpty(),
             qPrintable(QString::number(leftovers.size()) + QLatin1String(" English text(s):\n  ") +
                        leftovers.join(u"\n  "_qs)));
}

// Settings → Language saves the choice and, for a language other than the running one,
// asks whether to restart now; yes asks the application to restart, no leaves it for later.
void TestI18n::choosingALanguageOffersARestart()
{
    QVERIFY(Language::install(QStringLiteral("en")));
    Window fixture;
    MainWindow &w = *fixture.window;
    const AppSettings &settings = fixture.settings;
    auto *page = w.findChild<SettingsPage *>();
    QVERIFY(page);
    QSignalSpy restart(&w, &MainWindow::restartRequested);
    int asked = 0;
    bool answer = false;
    page->setRestartQuestion([&](QWidget *) {
        ++asked;
        return answer;
    });
    auto *combo = page->findChild<QComboBox *>(QStringLiteral("language"));
    QVERIFY(combo);
    page->chooseLanguage(combo->findData(QStringLiteral("ar")));
    QCOMPARE(settings.language(), QStringLiteral("ar"));
    QCOMPARE(asked, 1);
    QCOMPARE(restart.size(), 0); // "later"
    answer = true;
    page->chooseLanguage(combo->findData(QStringLiteral("fr")));
    QCOMPARE(settings.language(), QStringLiteral("fr"));
    QCOMPARE(restart.size(), 1);
    // Back to the running language: nothing to restart for.
    page->chooseLanguage(combo->findData(QStringLiteral("en")));
    QCOMPARE(asked, 2);
    QCOMPARE(restart.size(), 1);
}

void TestI18n::noDuplicateMnemonicsOnAPage_data()
{
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("pageName");
    for (const char *code : {"en", "fr", "ar"}) {
        for (const char *page : {"receiver", "endpoints", "settings", "endpoint form"})
            QTest::addRow("%s %s", code, page)
                << QString::fromLatin1(code) << QString::fromLatin1(page);
    }
}

// One Alt+letter, one control, on a page and the menu bar beside it (Alt+R once meant both
// "Slow drip" and "Drop" on the Receiver page, Alt+F both "Failures" and the File menu; the
// Endpoints page carries the endpoint view's buttons too).
void TestI18n::noDuplicateMnemonicsOnAPage()
{
    QFETCH(QString, code);
    QFETCH(QString, pageName);
    QVERIFY(Language::install(code));
    Window fixture;
    MainWindow &w = *fixture.window;
    w.showPage(pageName);
    std::unique_ptr<EndpointDialog> form;
    if (pageName == QLatin1String("endpoint form"))
        form = std::make_unique<EndpointDialog>(fixture.engine.catalog(), Endpoint());
    QWidget *page = form ? static_cast<QWidget *>(form.get())
                    : pageName == QLatin1String("receiver")
                        ? static_cast<QWidget *>(w.page<ReceiverPage>())
                        : static_cast<QWidget *>(w.page<EndpointsPage>());
    QVERIFY(page);
    QHash<QChar, QString> seen;
    auto check = [&](const QString &text) {
        for (qsizetype i = 0; i + 1 < text.size(); ++i) {
            if (text.at(i) != u'&')
                continue;
            if (text.at(i + 1) == u'&') {
                ++i;
                continue;
            }
            const QChar key = text.at(i + 1).toLower();
            QVERIFY2(!seen.contains(key),
                     qPrintable(
                         QStringLiteral("Alt+%1: “%2” and “%3”").arg(key, seen.value(key), text)));
            seen.insert(key, text);
            return;
        }
    };
    if (!form) { // the dialog has no menu bar beside it
        for (QAction *menu : w.menuBar()->actions())
            check(menu->text());
    }
    for (QAbstractButton *b : page->findChildren<QAbstractButton *>())
        check(b->text());
    for (QLabel *l : page->findChildren<QLabel *>()) {
        if (l->buddy())
            check(l->text());
    }
}

QTEST_MAIN(TestI18n)
#include "tst_i18n.moc"

// An attempt's error is stored as what happened, not as a sentence: an attempt made by an
// English process reads in Arabic in an Arabic window, with its particulars (status, reason,
// host and port) intact; a record from before keeps the words it was stored with.
void TestI18n::errorsAreWordedInTheLanguageShowingThem()
{
    QVERIFY(Language::install(QStringLiteral("en")));
    QTemporaryDir dir;
    QString deliveryId;
    {
        Engine engine;
        QString error;
        QVERIFY2(engine.open(dir.path(), &error), qPrintable(error));
        QVERIFY(engine.startReceiver(0, &error));
        InboxConfig inbox;
        inbox.name = QStringLiteral("down");
        inbox.status = 503;
        engine.setInbox(inbox);
        Endpoint e;
        e.name = QStringLiteral("CRM");
        e.url = engine.inboxUrl(inbox.name).toString();
        e.retry.maxAttempts = 1;
        QVERIFY(engine.saveEndpoint(&e).isEmpty());
        QSignalSpy finished(&engine, &Engine::deliveryFinished);
        const QStringList ids = engine.sendTest(QStringLiteral("call.ringing"), e.id, &error);
        QCOMPARE(ids.size(), 1);
        deliveryId = ids.first();
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 10000);
        QVERIFY(engine.flush(&error));
        const QList<Attempt> attempts = engine.attempts(deliveryId);
        QCOMPARE(attempts.size(), 1);
        QCOMPARE(attempts.first().error.text(),
                 QStringLiteral("The endpoint answered 503 Service Unavailable."));
    }
    const auto errorIn = [&](const QString &code) {
        if (!Language::install(code))
            return QStringLiteral("(no %1 translation)").arg(code);
        Engine engine;
        QString error;
        if (!engine.open(dir.path(), &error))
            return error;
        const QList<Attempt> attempts = engine.attempts(deliveryId);
        return attempts.isEmpty() ? QStringLiteral("(no attempt)") : attempts.first().error.text();
    };
    const QString arabic = errorIn(QStringLiteral("ar"));
    QVERIFY2(arabic.contains(QStringLiteral("503")) &&
                 arabic.contains(QStringLiteral("Service Unavailable")) &&
                 !arabic.contains(QStringLiteral("The endpoint answered")) &&
                 arabic.contains(QRegularExpression(QStringLiteral("[\\x{0600}-\\x{06FF}]"))),
             qPrintable(arabic));
    const QString french = errorIn(QStringLiteral("fr"));
    QVERIFY2(french.contains(QStringLiteral("503")) &&
                 !french.contains(QStringLiteral("The endpoint answered")),
             qPrintable(french));

    // The same in the window: History's detail of the delivery.
    QVERIFY(Language::install(QStringLiteral("ar")));
    {
        Engine engine;
        QString error;
        QVERIFY(engine.open(dir.path(), &error));
        AppSettings settings(dir.filePath(QStringLiteral("hookline.ini")));
        MainWindow w(&settings, &engine);
        auto *details = w.findChild<DeliveryDetailsView *>();
        QVERIFY(details);
        const Delivery d = *engine.delivery(deliveryId);
        details->showAttempt(d, d.attempts.first());
        QVERIFY2(details->summaryText().contains(arabic), qPrintable(details->summaryText()));
    }

    // An attempt recorded before errors were stored this way shows its words as they were.
    Attempt old;
    old.error = AttemptError::decode(QStringLiteral("Connection refused by 127.0.0.1:9."));
    QCOMPARE(old.error.text(), QStringLiteral("Connection refused by 127.0.0.1:9."));
    QVERIFY(Language::install(QStringLiteral("en")));
}

// JSON and HTTP read left to right in every language: in the Arabic window the Events page's
// template and sample payload (and every other code view) open showing the start of their
// lines - they once opened scrolled to the right edge, the keys cut off.
void TestI18n::codeViewsOpenAtTheirStartInArabic()
{
    QVERIFY(Language::install(QStringLiteral("ar")));
    Window fixture;
    fixture.window->resize(1100, 700);
    fixture.window->showPage(QStringLiteral("events"));
    fixture.window->show();
    QVERIFY(QTest::qWaitForWindowExposed(fixture.window.get()));
    QStringList cut;
    int checked = 0;
    for (QPlainTextEdit *edit : fixture.window->findChildren<QPlainTextEdit *>()) {
        if (!edit->isVisible() || edit->document()->blockCount() < 2)
            continue;
        ++checked;
        QTextCursor c(edit->document()->findBlockByNumber(1)); // "  \"coreUUID\": …"
        c.movePosition(QTextCursor::NextCharacter, QTextCursor::MoveAnchor, 3);
        const QRect at = edit->cursorRect(c);
        if (edit->layoutDirection() != Qt::LeftToRight ||
            !edit->viewport()->rect().contains(at.center()))
            cut << edit->accessibleName() + QStringLiteral(" at x=%1").arg(at.center().x());
    }
    QVERIFY2(checked >= 2, qPrintable(QString::number(checked)));
    QVERIFY2(cut.isEmpty(), qPrintable(cut.join(QLatin1String(", "))));
    QVERIFY(Language::install(QStringLiteral("en")));
}

// Settings names the store as it is written: in an Arabic window the file's path (or the
// server's URL) is isolated left to right, so "/tmp/…/hookline.sqlite" does not lose its
// leading "/" to the far end of the line.
void TestI18n::databaseNameReadsLeftToRightInArabic()
{
    QVERIFY(Language::install(QStringLiteral("ar")));
    Window fixture;
    fixture.window->showPage(QStringLiteral("settings"));
    auto *label = fixture.window->findChild<QLabel *>(QStringLiteral("databaseName"));
    QVERIFY(label);
    QVERIFY2(label->text().startsWith(QChar(0x2066)) && label->text().endsWith(QChar(0x2069)),
             qPrintable(label->text()));
    QVERIFY(label->text().contains(fixture.engine.databaseName()));
    QVERIFY(Language::install(QStringLiteral("en")));
}

// A URL in a wrapped error message stays on one line: split over two, each half was
// reordered on its own line in Arabic ("crm.example.ae/hooks/calls" above "https://").
void TestI18n::urlsInErrorsStayOnOneLine()
{
    QVERIFY(Language::install(QStringLiteral("ar")));
    EventCatalog catalog;
    EndpointDialog dialog(catalog, Endpoint());
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QStringList broken;
    for (const QString &url :
         {QString(), QStringLiteral("http://[::1:80/x"), QStringLiteral("crm.example.com/hooks")}) {
        dialog.urlEdit()->setText(url);
        auto *label = dialog.findChild<QLabel *>(QStringLiteral("urlError"));
        QVERIFY(label && label->isVisible());
        const QString shown = label->text();
        QCOMPARE(dialog.fieldError(QStringLiteral("url")), Language::plain(shown));
        QTextLayout layout(shown, label->font());
        QTextOption option;
        option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
        option.setTextDirection(Qt::RightToLeft);
        layout.setTextOption(option);
        layout.beginLayout();
        for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine())
            line.setLineWidth(label->contentsRect().width());
        layout.endLayout();
        // Every "://" of the message: the URL around it starts and ends on one line.
        static const QRegularExpression token(QStringLiteral("\\S*:(?:\\x{2060})?/\\S*"));
        for (auto it = token.globalMatch(shown); it.hasNext();) {
            const QRegularExpressionMatch m = it.next();
            if (layout.lineForTextPosition(int(m.capturedStart())).lineNumber() !=
                layout.lineForTextPosition(int(m.capturedEnd() - 1)).lineNumber())
                broken << Language::plain(m.captured());
        }
    }
    QVERIFY(Language::install(QStringLiteral("en")));
    QVERIFY2(broken.isEmpty(), qPrintable(broken.join(QLatin1String(", "))));
}

// The sources say "%n attempt(s)"; English reads "1 attempt" and "3 attempts".
void TestI18n::englishPluralsReadRight()
{
    QVERIFY(Language::install(QStringLiteral("en")));
    const char *source = "Send %n failed delivery(s) that match the filters again? Each keeps "
                         "its webhook-id, so receivers can tell a repeat.";
    const QString one = QCoreApplication::translate("HistoryPage", source, nullptr, 1);
    const QString three = QCoreApplication::translate("HistoryPage", source, nullptr, 3);
    QVERIFY2(one.startsWith(QLatin1String("Send the 1 failed delivery that matches")),
             qPrintable(one));
    QVERIFY2(three.startsWith(QLatin1String("Send 3 failed deliveries that match")),
             qPrintable(three));
    QCOMPARE(
        QCoreApplication::translate("EndpointsModel", "At most %n attempt(s) at once", nullptr, 16),
        QStringLiteral("At most 16 attempts at once"));
}
