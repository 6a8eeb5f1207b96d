// SPDX-License-Identifier: GPL-3.0-or-later
// The real main window on the offscreen platform, over a real engine in a temporary data
// directory and Hookline's own receiver on 127.0.0.1: pages and shortcuts, the endpoint
// form with invalid and valid input, a test event that shows up in Live and History with
// code 200, redeliver and export from History, remembered geometry, and every model under
// QAbstractItemModelTester.
#include "FaultVfs.h"
#include "HooklineVersion.h"
#include "MainWindow.h"
#include "delivery/Dispatcher.h"
#include "dialogs/AboutDialog.h"
#include "dialogs/EndpointDialog.h"
#include "domain/Ids.h"
#include "engine/Engine.h"
#include "models/EndpointsModel.h"
#include "models/HistoryModel.h"
#include "models/LiveModel.h"
#include "pages/EndpointsPage.h"
#include "pages/EventsPage.h"
#include "pages/HistoryPage.h"
#include "pages/LivePage.h"
#include "pages/ReceiverPage.h"
#include "pages/SettingsPage.h"
#include "receiver/ReceiverServer.h"
#include "settings/AppSettings.h"
#include "store/Store.h"
#include "store/StoreWriter.h"
#include "widgets/ActivityChart.h"
#include "widgets/DeliveryDetailsView.h"
#include "widgets/EndpointView.h"
#include "widgets/HealthNotifier.h"
#include "widgets/HintText.h"
#include "widgets/HistoryScroller.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScreen>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <QWheelEvent>

#include <algorithm>

namespace {

// A final delivery of `event` to `endpointId`, written straight to the store: id
// "<prefix>-00042", answered `status` (2xx: succeeded, otherwise failed).
bool storeDelivery(Store &store, const Event &event, const QString &endpointId,
                   const QString &prefix, int i, int status = 200)
{
    Delivery d;
    d.id = QStringLiteral("%1-%2").arg(prefix).arg(i, 5, 10, QChar(u'0'));
    d.eventId = event.id;
    d.eventType = event.type;
    d.endpointId = endpointId;
    d.webhookId = QStringLiteral("msg_%1%2").arg(prefix).arg(i);
    d.state = status / 100 == 2 ? DeliveryState::Succeeded : DeliveryState::Failed;
    d.lastStatus = status;
    d.lastError = errorClassForStatus(status);
    d.created = d.updated = event.created;
    return store.insertDelivery(d);
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void opensOnEndpoints();
    void fitsASmallScreen();
    void keyboardReachesEveryPage();
    void eventsPageShowsSampleAndChecksTemplates();
    void unsavedTemplateIsNotDroppedSilently();
    void aboutShowsVersions();
    void remembersGeometryAndPage();
    void endpointFormRefusesBadInput();
    void endpointFormSaves();
    void wheelOverAnUnfocusedFieldScrollsTheForm();
    void ctrlPPausesAndResumesLive();
    void exportTakesTheChosenFormat();
    void retryAllFailedFollowsTheFiltersAndAsks();
    void endpointViewShowsHealthAndRecovers();
    void notificationsNameTheEndpoint();
    void resendIsSyncedAndRefusedOnAFullDisk();
    void historySearchFindsAnyId();
    void historyScrollsAWindowOverTheWholeHistory();
    void hintsReadInLightAndDarkPalettes();
    void eachLocalEndpointHasItsOwnInbox();
    void testEventShowsInLiveAndHistory();
    void liveShowsWhatAnotherProcessSends();
    void modelsPassTheModelTester();
    void liveModelIsBoundedAndCoalesced();
    void storeFailureIsShownUntilItClears();
    void settingsFileIsOwnerOnly();
    void securityFromSettings();
    void apiIsTurnedOnFromSettings();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<Engine> m_engine;
    QString settingsPath() const { return m_dir->filePath(QStringLiteral("hookline.ini")); }
    std::unique_ptr<MainWindow> window()
    {
        auto w = std::make_unique<MainWindow>(m_settings.get(), m_engine.get());
        w->show();
        if (!QTest::qWaitForWindowExposed(w.get()))
            qWarning("window not exposed");
        return w;
    }
};

void TestMainWindow::initTestCase()
{
    FaultVfs::install();
}

void TestMainWindow::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_settings = std::make_unique<AppSettings>(settingsPath());
    m_engine = std::make_unique<Engine>();
    QString error;
    QVERIFY2(m_engine->open(m_dir->path(), &error), qPrintable(error));
}

void TestMainWindow::cleanup()
{
    m_engine.reset();
    m_settings.reset();
    m_dir.reset();
}

void TestMainWindow::opensOnEndpoints()
{
    auto w = window();
    QCOMPARE(w->currentPage(), QStringLiteral("endpoints"));
    QCOMPARE(w->windowTitle(), QStringLiteral("Hookline"));
    QVERIFY(w->countersText().contains(QStringLiteral("This window's attempts: 0 in flight")));
}

// Every page fits a 1024 × 768 screen: no part of the window is pushed off it, and a first
// start opens no larger than the screen.
void TestMainWindow::fitsASmallScreen()
{
    auto w = window();
    const QSize screen = QGuiApplication::primaryScreen()->availableGeometry().size();
    // (The offscreen platform's screen is 800 × 800: the window may not shrink below its
    // minimum for it, but never opens beyond 1024 × 768 on a screen that small.)
    QVERIFY2(w->width() <= qMax(screen.width(), 1024) && w->height() <= qMax(screen.height(), 768),
             qPrintable(QStringLiteral("%1 × %2 on %3 × %4")
                            .arg(w->width())
                            .arg(w->height())
                            .arg(screen.width())
                            .arg(screen.height())));
    for (const QString &key : MainWindow::pageKeys()) {
        w->showPage(key);
        QCoreApplication::processEvents();
        const QSize least = w->minimumSizeHint().expandedTo(w->minimumSize());
        QVERIFY2(
            least.width() <= 1024 && least.height() <= 740,
            qPrintable(
                QStringLiteral("%1: %2 × %3").arg(key).arg(least.width()).arg(least.height())));
    }
}

void TestMainWindow::keyboardReachesEveryPage()
{
    auto w = window();
    const QStringList keys = MainWindow::pageKeys();
    for (int i = int(keys.size()) - 1; i >= 0; --i) {
        QTest::keyClick(w.get(), Qt::Key(Qt::Key_1 + i), Qt::ControlModifier);
        QTRY_COMPARE(w->currentPage(), keys.at(i));
        QCOMPARE(w->findChild<QStackedWidget *>()->currentWidget()->objectName(),
                 keys.at(i) + QLatin1String("Page"));
    }
}

void TestMainWindow::eventsPageShowsSampleAndChecksTemplates()
{
    auto w = window();
    w->showPage(QStringLiteral("events"));
    auto *page = w->page<EventsPage>();
    page->selectType(QStringLiteral("call.ringing"));
    QCOMPARE(page->selectedType(), QStringLiteral("call.ringing"));
    QJsonParseError e{};
    const QJsonDocument doc = QJsonDocument::fromJson(page->samplePayload().toUtf8(), &e);
    QCOMPARE(e.error, QJsonParseError::NoError);
    QCOMPARE(doc.object().value(QStringLiteral("type")).toString(), QStringLiteral("ringing"));
    QVERIFY(page->samplePayload().contains(QStringLiteral("\n  \"callID\": ")));
    // Break the template: the error names the placeholder and its position.
    page->templateEditor()->setPlainText(QStringLiteral("{\n  \"a\": \"{{nope}}\"\n}"));
    QVERIFY(page->templateError().contains(QStringLiteral("{{nope}}")));
    QVERIFY(page->templateError().contains(QStringLiteral("line 2")));
    page->templateEditor()->setPlainText(
        QStringLiteral("{\"type\": \"RINGING\", \"callID\": \"{{call.id}}\"}"));
    QVERIFY(page->templateError().isEmpty());
    QVERIFY(page->saveTemplate());
    QVERIFY(m_engine->catalog()
                .find(QStringLiteral("call.ringing"))
                ->payloadTemplate.contains(QStringLiteral("RINGING")));
}

