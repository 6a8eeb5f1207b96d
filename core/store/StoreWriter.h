// SPDX-License-Identifier: GPL-3.0-or-later
// The delivery engine's write path: a thread of its own with its own Store connection,
// which runs submitted write operations in batches - everything queued while the previous
// batch committed goes into the next single transaction - so the GUI thread never waits on
// SQLite and a burst of deliveries costs a few commits, not one per row.
// One failing operation never takes the others of its batch with it: the batch is then run
// again with each operation in a savepoint of its own. An operation may therefore run more
// than once (its writes rolled back in between) and must set whatever it reports back from
// scratch each time.
// Completion callbacks come back on the submitting context's thread, after the commit: a
// caller that waits for its callback knows the data is durable - on stable storage, synced,
// for the operations submitted as Durable (the default). A batch of Lazy operations only
// (outcome records, claims) commits without a sync: a crash of the process keeps it, a power
// cut may lose it; the next durable commit syncs it along.
// Checkpoints - copying the WAL into the database file and syncing it - run small and often
// on a second thread with its own connection, so that a commit (and the delivery waiting for
// it) never waits behind a big one. The writer still checkpoints itself if
// the WAL ever grows past kWriterCheckpointPages, which bounds the file; commits never
// truncate it, and the checkpoint thread empties a large one once the writer is idle.
#pragma once

#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QThread>
#include <QWaitCondition>

#include <deque>
#include <functional>
#include <memory>
#include <vector>

class Store;

class StoreWriter : public QObject
{
    Q_OBJECT
public:
    using Operation = std::function<bool(Store &)>;
    using Done = std::function<void(bool ok)>;
    enum class Commit { Durable, Lazy };

    explicit StoreWriter(const QString &path, QObject *parent = nullptr);
    ~StoreWriter() override; // commits what is queued, then stops the thread

    QString path() const { return m_path; }
    // Opens the database in the writer thread (running migrations); blocks until done.
    bool start(QString *error);
    // The token the writer's notices carry (Store::setAnnounceToken); before start().
    void setAnnounceToken(const QString &token) { m_announceToken = token; }
    // Queues an operation. `done` runs on `context`'s thread after the batch is committed
    // (not at all if context is null or has been destroyed by then - even while the writer
    // is finishing its last batch as the application shuts down).
    void submit(Operation operation, QObject *context = nullptr, Done done = {},
                Commit commit = Commit::Durable);
    // Blocks until everything submitted before this call is committed and its callbacks
    // are posted (a caller on the context's thread gets them with its next posted events).
    void flush();
    // Operations that failed so far (their writes were not kept), and the last reason.
    qint64 failedOperations() const;
    QString lastError() const;

    qint64 committedBatches() const;
    qint64 committedOperations() const;
    qint64 checkpoints() const; // background checkpoints run so far
    // How long batches took to run and commit: the longest so far, and how many took longer
    // than 2 ms (every delivery waiting for such a commit waits that long).
    struct CommitTimes
    {
        qint64 longestNs = 0;
        qint64 over2ms = 0;
    };
    CommitTimes commitTimes() const;

    static constexpr int kWriterCheckpointPages = 16000; // 64 MiB of 4 KiB pages
    // A WAL file larger than this is cut back to nothing by the checkpoint thread once the
    // writer has committed nothing for kWalTrimIdleMs (never by a commit).
    static constexpr qint64 kWalTrimBytes = 16 * 1024 * 1024;
    static constexpr int kWalTrimIdleMs = 1000;
    // How many nice levels below the thread that starts it the writer and the checkpointer
    // run (Linux; elsewhere they run at normal priority).
    static constexpr int kWriterNiceSteps = 5;
    static constexpr int kCheckpointNiceSteps = 10;

signals:
    void writeFailed(const QString &error);

private:
    struct Item
    {
        Operation operation;
        QPointer<QObject> context;
        Done done;
        bool relay = false; // context lives on this object's thread: call back through `this`
        Commit commit = Commit::Durable;
    };
    void run();
    std::vector<bool> runBatch(Store &store, std::deque<Item> &batch);
    void runCheckpoints();

    QString m_path;
    QString m_announceToken;
    std::unique_ptr<QThread> m_thread;
    std::unique_ptr<QThread> m_checkpointThread;
    QWaitCondition m_checkpointWake;
    qint64 m_batchesAtCheckpoint = 0;
    qint64 m_checkpoints = 0;
    bool m_stoppingCheckpoints = false;
    bool m_checkpointIdle = false; // waiting for a commit; the writer wakes it
    mutable QMutex m_mutex;
    QWaitCondition m_wake;
    QWaitCondition m_progress;
    std::deque<Item> m_queue;
    qint64 m_submitted = 0;
    qint64 m_committed = 0;
    qint64 m_batches = 0;
    qint64 m_failed = 0;
    QString m_lastError;
    CommitTimes m_commitTimes;
    bool m_stopping = false;
    bool m_opened = false;
    bool m_durableCommits = true; // the writer thread's connection, as Store::open left it
    QString m_openError;
};
