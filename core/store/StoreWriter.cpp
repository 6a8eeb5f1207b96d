#include "StoreWriter.h"

#include "Store.h"

#include <QElapsedTimer>
#include <QPointer>

namespace {
constexpr qint64 kGroupCommitNs = 1000000; // 1 ms
} // namespace

StoreWriter::StoreWriter(const QString &path, QObject *parent)
    : QObject(parent)
    , m_path(path)
{
}

StoreWriter::~StoreWriter()
{
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
    m_thread->setObjectName(QStringLiteral("hookline-store-writer"));
    m_thread->start();
    QMutexLocker lock(&m_mutex);
    while (!m_opened && m_openError.isEmpty())
        m_progress.wait(&m_mutex);
    if (!m_opened && error)
        *error = m_openError;
    return m_opened;
}

void StoreWriter::submit(Operation operation, QObject *context, Done done)
{
    QMutexLocker lock(&m_mutex);
    m_queue.push_back({std::move(operation), context, std::move(done)});
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

void StoreWriter::run()
{
    QString error;
    std::unique_ptr<Store> store = Store::open(m_path, &error);
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
        std::vector<bool> results;
        results.reserve(batch.size());
        store->begin();
        for (Item &item : batch) {
            store->savepoint();
            const bool ok = item.operation(*store);
            if (ok) {
                store->releaseSavepoint();
            } else {
                store->rollbackToSavepoint();
                emit writeFailed(store->lastError());
            }
            results.push_back(ok);
        }
        if (!store->commit()) {
            emit writeFailed(store->lastError());
            store->rollback();
            std::fill(results.begin(), results.end(), false);
        }
        sinceCommit.restart();
        {
            QMutexLocker lock(&m_mutex);
            m_committed += qint64(batch.size());
            ++m_batches;
            m_progress.wakeAll();
        }
        // One posted event per context and batch, not one per operation: at thousands of
        // deliveries a second the wake-ups of the receiving thread add up.
        std::vector<std::pair<QObject *, std::vector<std::pair<Done, bool>>>> calls;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            Item &item = batch[i];
            if (!item.context || !item.done)
                continue;
            const bool ok = results[i]; // a bool, not vector<bool>'s proxy into `results`
            if (calls.empty() || calls.back().first != item.context)
                calls.push_back({item.context, {}});
            calls.back().second.emplace_back(std::move(item.done), ok);
        }
        for (auto &[context, dones] : calls) {
            // Queued to the context's thread; dropped by Qt if the context is gone by then.
            QMetaObject::invokeMethod(
                context,
                [dones = std::move(dones)] {
                    for (const auto &[done, ok] : dones)
                        done(ok);
                },
                Qt::QueuedConnection);
        }
    }
}
