// SPDX-License-Identifier: GPL-3.0-or-later
// Accessibility, checked on the real window: every control a keyboard can reach has a name a
// screen reader can say; Tab reaches every control of every page and of the endpoint form,
// in the order of the form; and no status is told by colour alone (each has a text and an
// icon whose shape differs by outcome).
#include "MainWindow.h"
#include "dialogs/AboutDialog.h"
#include "dialogs/EndpointDialog.h"
#include "engine/Engine.h"
#include "settings/AppSettings.h"
#include "widgets/StatusStyle.h"

#include <QAbstractButton>
#include <QAccessible>
#include <QApplication>
#include <QLineEdit>
#include <QScrollArea>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString describe(QWidget *w)
{
    QString s = QLatin1String(w->metaObject()->className());
    if (!w->objectName().isEmpty())
        s += QLatin1Char('#') + w->objectName();
    if (auto *b = qobject_cast<QAbstractButton *>(w))
        s += QLatin1String(" \"") + b->text() + QLatin1Char('"');
    for (QWidget *p = w->parentWidget(); p; p = p->parentWidget()) {
        if (!p->objectName().isEmpty() && !p->objectName().startsWith(QLatin1String("qt_"))) {
            s += QLatin1String(" in ") + p->objectName();
            break;
        }
    }
    return s;
}

// Widgets a keyboard user can reach with Tab under root, as a user sees them now.
QList<QWidget *> tabbable(QWidget *root)
{
    QList<QWidget *> out;
    for (QWidget *w : root->findChildren<QWidget *>()) {
        if ((w->focusPolicy() & Qt::TabFocus) && w->isVisible() && w->isEnabled() &&
            !w->focusProxy())
            out << w;
    }
    return out;
}

QString accessibleName(QWidget *w)
{
    QAccessibleInterface *iface = QAccessible::queryAccessibleInterface(w);
    return iface ? iface->text(QAccessible::Name).trimmed() : QString();
}

// Presses Tab from the focused widget until focus comes back; returns the widgets passed.
QList<QWidget *> tabCycle(QWidget *start)
{
    start->setFocus(Qt::TabFocusReason);
    QList<QWidget *> seen;
    for (int i = 0; i < 300; ++i) {
        QWidget *f = QApplication::focusWidget();
        if (!f || (i > 0 && f == start))
            break;
        if (!seen.contains(f))
            seen << f;
        QTest::keyClick(f, Qt::Key_Tab);
    }
    return seen;
}

} // namespace

class TestAccessibility : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void everyControlHasAName();
    void tabReachesEveryControlOfEveryPage();
    void endpointFormTabOrderFollowsTheForm();
    void statusIsNeverColourAlone();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<Engine> m_engine;
};

void TestAccessibility::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_settings = std::make_unique<AppSettings>(m_dir->filePath(QStringLiteral("hookline.ini")));
    m_engine = std::make_unique<Engine>();
    QString error;
    QVERIFY2(m_engine->open(m_dir->path(), &error), qPrintable(error));
}

void TestAccessibility::cleanup()
{
    m_engine.reset();
    m_settings.reset();
    m_dir.reset();
}

void TestAccessibility::everyControlHasAName()
{
    MainWindow w(m_settings.get(), m_engine.get());
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QStringList unnamed;
    for (const QString &key : MainWindow::pageKeys()) {
        w.showPage(key);
        for (QWidget *c : tabbable(&w)) {
            if (accessibleName(c).isEmpty())
                unnamed << key + QLatin1String(": ") + describe(c);
        }
    }
    EndpointDialog dialog(m_engine->catalog(), Endpoint());
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    for (QWidget *c : tabbable(&dialog)) {
        if (accessibleName(c).isEmpty())
            unnamed << QLatin1String("endpoint form: ") + describe(c);
    }
    AboutDialog about;
    about.show();
    for (QWidget *c : tabbable(&about)) {
        if (accessibleName(c).isEmpty())
            unnamed << QLatin1String("about: ") + describe(c);
    }
    unnamed.removeDuplicates();
    QVERIFY2(unnamed.isEmpty(), qPrintable(QLatin1String("no accessible name:\n  ") +
                                           unnamed.join(QLatin1String("\n  "))));
}

