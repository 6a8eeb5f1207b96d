// SPDX-License-Identifier: GPL-3.0-or-later
// Delivery throughput and latency benchmark (not a test: it prints figures).
//   bench_delivery core URL N        full core: render, sign, durable record, send
//   bench_delivery qnam URL N        a bare QNetworkAccessManager loop, same body, same
//                                    number of requests in flight
//   bench_delivery qnam-buffered URL N  the same loop with the dispatcher's proxy factory,
//                                    which makes Qt read responses in bulk (like for like)
//   bench_delivery body - 0          print the request body the other modes send
//   bench_delivery latency RATE N    core and bare QNAM (both ways) at RATE deliveries/s
//                                    against an in-process receiver thread: p50/p99 arrival
//   bench_delivery parts - N         the per-delivery CPU of rendering and of signing alone
//   bench_delivery wide URL N E C    full core with E endpoints (all to URL), each allowed C
//                                    attempts at once, N deliveries round-robin over them
//   bench_delivery pool URL N C      bare QNetworkAccessManagers as Qt comes, 6 requests each,
//                                    C requests in flight in all
//   bench_delivery pool-buffered URL N C  the same with the dispatcher's proxy factory (bulk
//                                    reads, like for like)
// Each prints one line "key=value ..." that delivery_bench.sh turns into the table.
// Targets only loopback addresses; loops are bounded by N.
#include "catalog/EventCatalog.h"
#include "delivery/BufferedDirectProxy.h"
#include "delivery/Dispatcher.h"
#include "domain/Ids.h"
#include "receiver/ReceiverServer.h"
#include "signing/WebhookSigner.h"
#include "store/Store.h"
#include "store/StoreWriter.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QUuid>

#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

namespace {

constexpr int kConnections = 6;

qint64 peakRssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return 0;
}

// Which malloc this process runs on: jemalloc answers mallctl("version"), glibc has no mallctl.
QByteArray allocatorName()
{
    using MallCtl = int (*)(const char *, void *, size_t *, void *, size_t);
    const auto mallctl = reinterpret_cast<MallCtl>(dlsym(RTLD_DEFAULT, "mallctl"));
    const char *version = nullptr;
    size_t size = sizeof version;
    if (mallctl && mallctl("version", &version, &size, nullptr, 0) == 0 && version)
        return "jemalloc-" + QByteArray(version).split('-').first();
    return "glibc";
}

// CPU time (user + system, all threads) this process has used, in microseconds.
double cpuMicros()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

// Sums a number read from one of each thread's /proc files, by thread name ("main" for the
// process's first thread). `value` turns the file's contents into the number, or NaN to skip.
QMap<QString, double> perThread(const char *file,
                                const std::function<double(const QByteArray &)> &value)
{
    QMap<QString, double> out;
    const QString self = QString::number(QCoreApplication::applicationPid());
    for (const QString &tid :
         QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile data(QStringLiteral("/proc/self/task/%1/%2").arg(tid, QLatin1String(file)));
        QFile comm(QStringLiteral("/proc/self/task/%1/comm").arg(tid));
        if (!data.open(QIODevice::ReadOnly) || !comm.open(QIODevice::ReadOnly))
            continue;
        const double v = value(data.readAll());
        if (std::isnan(v))
            continue;
        const QString name =
            tid == self ? QStringLiteral("main") : QString::fromUtf8(comm.readAll().trimmed());
        out[name] += v;
    }
    return out;
}

// CPU time per thread, in microseconds: where a mode's time goes, without a profiler's
// overhead.
QMap<QString, double> threadCpuMicros(bool systemOnly = false)
{
    const double tick = 1e6 / double(sysconf(_SC_CLK_TCK));
    return perThread("stat", [&](const QByteArray &line) {
        // Fields after the ")" that ends the name: state is field 3, utime 14, stime 15.
        const QList<QByteArray> f = line.mid(line.lastIndexOf(')') + 2).split(' ');
        if (f.size() < 13)
            return std::nan("");
        return double((systemOnly ? 0 : f.at(11).toLongLong()) + f.at(12).toLongLong()) * tick;
    });
}

// Time each thread spent runnable but waiting for a CPU (schedstat's run delay), in
// microseconds: on two cores, how much the threads stand in each other's way.
QMap<QString, double> threadWaitMicros()
{
    return perThread("schedstat", [](const QByteArray &text) {
        const QList<QByteArray> f = text.trimmed().split(' ');
        return f.size() < 2 ? std::nan("") : f.at(1).toLongLong() / 1000.0;
    });
}

