// SPDX-License-Identifier: GPL-3.0-or-later
#include "MainWindow.h"

#include "HooklineVersion.h"
#include "dialogs/AboutDialog.h"
#include "engine/Engine.h"
#include "i18n/Language.h"
#include "pages/EndpointsPage.h"
#include "pages/EventsPage.h"
#include "pages/HistoryPage.h"
#include "pages/LivePage.h"
#include "pages/ReceiverPage.h"
#include "pages/SettingsPage.h"
#include "settings/AppSettings.h"
#include "widgets/HealthNotifier.h"
#include "widgets/HintText.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QScreen>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>

MainWindow::MainWindow(AppSettings *settings, Engine *engine, QWidget *parent)
    : QMainWindow(parent)
    , m_settings(settings)
    , m_engine(engine)
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(tr("Hookline"));
    if (QGuiApplication::windowIcon().isNull())
        QGuiApplication::setWindowIcon(applicationIcon());
    HintText::keepPlaceholdersReadable();

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_nav = new QListWidget(central);
    m_nav->setObjectName(QStringLiteral("navigation"));
    m_nav->setAccessibleName(tr("Pages"));
    m_nav->setFixedWidth(170);
    m_nav->setFrameShape(QFrame::NoFrame);
    // The rule between the pages list and the page sits on the page's side: on the right
    // left to right, on the left right to left (style sheets do not mirror themselves).
    m_nav->setStyleSheet(
        QStringLiteral("QListWidget#navigation { background: palette(base); border: none;"
                       " border-%1: 1px solid palette(mid); padding: 8px 6px; outline: none; }"
                       "QListWidget#navigation::item { padding: 8px 10px; border-radius: 4px; }"
                       "QListWidget#navigation::item:selected { background: palette(highlight);"
                       " color: palette(highlighted-text); }")
            .arg(QGuiApplication::isRightToLeft() ? QLatin1String("left")
                                                  : QLatin1String("right")));
    m_nav->setSpacing(1);
    m_stack = new QStackedWidget(central);
    // A notice above the pages while the database cannot be written: it is the one thing
    // that stops delivery, so it is not left to a status-bar message that fades.
    m_storeNotice = new QLabel(central);
    m_storeNotice->setObjectName(QStringLiteral("storeNotice"));
    m_storeNotice->setWordWrap(true);
    m_storeNotice->setTextFormat(Qt::PlainText);
    m_storeNotice->setStyleSheet(
        QStringLiteral("QLabel#storeNotice { background: #fdecea; color: #611a15;"
                       " border-bottom: 1px solid #f5c2bd; padding: 10px 14px; }"));
    m_storeNotice->hide();
    auto *pageColumn = new QVBoxLayout;
    pageColumn->setContentsMargins(0, 0, 0, 0);
    pageColumn->setSpacing(0);
    pageColumn->addWidget(m_storeNotice);
    pageColumn->addWidget(m_stack, 1);
    layout->addWidget(m_nav);
    layout->addLayout(pageColumn, 1);
    setCentralWidget(central);

    auto *endpoints = new EndpointsPage(engine, m_stack);
    auto *events = new EventsPage(engine, m_stack);
    auto *live = new LivePage(engine, m_stack);
    auto *history = new HistoryPage(engine, m_stack);
    auto *receiver = new ReceiverPage(engine, m_stack);
    auto *settingsPage = new SettingsPage(engine, settings, m_stack);
    addPage(QStringLiteral("endpoints"), tr("Endpoints"), endpoints);
    addPage(QStringLiteral("events"), tr("Events"), events);
    addPage(QStringLiteral("live"), tr("Live"), live);
    addPage(QStringLiteral("history"), tr("History"), history);
    addPage(QStringLiteral("receiver"), tr("Receiver"), receiver);
    addPage(QStringLiteral("settings"), tr("Settings"), settingsPage);
    connect(m_nav, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);
    endpoints->setNewEndpointDefaults([settings] {
        Endpoint e;
        e.retry.scheduleSeconds = settings->defaultRetrySchedule();
        return e;
    });
    connect(endpoints, &EndpointsPage::message, this, &MainWindow::showMessage);
    connect(events, &EventsPage::message, this, &MainWindow::showMessage);
    connect(history, &HistoryPage::message, this, &MainWindow::showMessage);
    connect(receiver, &ReceiverPage::message, this, &MainWindow::showMessage);
    connect(settingsPage, &SettingsPage::message, this, &MainWindow::showMessage);
    connect(settingsPage, &SettingsPage::restartRequested, this, &MainWindow::restartRequested);
    // An endpoint disabled, or failing often: said in the window and, when the desktop has a
    // system tray, by a notification that opens the endpoint's view.
    m_notifier = new HealthNotifier(engine, this);
    m_notifier->setThreshold([settings] { return settings->failureAlertPercent(); });
    connect(m_notifier, &HealthNotifier::notified, this,
            [this](const QString &, const QString &text) { showMessage(text); });
    connect(m_notifier, &HealthNotifier::openEndpoint, this, [this, endpoints](const QString &id) {
        showNormal();
        raise();
        activateWindow();
        showPage(QStringLiteral("endpoints"));
        endpoints->select(id);
    });

    connect(engine, &Engine::storeProblem, this, &MainWindow::showStoreProblem);
    connect(engine, &Engine::storeUnreachable, this, [this](const QString &why) {
        m_storeNotice->setText(
            tr("Reconnecting to the database %1… (%2) What is on screen is kept; deliveries "
               "wait and resume by themselves once it answers.")
                .arg(Language::ltr(m_engine->databaseName()), why));
        m_storeNotice->setAccessibleName(tr("Database problem"));
        m_storeNotice->show();
        statusBar()->showMessage(tr("Reconnecting to the database…"));
    });
    connect(engine, &Engine::storeRecovered, this, [this] {
        m_storeNotice->hide();
        showMessage(tr("The database can be written again; delivery has resumed."));
    });

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

    m_counters = new QLabel(this);
    m_counters->setToolTip(tr("Attempts this window has made since it started; other Hookline "
                              "processes on the same data are not counted here."));
    m_receiverState = new QLabel(this);
    m_apiState = new QLabel(this);
    m_apiState->setObjectName(QStringLiteral("apiState"));
    statusBar()->addPermanentWidget(m_counters);
    statusBar()->addPermanentWidget(m_receiverState);
    statusBar()->addPermanentWidget(m_apiState);
    m_counterTimer = new QTimer(this);
    m_counterTimer->setInterval(500);
    connect(m_counterTimer, &QTimer::timeout, this, &MainWindow::updateCounters);
    m_counterTimer->start();
    updateCounters();
    showMessage(tr("Hookline %1 ready. Data: %2")
                    .arg(QLatin1String(HOOKLINE_VERSION), Language::ltr(engine->databaseName())));

    if (!restoreGeometry(m_settings->windowGeometry())) {
        // 1180 × 760, or less on a smaller screen: never wider or taller than it.
        QSize size(1180, 760);
        if (const QScreen *screen = QGuiApplication::primaryScreen())
            size = size.boundedTo(screen->availableGeometry().size() - QSize(40, 60));
        resize(size.expandedTo(minimumSizeHint()));
    }
    restoreState(m_settings->windowState());
    const QString last = m_settings->lastPage();
    showPage(m_keys.contains(last) ? last : QStringLiteral("endpoints"));
    // Splitter positions, per page.
    for (QSplitter *s : findChildren<QSplitter *>()) {
        if (!s->objectName().isEmpty())
            s->restoreState(m_settings->splitterState(s->objectName()));
    }
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