void TestAccessibility::tabReachesEveryControlOfEveryPage()
{
    MainWindow w(m_settings.get(), m_engine.get());
    w.show();
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QStringList unreachable;
    for (const QString &key : MainWindow::pageKeys()) {
        w.showPage(key);
        QWidget *page = w.findChild<QStackedWidget *>()->currentWidget();
        const QList<QWidget *> controls = tabbable(page);
        QVERIFY2(!controls.isEmpty(), qPrintable(key));
        const QList<QWidget *> seen = tabCycle(controls.first());
        for (QWidget *c : controls) {
            if (!seen.contains(c))
                unreachable << key + QLatin1String(": ") + describe(c);
        }
    }
    QVERIFY2(unreachable.isEmpty(), qPrintable(QLatin1String("Tab never reaches:\n  ") +
                                               unreachable.join(QLatin1String("\n  "))));
}

void TestAccessibility::endpointFormTabOrderFollowsTheForm()
{
    EndpointDialog dialog(m_engine->catalog(), Endpoint());
    dialog.show();
    dialog.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&dialog));
    const QList<QWidget *> seen = tabCycle(dialog.nameEdit());
    QStringList missing;
    for (QWidget *c : tabbable(&dialog)) {
        if (!seen.contains(c))
            missing << describe(c);
    }
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QLatin1String("\n  "))));
    // Top to bottom, and left to right within a row, until the dialog's buttons.
    // (Positions in the scrolled form itself: the cycle has scrolled it.)
    QWidget *form = dialog.findChild<QScrollArea *>()->widget();
    QPoint previous(-1, -1);
    for (QWidget *c : seen) {
        if (!form->isAncestorOf(c))
            break;
        const QPoint at = c->mapTo(form, QPoint(0, c->height() / 2));
        const bool sameRow = qAbs(at.y() - previous.y()) < c->height() / 2;
        QVERIFY2(sameRow ? at.x() > previous.x() : at.y() > previous.y(),
                 qPrintable(describe(c) + QLatin1String(" comes out of order")));
        previous = at;
    }
}

void TestAccessibility::statusIsNeverColourAlone()
{
    struct Outcome
    {
        int status;
        ErrorClass error;
    };
    const Outcome outcomes[] = {{200, ErrorClass::None},    {404, ErrorClass::Http4xx},
                                {500, ErrorClass::Http5xx}, {0, ErrorClass::Timeout},
                                {0, ErrorClass::Refused},   {0, ErrorClass::None}};
    QSet<qint64> shapes;
    for (const Outcome &o : outcomes) {
        QVERIFY(!StatusStyle::outcomeText(o.status, o.error).isEmpty());
        const QIcon icon = StatusStyle::outcomeIcon(o.status, o.error);
        // The icon really renders (the SVG icon engine is there), not just exists.
        QVERIFY(!icon.pixmap(16, 16).toImage().isNull());
        QVERIFY(icon.pixmap(16, 16).toImage().pixelColor(8, 8).alpha() > 0 || o.status == 0);
        shapes.insert(icon.cacheKey());
    }
    // success, client error, server or network error, not attempted: four shapes
    QCOMPARE(shapes.size(), 4);
    for (DeliveryState s :
         {DeliveryState::Pending, DeliveryState::InFlight, DeliveryState::Succeeded,
          DeliveryState::Retrying, DeliveryState::Failed, DeliveryState::Cancelled}) {
        QVERIFY(!StatusStyle::stateText(s).isEmpty());
        QVERIFY(!StatusStyle::stateIcon(s).isNull());
    }
    QVERIFY(!StatusStyle::endpointIcon(false).isNull());
}

QTEST_MAIN(TestAccessibility)
#include "tst_accessibility.moc"
