// SPDX-License-Identifier: GPL-3.0-or-later
#include "StoreWriter.h"

#include "Store.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QPointer>
#include <QSqlDatabase>
#include <QSqlQuery>

#include <algorithm>
#include <atomic>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace {
constexpr qint64 kGroupCommitNs = 1000000; // 1 ms
constexpr unsigned long kCheckpointIntervalMs = 10;

// Lowers the calling thread's priority by `steps` nice levels, relative to what it has.
// The writer and the checkpointer do work that can wait a moment; the thread that sends
// deliveries (and draws the window) should not queue behind them for a core. Measured in the
// delivery bench, in alternation: the writer, run a little later, finds larger batches and
// spends 10-20 % less CPU per delivery. Nice levels only weigh the scheduler's shares: a
// lower thread still runs whenever the machine has time, so commits are never starved.
// Linux keeps a nice value per thread; an unprivileged process may always lower its own.
void lowerThreadPriority(int steps)
{
#ifdef Q_OS_LINUX
    const auto tid = static_cast<id_t>(syscall(SYS_gettid));
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, tid);
    if (current == -1 && errno != 0)
        return;
    setpriority(PRIO_PROCESS, tid, qMin(current + steps, 19));
#else
    Q_UNUSED(steps);
#endif
}
} // namespace

StoreWriter::StoreWriter(const QString &path, QObject *parent)
    : QObject(parent)
    , m_path(path)
{
}

StoreWriter::~StoreWriter()
{
    if (m_checkpointThread) {
        {
            QMutexLocker lock(&m_mutex);
            m_stoppingCheckpoints = true;
            m_checkpointWake.wakeAll();
        }
        m_checkpointThread->wait();
    }
    if (!m_thread)
        return;
    {
        QMutexLocker lock(&m_mutex);
        m_stopping = true;
        m_wake.wakeAll();
    }
    m_thread->wait();
}

bool StoreWriter::start(QString *error)
{
    m_thread.reset(QThread::create([this] { run(); }));
    m_thread->setObjectName(QStringLiteral("hookline-writer"));
    m_thread->start();
    QMutexLocker lock(&m_mutex);
    while (!m_opened && m_openError.isEmpty())
        m_progress.wait(&m_mutex);
    if (!m_opened && error)
        *error = m_openError;
    // A server checkpoints its own log: the thread is for SQLite's WAL only.
    if (m_opened && !Store::isServerLocation(m_path)) {
        lock.unlock();
        m_checkpointThread.reset(QThread::create([this] { runCheckpoints(); }));
        m_checkpointThread->setObjectName(QStringLiteral("hookline-ckpt"));
        m_checkpointThread->start(QThread::LowPriority);
    }
    return m_opened;
}

void StoreWriter::submit(Operation operation, QObject *context, Done done, Commit commit)
{
    // Decided here, on the submitting thread, where asking a live context is safe.
    const bool relay = context && context->thread() == thread();
    QMutexLocker lock(&m_mutex);
    m_queue.push_back({std::move(operation), context, std::move(done), relay, commit});
    ++m_submitted;
    m_wake.wakeOne();
}

void StoreWriter::flush()
{
    QMutexLocker lock(&m_mutex);
    const qint64 target = m_submitted;
    while (m_committed < target && m_opened)
        m_progress.wait(&m_mutex);
}

qint64 StoreWriter::committedBatches() const
{
    QMutexLocker lock(&m_mutex);
    return m_batches;
}

qint64 StoreWriter::committedOperations() const
{
    QMutexLocker lock(&m_mutex);
    return m_committed;
}

qint64 StoreWriter::failedOperations() const
{
    QMutexLocker lock(&m_mutex);
    return m_failed;
}

QString StoreWriter::lastError() const
{
    QMutexLocker lock(&m_mutex);
    return m_lastError;
}

qint64 StoreWriter::checkpoints() const
{
    QMutexLocker lock(&m_mutex);
    return m_checkpoints;
}

StoreWriter::CommitTimes StoreWriter::commitTimes() const
{
    QMutexLocker lock(&m_mutex);
    return m_commitTimes;
}