struct ThreadCpu
{
    QMap<QString, double> total = threadCpuMicros();
    QMap<QString, double> system = threadCpuMicros(true);
    QMap<QString, double> wait = threadWaitMicros();
};

// " cpu_us[thread]=N sys_us[thread]=M ..." per delivery since `before`.
QByteArray threadCpuText(const ThreadCpu &before, int n)
{
    QByteArray out;
    const ThreadCpu after;
    for (auto it = after.total.cbegin(); it != after.total.cend(); ++it) {
        QString name = it.key();
        name.replace(QLatin1Char(' '), QLatin1Char('_'));
        out +=
            QStringLiteral(" cpu_us[%1]=%2 sys_us[%1]=%3 wait_us[%1]=%4")
                .arg(name)
                .arg((it.value() - before.total.value(it.key())) / n, 0, 'f', 0)
                .arg((after.system.value(it.key()) - before.system.value(it.key())) / n, 0, 'f', 0)
                .arg((after.wait.value(it.key()) - before.wait.value(it.key())) / n, 0, 'f', 1)
                .toUtf8();
    }
    return out;
}

struct Core
{
    QTemporaryDir dir;
    std::unique_ptr<StoreWriter> writer;
    std::unique_ptr<Dispatcher> dispatcher;
    Endpoint endpoint;
    EventCatalog catalog;
    SampleData sample;

    QList<Endpoint> endpoints;

    bool open(const QString &url, int count = 1, int inFlight = kConnections)
    {
        const QString path = dir.filePath(QStringLiteral("bench.sqlite"));
        QString error;
        auto store = Store::open(path, &error);
        if (!store)
            return false;
        for (int i = 0; i < count; ++i) {
            Endpoint e;
            e.name = QStringLiteral("bench%1").arg(i);
            e.url = url;
            e.secret = WebhookSigner::generateSecret();
            e.retry.maxAttempts = 1;
            e.retry.disableAfterFailures = 0;
            e.maxInFlight = inFlight;
            if (!store->saveEndpoint(&e).isEmpty())
                return false;
            endpoints << e;
        }
        endpoint = endpoints.first();
        writer = std::make_unique<StoreWriter>(path);
        if (!writer->start(&error))
            return false;
        dispatcher = std::make_unique<Dispatcher>(writer.get());
        DispatcherOptions o;
        o.maxInFlight = qMax(o.maxInFlight, count * inFlight);
        dispatcher->setOptions(o);
        for (const Endpoint &e : std::as_const(endpoints))
            dispatcher->upsertEndpoint(e);
        return true;
    }

    Event render()
    {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const RenderResult r = catalog.render(QStringLiteral("call.ringing"), sample, now);
        return Event{Ids::newTimeOrdered(),
                     QStringLiteral("call.ringing"),
                     r.json,
                     now,
                     EventOrigin::Api,
                     {}};
    }
};

QByteArray sampleBody()
{
    EventCatalog catalog;
    SampleData sample(1);
    return catalog.render(QStringLiteral("call.ringing"), sample, QDateTime::currentDateTimeUtc())
        .json;
}

int runCore(const QString &url, int n, int endpoints = 1, int inFlight = kConnections)
{
    Core core;
    if (!core.open(url, endpoints, inFlight))
        return 1;
    int finished = 0, failed = 0;
    QEventLoop loop;
    QObject::connect(core.dispatcher.get(), &Dispatcher::deliveryFinished, &loop,
                     [&](const Delivery &d, const QString &) {
                         if (d.state != DeliveryState::Succeeded)
                             ++failed;
                         if (++finished == n)
                             loop.quit();
                     });
    QElapsedTimer clock;
    clock.start();
    const double cpu0 = cpuMicros();
    const ThreadCpu threads0;
    // Feed in slices so rendering overlaps sending, as it would for a live stream of events.
    int fired = 0;
    QTimer feeder;
    QObject::connect(&feeder, &QTimer::timeout, &loop, [&] {
        for (int i = 0; i < 200 && fired < n; ++i, ++fired)
            core.dispatcher->dispatch(core.render(),
                                      core.endpoints.at(fired % core.endpoints.size()).id,
                                      AttemptTrigger::Scheduled);
        if (fired == n)
            feeder.stop();
    });
    feeder.start(0);
    loop.exec();
    core.writer->flush(); // every attempt durably recorded
    const double seconds = clock.nsecsElapsed() / 1e9;
    const qint64 walKiB =
        QFileInfo(core.dir.filePath(QStringLiteral("bench.sqlite-wal"))).size() / 1024;
    const StoreWriter::CommitTimes commits = core.writer->commitTimes();
    std::printf("mode=core endpoints=%d in_flight=%d pools=%d n=%d failed=%d seconds=%.3f "
                "rate=%.0f peak_rss_kib=%lld batches=%lld "
                "commits_over_2ms=%lld longest_commit_ms=%.2f checkpoints=%lld wal_kib=%lld "
                "cpu_us=%.0f%s allocator=%s\n",
                endpoints, inFlight, core.dispatcher->connectionPools(), n, failed, seconds,
                n / seconds, peakRssKiB(), static_cast<long long>(core.writer->committedBatches()),
                static_cast<long long>(commits.over2ms), commits.longestNs / 1e6,
                static_cast<long long>(core.writer->checkpoints()), static_cast<long long>(walKiB),
                (cpuMicros() - cpu0) / n, threadCpuText(threads0, n).constData(),
                allocatorName().constData());
    return failed ? 1 : 0;
}

