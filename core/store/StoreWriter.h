// The delivery engine's write path: a thread of its own with its own Store connection,
// which runs submitted write operations in batches - everything queued while the previous
// batch committed goes into the next single transaction - so the GUI thread never waits on
// SQLite and a burst of deliveries costs a few commits, not one per row.
// Each operation runs inside a savepoint, so one failing write never takes others with it.
// Completion callbacks come back on the submitting context's thread, after the commit: a
// caller that waits for its callback knows the data is durable.
#pragma once

#include <QMutex>
#include <QObject>
#include <QThread>
#include <QWaitCondition>

#include <deque>
#include <functional>
#include <memory>

class Store;

class StoreWriter : public QObject
{
    Q_OBJECT
public:
    using Operation = std::function<bool(Store &)>;
    using Done = std::function<void(bool ok)>;

    explicit StoreWriter(const QString &path, QObject *parent = nullptr);
    ~StoreWriter() override; // commits what is queued, then stops the thread

    // Opens the database in the writer thread (running migrations); blocks until done.
    bool start(QString *error);
    // Queues an operation. `done` runs on `context`'s thread after the batch is committed
    // (not at all if context is null or has been destroyed).
    void submit(Operation operation, QObject *context = nullptr, Done done = {});
    // Blocks until everything submitted before this call is committed.
    void flush();

    qint64 committedBatches() const;
    qint64 committedOperations() const;

signals:
    void writeFailed(const QString &error);

private:
    struct Item
    {
        Operation operation;
        QObject *context = nullptr;
        Done done;
    };
    void run();

    QString m_path;
    std::unique_ptr<QThread> m_thread;
    mutable QMutex m_mutex;
    QWaitCondition m_wake;
    QWaitCondition m_progress;
    std::deque<Item> m_queue;
    qint64 m_submitted = 0;
    qint64 m_committed = 0;
    qint64 m_batches = 0;
    bool m_stopping = false;
    bool m_opened = false;
    QString m_openError;
};