QIcon MainWindow::applicationIcon()
{
    // The installed theme's icon when there is one (it may be restyled), else the copy
    // compiled into the binary.
    QIcon fallback;
    for (int size : {16, 32, 48, 64, 128, 256})
        fallback.addFile(QStringLiteral(":/icons/hicolor/%1x%1/io.hookline.Hookline.png").arg(size),
                         QSize(size, size));
    return QIcon::fromTheme(QStringLiteral("io.hookline.Hookline"), fallback);
}

QString MainWindow::countersText() const
{
    return m_counters->text();
}

void MainWindow::updateCounters()
{
    const DispatcherCounters c = m_engine->counters();
    m_counters->setText(tr("This window's attempts: %1 in flight · %2 queued · %3 succeeded · "
                           "%4 failed · %5 retrying")
                            .arg(c.inFlight)
                            .arg(c.queued)
                            .arg(c.succeeded)
                            .arg(c.failed)
                            .arg(c.retrying));
    m_apiState->setVisible(m_engine->isApiServing());
    m_apiState->setText(tr("API on %1").arg(m_engine->apiUrl()));
    m_receiverState->setText(m_engine->isReceiverListening()
                                 ? tr("Receiver on :%1").arg(m_engine->receiverPort())
                                 : tr("Receiver off"));
}

void MainWindow::showMessage(const QString &text)
{
    statusBar()->showMessage(text, 8000);
}

void MainWindow::showStoreProblem(const QString &error)
{
    const QString text =
        tr("Hookline cannot write its database %1 (%2). Deliveries are paused and nothing new is "
           "accepted until it can; nothing already accepted is lost, and delivery resumes by "
           "itself. %3")
            .arg(Language::ltr(m_engine->databaseName()), error, m_engine->storeAdvice(error));
    m_storeNotice->setText(text);
    m_storeNotice->setAccessibleName(tr("Database problem"));
    m_storeNotice->show();
    statusBar()->showMessage(tr("Database cannot be written: deliveries paused"));
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
    for (QSplitter *s : findChildren<QSplitter *>()) {
        if (!s->objectName().isEmpty())
            m_settings->setSplitterState(s->objectName(), s->saveState());
    }
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