// Picking another event type with template edits unsaved asks: Cancel stays (edits kept),
// Discard drops them, Save keeps them in the catalog (they were once dropped silently).
void TestMainWindow::unsavedTemplateIsNotDroppedSilently()
{
    auto w = window();
    w->showPage(QStringLiteral("events"));
    auto *page = w->page<EventsPage>();
    int answer = QMessageBox::Cancel;
    QStringList asked;
    page->setAskUnsaved([&](const QString &id) {
        asked << id;
        return answer;
    });
    const QString ringing = QStringLiteral("call.ringing");
    const QString original = m_engine->catalog().find(ringing)->payloadTemplate;
    const QString edited = QStringLiteral("{\"type\": \"edited\", \"callID\": \"{{call.id}}\"}");
    page->selectType(ringing);
    page->templateEditor()->setPlainText(edited);
    QVERIFY(page->hasUnsavedTemplate());

    page->selectType(QStringLiteral("call.ended"));
    QCOMPARE(asked, QStringList{ringing});
    QCOMPARE(page->selectedType(), ringing);
    QCOMPARE(page->templateEditor()->toPlainText(), edited);

    answer = QMessageBox::Discard;
    page->selectType(QStringLiteral("call.ended"));
    QCOMPARE(page->selectedType(), QStringLiteral("call.ended"));
    QCOMPARE(m_engine->catalog().find(ringing)->payloadTemplate, original);

    page->selectType(ringing);
    page->templateEditor()->setPlainText(edited);
    answer = QMessageBox::Save;
    page->selectType(QStringLiteral("call.ended"));
    QCOMPARE(page->selectedType(), QStringLiteral("call.ended"));
    QCOMPARE(m_engine->catalog().find(ringing)->payloadTemplate, edited);
    QCOMPARE(asked.size(), 3);
    // Saved, nothing is asked on the way back.
    page->selectType(ringing);
    QCOMPARE(asked.size(), 3);
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
        auto w = window();
        w->resize(1250, 700);
        w->showPage(QStringLiteral("history"));
        w->close();
    }
    auto w = window();
    QCOMPARE(w->currentPage(), QStringLiteral("history"));
    QCOMPARE(w->size(), QSize(1250, 700));
}

void TestMainWindow::endpointFormRefusesBadInput()
{
    EndpointDialog dialog(m_engine->catalog(), Endpoint());
    QVERIFY(!dialog.canSave()); // empty name and URL
    QTest::keyClicks(dialog.nameEdit(), QStringLiteral("CRM"));
    QTest::keyClicks(dialog.urlEdit(), QStringLiteral("ftp://crm.example.com/x"));
    QVERIFY(!dialog.canSave());
    QVERIFY2(dialog.fieldError(QStringLiteral("url")).contains(QStringLiteral("ftp")),
             qPrintable(dialog.fieldError(QStringLiteral("url"))));
    QVERIFY(dialog.fieldError(QStringLiteral("name")).isEmpty());
    dialog.urlEdit()->setText(QStringLiteral("https://crm.example.com/hooks"));
    QVERIFY(dialog.canSave());
    // A header with a line break in it: refused, naming the header.
    auto *headers = dialog.headersTable();
    headers->insertRow(0);
    headers->setItem(0, 0, new QTableWidgetItem(QStringLiteral("x-api-key")));
    headers->setItem(0, 1, new QTableWidgetItem(QStringLiteral("abc\r\nX-Evil: 1")));
    QVERIFY(!dialog.canSave());
    QVERIFY(dialog.fieldError(QStringLiteral("headers")).contains(QStringLiteral("x-api-key")));
    headers->item(0, 1)->setText(QStringLiteral("abc"));
    QVERIFY(dialog.canSave());
    dialog.secretEdit()->setText(QStringLiteral("not-a-secret"));
    QVERIFY(!dialog.canSave());
    QVERIFY(dialog.fieldError(QStringLiteral("secret")).contains(QStringLiteral("whsec_")));
}

void TestMainWindow::endpointFormSaves()
{
    auto w = window();
    auto *page = w->page<EndpointsPage>();
    page->setDialogRunner([](QDialog *d) {
        auto *dialog = static_cast<EndpointDialog *>(d);
        QTest::keyClicks(dialog->nameEdit(), QStringLiteral("CRM"));
        QTest::keyClicks(dialog->urlEdit(), QStringLiteral("https://crm.example.com/hooks"));
        return dialog->canSave();
    });
    page->addEndpoint();
    QCOMPARE(page->model()->rowCount(), 1);
    const QList<Endpoint> stored = m_engine->store().endpoints();
    QCOMPARE(stored.size(), 1);
    QCOMPARE(stored.first().url, QStringLiteral("https://crm.example.com/hooks"));
    QCOMPARE(page->selectedId(), stored.first().id);
    // Delete asks first; "no" keeps it.
    page->setConfirm([](const QString &) { return false; });
    page->deleteSelected();
    QCOMPARE(m_engine->store().endpoints().size(), 1);
    page->setConfirm([](const QString &q) { return q.contains(QStringLiteral("CRM")); });
    page->deleteSelected();
    QCOMPARE(m_engine->store().endpoints().size(), 0);
    QCOMPARE(page->model()->rowCount(), 0);
}