// 10 ms after a commit (and every 10 ms while commits keep coming) copies the WAL into the
// database file; while nothing is committed it sleeps without ticking. Often and small on purpose:
// a checkpoint ends with a sync of the database file, and on ext4 that sync holds up the writer's
// appends to the WAL for as long as it runs; many small syncs each cost a delivery well under a
// millisecond, while one every 100 ms or 1000 pages cost 10-30 ms at p99 in the delivery bench.
// PASSIVE never waits for readers or writers (nor calls the busy handler): if another connection is
// checkpointing, it returns at once and the next round catches up.
void StoreWriter::runCheckpoints()
{
    lowerThreadPriority(kCheckpointNiceSteps);
    static std::atomic<int> counter{0};
    const QString name = QStringLiteral("hookline-checkpoint-%1").arg(counter.fetch_add(1));
    const QString walPath = m_path + QStringLiteral("-wal");
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(m_path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=1000"));
        const bool open = db.open();
        QMutexLocker lock(&m_mutex);
        while (open && !m_stoppingCheckpoints) {
            if (m_batches == m_batchesAtCheckpoint) {
                // Nothing new: sleep until the writer commits (no timer ticks while idle).
                // A WAL file a burst left large is emptied once the writer has been quiet for
                // a while. TRUNCATE holds off the writer while it runs, so never while commits
                // keep coming, and without a busy timeout: if the writer or a reader is busy
                // after all, it gives up at once (and tries again after the next quiet spell)
                // rather than make the next commit wait.
                m_checkpointIdle = true;
                lock.unlock();
                const bool walLarge = QFileInfo(walPath).size() > kWalTrimBytes;
                lock.relock();
                // (A commit meanwhile found no one waiting to wake: hence the checks again.)
                const auto quiet = [this] {
                    return !m_stoppingCheckpoints && m_batches == m_batchesAtCheckpoint;
                };
                if (walLarge && quiet() && !m_checkpointWake.wait(&m_mutex, kWalTrimIdleMs) &&
                    quiet()) {
                    lock.unlock();
                    QSqlQuery q(db);
                    q.exec(QStringLiteral("PRAGMA busy_timeout=0"));
                    q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
                    q.finish();
                    q.exec(QStringLiteral("PRAGMA busy_timeout=1000"));
                    lock.relock();
                } else if (!walLarge && quiet()) {
                    m_checkpointWake.wait(&m_mutex);
                }
                m_checkpointIdle = false;
                continue;
            }
            // Let a little more accumulate, then copy what is there.
            m_checkpointWake.wait(&m_mutex, kCheckpointIntervalMs);
            if (m_stoppingCheckpoints)
                break;
            m_batchesAtCheckpoint = m_batches;
            lock.unlock();
            QSqlQuery q(db);
            const bool ran = q.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)"));
            q.finish();
            lock.relock();
            if (ran)
                ++m_checkpoints;
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
}

// The common case, every operation succeeding, runs without savepoints: each savepoint makes
// SQLite copy every page the operation touches into a statement journal first - for a delivery's
// few rows that is a dozen 4 KiB copies each, and it was most of the writer's work. Only when an
// operation fails is the batch rolled back and run again with a savepoint around each operation,
// so that the failing one is undone alone and the others are kept.
std::vector<bool> StoreWriter::runBatch(Store &store, std::deque<Item> &batch)
{
    const auto attempt = [&](bool isolated) {
        std::vector<bool> results;
        results.reserve(batch.size());
        bool began = store.begin();
        QString unreachable;
        if (!began && store.isPostgres()) {
            // A server that restarted dropped the connection: connect again, once per batch.
            if (store.checkConnection(&unreachable))
                began = store.begin();
        }
        if (!began) {
            // The write lock was not had within the busy timeout (another program holds
            // it), or the file cannot be written: nothing ran, and a second round would
            // only wait as long again.
            emit writeFailed(unreachable.isEmpty() ? store.lastError() : unreachable);
            results.assign(batch.size(), false);
            return results;
        }
        for (Item &item : batch) {
            if (!isolated) {
                if (!item.operation(store))
                    return results; // stop at the first failure
                results.push_back(true);
                continue;
            }
            store.savepoint();
            const bool ok = item.operation(store);
            if (ok) {
                store.releaseSavepoint();
            } else {
                store.rollbackToSavepoint();
                emit writeFailed(store.lastError());
            }
            results.push_back(ok);
        }
        if (!store.commit()) {
            emit writeFailed(store.lastError());
            store.rollback();
            results.assign(batch.size(), false);
        }
        return results;
    };
    // Synced unless every operation of the batch may be lost at a power cut.
    const bool durable = std::any_of(batch.begin(), batch.end(), [](const Item &item) {
        return item.commit == Commit::Durable;
    });
    if (durable != m_durableCommits) {
        if (!store.setDurableCommits(durable))
            return std::vector<bool>(batch.size(), false);
        m_durableCommits = durable;
    }
    std::vector<bool> results = attempt(false);
    if (results.size() == batch.size())
        return results;
    store.rollback();
    results = attempt(true);
    results.resize(batch.size(), false); // begin() failed: nothing was written
    return results;
}

void StoreWriter::run()
{
    lowerThreadPriority(kWriterNiceSteps);
    QString error;
    std::unique_ptr<Store> store = Store::open(m_path, &error);
    if (store)
        store->setAnnounceToken(m_announceToken);
    if (store) {
        // The checkpoint thread's job; the writer steps in only to bound the WAL. Its commits
        // never truncate the file (SQLite's default): after a burst, truncating tens of MiB
        // blocked the commit that restarted the WAL for 3-18 ms. The checkpoint thread cuts
        // the file back once the writer is idle.
        store->setAutoCheckpointPages(kWriterCheckpointPages);
    }
    {
        QMutexLocker lock(&m_mutex);
        m_opened = store != nullptr;
        m_openError = store ? QString() : error;
        m_progress.wakeAll();
        if (!store)
            return;
    }
    QElapsedTimer sinceCommit;
    sinceCommit.start();
    for (;;) {
        std::deque<Item> batch;
        {
            QMutexLocker lock(&m_mutex);
            while (m_queue.empty() && !m_stopping)
                m_wake.wait(&m_mutex);
            if (m_queue.empty() && m_stopping)
                break;
            // Group commit: right after a commit, give a busy producer a moment to add to
            // the batch. A commit rewrites every touched page to the WAL whatever the batch
            // holds, so under load this turns many small commits into a few larger ones;
            // when idle, the first write goes straight through.
            const qint64 waited = sinceCommit.nsecsElapsed();
            if (waited < kGroupCommitNs && !m_stopping) {
                lock.unlock();
                QThread::usleep(static_cast<unsigned long>((kGroupCommitNs - waited) / 1000));
                lock.relock();
            }
            batch.swap(m_queue);
        }
        QElapsedTimer batchClock;
        batchClock.start();
        std::vector<bool> results = runBatch(*store, batch);
        const qint64 took = batchClock.nsecsElapsed();
        sinceCommit.restart();
        const auto failed = std::count(results.begin(), results.end(), false);
        {
            QMutexLocker lock(&m_mutex);
            if (failed > 0) {
                m_failed += failed;
                m_lastError = store->lastError();
            }
            ++m_batches;
            m_commitTimes.longestNs = qMax(m_commitTimes.longestNs, took);
            if (took > 2000000)
                ++m_commitTimes.over2ms;
            if (m_checkpointIdle)
                m_checkpointWake.wakeOne();
        }
        // One posted event per batch, not one per operation: at thousands of deliveries a
        // second the wake-ups of the receiving thread add up. Callbacks for contexts on this
        // object's thread go through `this`, which outlives the writer thread, and check
        // their context there: a context destroyed meanwhile (say, the dispatcher while the
        // application shuts down) is skipped instead of being called through a dangling
        // pointer.
        std::vector<std::tuple<QPointer<QObject>, Done, bool>> relayed;
        std::vector<std::pair<QPointer<QObject>, std::vector<std::pair<Done, bool>>>> direct;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            Item &item = batch[i];
            if (!item.context || !item.done)
                continue;
            const bool ok = results[i]; // a bool, not vector<bool>'s proxy into `results`
            if (item.relay) {
                relayed.emplace_back(item.context, std::move(item.done), ok);
                continue;
            }
            if (direct.empty() || direct.back().first != item.context)
                direct.push_back({item.context, {}});
            direct.back().second.emplace_back(std::move(item.done), ok);
        }
        if (!relayed.empty()) {
            QMetaObject::invokeMethod(
                this,
                [relayed = std::move(relayed)] {
                    for (const auto &[context, done, ok] : relayed) {
                        if (context)
                            done(ok);
                    }
                },
                Qt::QueuedConnection);
        }
        for (auto &[context, dones] : direct) {
            // A context on another thread must outlive the writer (none does today).
            if (!context)
                continue;
            QMetaObject::invokeMethod(
                context.data(),
                [dones = std::move(dones)] {
                    for (const auto &[done, ok] : dones)
                        done(ok);
                },
                Qt::QueuedConnection);
        }
        // Counted as committed only now, with its callbacks posted: whoever flush()ed and
        // then takes its posted events hears every outcome of what it flushed.
        {
            QMutexLocker lock(&m_mutex);
            m_committed += qint64(batch.size());
            m_progress.wakeAll();
        }
    }
}
