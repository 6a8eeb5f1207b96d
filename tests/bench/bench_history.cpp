// SPDX-License-Identifier: GPL-3.0-or-later
// History and Live benchmark (not a test: it prints figures), on the offscreen platform.
//   bench_history generate DIR N   fill DIR/hookline.sqlite with N final deliveries
//   bench_history measure DIR      open the real main window on History and time: start to
//                                  first painted page, a state filter, a jump to the middle,
//                                  memory; then the Live panel under 2,000 deliveries/s and
//                                  the longest GUI-thread stalls (p99 of timer lateness); then
//                                  the endpoint view of the endpoint with every delivery (its
//                                  charts over an hour and a week), and the stalls while its
//                                  counts are written at 2,000 attempts/s and it follows them
// Every delivery goes to "Endpoint 1", and each adds an attempt to its per-minute counts,
// spread over the last 7 days.
// history_bench.sh runs both, and "measure" on an empty store for the memory baseline.
#include "MainWindow.h"
#include "delivery/Dispatcher.h"
#include "engine/Engine.h"
#include "models/HistoryModel.h"
#include "models/LiveModel.h"
#include "pages/EndpointsPage.h"
#include "pages/HistoryPage.h"
#include "pages/LivePage.h"
#include "settings/AppSettings.h"
#include "store/Store.h"
#include "store/StoreWriter.h"
#include "widgets/ActivityChart.h"
#include "widgets/EndpointView.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QPaintEvent>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace {

QElapsedTimer g_sinceStart;

qint64 rssKiB(const char *key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(key))
            return line.mid(int(qstrlen(key))).trimmed().split(' ').first().toLongLong();
    }
    return 0;
}

int generate(const QString &dir, qint64 n)
{
    QString error;
    auto store = Store::open(Store::defaultPath(dir), &error);
    if (!store) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    const qint64 have = store->deliveryCount();
    if (have >= n) {
        std::printf("mode=generate rows=%lld reused=1\n", static_cast<long long>(have));
        return 0;
    }
    QElapsedTimer clock;
    clock.start();
    QStringList endpoints;
    for (int i = 0; i < 5; ++i) {
        Endpoint e;
        e.name = QStringLiteral("Endpoint %1").arg(i + 1);
        e.url = QStringLiteral("http://127.0.0.1:9/e%1").arg(i);
        e.enabled = false; // nothing here must ever be sent
        store->saveEndpoint(&e);
        endpoints << e.id;
    }
    const QStringList types = EventCatalog().ids();
    QRandomGenerator rng(42);
    const QDateTime start = QDateTime::currentDateTimeUtc().addDays(-30);
    const QDateTime weekAgo = QDateTime::currentDateTimeUtc().addDays(-7);
    const double weekMs = 7.0 * 24 * 3600 * 1000;
    store->begin();
    QString eventId;
    for (qint64 i = have; i < n; ++i) {
        if (i % 10 == 0) {
            eventId = QStringLiteral("ev-%1").arg(i);
            // Distinct payloads, so a search finds a handful of rows, not all of them.
            const QByteArray payload = "{\"type\":\"ringing\",\"callID\":\"call-" +
                                       QByteArray::number(i) +
                                       "-4000-8000\",\"callerIdNumber\":\"04" +
                                       QByteArray::number(3000000 + i % 999999) + "\"}";
            store->insertEvent({eventId,
                                types.at(int(i % types.size())),
                                payload,
                                start.addMSecs(i * 2),
                                EventOrigin::Api,
                                {}});
        }
        Delivery d;
        d.id = QStringLiteral("%1-%2")
                   .arg(i, 10, 10, QChar(u'0'))
                   .arg(rng.generate(), 8, 16, QChar(u'0'));
        d.eventId = eventId;
        d.eventType = types.at(int(i % types.size()));
        d.endpointId = endpoints.first();
        d.webhookId = QStringLiteral("msg_%1").arg(i);
        const quint32 roll = rng.bounded(100);
        d.state = roll < 88   ? DeliveryState::Succeeded
                  : roll < 98 ? DeliveryState::Failed
                              : DeliveryState::Cancelled;
        d.lastStatus = d.state == DeliveryState::Succeeded ? 200 : (roll % 2 ? 503 : 0);
        d.lastError = d.state == DeliveryState::Succeeded ? ErrorClass::None
                      : d.lastStatus                      ? ErrorClass::Http5xx
                                                          : ErrorClass::Refused;
        d.attemptCount = d.state == DeliveryState::Succeeded ? 1 : 3;
        d.lastDurationMs = rng.bounded(400);
        d.created = d.updated = start.addMSecs(i * 2);
        store->insertDelivery(d);
        Attempt a;
        a.started = weekAgo.addMSecs(qint64(double(i) * weekMs / double(n)));
        a.durationMs = d.lastDurationMs;
        store->recordActivity(d.endpointId, a,
                              d.state == DeliveryState::Succeeded ? ActivityOutcome::Succeeded
                              : roll % 3 == 0                     ? ActivityOutcome::Retrying
                                                                  : ActivityOutcome::Failed);
        if ((i + 1) % 50000 == 0) {
            store->commit();
            store->begin();
        }
    }
    store->commit();
    std::printf("mode=generate rows=%lld seconds=%.1f\n", static_cast<long long>(n),
                clock.elapsed() / 1000.0);
    return 0;
}