// The mouse wheel over the Format combo box or a spin box, while scrolling the form, leaves
// their values alone (JSON once became Form and was saved); focused, they take it.
void TestMainWindow::wheelOverAnUnfocusedFieldScrollsTheForm()
{
    EndpointDialog dialog(m_engine->catalog(), Endpoint());
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QComboBox *format = dialog.formatBox();
    auto *timeout = dialog.findChild<QSpinBox *>(QStringLiteral("maxInFlight"));
    QVERIFY(timeout);
    const int formatBefore = format->currentIndex();
    const int valueBefore = timeout->value();
    auto wheel = [](QWidget *w) {
        const QPointF at(w->width() / 2.0, w->height() / 2.0);
        QWheelEvent e(at, w->mapToGlobal(at), QPoint(), QPoint(0, -120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(w, &e);
    };
    dialog.nameEdit()->setFocus();
    wheel(format);
    wheel(timeout);
    QCOMPARE(format->currentIndex(), formatBefore);
    QCOMPARE(timeout->value(), valueBefore);
    timeout->setFocus();
    QTRY_VERIFY(timeout->hasFocus());
    wheel(timeout);
    QVERIFY(timeout->value() != valueBefore);
}

// Ctrl+P pauses and resumes Live every time (the button's "&Resume" text once replaced it).
void TestMainWindow::ctrlPPausesAndResumesLive()
{
    auto w = window();
    w->showPage(QStringLiteral("live"));
    auto *live = w->page<LivePage>();
    QVERIFY(!live->isPaused());
    for (int i = 0; i < 3; ++i) {
        QTest::keyClick(w.get(), Qt::Key_P, Qt::ControlModifier);
        QTRY_VERIFY(live->isPaused());
        QTest::keyClick(w.get(), Qt::Key_P, Qt::ControlModifier);
        QTRY_VERIFY(!live->isPaused());
    }
}

void TestMainWindow::exportTakesTheChosenFormat()
{
    const QString csv = QStringLiteral("CSV (*.csv)");
    const QString jsonl = QStringLiteral("JSON Lines (*.jsonl)");
    QCOMPARE(HistoryPage::exportPath(QStringLiteral("/tmp/out"), jsonl),
             QStringLiteral("/tmp/out.jsonl"));
    QCOMPARE(HistoryPage::exportPath(QStringLiteral("/tmp/out"), csv),
             QStringLiteral("/tmp/out.csv"));
    // A name typed with its extension keeps it, whichever filter is shown.
    QCOMPARE(HistoryPage::exportPath(QStringLiteral("/tmp/out.csv"), jsonl),
             QStringLiteral("/tmp/out.csv"));
    QCOMPARE(HistoryPage::exportPath(QStringLiteral("/tmp/out.jsonl"), csv),
             QStringLiteral("/tmp/out.jsonl"));
    // Arabic and French filter texts keep the pattern.
    QCOMPARE(
        HistoryPage::exportPath(QStringLiteral("/tmp/out"), QStringLiteral("أسطر JSON (*.jsonl)")),
        QStringLiteral("/tmp/out.jsonl"));
}

// "Retry all failed" resends only what the filters show (none while State shows cancelled
// ones: three hidden failed ones were once resent) and asks first, with the count.
void TestMainWindow::retryAllFailedFollowsTheFiltersAndAsks()
{
    auto w = window();
    auto *endpoints = w->page<EndpointsPage>();
    endpoints->addLocalTestEndpoint();
    InboxConfig down = m_engine->inbox(QStringLiteral("test"));
    down.status = 503;
    QVERIFY(m_engine->setInbox(down).isEmpty());
    Endpoint e = m_engine->endpoints().first();
    e.retry.maxAttempts = 1;
    QVERIFY(m_engine->saveEndpoint(&e).isEmpty());
    QSignalSpy finished(&m_engine->dispatcher(), &Dispatcher::deliveryFinished);
    QString error;
    for (int i = 0; i < 3; ++i)
        QCOMPARE(m_engine->sendTest(QStringLiteral("call.ringing"), e.id, &error).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, 10000);
    QVERIFY(m_engine->flush(&error));

    w->showPage(QStringLiteral("history"));
    auto *history = w->page<HistoryPage>();
    QStringList asked;
    bool answer = false;
    history->setConfirm([&](const QString &q) {
        asked << q;
        return answer;
    });
    auto *state = history->findChild<QComboBox *>(QStringLiteral("stateFilter"));
    QVERIFY(state);
    state->setCurrentIndex(state->findData(int(DeliveryState::Cancelled)));
    QCOMPARE(history->retryAllFailed(), 0);
    QVERIFY(asked.isEmpty());
    state->setCurrentIndex(state->findData(int(DeliveryState::Failed)));
    QCOMPARE(history->retryAllFailed(), -1); // the admin says no: nothing is sent
    QCOMPARE(asked.size(), 1);
    QVERIFY2(asked.first().contains(QLatin1String("3")), qPrintable(asked.first()));
    QCOMPARE(m_engine->receiver().requests(QStringLiteral("test")).size(), 3);
    answer = true;
    QCOMPARE(history->retryAllFailed(), 3);
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->receiver().requests(QStringLiteral("test")).size(), 6,
                              10000);
}

// Selecting an endpoint shows its health: attempts by outcome and latency (from the store's
// per-minute counts) over the chosen span, what is retrying and when, recent deliveries with
// their request and response. "Resend failed since" states the count, enables a disabled
// endpoint, and sends failed and cancelled deliveries again; "Send test" reaches it while
// it is still disabled.
void TestMainWindow::endpointViewShowsHealthAndRecovers()
{
    auto w = window();
    auto *endpoints = w->page<EndpointsPage>();
    endpoints->addLocalTestEndpoint();
    Endpoint e = m_engine->endpoints().first();
    e.retry.maxAttempts = 2;
    e.retry.scheduleSeconds = {0};
    QVERIFY(m_engine->saveEndpoint(&e).isEmpty());
    InboxConfig inbox = m_engine->inbox(QStringLiteral("test"));
    inbox.script = {200, 200, 503, 503, 503, 503};
    QVERIFY(m_engine->setInbox(inbox).isEmpty());
    QSignalSpy finished(&m_engine->dispatcher(), &Dispatcher::deliveryFinished);
    QString error;
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(m_engine->sendTest(QStringLiteral("call.ringing"), e.id, &error).size(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), i + 1, 10000); // one at a time, in order
    }
    QVERIFY(m_engine->flush(&error));

    auto *view = endpoints->endpointView();
    QVERIFY(view);
    endpoints->select(e.id);
    QCOMPARE(view->endpointId(), e.id);
    view->refresh();
    // 2 successes, then two deliveries that each failed twice (a retry, then for good).
    const ActivityCounts &shown = view->outcomesChart()->activity().total;
    QCOMPARE(shown.attempts, 6);
    QCOMPARE(shown.succeeded, 2);
    QCOMPARE(shown.retrying, 2);
    QCOMPARE(shown.failed, 2);
    QCOMPARE(view->outcomesChart()->activity().bins.size(), 60);
    QVERIFY2(view->figuresText().contains(QLatin1String("<b>6</b> attempts")),
             qPrintable(view->figuresText()));
    QVERIFY2(view->figuresText().contains(QLatin1String("33.3")), qPrintable(view->figuresText()));
    QVERIFY(!view->outcomesChart()->accessibleDescription().isEmpty());
    // The current minute's bar has a tooltip with its figures.
    const QString lastBin = view->outcomesChart()->binText(59);
    QVERIFY2(lastBin.contains(QLatin1String("6 attempts")) ||
                 view->outcomesChart()->binText(58).contains(QLatin1String("attempts")),
             qPrintable(lastBin));
    view->setSpan(EndpointView::Span::Week);
    QCOMPARE(view->outcomesChart()->activity().bins.size(), 168);
    QCOMPARE(view->latencyChart()->activity().total.attempts, 6);
    view->setSpan(EndpointView::Span::Day);
    QCOMPARE(view->outcomesChart()->activity().bins.size(), 96);
    // Recent deliveries, newest first, with the request and response of the selected one.
    QTRY_COMPARE(view->recentView()->model()->rowCount(), 4);
    view->recentView()->selectRow(0);
    QVERIFY(view->details()->responseText().contains(QLatin1String("503")));

    // A retrying delivery shows its next try.
    e.retry.maxAttempts = 5;
    e.retry.scheduleSeconds = {36000}; // 10 h, give or take the jitter
    QVERIFY(m_engine->saveEndpoint(&e).isEmpty());
    inbox.script = {};
    inbox.status = 503;
    QVERIFY(m_engine->setInbox(inbox).isEmpty());
    QCOMPARE(m_engine->sendTest(QStringLiteral("call.ended"), e.id, &error).size(), 1);
    QSignalSpy attempts(&m_engine->dispatcher(), &Dispatcher::attemptFinished);
    QVERIFY(attempts.wait(10000));
    QVERIFY(m_engine->flush(&error));
    view->refresh();
    QCOMPARE(view->retryingView()->topLevelItemCount(), 1);
    QVERIFY2(view->retryingView()->topLevelItem(0)->text(0).contains(
                 QRegularExpression(QStringLiteral(" \\(in (8|9|10|11|12) h\\)$"))),
             qPrintable(view->retryingView()->topLevelItem(0)->text(0)));

    // The outage: the endpoint is disabled, its retrying delivery cancelled.
    QVERIFY(m_engine->setEndpointEnabled(e.id, false));
    QVERIFY(m_engine->queueRedelivery(
        view->retryingView()->topLevelItem(0)->data(0, Qt::UserRole).toString(), &error));
    m_engine->resume(); // takes due work, as the window does: the disabled endpoint's is cancelled
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 5, 10000);
    // Back up: a test reaches the disabled endpoint.
    inbox.script = {};
    inbox.status = 200;
    QVERIFY(m_engine->setInbox(inbox).isEmpty());
    const qsizetype before = m_engine->receiver().requests(QStringLiteral("test")).size();
    endpoints->select(e.id);
    endpoints->sendTest();
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->receiver().requests(QStringLiteral("test")).size(),
                              before + 1, 10000);
    QVERIFY(!m_engine->endpoint(e.id)->enabled);

    QStringList asked;
    bool answer = false;
    view->setAskSince([](QDateTime *since) {
        *since = QDateTime::currentDateTimeUtc().addSecs(-600);
        return true;
    });
    view->setConfirm([&](const QString &q) {
        asked << q;
        return answer;
    });
    view->resendSince();
    QCOMPARE(asked.size(), 1);
    // Two failed, one failed by hand since (the redelivered one): three to resend.
    const qint64 recoverable =
        m_engine->countRecoverable(e.id, QDateTime::currentDateTimeUtc().addSecs(-600));
    QCOMPARE(recoverable, 3);
    QVERIFY2(asked.first().contains(QLatin1String("Deliveries to resend: 3,")) &&
                 asked.first().contains(QLatin1String("disabled")),
             qPrintable(asked.first()));
    QCOMPARE(m_engine->receiver().requests(QStringLiteral("test")).size(), before + 1);
    answer = true;
    view->resendSince();
    QTRY_COMPARE_WITH_TIMEOUT(m_engine->receiver().requests(QStringLiteral("test")).size(),
                              before + 4, 10000);
    QVERIFY(m_engine->endpoint(e.id)->enabled);
    QTRY_COMPARE_WITH_TIMEOUT(
        m_engine->countRecoverable(e.id, QDateTime::currentDateTimeUtc().addSecs(-600)), 0, 10000);
}