// The bare loop as Qt comes (the reference), or `buffered` with the proxy factory the
// dispatcher uses, so its sockets read responses in bulk too (the like-for-like comparison):
// enough managers (6 connections each on Qt 6.4) for `connections` requests in flight, each
// manager kept at 6; one manager for the 6-connection table.
int runPool(const QByteArray &mode, const QString &url, int n, int connections, bool buffered)
{
    const int managers = (connections + kConnections - 1) / kConnections;
    std::vector<std::unique_ptr<QNetworkAccessManager>> nams;
    for (int i = 0; i < managers; ++i) {
        nams.push_back(std::make_unique<QNetworkAccessManager>());
        if (buffered)
            nams.back()->setProxyFactory(new BufferedDirectProxyFactory);
    }
    const QByteArray body = sampleBody();
    QNetworkRequest request{QUrl(url)};
    request.setRawHeader("Content-Type", "application/json");
    int started = 0, finished = 0, failed = 0;
    QEventLoop loop;
    std::function<void(QNetworkAccessManager *)> startOne = [&](QNetworkAccessManager *nam) {
        if (started >= n)
            return;
        ++started;
        QNetworkReply *reply = nam->post(request, body);
        QObject::connect(reply, &QNetworkReply::finished, &loop, [&, reply, nam] {
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (status < 200 || status >= 300)
                ++failed;
            reply->readAll();
            reply->deleteLater();
            if (++finished == n)
                loop.quit();
            else
                startOne(nam);
        });
    };
    QElapsedTimer clock;
    clock.start();
    const double cpu0 = cpuMicros();
    const ThreadCpu threads0;
    for (int i = 0; i < connections; ++i)
        startOne(nams.at(size_t(i / kConnections)).get());
    loop.exec();
    const double seconds = clock.nsecsElapsed() / 1e9;
    std::printf("mode=%s connections=%d managers=%d n=%d failed=%d seconds=%.3f rate=%.0f "
                "peak_rss_kib=%lld cpu_us=%.0f%s allocator=%s\n",
                mode.constData(), connections, managers, n, failed, seconds, n / seconds,
                peakRssKiB(), (cpuMicros() - cpu0) / n, threadCpuText(threads0, n).constData(),
                allocatorName().constData());
    return failed ? 1 : 0;
}

// A receiver on its own thread that notes when each payload's callID arrives.
class TimedReceiver : public QThread
{
public:
    void run() override
    {
        ReceiverServer server;
        InboxConfig c;
        c.name = QStringLiteral("bench");
        c.status = 204;
        c.capacity = 1;
        server.setInbox(c);
        server.listen();
        QObject::connect(
            &server, &ReceiverServer::requestCaptured, &server,
            [this](const CapturedRequest &r) {
                const qint64 t = clock.nsecsElapsed();
                const QString id = QJsonDocument::fromJson(r.body)
                                       .object()
                                       .value(QStringLiteral("callID"))
                                       .toString();
                QMutexLocker lock(&mutex);
                arrivals.insert(id, t);
            },
            Qt::DirectConnection);
        {
            QMutexLocker lock(&mutex);
            url = server.inboxUrl(QStringLiteral("bench")).toString();
        }
        exec();
    }
    QElapsedTimer clock;
    QMutex mutex;
    QHash<QString, qint64> arrivals;
    QString url;
};

struct Percentiles
{
    double p50 = 0, p99 = 0;
};

Percentiles percentiles(std::vector<double> v)
{
    if (v.empty())
        return {};
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
        return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
    };
    return {at(0.50), at(0.99)};
}