// Waits for the next paint of `w`, returning the ms it took.
class PaintWatch : public QObject
{
public:
    explicit PaintWatch(QWidget *w) { w->installEventFilter(this); }
    bool painted = false;

protected:
    bool eventFilter(QObject *, QEvent *e) override
    {
        if (e->type() == QEvent::Paint)
            painted = true;
        return false;
    }
};

double timeUntilPainted(QWidget *viewport, const std::function<void()> &action)
{
    PaintWatch watch(viewport);
    QElapsedTimer clock;
    clock.start();
    action();
    viewport->update();
    while (!watch.painted && clock.elapsed() < 10000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    return clock.nsecsElapsed() / 1e6;
}

int measure(int argc, char **argv, const QString &dir)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QTemporaryDir settingsDir;
    AppSettings settings(settingsDir.filePath(QStringLiteral("bench.ini")));
    settings.setLastPage(QStringLiteral("history"));
    settings.setReceiverAutoStart(false);
    Engine engine;
    QString error;
    const double beforeOpenMs = g_sinceStart.nsecsElapsed() / 1e6;
    if (!engine.open(dir, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    const double openMs = g_sinceStart.nsecsElapsed() / 1e6 - beforeOpenMs;
    MainWindow window(&settings, &engine);
    const double windowMs = g_sinceStart.nsecsElapsed() / 1e6 - beforeOpenMs - openMs;
    std::fprintf(stderr, "open_ms=%.1f window_ms=%.1f\n", openMs, windowMs);
    auto *history = window.page<HistoryPage>();
    QTableView *view = history->view();
    PaintWatch first(view->viewport());
    window.show();
    while (!first.painted)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    const double firstPageMs = g_sinceStart.nsecsElapsed() / 1e6;
    const qint64 rows = history->model()->totalCount();

    DeliveryQuery failed;
    failed.state = DeliveryState::Failed;
    const double filterMs =
        timeUntilPainted(view->viewport(), [&] { history->model()->setQuery(failed); });
    const qint64 failedRows = history->model()->totalCount();
    // A jump inside a filter reads its rows by OFFSET over the filter's index.
    auto *bar = history->findChild<QScrollBar *>(QStringLiteral("historyScrollBar"));
    const double filteredJumpMs =
        timeUntilPainted(view->viewport(), [&] { bar->setValue(int(failedRows / 2)); });
    DeliveryQuery code;
    code.codeClass = QStringLiteral("5xx");
    const double codeMs =
        timeUntilPainted(view->viewport(), [&] { history->model()->setQuery(code); });
    const double resetMs =
        timeUntilPainted(view->viewport(), [&] { history->model()->setQuery({}); });
    // As the admin drags the scroll bar (it spans the whole history; the table's model holds
    // a window of it).
    const double jumpMs = timeUntilPainted(view->viewport(), [&] { bar->setValue(int(rows / 2)); });
    const double scrollMs =
        timeUntilPainted(view->viewport(), [&] { bar->setValue(int(rows / 2 + 300)); });
    const double endMs = timeUntilPainted(view->viewport(), [&] { bar->setValue(bar->maximum()); });
    // Search: the worker's scan (off the GUI thread) plus showing the matches.
    QElapsedTimer searchClock;
    searchClock.start();
    QSignalSpy found(history, &HistoryPage::searchFinished);
    history->search(QStringLiteral("call-%1-").arg(rows / 2 - rows / 2 % 10));
    while (found.isEmpty() && searchClock.elapsed() < 30000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    const double searchMs = searchClock.nsecsElapsed() / 1e6;
    const int matches = found.isEmpty() ? -1 : found.first().at(0).toInt();
    history->search(QString());
    const qint64 rss = rssKiB("VmRSS:");

    // Live panel: 2,000 deliveries a second through the dispatcher's signals, while a 1 ms
    // timer measures how late the GUI thread gets to it.
    window.showPage(QStringLiteral("live"));
    auto *live = window.page<LivePage>();
    Dispatcher &dispatcher = engine.dispatcher();
    std::vector<double> lateness;
    QElapsedTimer clock;
    clock.start();
    qint64 last = clock.nsecsElapsed();
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QObject::connect(&probe, &QTimer::timeout, &probe, [&] {
        const qint64 now = clock.nsecsElapsed();
        lateness.push_back((now - last) / 1e6 - 1.0);
        last = now;
    });
    int sent = 0;
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    QObject::connect(&feeder, &QTimer::timeout, &feeder, [&] {
        // 20 per 10 ms tick = 2,000/s, each as started + finished.
        for (int i = 0; i < 20; ++i, ++sent) {
            Delivery d;
            d.id = QString::number(sent);
            d.eventType = QStringLiteral("call.ringing");
            Attempt a;
            a.number = 1;
            a.started = QDateTime::currentDateTimeUtc();
            a.requestBody = R"({"type":"ringing"})";
            emit dispatcher.attemptStarted(d, a);
            a.responseStatus = 200;
            a.durationMs = 3;
            emit dispatcher.attemptFinished(d, a);
        }
    });
    probe.start(1);
    feeder.start(10);
    QElapsedTimer run;
    run.start();
    while (run.elapsed() < 5000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    feeder.stop();
    probe.stop();
    std::sort(lateness.begin(), lateness.end());
    const double p99 = lateness.empty() ? 0 : lateness[size_t(0.99 * double(lateness.size()))];
    const double worst = lateness.empty() ? 0 : lateness.back();
    // The endpoint view of the endpoint with every delivery: from selecting it to its charts
    // painted, for the last hour (the default) and the last week.
    window.showPage(QStringLiteral("endpoints"));
    auto *endpointsPage = window.page<EndpointsPage>();
    EndpointView *endpointView = endpointsPage->endpointView();
    QString busiest;
    for (const Endpoint &e : engine.endpoints()) {
        if (e.name == QLatin1String("Endpoint 1"))
            busiest = e.id;
    }
    endpointsPage->view()->setCurrentIndex(QModelIndex()); // nothing selected yet
    endpointsPage->view()->clearSelection();
    for (int i = 0; i < 20; ++i)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    const double viewMs =
        timeUntilPainted(endpointView->outcomesChart(), [&] { endpointsPage->select(busiest); });
    const double weekMs = timeUntilPainted(
        endpointView->latencyChart(), [&] { endpointView->setSpan(EndpointView::Span::Week); });
    const qint64 weekAttempts = endpointView->outcomesChart()->activity().total.attempts;
    endpointView->setSpan(EndpointView::Span::Hour);

    // Its counts written at 2,000 attempts/s (on the writer thread, as the dispatcher does)
    // while the view follows them (it reads them again once a second), and the GUI thread's
    // lateness meanwhile.
    std::vector<double> viewLateness;
    last = clock.nsecsElapsed();
    QObject::disconnect(&probe, nullptr, nullptr, nullptr);
    QObject::connect(&probe, &QTimer::timeout, &probe, [&] {
        const qint64 now = clock.nsecsElapsed();
        viewLateness.push_back((now - last) / 1e6 - 1.0);
        last = now;
    });
    QObject::disconnect(&feeder, nullptr, nullptr, nullptr);
    int counted = 0;
    QObject::connect(&feeder, &QTimer::timeout, &feeder, [&] {
        QList<Attempt> batch;
        for (int i = 0; i < 20; ++i, ++counted) {
            Attempt a;
            a.started = QDateTime::currentDateTimeUtc();
            a.durationMs = 3 + counted % 40;
            batch << a;
        }
        engine.writer().submit(
            [busiest, batch](Store &store) {
                for (const Attempt &a : batch) {
                    if (!store.recordActivity(busiest, a, ActivityOutcome::Succeeded))
                        return false;
                }
                return true;
            },
            nullptr, {}, StoreWriter::Commit::Lazy);
        Delivery d;
        d.endpointId = busiest;
        emit dispatcher.attemptFinished(d, batch.last());
    });
    probe.start(1);
    feeder.start(10);
    run.restart();
    while (run.elapsed() < 5000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    feeder.stop();
    probe.stop();
    engine.writer().flush();
    std::sort(viewLateness.begin(), viewLateness.end());
    const double viewP99 =
        viewLateness.empty() ? 0 : viewLateness[size_t(0.99 * double(viewLateness.size()))];
    const double viewWorst = viewLateness.empty() ? 0 : viewLateness.back();

    std::printf("bench endpoint_view_ms=%.1f endpoint_week_ms=%.1f week_attempts=%lld "
                "view_stall_p99_ms=%.2f view_stall_max_ms=%.2f counted=%d ",
                viewMs, weekMs, static_cast<long long>(weekAttempts), viewP99, viewWorst, counted);
    std::printf("mode=measure rows=%lld first_page_ms=%.1f filter_state_ms=%.1f failed_rows=%lld "
                "filter_code_ms=%.1f unfilter_ms=%.1f jump_middle_ms=%.1f scroll_ms=%.1f "
                "jump_filtered_ms=%.1f "
                "jump_end_ms=%.1f search_ms=%.1f search_matches=%d rss_kib=%lld live_sent=%d "
                "live_rows=%d stall_p99_ms=%.2f "
                "stall_max_ms=%.2f\n",
                static_cast<long long>(rows), firstPageMs, filterMs,
                static_cast<long long>(failedRows), codeMs, resetMs, jumpMs, scrollMs,
                filteredJumpMs, endMs, searchMs, matches, static_cast<long long>(rss), sent,
                live->model()->rowCount(), p99, worst);
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    g_sinceStart.start();
    if (argc >= 4 && !qstrcmp(argv[1], "generate"))
        return generate(QString::fromLocal8Bit(argv[2]), QByteArray(argv[3]).toLongLong());
    if (argc >= 3 && !qstrcmp(argv[1], "measure"))
        return measure(argc, argv, QString::fromLocal8Bit(argv[2]));
    std::fprintf(stderr, "usage: bench_history generate DIR N | measure DIR\n");
    return 2;
}