// An endpoint disabled automatically, and one whose attempts fail too often over 5 minutes,
// each raise one notification naming it and why (also in the window); clicking it opens that
// endpoint's view.
void TestMainWindow::notificationsNameTheEndpoint()
{
    m_settings->setFailureAlertPercent(50);
    auto w = window();
    auto *notifier = w->notifier();
    QVERIFY(notifier);
    QStringList shown;
    notifier->setShow([&](const QString &, const QString &text) { shown << text; });
    auto *endpoints = w->page<EndpointsPage>();
    endpoints->addLocalTestEndpoint();
    InboxConfig inbox = m_engine->inbox(QStringLiteral("test"));
    inbox.status = 503;
    QVERIFY(m_engine->setInbox(inbox).isEmpty());
    Endpoint flaky = m_engine->endpoints().first();
    flaky.name = QStringLiteral("Flaky CRM");
    flaky.retry.maxAttempts = 1;
    flaky.retry.disableAfterFailures = 0; // never disabled: only the failure rate speaks
    QVERIFY(m_engine->saveEndpoint(&flaky).isEmpty());
    QSignalSpy finished(&m_engine->dispatcher(), &Dispatcher::deliveryFinished);
    QString error;
    for (int i = 0; i < HealthNotifier::kMinAttempts - 1; ++i)
        QCOMPARE(m_engine->sendTest(QStringLiteral("call.ringing"), flaky.id, &error).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), HealthNotifier::kMinAttempts - 1, 10000);
    QVERIFY(m_engine->flush(&error));
    notifier->checkNow();
    QVERIFY2(shown.isEmpty(), qPrintable(shown.join(u'|'))); // too few attempts to say
    QCOMPARE(m_engine->sendTest(QStringLiteral("call.ringing"), flaky.id, &error).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), HealthNotifier::kMinAttempts, 10000);
    QVERIFY(m_engine->flush(&error));
    notifier->checkNow();
    QCOMPARE(shown.size(), 1);
    QVERIFY2(shown.first().contains(QLatin1String("Flaky CRM")) &&
                 shown.first().contains(QLatin1String("10 of its last 10")),
             qPrintable(shown.first()));
    QVERIFY(w->statusBar()->currentMessage().contains(QLatin1String("Flaky CRM")));
    notifier->checkNow();
    QCOMPARE(shown.size(), 1); // once, until it recovers
    m_settings->setFailureAlertPercent(0);
    notifier->checkNow();
    QCOMPARE(shown.size(), 1);

    // Disabled automatically after three failures in a row: named, with the reason.
    flaky.retry.disableAfterFailures = 3;
    QVERIFY(m_engine->saveEndpoint(&flaky).isEmpty());
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(m_engine->sendTest(QStringLiteral("call.ringing"), flaky.id, &error).size(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), HealthNotifier::kMinAttempts + i + 1, 10000);
    }
    QTRY_COMPARE_WITH_TIMEOUT(shown.size(), 2, 10000);
    QVERIFY2(shown.last().contains(QStringLiteral("“Flaky CRM” was disabled")) &&
                 shown.last().contains(QLatin1String("in a row")),
             qPrintable(shown.last()));

    // Clicking it opens the endpoint's view.
    w->showPage(QStringLiteral("history"));
    emit notifier->openEndpoint(flaky.id);
    QCOMPARE(w->currentPage(), QStringLiteral("endpoints"));
    QCOMPARE(endpoints->endpointView()->endpointId(), flaky.id);
}

// The table shows a window of the history (ten million rows in a view cost a second and 80 MB):
// walking it row by row with the keyboard, jumping with the scroll bar and reading whole
// windows after a jump (offset reads) and while scrolling (keyset reads) must show every
// delivery exactly once, in order; Ctrl+End and Ctrl+Home reach the history's ends; new
// deliveries keep the rows in view where they are.
void TestMainWindow::historyScrollsAWindowOverTheWholeHistory()
{
    Endpoint e;
    e.name = QStringLiteral("A");
    e.url = QStringLiteral("http://127.0.0.1:9/a");
    e.enabled = false;
    QVERIFY(m_engine->saveEndpoint(&e).isEmpty());
    Store &store = m_engine->store();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const Event ev{QStringLiteral("ev-w"), QStringLiteral("call.ringing"),
                   QByteArray("{}"),       now,
                   EventOrigin::Test,      {}};
    QVERIFY(store.insertEvent(ev));
    const auto insert = [&](int i) {
        return storeDelivery(store, ev, e.id, QStringLiteral("d"), i);
    };
    const int total = 1000;
    for (int i = 0; i < total; ++i)
        QVERIFY(insert(i));
    const auto expected = [](qint64 position, int newest) {
        return QStringLiteral("d-%1").arg(newest - position, 5, 10, QChar(u'0'));
    };

    auto w = window();
    w->showPage(QStringLiteral("history"));
    auto *history = w->page<HistoryPage>();
    HistoryModel *model = history->model();
    QTableView *view = history->view();
    auto *bar = history->findChild<QScrollBar *>(QStringLiteral("historyScrollBar"));
    QVERIFY(bar);
    model->setWindowRows(300);
    QCOMPARE(model->totalCount(), total);
    QCOMPARE(model->rowCount(), 300);
    const auto currentPosition = [&] {
        return model->windowStart() + view->currentIndex().row();
    };
    const auto currentId = [&] {
        return model->deliveryAt(view->currentIndex().row()).id;
    };

    // Row by row through the whole history: each delivery once, in order, across windows.
    view->setFocus();
    history->scroller()->setCurrentPosition(0);
    QStringList walked{currentId()};
    for (int i = 1; i < total; ++i) {
        QTest::keyClick(view, Qt::Key_Down);
        walked << currentId();
    }
    for (int i = 0; i < total; ++i)
        QVERIFY2(walked.at(i) == expected(i, total - 1),
                 qPrintable(QStringLiteral("row %1 showed %2").arg(i).arg(walked.at(i))));
    QVERIFY(model->windowStart() > 0); // it did move
    QCOMPARE(bar->value(), int(history->scroller()->topPosition()));

    // The scroll bar spans the whole history; a jump reads the window around it by offset,
    // and every row of that window is the delivery at its position.
    bar->setValue(510);
    QCOMPARE(history->scroller()->topPosition(), 510);
    QCOMPARE(model->deliveryAt(int(510 - model->windowStart())).id, expected(510, total - 1));
    for (int r = 0; r < model->rowCount(); ++r)
        QVERIFY2(model->deliveryAt(r).id == expected(model->windowStart() + r, total - 1),
                 qPrintable(QString::number(r)));
    bar->setValue(5);
    QCOMPARE(history->scroller()->topPosition(), 5);
    QCOMPARE(model->deliveryAt(int(5 - model->windowStart())).id, expected(5, total - 1));

    // The ends of the whole history, not of the window.
    QTest::keyClick(view, Qt::Key_End, Qt::ControlModifier);
    QCOMPARE(currentId(), expected(total - 1, total - 1));
    QCOMPARE(bar->value(), bar->maximum());
    QTest::keyClick(view, Qt::Key_Home, Qt::ControlModifier);
    QCOMPARE(currentId(), expected(0, total - 1));

    // Scrolled down, new deliveries arrive: the same rows stay in view and selected.
    bar->setValue(600);
    history->scroller()->setCurrentPosition(610);
    const QString selected = currentId();
    const qint64 top = history->scroller()->topPosition();
    QVERIFY(insert(total) && insert(total + 1));
    model->refresh();
    QCOMPARE(model->totalCount(), total + 2);
    QCOMPARE(currentId(), selected);
    QCOMPARE(history->scroller()->topPosition(), top + 2);
    QCOMPARE(currentPosition(), 612);
    QCOMPARE(bar->maximum(), total + 2 - bar->pageStep());

    // A filter: a jump deep into it starts in the counted bucket that holds the row (no page
    // above is read), and every row of the window is the filter's row at its position.
    const auto insertFailed = [&](int i) {
        return storeDelivery(store, ev, e.id, QStringLiteral("f"), i, 503);
    };
    for (int i = 0; i < 1200; ++i)
        QVERIFY(insertFailed(i));
    DeliveryQuery failed;
    failed.state = DeliveryState::Failed;
    model->setQuery(failed);
    QCOMPARE(model->totalCount(), 1200);
    bar->setValue(1000);
    QVERIFY(model->windowStart() > 2 * HistoryModel::kPageSize);
    DeliveryQuery everyFailed = failed;
    everyFailed.limit = 1200;
    const QList<Delivery> failedRows = m_engine->deliveries(everyFailed);
    for (int r = 0; r < model->rowCount(); ++r)
        QVERIFY2(model->deliveryAt(r).id == failedRows.at(int(model->windowStart() + r)).id,
                 qPrintable(QString::number(r)));
}