int runLatency(double rate, int n)
{
    TimedReceiver receiver;
    receiver.clock.start();
    receiver.start();
    while (true) {
        QMutexLocker lock(&receiver.mutex);
        if (!receiver.url.isEmpty())
            break;
        lock.unlock();
        QThread::msleep(5);
    }
    const QString url = receiver.url;

    auto paced = [&](const std::function<QString()> &fireOne) {
        QHash<QString, qint64> fired;
        QEventLoop loop;
        QTimer tick;
        const double perTick = rate / 100.0; // 10 ms ticks
        double owed = 0;
        int count = 0;
        QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
            owed += perTick;
            while (owed >= 1.0 && count < n) {
                owed -= 1.0;
                const qint64 t = receiver.clock.nsecsElapsed();
                fired.insert(fireOne(), t);
                ++count;
            }
            if (count >= n) {
                tick.stop();
                QTimer::singleShot(1000, &loop, &QEventLoop::quit);
            }
        });
        tick.setTimerType(Qt::PreciseTimer);
        tick.start(10);
        loop.exec();
        std::vector<double> ms;
        QMutexLocker lock(&receiver.mutex);
        for (auto it = fired.cbegin(); it != fired.cend(); ++it) {
            const auto arrived = receiver.arrivals.constFind(it.key());
            if (arrived != receiver.arrivals.cend())
                ms.push_back((arrived.value() - it.value()) / 1e6);
        }
        receiver.arrivals.clear();
        return ms;
    };

    Core core;
    if (!core.open(url))
        return 1;
    const std::vector<double> coreMs = paced([&] {
        const Event e = core.render();
        core.dispatcher->dispatch(e, core.endpoint.id, AttemptTrigger::Scheduled);
        return QJsonDocument::fromJson(e.payload)
            .object()
            .value(QStringLiteral("callID"))
            .toString();
    });
    const StoreWriter::CommitTimes commits = core.writer->commitTimes();

    // The bare loop as Qt comes, then with the dispatcher's proxy factory (bulk reads).
    EventCatalog catalog;
    SampleData sample;
    auto bare = [&](bool buffered) {
        QNetworkAccessManager nam;
        if (buffered)
            nam.setProxyFactory(new BufferedDirectProxyFactory);
        return paced([&] {
            const QByteArray body =
                catalog
                    .render(QStringLiteral("call.ringing"), sample, QDateTime::currentDateTimeUtc())
                    .json;
            QNetworkRequest request{QUrl(url)};
            request.setRawHeader("Content-Type", "application/json");
            QNetworkReply *reply = nam.post(request, body);
            QObject::connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
            return QJsonDocument::fromJson(body)
                .object()
                .value(QStringLiteral("callID"))
                .toString();
        });
    };
    const std::vector<double> bareMs = bare(false);
    const std::vector<double> bufferedMs = bare(true);
    receiver.quit();
    receiver.wait();
    const Percentiles c = percentiles(coreMs), b = percentiles(bareMs),
                      bb = percentiles(bufferedMs);
    std::printf("mode=latency rate=%.0f n=%d core_received=%zu core_p50_ms=%.2f core_p99_ms=%.2f "
                "bare_received=%zu bare_p50_ms=%.2f bare_p99_ms=%.2f added_p50_ms=%.2f "
                "added_p99_ms=%.2f buffered_received=%zu buffered_p50_ms=%.2f "
                "buffered_p99_ms=%.2f added_buffered_p50_ms=%.2f added_buffered_p99_ms=%.2f "
                "commits_over_2ms=%lld longest_commit_ms=%.2f\n",
                rate, n, coreMs.size(), c.p50, c.p99, bareMs.size(), b.p50, b.p99, c.p50 - b.p50,
                c.p99 - b.p99, bufferedMs.size(), bb.p50, bb.p99, c.p50 - bb.p50, c.p99 - bb.p99,
                static_cast<long long>(commits.over2ms), commits.longestNs / 1e6);
    return 0;
}

