#include "MainWindow.h"

#include "HooklineVersion.h"
#include "catalog/EventCatalog.h"
#include "dialogs/AboutDialog.h"
#include "pages/EventsPage.h"
#include "settings/AppSettings.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QScreen>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>

MainWindow::MainWindow(AppSettings *settings, const EventCatalog &catalog, QWidget *parent)
    : QMainWindow(parent)
    , m_settings(settings)
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(tr("Hookline"));

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_nav = new QListWidget(central);
    m_nav->setObjectName(QStringLiteral("navigation"));
    m_nav->setAccessibleName(tr("Pages"));
    m_nav->setFixedWidth(160);
    m_nav->setFrameShape(QFrame::NoFrame);
    m_nav->setStyleSheet(QStringLiteral("QListWidget#navigation { background: palette(window); }"
                                        "QListWidget#navigation::item { padding: 8px 12px; }"));
    m_stack = new QStackedWidget(central);
    layout->addWidget(m_nav);
    layout->addWidget(m_stack, 1);
    setCentralWidget(central);

    addPage(QStringLiteral("endpoints"), tr("Endpoints"),
            placeholderPage(tr("Endpoints"),
                            tr("Register the URLs that receive webhooks, choose their events, "
                               "format, headers, secret and retry policy.")));
    addPage(QStringLiteral("events"), tr("Events"), new EventsPage(catalog, m_stack));
    addPage(QStringLiteral("live"), tr("Live"),
            placeholderPage(tr("Live"), tr("Deliveries as they happen: request, response and "
                                           "timing of every attempt.")));
    addPage(QStringLiteral("history"), tr("History"),
            placeholderPage(tr("History"), tr("Every delivery ever made, with filters, search, "
                                              "redeliver and export.")));
    addPage(QStringLiteral("receiver"), tr("Receiver"),
            placeholderPage(tr("Receiver"), tr("A local test receiver that catches webhooks and "
                                               "can play a failing endpoint.")));
    addPage(QStringLiteral("settings"), tr("Settings"),
            placeholderPage(tr("Settings"), tr("Data directory, retention, default retry "
                                               "schedule, concurrency and language.")));
    connect(m_nav, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);

    // Menus: everything reachable from the keyboard.
    auto *fileMenu = menuBar()->addMenu(tr("&File"));
    auto *quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    auto *viewMenu = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < m_keys.size(); ++i) {
        auto *action = viewMenu->addAction(m_nav->item(i)->text());
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        connect(action, &QAction::triggered, this, [this, i] { m_nav->setCurrentRow(i); });
    }

    auto *helpMenu = menuBar()->addMenu(tr("&Help"));
    auto *about = helpMenu->addAction(tr("&About Hookline"), this, &MainWindow::showAbout);
    about->setShortcut(QKeySequence::HelpContents);
    about->setMenuRole(QAction::AboutRole);
    helpMenu->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);

    statusBar()->showMessage(tr("Hookline %1 ready").arg(QLatin1String(HOOKLINE_VERSION)));

    // Restore what the user had; sensible defaults the first time.
    if (!restoreGeometry(m_settings->windowGeometry()))
        resize(1100, 720);
    restoreState(m_settings->windowState());
    const QString last = m_settings->lastPage();
    showPage(m_keys.contains(last) ? last : QStringLiteral("endpoints"));
}

QStringList MainWindow::pageKeys()
{
    return {QStringLiteral("endpoints"), QStringLiteral("events"),   QStringLiteral("live"),
            QStringLiteral("history"),   QStringLiteral("receiver"), QStringLiteral("settings")};
}

QString MainWindow::currentPage() const
{
    const int i = m_stack->currentIndex();
    return i >= 0 && i < m_keys.size() ? m_keys.at(i) : QString();
}

void MainWindow::showPage(const QString &key)
{
    const int i = int(m_keys.indexOf(key));
    if (i >= 0)
        m_nav->setCurrentRow(i);
}

void MainWindow::showAbout()
{
    AboutDialog dialog(this);
    dialog.setWindowIcon(windowIcon());
    dialog.exec();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    m_settings->setWindowGeometry(saveGeometry());
    m_settings->setWindowState(saveState());
    m_settings->setLastPage(currentPage());
    m_settings->sync();
    QMainWindow::closeEvent(event);
}

void MainWindow::addPage(const QString &key, const QString &title, QWidget *page)
{
    page->setObjectName(key + QLatin1String("Page"));
    m_keys << key;
    m_nav->addItem(title);
    m_stack->addWidget(page);
}

QWidget *MainWindow::placeholderPage(const QString &title, const QString &text)
{
    auto *page = new QWidget(m_stack);
    auto *layout = new QVBoxLayout(page);
    layout->addStretch();
    auto *heading = new QLabel(QStringLiteral("<h2>%1</h2>").arg(title.toHtmlEscaped()), page);
    heading->setAlignment(Qt::AlignCenter);
    auto *body = new QLabel(text, page);
    body->setWordWrap(true);
    body->setAlignment(Qt::AlignCenter);
    auto *soon = new QLabel(tr("This page is being built."), page);
    soon->setAlignment(Qt::AlignCenter);
    soon->setEnabled(false);
    layout->addWidget(heading);
    layout->addWidget(body);
    layout->addWidget(soon);
    layout->addStretch();
    return page;
}