// Hints (the endpoint form's event descriptions, Live's "deliveries appear here") and
// placeholder text read at WCAG AA, 4.5:1, against their background in a light and a dark
// palette - also when the palette changes under an open window. They were disabled labels,
// at 1.6:1.
void TestMainWindow::hintsReadInLightAndDarkPalettes()
{
    const QPalette original = QApplication::palette();
    const QPalette light = QApplication::style()->standardPalette();
    QPalette dark = light;
    for (QPalette::ColorGroup g : {QPalette::Active, QPalette::Inactive}) {
        dark.setColor(g, QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
        dark.setColor(g, QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(g, QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
        dark.setColor(g, QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
        dark.setColor(g, QPalette::PlaceholderText, QColor(0xe6, 0xe6, 0xe6, 60));
    }
    QApplication::setPalette(light);
    auto w = window();
    EndpointDialog dialog(m_engine->catalog(), Endpoint(), w.get());
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *live = w->page<LivePage>();
    const auto check = [&](const char *palette) {
        QStringList faint;
        QList<QWidget *> hints;
        for (QLabel *l : dialog.findChildren<QLabel *>() + live->findChildren<QLabel *>()) {
            if (!l->property("hint").toBool())
                continue;
            hints << l;
            const double c =
                HintText::contrast(l->palette().color(QPalette::WindowText),
                                   l->parentWidget()->palette().color(QPalette::Window));
            if (c < HintText::kMinimumContrast || !l->isEnabled())
                faint << QStringLiteral("%1 (%2:1)").arg(l->text().left(40)).arg(c, 0, 'f', 1);
        }
        const QPalette field = dialog.nameEdit()->palette();
        QColor placeholder = field.color(QPalette::PlaceholderText);
        const QColor base = field.color(QPalette::Base);
        const double a = placeholder.alphaF();
        placeholder =
            QColor::fromRgbF(float(base.redF() + (placeholder.redF() - base.redF()) * a),
                             float(base.greenF() + (placeholder.greenF() - base.greenF()) * a),
                             float(base.blueF() + (placeholder.blueF() - base.blueF()) * a));
        const double c = HintText::contrast(placeholder, base);
        if (c < HintText::kMinimumContrast)
            faint << QStringLiteral("placeholder (%1:1)").arg(c, 0, 'f', 1);
        return hints.size() < 7 ? QStringLiteral("%1: %2 hints found")
                                      .arg(QLatin1String(palette))
                                      .arg(hints.size())
               : faint.isEmpty()
                   ? QString()
                   : QLatin1String(palette) + QLatin1String(": ") + faint.join(QLatin1String(", "));
    };
    QString problems = check("light");
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QApplication::setPalette(dark); // the desktop turns dark under the open window
    QCoreApplication::processEvents();
    problems = check("dark");
    QApplication::setPalette(original);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

// What an admin has at hand when a receiver complains: a webhook-id from its log, a delivery
// id from the command line (or its start), an event id, an endpoint's name.
void TestMainWindow::historySearchFindsAnyId()
{
    auto w = window();
    auto *endpoints = w->page<EndpointsPage>();
    endpoints->addLocalTestEndpoint();
    Endpoint billing = m_engine->endpoints().first();
    billing.id.clear();
    billing.name = QStringLiteral("Billing");
    QVERIFY(m_engine->saveEndpoint(&billing).isEmpty());
    QSignalSpy finished(&m_engine->dispatcher(), &Dispatcher::deliveryFinished);
    QString error;
    for (const Endpoint &e : m_engine->endpoints())
        QCOMPARE(m_engine->sendTest(QStringLiteral("call.ringing"), e.id, &error).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 10000);
    QVERIFY(m_engine->flush(&error));
    DeliveryQuery all;
    all.endpointId = billing.id;
    const Delivery target = m_engine->deliveries(all).first();

    w->showPage(QStringLiteral("history"));
    auto *history = w->page<HistoryPage>();
    history->model()->refresh();
    QTRY_COMPARE(history->model()->rowCount(), 2);
    QSignalSpy searched(history, &HistoryPage::searchFinished);
    // (Ids are time-ordered: their first characters are shared by deliveries made together.)
    for (const QString &text : {target.webhookId, target.id, target.id.left(24), target.eventId,
                                QStringLiteral("billing"), QStringLiteral(" Billing ")}) {
        history->search(text);
        QVERIFY(searched.wait(10000));
        QVERIFY2(searched.first().at(0).toInt() == 1, qPrintable(text));
        searched.clear();
        QCOMPARE(history->model()->rowCount(), 1);
        QCOMPARE(history->model()->deliveryAt(0).id, target.id);
    }
    history->search(target.id.left(7)); // too short for an id: payload text only
    QVERIFY(searched.wait(10000));
    QVERIFY(searched.takeFirst().at(0).toInt() <= 1);
}

// Two local test endpoints each get an inbox and a secret of their own, so both sign validly
// (they once shared "test" and overwrote its secret); the Receiver page lists one inbox's
// requests on demand, and an inbox answers the body and content type it is given.
void TestMainWindow::eachLocalEndpointHasItsOwnInbox()
{
    auto w = window();
    auto *endpoints = w->page<EndpointsPage>();
    endpoints->addLocalTestEndpoint();
    endpoints->addLocalTestEndpoint();
    const QList<Endpoint> both = m_engine->endpoints();
    QCOMPARE(both.size(), 2);
    QStringList inboxes;
    for (const Endpoint &e : both)
        inboxes << m_engine->localInboxOf(e.url);
    inboxes.sort();
    QCOMPARE(inboxes, (QStringList{QStringLiteral("test"), QStringLiteral("test-2")}));
    QVERIFY(both[0].secret != both[1].secret);

    w->showPage(QStringLiteral("receiver"));
    auto *receiver = w->page<ReceiverPage>();
    auto *list = receiver->findChild<QListWidget *>();
    QVERIFY(list);
    const auto found = list->findItems(QStringLiteral("test-2"), Qt::MatchExactly);
    QCOMPARE(found.size(), 1);
    list->setCurrentItem(found.first());
    auto *body = receiver->findChild<QPlainTextEdit *>(QStringLiteral("answerBody"));
    auto *type = receiver->findChild<QLineEdit *>(QStringLiteral("answerType"));
    QVERIFY(body && type);
    body->setPlainText(QStringLiteral("maintenance"));
    type->setText(QStringLiteral("text/plain; charset=utf-8"));
    const auto apply = receiver->findChildren<QPushButton *>();
    for (QPushButton *b : apply) {
        if (b->text().remove(u'&') == QLatin1String("Apply"))
            b->click();
    }
    QCOMPARE(m_engine->inbox(QStringLiteral("test-2")).body, QByteArray("maintenance"));

    QSignalSpy finished(&m_engine->dispatcher(), &Dispatcher::deliveryFinished);
    QString error;
    for (const Endpoint &e : both)
        QCOMPARE(m_engine->sendTest(QStringLiteral("call.ringing"), e.id, &error).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 10000);
    for (const QString &inbox : {QStringLiteral("test"), QStringLiteral("test-2")}) {
        const auto got = m_engine->receiver().requests(inbox);
        QCOMPARE(got.size(), 1);
        QCOMPARE(got.first().signature.verdict, SignatureVerdict::Valid);
    }
    const Endpoint &second =
        m_engine->localInboxOf(both[0].url) == QLatin1String("test-2") ? both[0] : both[1];
    DeliveryQuery q;
    q.endpointId = second.id;
    const Delivery d = *m_engine->delivery(m_engine->deliveries(q).first().id);
    QCOMPARE(d.attempts.first().responseBody, QByteArray("maintenance"));

    auto *table = receiver->requestsTable();
    QTRY_COMPARE(table->rowCount(), 2);
    receiver->setInboxFilter(QStringLiteral("test-2"));
    int visible = 0;
    for (int row = 0; row < table->rowCount(); ++row)
        visible += table->isRowHidden(row) ? 0 : 1;
    QCOMPARE(visible, 1);
    receiver->setInboxFilter(QString());
    QVERIFY(!table->isRowHidden(0) && !table->isRowHidden(1));

    // A content type that is not one is refused, naming it.
    type->setText(QStringLiteral("not a type"));
    QVERIFY(m_engine
                ->setInbox([&] {
                    InboxConfig c = m_engine->inbox(QStringLiteral("test-2"));
                    c.contentType = "not a type";
                    return c;
                }())
                .contains(QLatin1String("not a type")));
}

// Resending after an outage is one synced write: on a full disk it is refused with what to do
// and changes nothing; once it returns, a power cut cannot undo it (the image of what the disk
// holds has every resent delivery due again).
void TestMainWindow::resendIsSyncedAndRefusedOnAFullDisk()
{
    auto w = window();
    w->page<EndpointsPage>()->addLocalTestEndpoint();
    Endpoint e = m_engine->endpoints().first();
    e.retry.maxAttempts = 1;
    QVERIFY(m_engine->saveEndpoint(&e).isEmpty());
    InboxConfig inbox = m_engine->inbox(m_engine->localInboxOf(e.url));
    inbox.status = 503;
    QVERIFY(m_engine->setInbox(inbox).isEmpty());
    QSignalSpy finished(&m_engine->dispatcher(), &Dispatcher::deliveryFinished);
    QString error;
    for (int i = 0; i < 2; ++i)
        QCOMPARE(m_engine->sendTest(QStringLiteral("call.ringing"), e.id, &error).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 10000);
    QVERIFY(m_engine->flush(&error));
    const QDateTime since = QDateTime::currentDateTimeUtc().addSecs(-600);
    QCOMPARE(m_engine->countRecoverable(e.id, since), 2);

    QList<Delivery> resent;
    FaultVfs::setDiskFull(m_dir->path(), true);
    QVERIFY(!m_engine->recover(e.id, since, &resent, &error));
    FaultVfs::setDiskFull(m_dir->path(), false);
    QVERIFY2(error.contains(QLatin1String("disk is full")), qPrintable(error));
    QVERIFY(resent.isEmpty());
    QCOMPARE(m_engine->countRecoverable(e.id, since), 2);

    QVERIFY2(m_engine->recover(e.id, since, &resent, &error), qPrintable(error));
    QCOMPARE(resent.size(), 2);
    // The power goes out the moment recover() returns.
    const QString image = m_dir->filePath(QStringLiteral("cut"));
    QVERIFY(FaultVfs::writePowerCutImage(m_dir->path(), image) > 0);
    auto survivor = Store::open(QDir(image).filePath(QStringLiteral("hookline.sqlite")), &error);
    QVERIFY2(survivor, qPrintable(error));
    for (const Delivery &d : std::as_const(resent)) {
        const auto kept = survivor->delivery(d.id, false);
        QVERIFY(kept);
        QCOMPARE(kept->state, DeliveryState::Pending);
    }
}

// A `hookline run` (here a second engine) delivering from the window's store: its attempts show
// in the window's Live page at the window's next look for changes, once each.
void TestMainWindow::liveShowsWhatAnotherProcessSends()
{
    auto w = window();
    auto *endpoints = w->page<EndpointsPage>();
    endpoints->addLocalTestEndpoint();
    QCOMPARE(m_engine->endpoints().size(), 1);
    const Endpoint e = m_engine->endpoints().first();
    w->showPage(QStringLiteral("live"));
    auto *live = w->page<LivePage>();
    m_engine->setPollInterval(1000);

    Engine worker;
    QString error;
    QVERIFY2(worker.open(m_dir->path(), &error), qPrintable(error));
    worker.resume();
    QSignalSpy sent(&worker, &Engine::attemptFinished);
    for (int i = 0; i < 2; ++i) {
        Event event{Ids::newTimeOrdered(), QStringLiteral("call.ringing"),
                    QByteArray("{}"),      QDateTime::currentDateTimeUtc(),
                    EventOrigin::Test,     {}};
        QCOMPARE(worker.publish(event, e.id, AttemptTrigger::Test, &error).size(), 1);
    }
    QTRY_COMPARE_WITH_TIMEOUT(sent.count(), 2, 10000);
    worker.writer().flush();
    QTRY_COMPARE_WITH_TIMEOUT((live->flushNow(), live->view()->model()->rowCount()), 2, 3000);
    for (int row = 0; row < 2; ++row)
        QCOMPARE(live->view()->model()->index(row, LiveModel::Status).data().toString(),
                 QStringLiteral("200"));
    // Selected, it shows what the worker sent and got back (read from the store).
    live->view()->selectRow(0);
    live->view()->setCurrentIndex(live->view()->model()->index(0, 0));
    QVERIFY(live->details()->requestText().contains(QStringLiteral("webhook-signature: v1,")));
    QVERIFY(live->details()->requestText().contains(QStringLiteral("webhook-id: msg_")));
    QVERIFY(live->details()->responseText().startsWith(QStringLiteral("HTTP 200")));
    QTest::qWait(2500); // looks again: nothing shown twice
    live->flushNow();
    QCOMPARE(live->view()->model()->rowCount(), 2);
}

void TestMainWindow::testEventShowsInLiveAndHistory()
{
    auto w = window();
    auto *endpoints = w->page<EndpointsPage>();
    endpoints->addLocalTestEndpoint();
    QVERIFY(m_engine->receiver().isListening());
    QCOMPARE(endpoints->model()->rowCount(), 1);
    endpoints->view()->selectRow(0);
    QSignalSpy finished(&m_engine->dispatcher(), &Dispatcher::attemptFinished);
    endpoints->sendTest(); // one click
    QVERIFY(finished.wait(10000));
    QCOMPARE(m_engine->receiver().requests(QStringLiteral("test")).size(), 1);
    QCOMPARE(m_engine->receiver().requests(QStringLiteral("test")).first().signature.verdict,
             SignatureVerdict::Valid);

    // Live: the row appears with 200, and selecting it shows request and response.
    w->showPage(QStringLiteral("live"));
    auto *live = w->page<LivePage>();
    live->flushNow();
    QTRY_COMPARE(live->view()->model()->rowCount(), 1);
    const QModelIndex status = live->view()->model()->index(0, LiveModel::Status);
    QCOMPARE(status.data().toString(), QStringLiteral("200"));
    live->view()->selectRow(0);
    live->view()->setCurrentIndex(live->view()->model()->index(0, 0));
    QVERIFY(live->details()->requestText().contains(QStringLiteral("webhook-signature: v1,")));
    QVERIFY(live->details()->responseText().startsWith(QStringLiteral("HTTP 200")));
    QVERIFY(live->details()->curlCommand().startsWith(QStringLiteral("curl ")));

    // History: the same delivery, succeeded with 200.
    w->showPage(QStringLiteral("history"));
    auto *history = w->page<HistoryPage>();
    m_engine->writer().flush();
    history->model()->refresh();
    QTRY_COMPARE(history->model()->rowCount(), 1);
    QCOMPARE(history->model()->index(0, HistoryModel::Code).data().toString(),
             QStringLiteral("200"));
    QCOMPARE(history->model()->index(0, HistoryModel::State).data().toString(),
             QStringLiteral("succeeded"));
    // Ids on one line, elided in the middle; left to right inside a right-to-left window.
    QVERIFY(!history->view()->wordWrap());
    QCOMPARE(history->view()->textElideMode(), Qt::ElideMiddle);
    const QString shownId = history->model()->deliveryAt(0).id;
    QCOMPARE(history->model()->index(0, HistoryModel::Id).data().toString(), shownId);
    QGuiApplication::setLayoutDirection(Qt::RightToLeft);
    QCOMPARE(history->model()->index(0, HistoryModel::Id).data().toString(),
             QChar(0x2066) + shownId + QChar(0x2069));
    // The time too: "2026-11-30 10:41:07", not "10:41:07 2026-11-30".
    const QString time = history->model()->index(0, HistoryModel::Time).data().toString();
    QVERIFY2(time.startsWith(QChar(0x2066)) && time.endsWith(QChar(0x2069)), qPrintable(time));
    QGuiApplication::setLayoutDirection(Qt::LeftToRight);
    QVERIFY(!history->model()
                 ->index(0, HistoryModel::Time)
                 .data()
                 .toString()
                 .startsWith(QChar(0x2066)));

    // Search payloads and responses, off the GUI thread.
    const QByteArray callId =
        QJsonDocument::fromJson(m_engine->receiver().requests(QStringLiteral("test")).first().body)
            .object()
            .value(QStringLiteral("callID"))
            .toString()
            .toUtf8();
    QVERIFY(!callId.isEmpty());
    QSignalSpy searched(history, &HistoryPage::searchFinished);
    history->search(QString::fromUtf8(callId.left(13)));
    QVERIFY(searched.wait(10000));
    QCOMPARE(searched.takeFirst().at(0).toInt(), 1);
    QCOMPARE(history->model()->rowCount(), 1);
    history->search(QStringLiteral("no-such-text-%_"));
    QVERIFY(searched.wait(10000));
    QCOMPARE(searched.takeFirst().at(0).toInt(), 0);
    QCOMPARE(history->model()->rowCount(), 0);
    history->search(QStringLiteral("\"ok\"")); // in the receiver's response body
    QVERIFY(searched.wait(10000));
    QCOMPARE(history->model()->rowCount(), 1);
    history->search(QString());
    QCOMPARE(history->model()->rowCount(), 1);

    // Redeliver from History: a second attempt with the same webhook-id.
    history->view()->setCurrentIndex(history->model()->index(0, 0));
    finished.clear();
    history->redeliverSelected();
    QVERIFY(finished.wait(10000));
    const auto got = m_engine->receiver().requests(QStringLiteral("test"));
    QCOMPARE(got.size(), 2);
    QCOMPARE(got.at(0).header("webhook-id"), got.at(1).header("webhook-id"));
    m_engine->writer().flush();
    QCOMPARE(m_engine->store().deliveries({}).first().attemptCount, 2);
    // The detail pane moves to the new attempt by itself (it once kept showing the old one),
    // and the picker shows each attempt's label whole.
    auto *picker = history->findChild<QComboBox *>(QStringLiteral("attemptPicker"));
    QVERIFY(picker);
    QTRY_COMPARE_WITH_TIMEOUT(picker->count(), 2, 5000);
    QCOMPARE(picker->currentIndex(), 1);
    QVERIFY2(picker->currentText().startsWith(QLatin1String("#2 manual")),
             qPrintable(picker->currentText()));
    QVERIFY(picker->width() >= picker->fontMetrics().horizontalAdvance(picker->currentText()));

    // Export the filtered rows.
    for (const QString &name : {QStringLiteral("out.csv"), QStringLiteral("out.jsonl")}) {
        QSignalSpy exported(history, &HistoryPage::exportFinished);
        QString error;
        QVERIFY2(history->exportTo(m_dir->filePath(name), &error), qPrintable(error));
        QVERIFY(exported.wait(10000));
        QCOMPARE(exported.first().at(0).toLongLong(), qint64(1));
        QFile f(m_dir->filePath(name));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray content = f.readAll();
        if (name.endsWith(QLatin1String(".csv"))) {
            QVERIFY(content.startsWith("created,delivery_id,"));
            QCOMPARE(content.count('\n'), 2);
        } else {
            const QJsonObject o = QJsonDocument::fromJson(content.trimmed()).object();
            QCOMPARE(o.value(QStringLiteral("state")).toString(), QStringLiteral("succeeded"));
            QCOMPARE(o.value(QStringLiteral("attempts")).toArray().size(), 2);
        }
    }
}

void TestMainWindow::modelsPassTheModelTester()
{
    // Endpoints.
    Endpoint e;
    e.name = QStringLiteral("A");
    e.url = QStringLiteral("http://127.0.0.1:9/a");
    QVERIFY(m_engine->saveEndpoint(&e).isEmpty());
    EndpointsModel endpoints(m_engine.get());
    QAbstractItemModelTester t1(&endpoints, QAbstractItemModelTester::FailureReportingMode::QtTest);
    endpoints.reload();
    endpoints.refreshStats();
    QCOMPARE(endpoints.rowCount(), 1);

    // History over 700 stored deliveries: pages, keyset and offset fetches, refresh.
    Store &store = m_engine->store();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Event ev{QStringLiteral("ev-1"), QStringLiteral("call.ringing"),
             QByteArray("{}"),       now,
             EventOrigin::Test,      {}};
    QVERIFY(store.insertEvent(ev));
    const auto insert = [&](int i) {
        QVERIFY(storeDelivery(store, ev, e.id, QStringLiteral("d"), i, i % 3 ? 200 : 500));
    };
    for (int i = 0; i < 700; ++i)
        insert(i);
    HistoryModel history(m_engine.get());
    QAbstractItemModelTester t2(&history, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(history.rowCount(), 700);
    QCOMPARE(history.index(0, HistoryModel::Id).data().toString(), QStringLiteral("d-00699"));
    QCOMPARE(history.index(699, HistoryModel::Id).data().toString(), QStringLiteral("d-00000"));
    QCOMPARE(history.index(256, HistoryModel::Id).data().toString(), QStringLiteral("d-00443"));
    QCOMPARE(history.index(257, HistoryModel::Id).data().toString(), QStringLiteral("d-00442"));
    DeliveryQuery failed;
    failed.state = DeliveryState::Failed;
    history.setQuery(failed);
    QCOMPARE(history.rowCount(), 234);
    QCOMPARE(history.index(0, HistoryModel::Code).data().toString(), QStringLiteral("500"));
    DeliveryQuery code;
    code.codeClass = QStringLiteral("2xx");
    history.setQuery(code);
    QCOMPARE(history.rowCount(), 466);
    history.setQuery({});
    insert(700);
    insert(701);
    history.refresh();
    QCOMPARE(history.rowCount(), 702);
    QCOMPARE(history.index(0, HistoryModel::Id).data().toString(), QStringLiteral("d-00701"));
    QVERIFY(history.cachedPages() <= HistoryModel::kMaxPages);
    // A window over part of it: moved, and new rows at the top of a full window at the top
    // (rows leave at the bottom) and of a window further down (it follows its rows).
    history.setWindowRows(300);
    QCOMPARE(history.rowCount(), 300);
    QCOMPARE(history.totalCount(), 702);
    history.moveWindowTo(600);
    QCOMPARE(history.windowStart(), 402);
    QCOMPARE(history.index(0, HistoryModel::Id).data().toString(), QStringLiteral("d-00299"));
    insert(702);
    history.refresh();
    QCOMPARE(history.windowStart(), 403);
    QCOMPARE(history.index(0, HistoryModel::Id).data().toString(), QStringLiteral("d-00299"));
    history.moveWindowTo(0);
    insert(703);
    insert(704);
    history.refresh();
    QCOMPARE(history.windowStart(), 0);
    QCOMPARE(history.rowCount(), 300);
    QCOMPARE(history.index(0, HistoryModel::Id).data().toString(), QStringLiteral("d-00704"));
    QCOMPARE(history.index(299, HistoryModel::Id).data().toString(), QStringLiteral("d-00405"));

    // Live.
    LiveModel live;
    QAbstractItemModelTester t3(&live, QAbstractItemModelTester::FailureReportingMode::QtTest);
    live.setCapacity(5);
    Delivery d;
    d.id = QStringLiteral("x");
    d.eventType = QStringLiteral("call.ringing");
    for (int i = 1; i <= 8; ++i) {
        Attempt a;
        a.number = i;
        live.attemptStarted(d, a);
        if (i % 2 == 0) {
            a.responseStatus = 200;
            live.attemptFinished(d, a);
        }
        live.flush();
    }
    QCOMPARE(live.rowCount(), 5);
    live.clear();
    QCOMPARE(live.rowCount(), 0);
}

void TestMainWindow::liveModelIsBoundedAndCoalesced()
{
    LiveModel live;
    live.setCapacity(100);
    QSignalSpy inserted(&live, &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(&live, &QAbstractItemModel::dataChanged);
    Delivery d;
    d.eventType = QStringLiteral("call.ended");
    // 2,000 deliveries arrive between two flushes: one insert, capacity respected.
    for (int i = 0; i < 2000; ++i) {
        d.id = QString::number(i);
        Attempt a;
        live.attemptStarted(d, a);
        a.responseStatus = 200;
        live.attemptFinished(d, a);
    }
    live.flush();
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(live.rowCount(), 100);
    QCOMPARE(live.deliveryAt(0).id, QStringLiteral("1999")); // newest first
    QCOMPARE(live.index(0, LiveModel::Status).data().toString(), QStringLiteral("200"));
    // A finish for a row already shown updates it in place.
    d.id = QStringLiteral("late");
    Attempt a;
    live.attemptStarted(d, a);
    live.flush();
    QCOMPARE(live.index(0, LiveModel::Status).data().toString(), QStringLiteral("sending…"));
    changed.clear();
    a.responseStatus = 503;
    a.errorClass = ErrorClass::Http5xx;
    live.attemptFinished(d, a);
    live.flush();
    QCOMPARE(changed.count(), 1);
    QCOMPARE(live.index(0, LiveModel::Status).data().toString(), QStringLiteral("503"));
    QCOMPARE(live.rowCount(), 100);
}

// The disk fills: a test event cannot be stored, and the window says so above every page
// and in the status bar, with what to do; once writes work again the notice goes by itself.
void TestMainWindow::storeFailureIsShownUntilItClears()
{
    auto w = window();
    auto *endpoints = w->page<EndpointsPage>();
    endpoints->addLocalTestEndpoint();
    endpoints->view()->selectRow(0);
    auto *notice = w->findChild<QLabel *>(QStringLiteral("storeNotice"));
    QVERIFY(notice);
    QVERIFY(!notice->isVisible());
    QSignalSpy recovered(m_engine.get(), &Engine::storeRecovered);
    FaultVfs::setDiskFull(m_dir->path(), true);
    endpoints->sendTest();
    QTRY_VERIFY_WITH_TIMEOUT(notice->isVisible(), 10000);
    QVERIFY2(notice->text().contains(QLatin1String("The disk is full: free some space.")),
             qPrintable(notice->text()));
    QVERIFY(notice->text().contains(m_engine->databasePath()));
    QVERIFY(w->statusBar()->currentMessage().contains(QLatin1String("deliveries paused")));
    QVERIFY(m_engine->receiver().requests(QStringLiteral("test")).isEmpty());
    FaultVfs::setDiskFull(m_dir->path(), false);
    QTRY_VERIFY_WITH_TIMEOUT(recovered.count() == 1, 10000);
    QVERIFY(!notice->isVisible());
    // And the next test event goes out.
    QSignalSpy finished(&m_engine->dispatcher(), &Dispatcher::attemptFinished);
    endpoints->sendTest();
    QVERIFY(finished.wait(10000));
    QCOMPARE(m_engine->receiver().requests(QStringLiteral("test")).size(), 1);
}

// Settings → API: off by default; on, it listens on the loopback address given, the status bar
// shows where, a token made on the page opens it; a non-loopback address is refused.
// The settings file is owner-only like the database, also after QSettings rewrites it.
void TestMainWindow::settingsFileIsOwnerOnly()
{
    m_settings->setLanguage(QStringLiteral("fr"));
    m_settings->setRetentionDays(12);
    m_settings.reset(); // writes the file
    const QFileInfo file(settingsPath());
    QVERIFY(file.exists());
    QVERIFY(file.size() > 0);
    QCOMPARE(int(file.permissions() & (QFileDevice::ReadGroup | QFileDevice::WriteGroup |
                                       QFileDevice::ReadOther | QFileDevice::WriteOther)),
             0);
    m_settings = std::make_unique<AppSettings>(settingsPath());
    QCOMPARE(m_settings->retentionDays(), 12);
}

// Settings → Security: the egress level, the allow-list (a bad entry is named and changes
// nothing) and the payload limit reach the engine, which keeps them in the store.
void TestMainWindow::securityFromSettings()
{
    auto w = window();
    auto *page = w->findChild<SettingsPage *>();
    QVERIFY(page);
    auto *level = page->findChild<QComboBox *>(QStringLiteral("egressLevel"));
    auto *allow = page->findChild<QLineEdit *>(QStringLiteral("egressAllow"));
    auto *limit = page->findChild<QSpinBox *>(QStringLiteral("payloadLimit"));
    QVERIFY(level && allow && limit);
    QCOMPARE(m_engine->egressPolicy().level, EgressPolicy::Level::NoLinkLocal);
    level->setCurrentIndex(level->findData(int(EgressPolicy::Level::PublicOnly)));
    emit level->activated(level->currentIndex());
    QCOMPARE(m_engine->egressPolicy().level, EgressPolicy::Level::PublicOnly);
    allow->setText(QStringLiteral("crm.internal 10.0.0.0/99"));
    emit allow->editingFinished();
    QVERIFY(m_engine->egressPolicy().allowEntries().isEmpty());
    const QList<QLabel *> labels = page->findChildren<QLabel *>();
    const bool named = std::any_of(labels.begin(), labels.end(), [](QLabel *l) {
        return !l->isHidden() && l->text().contains(QLatin1String("10.0.0.0/99"));
    });
    QVERIFY(named);
    allow->setText(QStringLiteral("crm.internal 10.0.0.0/8"));
    emit allow->editingFinished();
    QCOMPARE(m_engine->egressPolicy().allowEntries(),
             QStringList({QStringLiteral("crm.internal"), QStringLiteral("10.0.0.0/8")}));
    limit->setValue(2048);
    QCOMPARE(m_engine->maxPayloadBytes(), qint64(2048) * 1024);
}

void TestMainWindow::apiIsTurnedOnFromSettings()
{
    auto w = window();
    auto *page = w->findChild<SettingsPage *>();
    QVERIFY(page);
    auto *state = w->findChild<QLabel *>(QStringLiteral("apiState"));
    QVERIFY(!m_engine->isApiServing());
    QVERIFY(!state->isVisible());

    auto *address = page->findChild<QLineEdit *>();
    for (QLineEdit *e : page->findChildren<QLineEdit *>()) {
        if (e->text() == QLatin1String("127.0.0.1:8470"))
            address = e;
    }
    QCOMPARE(address->text(), QStringLiteral("127.0.0.1:8470"));
    address->setText(QStringLiteral("192.0.2.1:8470")); // a documentation address, never bound
    QVERIFY(!page->setApiEnabled(true));
    QVERIFY(!m_engine->isApiServing());
    address->setText(QStringLiteral("127.0.0.1:0"));
    QVERIFY(page->setApiEnabled(true));
    QVERIFY(m_settings->apiEnabled());
    QTRY_VERIFY(state->isVisible());
    QVERIFY(state->text().contains(m_engine->apiUrl()));

    const QString token = page->createToken(QStringLiteral("dashboard"), true);
    QVERIFY(token.startsWith(QLatin1String("hl_")));
    QCOMPARE(page->tokensTable()->rowCount(), 1);
    QCOMPARE(page->tokensTable()->item(0, 0)->text(), QStringLiteral("dashboard"));
    QNetworkAccessManager nam;
    QNetworkRequest request(QUrl(m_engine->apiUrl() + QLatin1String("/api/v1/deliveries")));
    request.setRawHeader("Authorization", "Bearer " + token.toLatin1());
    QNetworkReply *reply = nam.get(request);
    QTRY_VERIFY(reply->isFinished());
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    reply->deleteLater();

    QVERIFY(page->setApiEnabled(false));
    QVERIFY(!m_engine->isApiServing());
    QTRY_VERIFY(!state->isVisible());
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
