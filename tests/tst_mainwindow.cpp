// The main window on the offscreen platform: it opens on a sensible page, the keyboard
// reaches every page, the Events page shows a rendered sample, the About dialog shows the
// app and Qt versions, and geometry and the last page survive a restart.
#include "HooklineVersion.h"
#include "MainWindow.h"
#include "catalog/EventCatalog.h"
#include "dialogs/AboutDialog.h"
#include "pages/EventsPage.h"
#include "settings/AppSettings.h"

#include <QApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QListWidget>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>

class TestMainWindow : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void opensOnEndpoints();
    void keyboardReachesEveryPage();
    void eventsPageShowsSample();
    void aboutShowsVersions();
    void remembersGeometryAndPage();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString settingsPath() const { return m_dir->filePath(QStringLiteral("hookline.ini")); }
};

void TestMainWindow::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestMainWindow::opensOnEndpoints()
{
    AppSettings settings(settingsPath());
    MainWindow w(&settings, EventCatalog());
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.currentPage(), QStringLiteral("endpoints"));
    QCOMPARE(w.windowTitle(), QStringLiteral("Hookline"));
}

void TestMainWindow::keyboardReachesEveryPage()
{
    AppSettings settings(settingsPath());
    MainWindow w(&settings, EventCatalog());
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const QStringList keys = MainWindow::pageKeys();
    for (int i = keys.size() - 1; i >= 0; --i) {
        QTest::keyClick(&w, Qt::Key(Qt::Key_1 + i), Qt::ControlModifier);
        QTRY_COMPARE(w.currentPage(), keys.at(i));
        auto *stack = w.findChild<QStackedWidget *>();
        QCOMPARE(stack->currentWidget()->objectName(), keys.at(i) + QLatin1String("Page"));
    }
}

void TestMainWindow::eventsPageShowsSample()
{
    AppSettings settings(settingsPath());
    MainWindow w(&settings, EventCatalog());
    w.showPage(QStringLiteral("events"));
    auto *page = w.findChild<EventsPage *>();
    QVERIFY(page);
    page->selectType(QStringLiteral("call.ringing"));
    QCOMPARE(page->selectedType(), QStringLiteral("call.ringing"));
    const QString sample = page->samplePayload();
    QVERIFY(sample.contains(QStringLiteral("\n  \"callID\": ")));
    QJsonParseError e{};
    const QJsonDocument doc = QJsonDocument::fromJson(sample.toUtf8(), &e);
    QCOMPARE(e.error, QJsonParseError::NoError);
    QCOMPARE(doc.object().value(QStringLiteral("type")).toString(), QStringLiteral("ringing"));
}

void TestMainWindow::aboutShowsVersions()
{
    AboutDialog about;
    const QString text = about.versionText();
    QVERIFY(text.contains(QLatin1String(HOOKLINE_VERSION)));
    QVERIFY(text.contains(QLatin1String(qVersion())));
    QVERIFY(text.contains(QLatin1String(QT_VERSION_STR)));
}

void TestMainWindow::remembersGeometryAndPage()
{
    {
        AppSettings settings(settingsPath());
        MainWindow w(&settings, EventCatalog());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.resize(900, 610);
        w.showPage(QStringLiteral("history"));
        w.close();
    }
    AppSettings settings(settingsPath());
    MainWindow w(&settings, EventCatalog());
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.currentPage(), QStringLiteral("history"));
    QCOMPARE(w.size(), QSize(900, 610));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