// What one delivery costs the main thread before any network work: rendering the event
// from its template and signing the body. Neither touches the network or the disk.
int runParts(int n)
{
    EventCatalog catalog;
    SampleData sample(1);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QElapsedTimer clock;
    clock.start();
    qsizetype bytes = 0;
    for (int i = 0; i < n; ++i)
        bytes += catalog.render(QStringLiteral("call.ringing"), sample, now).json.size();
    const double renderUs = clock.nsecsElapsed() / 1e3 / n;
    const QByteArray body = sampleBody();
    const QString secret = WebhookSigner::generateSecret();
    clock.restart();
    for (int i = 0; i < n; ++i)
        bytes +=
            WebhookSigner::computeSignature(secret, "msg_x", now.toSecsSinceEpoch(), body).size();
    const double signUs = clock.nsecsElapsed() / 1e3 / n;

    // Recording: what the dispatcher writes for a delivery that succeeds at once (event and
    // delivery, then attempt and final state), four deliveries per commit as under load.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("parts.sqlite"));
    double recordUs = 0;
    {
        StoreWriter writer(path);
        if (!writer.start(nullptr))
            return 1;
        const ThreadCpu before;
        for (int i = 0; i < n; i += 4) {
            for (int k = 0; k < 4; ++k) {
                const Event e{Ids::newTimeOrdered(),
                              QStringLiteral("call.ringing"),
                              body,
                              now,
                              EventOrigin::Api,
                              {}};
                Delivery d;
                d.id = Ids::newTimeOrdered();
                d.eventId = e.id;
                d.eventType = e.type;
                d.endpointId = QStringLiteral("0b9e8f4e-1b7c-4d3a-9a51-6f1f0c2d7e11");
                d.webhookId = WebhookSigner::generateMessageId();
                d.created = d.updated = d.nextAttempt = now;
                writer.submit(
                    [e, d](Store &st) { return st.insertEvent(e) && st.insertDelivery(d); });
                Attempt a;
                a.deliveryId = d.id;
                a.number = 1;
                a.started = now;
                a.durationMs = 2;
                a.requestUrl = QStringLiteral("http://127.0.0.1:8080/hook");
                a.requestHeaders = {
                    {QStringLiteral("Content-Type"), QStringLiteral("application/json")},
                    {QStringLiteral("User-Agent"), QStringLiteral("Hookline/0.1.0")},
                    {QStringLiteral("webhook-id"), d.webhookId},
                    {QStringLiteral("webhook-timestamp"), QStringLiteral("1795733008")},
                    {QStringLiteral("webhook-signature"),
                     QStringLiteral("v1,IcYXGVkiziIuMz361gs06jX150wEB+Re7J1N5JgJL8w=")}};
                a.requestBody = body;
                a.responseStatus = 204;
                a.responseReason = QStringLiteral("No Content");
                a.responseHeaders = {{QStringLiteral("Server"), QStringLiteral("nginx/1.22.1")},
                                     {QStringLiteral("Connection"), QStringLiteral("keep-alive")}};
                d.state = DeliveryState::Succeeded;
                d.attemptCount = 1;
                d.lastStatus = 204;
                writer.submit([a, d](Store &st) mutable {
                    // As the dispatcher does: it knows the row's outcome is still "none".
                    return st.insertAttempt(&a) && st.updateDelivery(d, ErrorClass::None);
                });
            }
            writer.flush();
        }
        ThreadCpu after;
        recordUs = (after.total.value(QStringLiteral("hookline-writer")) -
                    before.total.value(QStringLiteral("hookline-writer"))) /
                   n;
    }
    std::printf("mode=parts n=%d render_us=%.2f sign_us=%.2f record_writer_us=%.1f bytes=%lld\n", n,
                renderUs, signUs, recordUs, static_cast<long long>(bytes));
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 4) {
        std::fprintf(stderr, "usage: bench_delivery core|qnam|qnam-buffered URL N | latency RATE "
                             "N | wide URL N ENDPOINTS IN_FLIGHT | pool URL N CONNECTIONS\n");
        return 2;
    }
    const QString mode = args.at(1);
    const int n = args.at(3).toInt();
    if (mode == QLatin1String("body")) {
        std::fwrite(sampleBody().constData(), 1, size_t(sampleBody().size()), stdout);
        return 0;
    }
    if (mode == QLatin1String("core"))
        return runCore(args.at(2), n);
    if (mode == QLatin1String("qnam") || mode == QLatin1String("qnam-buffered"))
        return runPool(mode.toLatin1(), args.at(2), n, kConnections,
                       mode == QLatin1String("qnam-buffered"));
    if (mode == QLatin1String("latency"))
        return runLatency(args.at(2).toDouble(), n);
    if (mode == QLatin1String("parts"))
        return runParts(n);
    if (mode == QLatin1String("wide") && args.size() == 6)
        return runCore(args.at(2), n, args.at(4).toInt(), args.at(5).toInt());
    if ((mode == QLatin1String("pool") || mode == QLatin1String("pool-buffered")) &&
        args.size() == 5)
        return runPool(mode.toLatin1(), args.at(2), n, args.at(4).toInt(),
                       mode == QLatin1String("pool-buffered"));
    std::fprintf(stderr, "unknown mode\n");
    return 2;
}
